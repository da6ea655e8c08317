//! The TypeScript bindings in `ui/src/lib/bindings.ts` are generated from the
//! Rust commands. This test fails when they are stale; run it with
//! `LIFTOFF_UPDATE_BINDINGS=1` to regenerate them.

use std::path::Path;

const COMMITTED: &str = "ui/src/lib/bindings.ts";

#[test]
fn typescript_bindings_are_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("bindings.ts");
    liftoff_app::export_bindings(&fresh_path).unwrap();
    let fresh = std::fs::read_to_string(&fresh_path).unwrap();

    let committed_path = repo.join(COMMITTED);
    if std::env::var_os("LIFTOFF_UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{COMMITTED} is stale. Regenerate it with: LIFTOFF_UPDATE_BINDINGS=1 cargo test --test bindings"
    );
}

#[test]
fn every_registered_command_is_declared_to_the_acl() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bindings.ts");
    liftoff_app::export_bindings(&path).unwrap();
    let ts = std::fs::read_to_string(&path).unwrap();
    // Each command is `name: (…) => __TAURI_INVOKE<T>("command_name", …)`.
    let mut invoked: Vec<&str> = ts
        .split("__TAURI_INVOKE")
        .skip(2) // the import line, then one part per command
        .filter_map(|part| part.split_once("(\"").and_then(|(_, rest)| rest.split('"').next()))
        .collect();
    invoked.sort();
    let mut declared = liftoff_app::COMMAND_NAMES.to_vec();
    declared.sort();
    assert_eq!(invoked, declared, "src-tauri/src/command_names.rs must list exactly the registered commands");
}
