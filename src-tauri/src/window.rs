//! Keeps the window's size and position across restarts.
//!
//! The window-state plugin restores the geometry at startup but writes it
//! only on a clean exit. Saving shortly after each move or resize as well
//! means a crash or a kill does not lose it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

const SETTLE: Duration = Duration::from_millis(400);

static GENERATION: AtomicU64 = AtomicU64::new(0);

pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: &WindowEvent) {
    if !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
        return;
    }
    // Only the last event of a burst (a drag, a resize) saves.
    let generation = GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    std::thread::spawn(move || {
        std::thread::sleep(SETTLE);
        if GENERATION.load(Ordering::SeqCst) == generation {
            if let Err(e) = app.save_window_state(StateFlags::all()) {
                log::warn!("could not save the window's size and position: {e}");
            }
        }
    });
}
