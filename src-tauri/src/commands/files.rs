//! Showing a saved file in the OS's file manager.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tauri::State;

use crate::error::{AppError, ErrorCode, Result};
use crate::state::AppState;

/// Opens the folder of a file this window saved in the OS's file manager.
/// Only such files: the window cannot have any other folder opened, nor
/// choose the program that opens it.
#[tauri::command]
#[specta::specta]
pub async fn show_in_folder(state: State<'_, AppState>, path: String) -> Result<()> {
    let file = PathBuf::from(path);
    if !state.did_save(&file) {
        return Err(AppError::new(ErrorCode::Validation, "Liftoff opens only the folders of files it saved. Save the file again."));
    }
    tauri::async_runtime::spawn_blocking(move || reveal(&file))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("A background task failed: {e}. Try again.")))?
}

fn reveal(file: &Path) -> Result<()> {
    let folder = file.parent().unwrap_or(file);
    if !folder.is_dir() {
        return Err(AppError::new(ErrorCode::NotFound, format!("The folder {} no longer exists.", folder.display())));
    }
    let mut command = opener(file, folder);
    let program = command.get_program().to_string_lossy().into_owned();
    let failed = |why: String| {
        AppError::new(ErrorCode::External, format!("Liftoff could not open the folder ({program}: {why}). Open {} in your file manager.", folder.display()))
    };
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(|e| failed(e.to_string()))?;
    // The opener hands the folder to the file manager and ends: wait a
    // little for it to say whether that worked, and leave a slow one to end
    // on its own.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            // Explorer's exit code says nothing about success.
            Ok(Some(status)) if status.success() || cfg!(windows) => return Ok(()),
            Ok(Some(status)) => return Err(failed(format!("it ended with {status}"))),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(failed(e.to_string())),
        }
    }
}

/// Finder and Explorer select the file in its folder.
#[cfg(target_os = "macos")]
fn opener(file: &Path, _folder: &Path) -> Command {
    let mut command = Command::new("open");
    command.arg("-R").arg(file);
    command
}

#[cfg(windows)]
fn opener(file: &Path, _folder: &Path) -> Command {
    use std::os::windows::process::CommandExt;
    let mut command = Command::new("explorer");
    command.raw_arg(format!("/select,\"{}\"", file.display()));
    command
}

/// Elsewhere the desktop's own choice of file manager opens the folder.
#[cfg(not(any(target_os = "macos", windows)))]
fn opener(_file: &Path, folder: &Path) -> Command {
    let mut command = Command::new("xdg-open");
    command.arg(folder);
    command
}
