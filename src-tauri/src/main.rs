// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    // `liftoff deploy ...` and the other subcommands work without a window
    // (the same code as the `liftoff-cli` binary).
    let args: Vec<String> = std::env::args().collect();
    if liftoff_cli::wanted(&args) {
        return liftoff_cli::main();
    }
    // `liftoff --data-dir D` opens the window on that folder.
    if let Some(dir) = liftoff_cli::given_data_dir(&args) {
        // Before any thread starts: nothing reads the environment yet.
        std::env::set_var(liftoff_app::DATA_DIR_ENV, dir);
    }
    liftoff_app::run();
    std::process::ExitCode::SUCCESS
}
