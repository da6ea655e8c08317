//! The desktop app's own binary keeps the command line: `liftoff deploy …`
//! and the other subcommands run without a window or a display, with the
//! global options before or after the subcommand (they used to start the
//! window when they came first, which then failed without a display).

use std::process::Command;

use chrono::Utc;
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::Store;

#[test]
fn subcommands_run_without_a_display_wherever_the_data_folder_option_stands() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
        let draft = ProjectDraft { name: "Shop".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() };
        projects::create(&store, &draft, Utc::now()).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let data_dir_eq = format!("--data-dir={d}");
    for args in [vec!["--data-dir", d, "projects"], vec!["projects", "--data-dir", d], vec![data_dir_eq.as_str(), "projects"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_liftoff"))
            .args(&args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("LIFTOFF_DATA_DIR")
            .output()
            .unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {said}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Shop", "{args:?}: {said}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_liftoff")).args(["--data-dir", d, "runs", "--project", "Nope"]).env_remove("DISPLAY").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an unknown project is a usage error");
}
