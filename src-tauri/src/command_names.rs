// The app's commands, by name. `build.rs` includes this file to declare them
// to Tauri's ACL (each gets an `allow-<name>` permission), and a test checks
// that it matches the commands the app registers and the capability grants.
pub const COMMAND_NAMES: &[&str] = &[
    "startup_report",
    "list_time_zones",
    "suggested_time_zone",
    "list_projects",
    "create_project",
    "update_project",
    "set_project_archived",
    "delete_project",
    "open_sample_project",
    "list_environments",
    "create_environment",
    "update_environment",
    "reorder_environments",
    "delete_environment",
    "list_credentials",
    "add_credential",
    "replace_credential",
    "reveal_credential",
    "delete_credential",
    "list_people",
    "create_person",
    "update_person",
    "delete_person",
    "test_connection",
];
