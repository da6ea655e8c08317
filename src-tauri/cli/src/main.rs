//! `liftoff-cli`: Liftoff's command line on its own, without the window's
//! libraries, for CI machines and servers. `liftoff-cli deploy …` is the
//! same as `liftoff deploy …` on a desktop.

fn main() -> std::process::ExitCode {
    liftoff_cli::main()
}
