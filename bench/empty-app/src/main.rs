// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The page's first content: the answer of one command.
#[tauri::command]
fn first_content() -> String {
    format!("Hello from Rust, {} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![first_content])
        .run(tauri::generate_context!())
        .expect("the empty app could not start its window");
}
