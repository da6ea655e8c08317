// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    // `liftoff deploy ...` and the other subcommands work without a window.
    let args: Vec<String> = std::env::args().collect();
    if liftoff_app::cli::wanted(&args) {
        return liftoff_app::cli::main();
    }
    liftoff_app::run();
    std::process::ExitCode::SUCCESS
}
