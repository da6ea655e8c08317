//! The security baseline, read from the files that set it. Each assertion
//! guards a setting that must not regress silently.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn conf() -> Value {
    json("tauri.conf.json")
}

fn csp() -> serde_json::Map<String, Value> {
    conf()["app"]["security"]["csp"].as_object().expect("a CSP given as directives").clone()
}

#[test]
fn global_tauri_is_off_and_prototypes_are_frozen() {
    let c = conf();
    assert_eq!(c["app"]["withGlobalTauri"], Value::Bool(false));
    assert_eq!(c["app"]["security"]["freezePrototype"], Value::Bool(true));
    assert!(c["app"]["security"].get("dangerousDisableAssetCspModification").is_none());
    assert!(c["app"]["security"].get("devCsp").is_none(), "dev must run under the same CSP");
}

#[test]
fn the_csp_allows_only_the_app_itself() {
    let csp = csp();
    let get = |k: &str| csp.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("CSP lacks {k}"));
    assert_eq!(get("default-src"), "'self'");
    assert_eq!(get("script-src"), "'self'");
    assert_eq!(get("object-src"), "'none'");
    assert_eq!(get("base-uri"), "'none'");
    assert_eq!(get("frame-ancestors"), "'none'");
    // Frames: only the sandboxed preview of an announcement (preview.rs).
    assert_eq!(get("frame-src"), "preview: http://preview.localhost");
    for (directive, value) in &csp {
        let value = value.as_str().unwrap();
        assert!(!value.contains("unsafe-eval"), "{directive} allows eval");
        assert!(!value.contains("unsafe-inline") || directive == "style-src", "{directive} allows inline code");
        assert!(!value.contains('*'), "{directive} has a wildcard");
        for source in value.split_whitespace() {
            let remote = source.starts_with("http:") || source.starts_with("https:") || source.starts_with("ws");
            // The IPC, and (frames only) Liftoff's own preview scheme as
            // Windows names it.
            let own = source == "http://ipc.localhost" || (directive == "frame-src" && source == "http://preview.localhost");
            assert!(!remote || own, "{directive} allows a remote source {source}");
        }
    }
}

#[test]
fn windows_load_only_bundled_content() {
    let c = conf();
    for window in c["app"]["windows"].as_array().unwrap() {
        if let Some(url) = window.get("url").and_then(Value::as_str) {
            assert!(!url.contains("://"), "window loads a URL: {url}");
        }
    }
    let dev_url = c["build"]["devUrl"].as_str().unwrap_or("");
    assert!(dev_url.is_empty() || dev_url.starts_with("http://localhost:"), "devUrl must be local: {dev_url}");
    let dist = c["build"]["frontendDist"].as_str().unwrap();
    assert!(!dist.contains("://"), "frontendDist must be a folder: {dist}");
}

#[test]
fn capabilities_are_explicit_local_and_minimal() {
    let c = conf();
    let listed: Vec<&str> = c["app"]["security"]["capabilities"]
        .as_array()
        .expect("capabilities listed by identifier in tauri.conf.json")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed, ["main"]);

    let files: Vec<_> = std::fs::read_dir(repo().join("src-tauri/capabilities")).unwrap().collect();
    assert_eq!(files.len(), 1, "one capability file, main.json");
    let cap = json("src-tauri/capabilities/main.json");
    assert_eq!(cap["identifier"], "main");
    assert_eq!(cap["local"], Value::Bool(true));
    assert!(cap.get("remote").is_none(), "no remote URL may reach the IPC");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));

    let granted: BTreeSet<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("permissions as plain identifiers").to_owned())
        .collect();
    // Listening is needed for the app's own events (data changed, problems
    // found in the background); emitting from the window is not granted.
    // Of the dialog plugin, only the Open and Save dialogs: no message boxes,
    // and no `dialog:default`.
    let expected: BTreeSet<String> = liftoff_app::COMMAND_NAMES
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .chain(["core:event:allow-listen", "core:event:allow-unlisten", "dialog:allow-open", "dialog:allow-save"].map(str::to_owned))
        .collect();
    assert_eq!(granted, expected, "the main window gets exactly the app's own commands, event listening and the Open and Save dialogs");
}

#[test]
fn the_only_plugins_are_the_known_ones() {
    // Every plugin the shell registers; a new one needs a reason here and
    // only the permissions it needs in the capability.
    let lib = read("src-tauri/src/lib.rs");
    let plugins: Vec<&str> = lib.match_indices(".plugin(").map(|(i, _)| lib[i + 8..].split('(').next().unwrap_or("")).collect();
    assert_eq!(plugins, ["single_instance", "tauri_plugin_window_state::Builder::default", "tauri_plugin_dialog::init"]);
    // The dialog plugin can reach tauri-plugin-fs's scope when that plugin
    // is there; it is not.
    let cargo = read("Cargo.toml");
    let npm = read("package.json");
    assert!(!cargo.contains("tauri-plugin-fs") && !npm.contains("plugin-fs"), "no file-system plugin");
}

#[test]
fn every_app_command_goes_through_the_acl() {
    let build = read("src-tauri/build.rs");
    assert!(build.contains("include!(\"src/command_names.rs\")"));
    assert!(build.contains("AppManifest::new().commands(COMMAND_NAMES)"));
}

#[test]
fn no_shell_plugin_and_no_opener() {
    let cargo = read("Cargo.toml");
    let npm = read("package.json");
    for banned in ["tauri-plugin-shell", "tauri-plugin-opener", "plugin-shell", "plugin-opener"] {
        assert!(!cargo.contains(banned), "Cargo.toml depends on {banned}");
        assert!(!npm.contains(banned), "package.json depends on {banned}");
    }
}

#[test]
fn the_core_does_not_depend_on_tauri() {
    let core = read("src-tauri/core/Cargo.toml");
    let deps = core.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(!deps.lines().any(|l| l.trim_start().starts_with("tauri")), "liftoff-core must not depend on tauri");
}
