//! The per-user OS timer that runs `liftoff schedule run-due` every minute
//! while no window is open. On Linux a systemd user timer: it runs in the
//! user's session (their keychain, their data folder), keeps no resident
//! process that could crash, catches up after a reboot (`Persistent=`), and
//! goes through the command line and SQLite's single writer like any other
//! start, so it and an open window never both start a schedule.
//!
//! On macOS a launchd agent (`~/Library/LaunchAgents`, `StartInterval`
//! 60, in the user's GUI session where the login keychain is unlocked); on
//! Windows a Task Scheduler task (a one-minute repetition, run only when
//! the user is logged on, so with their Credential Manager; missed runs
//! start when it is available again). The files are written here on every
//! system and tested as text; only their installation runs the system's
//! own tool (`systemctl`, `launchctl`, `schtasks`).
//!
//! Limits: systemd must run for the user (logged in, or lingering:
//! `loginctl enable-linger`); a launchd agent and a logged-on task run only
//! while the user is logged in.

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

/// The launchd agent's label (and its file's name, with `.plist`).
pub const AGENT: &str = "dev.liftoff.schedule";
/// The Task Scheduler task's name.
pub const TASK: &str = "Liftoff scheduled deploys";

/// Text for an XML document (`&`, `<`, `>`, quotes escaped).
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// The launchd agent that runs `run-due` every minute.
pub fn launchd_plist(exe: &Path, data_dir: &Path, log: &Path) -> String {
    let args: String = [exe.to_string_lossy().as_ref(), "--data-dir", data_dir.to_string_lossy().as_ref(), "schedule", "run-due"]
        .iter()
        .map(|a| format!("\n    <string>{}</string>", xml(a)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n  <key>Label</key>\n  <string>{AGENT}</string>\n  <key>ProgramArguments</key>\n  <array>{args}\n  </array>\n\
         \x20 <key>StartInterval</key>\n  <integer>60</integer>\n  <key>RunAtLoad</key>\n  <true/>\n  <key>ProcessType</key>\n  <string>Background</string>\n\
         \x20 <key>StandardOutPath</key>\n  <string>{log}</string>\n  <key>StandardErrorPath</key>\n  <string>{log}</string>\n</dict>\n</plist>\n",
        log = xml(&log.to_string_lossy())
    )
}

/// One argument of a Windows command line, quoted as programs read it
/// (`CommandLineToArgvW`: backslashes before a quote are doubled).
pub fn windows_word(word: &str) -> String {
    if !word.is_empty() && !word.contains([' ', '\t', '"']) {
        return word.to_owned();
    }
    let mut out = String::from("\"");
    let mut slashes = 0;
    for c in word.chars() {
        match c {
            '\\' => slashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(slashes * 2 + 1));
                out.push('"');
                slashes = 0;
            }
            _ => {
                out.push_str(&"\\".repeat(slashes));
                out.push(c);
                slashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(slashes * 2));
    out.push('"');
    out
}

/// The Task Scheduler task that runs `run-due` every minute while the
/// user is logged on (their Credential Manager unlocked).
pub fn task_xml(exe: &Path, data_dir: &Path, user: &str) -> String {
    let arguments = ["--data-dir", data_dir.to_string_lossy().as_ref(), "schedule", "run-due"].iter().map(|w| windows_word(w)).collect::<Vec<_>>().join(" ");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n\
         <Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n\
         \x20 <RegistrationInfo><Description>Liftoff: start the deploys whose time has come</Description></RegistrationInfo>\n\
         \x20 <Triggers>\n    <TimeTrigger>\n      <StartBoundary>2026-01-01T00:00:00</StartBoundary>\n      <Enabled>true</Enabled>\n\
         \x20     <Repetition><Interval>PT1M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>\n    </TimeTrigger>\n  </Triggers>\n\
         \x20 <Principals><Principal id=\"Author\"><UserId>{user}</UserId><LogonType>InteractiveToken</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>\n\
         \x20 <Settings>\n    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n    <StartWhenAvailable>true</StartWhenAvailable>\n\
         \x20   <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n\
         \x20   <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>\n    <Hidden>true</Hidden>\n  </Settings>\n\
         \x20 <Actions Context=\"Author\"><Exec><Command>{command}</Command><Arguments>{arguments}</Arguments></Exec></Actions>\n</Task>\n",
        user = xml(user),
        command = xml(&windows_word(&exe.to_string_lossy())),
        arguments = xml(&arguments),
    )
}

/// Where the launchd agent's file goes.
fn agent_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join("Library").join("LaunchAgents").join(format!("{AGENT}.plist")))
}

/// Runs a system tool; its error output in words when it fails.
fn tool(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("{program} could not run ({e})"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// "gui/501": the user's GUI session, for `launchctl`.
fn gui_domain() -> Result<String, String> {
    Ok(format!("gui/{}", tool("id", &["-u"])?.trim()))
}

/// Whether the timer's files (or task) are in place.
pub fn installed() -> bool {
    if cfg!(target_os = "macos") {
        return agent_path().is_some_and(|p| p.exists());
    }
    if cfg!(windows) {
        return tool("schtasks", &["/Query", "/TN", TASK]).is_ok();
    }
    cfg!(target_os = "linux") && unit_dir().is_some_and(|d| d.join(format!("{UNIT}.timer")).exists())
}

/// Whether systemd runs for this user, so that a timer can start at all:
/// `Err` says why not, in words.
pub fn user_systemd() -> Result<(), String> {
    if cfg!(target_os = "macos") || cfg!(windows) {
        // launchd and Task Scheduler always run for a logged-in user.
        return Ok(());
    }
    if !cfg!(target_os = "linux") {
        return Err("this system has no timer Liftoff knows: run `liftoff schedule run-due` every minute from your system's scheduler (cron) instead.".into());
    }
    systemctl(&["show-environment"]).map_err(|why| {
        format!("systemd does not run for your user on this computer ({why}), so no timer can start scheduled deploys while Liftoff is closed. Log in to a desktop session with systemd, or run `loginctl enable-linger`; or run `liftoff schedule run-due` every minute from another scheduler (cron).")
    })
}

/// Whether systemd has the timer running now.
pub fn active() -> bool {
    if cfg!(target_os = "macos") {
        return gui_domain().and_then(|d| tool("launchctl", &["print", &format!("{d}/{AGENT}")])).is_ok();
    }
    if cfg!(windows) {
        return installed();
    }
    cfg!(target_os = "linux") && systemctl(&["is-active", "--quiet", &format!("{UNIT}.timer")]).is_ok()
}

/// Where the timer's unit file is (or would be).
pub fn timer_path() -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        return agent_path();
    }
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
    if cfg!(target_os = "macos") {
        return install_agent(exe, data_dir);
    }
    if cfg!(windows) {
        return install_task(exe, data_dir);
    }
    if !cfg!(target_os = "linux") {
        return Err("this system has no timer Liftoff knows. Run `liftoff schedule run-due` every minute from your system's scheduler (cron) instead.".into());
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

fn install_agent(exe: &Path, data_dir: &Path) -> Result<String, String> {
    let path = agent_path().ok_or("this account has no home folder to keep the agent in")?;
    let log = dirs::home_dir().unwrap_or_default().join("Library").join("Logs").join("liftoff-schedule.log");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("could not create {} ({e})", dir.display()))?;
    }
    std::fs::write(&path, launchd_plist(exe, data_dir, &log)).map_err(|e| format!("could not write {} ({e})", path.display()))?;
    let domain = gui_domain()?;
    // Replaced if it was there.
    let _ = tool("launchctl", &["bootout", &format!("{domain}/{AGENT}")]);
    tool("launchctl", &["bootstrap", &domain, &path.to_string_lossy()]).map_err(|why| format!("the agent is in {}, but launchd did not load it ({why}).", path.display()))?;
    Ok(format!("The schedule timer is installed ({}): due deploys start every minute while you are logged in, also with no window open.", path.display()))
}

fn install_task(exe: &Path, data_dir: &Path) -> Result<String, String> {
    let user = std::env::var("USERNAME").unwrap_or_default();
    let file = std::env::temp_dir().join("liftoff-schedule-task.xml");
    // schtasks reads the task as UTF-16 with its byte-order mark.
    let bytes: Vec<u8> = std::iter::once(0xFEFFu16).chain(task_xml(exe, data_dir, &user).encode_utf16()).flat_map(u16::to_le_bytes).collect();
    std::fs::write(&file, bytes).map_err(|e| format!("could not write {} ({e})", file.display()))?;
    let made = tool("schtasks", &["/Create", "/TN", TASK, "/XML", &file.to_string_lossy(), "/F"]);
    let _ = std::fs::remove_file(&file);
    made.map_err(|why| format!("Task Scheduler did not take the task ({why})."))?;
    Ok(format!("The schedule timer is installed (the task “{TASK}”): due deploys start every minute while you are logged on, also with no window open."))
}

/// Stops and removes the timer.
pub fn remove() -> Result<String, String> {
    if cfg!(target_os = "macos") {
        let Some(path) = agent_path().filter(|p| p.exists()) else { return Ok("No schedule timer is installed.".into()) };
        if let Ok(domain) = gui_domain() {
            let _ = tool("launchctl", &["bootout", &format!("{domain}/{AGENT}")]);
        }
        std::fs::remove_file(&path).map_err(|e| format!("could not remove {} ({e})", path.display()))?;
        return Ok("The schedule timer is removed: scheduled deploys start only while a Liftoff window is open.".into());
    }
    if cfg!(windows) {
        if !installed() {
            return Ok("No schedule timer is installed.".into());
        }
        tool("schtasks", &["/Delete", "/TN", TASK, "/F"])?;
        return Ok("The schedule timer is removed: scheduled deploys start only while a Liftoff window is open.".into());
    }
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
