fn main() {
    // Like Liftoff: the app's commands are declared, and a capability allows them.
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&["first_content"]));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
