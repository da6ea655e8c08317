//! The per-user OS timer that runs `liftoff schedule run-due` every minute
//! while no window is open. On Linux a systemd user timer: it runs in the
//! user's session (their keychain, their data folder), keeps no resident
//! process that could crash, catches up after a reboot (`Persistent=`), and
//! goes through the command line and SQLite's single writer like any other
//! start, so it and an open window never both start a schedule.
//!
//! Limits: systemd must run for the user (logged in, or lingering:
//! `loginctl enable-linger`). Other systems: not yet (see [`install`]).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The units' name.
pub const UNIT: &str = "liftoff-schedule";

/// The folder of the user's systemd units.
fn unit_dir() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| dirs::home_dir().map(|h| h.join(".config")))?;
    Some(config.join("systemd").join("user"))
}

/// One word of an `ExecStart=` line, quoted as systemd reads it
/// (systemd.service(5), "Command lines"; `%` is a specifier there).
pub fn systemd_word(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('"', "\\\"").replace('%', "%%");
    format!("\"{escaped}\"")
}

/// The service and the timer, as files: (file name, text).
pub fn units(exe: &Path, data_dir: &Path) -> [(String, String); 2] {
    let exec = [exe.to_string_lossy().as_ref(), "--data-dir", data_dir.to_string_lossy().as_ref(), "schedule", "run-due"]
        .iter()
        .map(|w| systemd_word(w))
        .collect::<Vec<_>>()
        .join(" ");
    let service = format!(
        "[Unit]\nDescription=Liftoff: start the deploys whose time has come\nDocumentation=https://github.com/liftoff-app/liftoff#scheduled-deploys\n\n\
         [Service]\nType=oneshot\nExecStart={exec}\n"
    );
    let timer = format!(
        "[Unit]\nDescription=Liftoff: look for due deploys every minute\n\n\
         [Timer]\nOnCalendar=*-*-* *:*:00\nAccuracySec=5s\nPersistent=true\nUnit={UNIT}.service\n\n\
         [Install]\nWantedBy=timers.target\n"
    );
    [(format!("{UNIT}.service"), service), (format!("{UNIT}.timer"), timer)]
}

/// Whether the timer's files are in place.
pub fn installed() -> bool {
    cfg!(target_os = "linux") && unit_dir().is_some_and(|d| d.join(format!("{UNIT}.timer")).exists())
}

/// Whether systemd runs for this user, so that a timer can start at all:
/// `Err` says why not, in words.
pub fn user_systemd() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("the schedule timer is installed on Linux (systemd) only so far: run `liftoff schedule run-due` every minute from your system's scheduler (launchd, Task Scheduler) instead.".into());
    }
    systemctl(&["show-environment"]).map_err(|why| {
        format!("systemd does not run for your user on this computer ({why}), so no timer can start scheduled deploys while Liftoff is closed. Log in to a desktop session with systemd, or run `loginctl enable-linger`; or run `liftoff schedule run-due` every minute from another scheduler (cron).")
    })
}

/// Whether systemd has the timer running now.
pub fn active() -> bool {
    cfg!(target_os = "linux") && systemctl(&["is-active", "--quiet", &format!("{UNIT}.timer")]).is_ok()
}

/// Where the timer's unit file is (or would be).
pub fn timer_path() -> Option<PathBuf> {
    unit_dir().map(|d| d.join(format!("{UNIT}.timer")))
}

fn systemctl(args: &[&str]) -> Result<(), String> {
    let out = Command::new("systemctl").arg("--user").args(args).output().map_err(|e| format!("systemctl could not run ({e})"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// Writes and starts the timer for `exe` on `data_dir`. Says what it did,
/// or what to do when the user's systemd is not running.
pub fn install(exe: &Path, data_dir: &Path) -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Err("the schedule timer is installed on Linux (systemd) only so far. Run `liftoff schedule run-due` every minute from your system's scheduler (launchd, Task Scheduler) instead.".into());
    }
    let dir = unit_dir().ok_or("this account has no home folder to keep the timer's files in")?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("could not create {} ({e})", dir.display()))?;
    for (name, text) in units(exe, data_dir) {
        let path = dir.join(&name);
        std::fs::write(&path, text).map_err(|e| format!("could not write {} ({e})", path.display()))?;
    }
    let started = systemctl(&["daemon-reload"]).and_then(|_| systemctl(&["enable", "--now", &format!("{UNIT}.timer")]));
    match started {
        Ok(()) => Ok(format!("The schedule timer is installed ({}): due deploys start every minute, also with no window open.", dir.join(format!("{UNIT}.timer")).display())),
        Err(why) => Err(format!(
            "the timer's files are in {}, but systemd for your user could not start it ({why}). Log in to a desktop session, or run `loginctl enable-linger` for it to run while you are logged out, then run this again.",
            dir.display()
        )),
    }
}

/// Stops and removes the timer.
pub fn remove() -> Result<String, String> {
    let Some(dir) = unit_dir() else { return Ok("No schedule timer is installed.".into()) };
    let timer = dir.join(format!("{UNIT}.timer"));
    if !timer.exists() {
        return Ok("No schedule timer is installed.".into());
    }
    // Stopped first when systemd runs; the files go either way.
    let _ = systemctl(&["disable", "--now", &format!("{UNIT}.timer")]);
    for name in [format!("{UNIT}.timer"), format!("{UNIT}.service")] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| format!("could not remove {} ({e})", path.display()))?;
        }
    }
    let _ = systemctl(&["daemon-reload"]);
    Ok("The schedule timer is removed: scheduled deploys start only while a Liftoff window is open.".into())
}
