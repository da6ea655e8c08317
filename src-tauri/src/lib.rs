//! Liftoff's Tauri shell: app setup, thin command adapters over
//! `liftoff-core`, and the window. No business logic lives here.

mod commands;
pub mod error;
pub mod live;
mod preview;
#[cfg(target_os = "linux")]
mod single;
mod state;
pub mod stream;
mod window;

include!("command_names.rs");

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tauri::Manager;
use tauri_specta::{collect_commands, collect_events, ErrorHandlingMode, Event};

use crate::error::{AppError, ErrorCode};
use crate::state::{local_user, AppState, Opening, StartupReport};

/// Overrides where Liftoff keeps its data (tests, portable use).
pub use liftoff_cli::DATA_DIR_ENV;

/// Every command the UI may call, given to `$how!` (Tauri's handler, or
/// tauri-specta's collector for the TypeScript bindings): one list for both.
macro_rules! all_commands {
    ($($how:tt)+) => {
        $($how)+![
            commands::app::startup_report,
            commands::app::list_time_zones,
            commands::app::suggested_time_zone,
            commands::projects::list_projects,
            commands::projects::create_project,
            commands::projects::update_project,
            commands::projects::set_project_archived,
            commands::projects::delete_project,
            commands::projects::open_sample_project,
            commands::environments::list_environments,
            commands::environments::find_url_secrets,
            commands::environments::create_environment,
            commands::environments::update_environment,
            commands::environments::reorder_environments,
            commands::environments::delete_environment,
            commands::credentials::list_credentials,
            commands::credentials::add_credential,
            commands::credentials::replace_credential,
            commands::credentials::reveal_credential,
            commands::credentials::delete_credential,
            commands::people::list_people,
            commands::people::suggested_person,
            commands::people::create_person,
            commands::people::update_person,
            commands::people::delete_person,
            commands::connection::test_connection,
            commands::sharing::suggested_export_path,
            commands::sharing::export_project,
            commands::sharing::import_project,
            commands::releases::list_releases,
            commands::releases::create_release,
            commands::releases::update_release,
            commands::releases::set_release_state,
            commands::releases::release_view,
            commands::releases::start_checklist,
            commands::releases::add_checklist_item,
            commands::releases::update_checklist_item,
            commands::releases::set_checklist_item_state,
            commands::releases::review_checklist_item,
            commands::releases::delete_checklist_item,
            commands::releases::override_gate,
            commands::releases::withdraw_gate_override,
            commands::releases::list_audit_log,
            commands::templates::list_templates,
            commands::templates::create_template,
            commands::templates::update_template,
            commands::templates::delete_template,
            commands::templates::reset_template,
            commands::templates::export_checklist_text,
            commands::templates::export_template_text,
            commands::templates::suggested_checklist_path,
            commands::templates::save_checklist_file,
            commands::templates::import_template,
            commands::templates::import_checklist,
            commands::planning::timeline,
            commands::planning::set_release_window,
            commands::planning::window_conflicts,
            commands::planning::suggest_windows,
            commands::planning::list_calendar_windows,
            commands::planning::create_calendar_window,
            commands::planning::update_calendar_window,
            commands::planning::delete_calendar_window,
            commands::planning::import_load_csv,
            commands::planning::load_summary,
            commands::planning::import_busy_ics,
            commands::planning::suggested_calendar_path,
            commands::planning::export_calendar,
            commands::planning::set_release_on_call,
            commands::planning::override_freeze,
            commands::planning::add_busy_time,
            commands::planning::list_busy_times,
            commands::planning::delete_busy_time,
            commands::planning::load_pattern,
            commands::planning::set_load_pattern,
            commands::planning::clear_load_pattern,
            commands::deploys::deploy_status,
            commands::deploys::get_deploy_target,
            commands::deploys::set_deploy_target,
            commands::deploys::check_deploy_target,
            commands::deploys::engine_freeze_status,
            commands::deploys::sync_engine_freezes,
            commands::deploys::answer_deploy_approval,
            commands::deploys::start_rerun,
            commands::deploys::clear_deploy_target,
            commands::deploys::deploy_preflight,
            commands::deploys::deploy_shipping,
            commands::deploys::start_deploy,
            commands::deploys::rollback_preflight,
            commands::deploys::start_rollback,
            commands::deploys::cancel_deploy,
            commands::deploys::list_runs,
            commands::deploys::get_run,
            commands::deploys::run_log,
            commands::deploys::suggested_run_log_path,
            commands::deploys::save_run_log,
            commands::deploys::lock_environment,
            commands::deploys::unlock_environment,
            commands::deploys::deploy_leftovers,
            commands::deploys::stop_leftover,
            commands::schedules::list_schedules,
            commands::schedules::missed_schedules,
            commands::schedules::schedule_freeze_at,
            commands::schedules::add_schedule,
            commands::schedules::cancel_schedule,
            commands::schedules::schedule_timer,
            commands::schedules::install_schedule_timer,
            commands::schedules::remove_schedule_timer,
            commands::monitor_maturity::maturity,
            commands::announce::announce_settings,
            commands::announce::set_announce_settings,
            commands::announce::change_items,
            commands::announce::read_changes,
            commands::announce::add_change_item,
            commands::announce::update_change_item,
            commands::announce::delete_change_item,
            commands::announce::announcements_overview,
            commands::announce::create_draft,
            commands::announce::draft_view,
            commands::announce::update_draft,
            commands::announce::set_draft_words,
            commands::announce::keep_draft_words,
            commands::announce::use_template_words,
            commands::announce::reset_draft,
            commands::announce::save_project_template,
            commands::announce::set_draft_reviewer,
            commands::announce::approve_draft,
            commands::announce::template_variables,
            commands::announce::override_announce_gate,
            commands::announce::suggested_announcement_path,
            commands::announce::export_draft,
            commands::announce::copy_text,
            commands::announce::start_send,
            commands::announce::cancel_send,
            commands::announce::send_deliveries,
            commands::announce::announcement_sends,
            commands::announce::read_recipients_file,
            commands::announce::read_ca_certificate,
            commands::files::show_in_folder,
            commands::monitor_board::status_board,
            commands::monitor_board::project_board,
            commands::monitor_board::release_matrix,
            commands::monitor_board::check_health,
            commands::monitor_evidence::history_page,
            commands::monitor_evidence::history_starters,
            commands::monitor_evidence::release_paths,
            commands::monitor_evidence::suggested_history_csv_path,
            commands::monitor_evidence::save_history_csv,
            commands::monitor_evidence::suggested_evidence_path,
            commands::monitor_evidence::export_evidence,
            commands::monitor_metrics::dora_metrics,
            commands::monitor_metrics::suggested_metrics_path,
            commands::monitor_metrics::export_metrics,
            commands::monitor_metrics::monitor_settings,
            commands::monitor_metrics::set_fail_window,
            commands::monitor_metrics::release_hotfix,
            commands::monitor_metrics::set_release_hotfix,
        ]
    };
}

/// The events the backend sends to the window.
fn events() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().events(collect_events![live::DataChanged, live::BackgroundProblem])
}

/// The typed IPC surface: every command the UI may call. The TypeScript
/// bindings in `ui/src/lib/bindings.ts` are generated from this. The app
/// itself does not build it: collecting every command's types at start-up
/// cost time, memory and, through the types' descriptions, a good part of
/// the binary; the app registers the same list with Tauri's own handler.
pub fn ipc() -> tauri_specta::Builder<tauri::Wry> {
    events()
        .error_handling(ErrorHandlingMode::Throw)
        // One TypeScript type per Rust type, not a serialize and a deserialize variant.
        .disable_serde_phases()
        .commands(all_commands!(collect_commands))
}

/// Writes the TypeScript bindings for [`ipc`] to `path`.
pub fn export_bindings(path: &std::path::Path) -> Result<(), String> {
    let ts = specta_typescript::Typescript::default()
        .header("// Generated from the Rust commands by `cargo test --test bindings`. Do not edit.");
    ipc().export(ts, path).map_err(|e| e.to_string())
}

pub fn run() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // First, so that a second start on the same data folder only focuses
    // the running window, before it opens a window of its own.
    #[cfg(target_os = "linux")]
    let instance = match single::claim(&single::name(given_data_dir().as_deref())) {
        single::Claim::Handed => std::process::exit(0),
        single::Claim::First(conn) => Some(conn),
        single::Claim::Unavailable(why) => {
            log::warn!("one window per data folder is not checked: {why}");
            None
        }
    };
    let events = events();
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(single_instance());
    let built = builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Native Open and Save dialogs (the window may ask for those two only).
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(all_commands!(tauri::generate_handler))
        .register_asynchronous_uri_scheme_protocol("preview", preview::handle)
        .on_window_event(|window, event| window::on_event(window.app_handle(), event))
        .setup(move |app| {
            events.mount_events(app);
            #[cfg(target_os = "linux")]
            if let Some(conn) = instance {
                let handle = app.handle().clone();
                single::serve(conn, move || show_main_window(&handle));
            }
            let state = AppState::opening(Keychain::os());
            app.manage(state.clone());
            // The window paints while the database opens (and, after an
            // unclean shutdown, is checked) on this thread.
            let dir = data_dir(app);
            open_window(app, dir.as_ref().ok())?;
            let handle = app.handle().clone();
            let handle_for_schedules = app.handle().clone();
            std::thread::Builder::new().name("open-store".into()).spawn(move || {
                // Commands wait for this answer: a panic must still give one.
                let mut opening = std::panic::catch_unwind(|| open_store(dir)).unwrap_or_else(|_| Opening {
                    store: None,
                    report: StartupReport {
                        account: local_user(),
                        data_dir: String::new(),
                        recovery: None,
                        warnings: Vec::new(),
                        fatal: Some(AppError::new(ErrorCode::Internal, "Liftoff could not open its database (an internal error). Restart Liftoff; if it happens again, report it with the log.")),
                    },
                });
                let mut detached = Vec::new();
                if let Some(store) = &opening.store {
                    // Runs whose engine went on while no Liftoff followed them: this
                    // process takes each over and says so among the start-up notes.
                    let (jobs, notes) = liftoff_core::deploy::engine::take_over_detached(store, &state.keychain, chrono::Utc::now(), None);
                    detached = jobs;
                    opening.report.warnings.extend(notes);
                    live::forward_changes(handle.clone(), store);
                    live::keep_up(store, Duration::from_secs(60), Duration::from_secs(60 * 60), move |problem: live::BackgroundProblem| {
                        if let Err(e) = problem.emit(&handle) {
                            log::warn!("could not tell the window about a background problem: {e}");
                        }
                    });
                }
                let opened = opening.store.is_some();
                state.opened(opening);
                commands::deploys::follow_detached(&state, detached);
                if opened {
                    commands::schedules::start_due_while_open(handle_for_schedules, state.clone());
                }
            })?;
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Liftoff could not start its window: {e}. On Linux, check that a display is available (DISPLAY or WAYLAND_DISPLAY).");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            if let Some(store) = handle.state::<AppState>().store_if_open() {
                store.close_cleanly();
            }
        }
    });
}

/// The main window, as tauri.conf.json describes it, with the webview's own
/// data (its cache and storage) in the data folder in use, so that a
/// `LIFTOFF_DATA_DIR` or `--data-dir` folder holds everything of that
/// Liftoff (tests and portable use depend on it).
fn open_window(app: &tauri::App, data_dir: Option<&PathBuf>) -> tauri::Result<()> {
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main").cloned() else {
        return Ok(());
    };
    let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?;
    if let Some(dir) = data_dir.and_then(|d| std::path::absolute(d.join("webview")).ok()) {
        builder = builder.data_directory(dir);
    }
    builder.build()?;
    Ok(())
}

/// The data folder given by `LIFTOFF_DATA_DIR`, the same however it is
/// written (relative, trailing slash).
#[cfg(target_os = "linux")]
fn given_data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty())?;
    Some(std::fs::canonicalize(&dir).or_else(|_| std::path::absolute(&dir)).unwrap_or_else(|_| PathBuf::from(&dir)))
}

/// Brings the main window to the front (a second start on its folder).
fn show_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// One window per data folder: a second start on the same folder focuses
/// the first one's window and exits. On Linux the name carries the folder
/// (`single.rs`); on macOS and Windows the plugin keys on the app, so there
/// one Liftoff runs at a time whatever the folder.
#[cfg(not(target_os = "linux"))]
fn single_instance() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| show_main_window(app)).build()
}

fn data_dir(app: &tauri::App) -> Result<PathBuf, String> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => app.path().app_data_dir().map_err(|e| {
            format!("Liftoff could not find this computer's app data folder ({e}). Set {DATA_DIR_ENV} to a folder Liftoff may use.")
        }),
    }
}

/// Runs left "running" by a Liftoff that was closed or killed become
/// interrupted, their locks are released, and the user is told.
fn recover_runs(store: &Store) -> Vec<String> {
    match liftoff_core::deploy::runs::recover_interrupted(store, Utc::now()) {
        Ok(found) => found
            .iter()
            .map(|i| {
                let mut m = format!(
                    "The {} of {} to {} was interrupted when Liftoff closed; it is marked interrupted with the log it had, and {} is unlocked.",
                    if i.run.kind == liftoff_core::deploy::RunKind::Deploy { "deploy" } else { "rollback" },
                    i.run.version,
                    i.run.environment_name,
                    i.run.environment_name
                );
                if !i.leftovers.is_empty() {
                    m.push_str(&format!(
                        " Its processes are still running: {}. Stop them on the Deploys page; the next deploy there stops them too.",
                        liftoff_core::deploy::procs::Proc::describe(&i.leftovers)
                    ));
                }
                m
            })
            .collect(),
        Err(e) => vec![format!("Liftoff could not check for deploys interrupted when it last closed: {e}")],
    }
}

/// Announcement sends left "running" by a Liftoff that was closed or killed
/// become stopped, so that a resume sends to the rest (and to nobody twice).
fn recover_sends(store: &Store) -> Vec<String> {
    match liftoff_core::announce::sends::recover_interrupted(store, Utc::now()) {
        Ok(0) => Vec::new(),
        Ok(n) => vec![format!(
            "{n} announcement send{} stopped when Liftoff closed. Open the Announcements page and send again to reach the rest; nobody gets it twice.",
            if n == 1 { " was" } else { "s were" }
        )],
        Err(e) => vec![format!("Liftoff could not check for announcement sends interrupted when it last closed: {e}")],
    }
}

fn open_store(dir: Result<PathBuf, String>) -> Opening {
    let dir = match dir {
        Ok(dir) => dir,
        Err(message) => {
            let report = StartupReport {
                account: local_user(),
                data_dir: String::new(),
                recovery: None,
                warnings: Vec::new(),
                fatal: Some(AppError::new(ErrorCode::Startup, message)),
            };
            return Opening { store: None, report };
        }
    };
    let data_dir = dir.display().to_string();
    log::info!("data folder: {data_dir}");
    match Store::open_or_recover(&dir, Utc::now()) {
        Ok(opened) => {
            let mut warnings = opened.warnings;
            warnings.extend(recover_runs(&opened.store));
            warnings.extend(recover_sends(&opened.store));
            // The sample project's health URLs are answered by its demo service.
            if let Err(e) = liftoff_core::sample::start_demo_service(&opened.store) {
                warnings.push(e);
            }
            let report = StartupReport { account: local_user(), data_dir, recovery: opened.recovery, warnings, fatal: None };
            Opening { store: Some(Arc::new(opened.store)), report }
        }
        Err(e) => {
            log::error!("cannot open the store: {e}");
            let report = StartupReport {
                account: local_user(),
                data_dir,
                recovery: None,
                warnings: Vec::new(),
                fatal: Some(AppError { detail: liftoff_core::rules::Kind::detail(&e), ..AppError::new(ErrorCode::Database, e.to_string()) }),
            };
            Opening { store: None, report }
        }
    }
}
