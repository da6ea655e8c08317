//! Scheduled deploys from the command line, as the OS timer runs them with
//! no window open: `liftoff schedule add`, then `run-due` at its time starts
//! it through preflight again and runs it to its end; two `run-due` at once
//! start it once; past its latest start it is missed, saying why; a freeze
//! at its time is refused with the first time after it, and a freeze added
//! later stops it at its time. The timer's unit files pass systemd's own
//! check.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use liftoff_core::deploy::runs::{self, RunQuery};
use liftoff_core::deploy::schedules::{self, ScheduleState};
use liftoff_core::deploy::target::{self, CommandSpec, TargetSettings};
use liftoff_core::deploy::RunState;
use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::Store;

const BIN: &str = env!("CARGO_BIN_EXE_liftoff-cli");

struct Data {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    project_id: String,
}

impl Data {
    fn new(step: &str) -> Data {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Shop".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let data = Data { dir, store, project_id: project.id };
        let settings = TargetSettings::local_command(CommandSpec { program: step.into(), args: Vec::new(), through_shell: true, timeout_secs: 60 });
        target::set(&data.store, &data.staging(), &settings, Utc::now()).unwrap();
        data
    }

    fn staging(&self) -> String {
        liftoff_core::environments::list(&self.store, &self.project_id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(self.dir.path()).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").stdin(Stdio::null());
        // The timer hint must not depend on this machine's own units.
        c.env("XDG_CONFIG_HOME", self.dir.path().join("config"));
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn schedules(&self) -> Vec<schedules::Schedule> {
        schedules::list(&self.store, Some(&self.project_id), Utc::now()).unwrap()
    }

    fn freeze(&self, from_now_minutes: i64, minutes: i32, name: &str) {
        let start = Utc::now() + chrono::Duration::minutes(from_now_minutes);
        windows::create(
            &self.store,
            &self.project_id,
            &CalendarWindowDraft {
                kind: Some(WindowKind::Freeze),
                name: name.into(),
                reason: "Quarter close".into(),
                start_local: start.format("%Y-%m-%dT%H:%M").to_string(),
                minutes,
                time_zone: "UTC".into(),
                rule: None,
                exdates: Vec::new(),
                environment_ids: vec![self.staging()],
            },
            Utc::now(),
        )
        .unwrap();
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn a_deploy_scheduled_ahead_runs_at_its_time_with_no_window_open_once_however_many_timers_fire() {
    let d = Data::new("echo deploying $LIFTOFF_VERSION; sleep 0.3");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.0", "--at", "in 3s", "--why", "Before the shop opens"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    assert!(text(&added).contains("install-timer"), "no timer is installed: the command says how: {}", text(&added));
    // Before its time: nothing is due, nothing starts.
    let early = d.run(&["schedule", "run-due"]);
    assert_eq!(early.status.code(), Some(0), "{}", text(&early));
    assert!(runs::list(&d.store, &d.project_id, &RunQuery::default()).unwrap().is_empty());
    assert_eq!(d.schedules()[0].state, ScheduleState::Scheduled);
    std::thread::sleep(Duration::from_millis(3200));
    // Its time: two timers fire at once (a window's scheduler and the OS
    // timer, or two machines' timers on a shared folder): one starts it.
    let spawn = || d.cmd(&["schedule", "run-due"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    for o in &outs {
        assert_eq!(o.status.code(), Some(0), "{}", text(o));
    }
    let all = runs::list(&d.store, &d.project_id, &RunQuery::default()).unwrap();
    assert_eq!(all.len(), 1, "exactly one run: {:?}", outs.iter().map(text).collect::<Vec<_>>());
    assert_eq!(all[0].state, RunState::Succeeded, "{}", all[0].outcome);
    let s = &d.schedules()[0];
    assert_eq!(all[0].started_by, s.created_by, "started as who scheduled it");
    assert_eq!((s.state, s.run_id.as_deref()), (ScheduleState::Started, Some(all[0].id.as_str())));
    assert_eq!(outs.iter().filter(|o| text(o).contains("Due: the deploy of 2.0")).count(), 1);
    // Listed with its run.
    let list = d.run(&["schedule", "list", "--project", "Shop"]);
    assert!(text(&list).contains(&format!("started (run {})", all[0].id)), "{}", text(&list));
}

#[test]
fn past_its_latest_start_a_schedule_is_missed_and_says_why() {
    let d = Data::new("true");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.1", "--at", "in 1s", "--until", "in 2s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    std::thread::sleep(Duration::from_millis(2300));
    let out = d.run(&["schedule", "run-due"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = &d.schedules()[0];
    assert_eq!(s.state, ScheduleState::Missed);
    assert!(s.state_reason.contains("latest start"), "{}", s.state_reason);
    assert!(runs::list(&d.store, &d.project_id, &RunQuery::default()).unwrap().is_empty(), "never started after its latest start");
    // Shown to the lead until they act on it: a new schedule of that
    // environment (Reschedule) settles it, as a run started there would.
    let open = |d: &Data| schedules::open_missed(&d.store, Some(&d.project_id), Utc::now()).unwrap();
    assert_eq!(open(&d).iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [s.id.as_str()]);
    let again = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.1", "--at", "in 1h"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(open(&d).is_empty(), "rescheduled: no longer waiting for the lead");
}

#[test]
fn a_freeze_at_its_time_is_refused_with_the_first_time_after_it_and_a_later_freeze_stops_it() {
    let d = Data::new("true");
    d.freeze(-5, 60, "Quarter close");
    let refused = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.2", "--at", "in 10m"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("inside the freeze “Quarter close”") && text(&refused).contains("The first time after it is"), "{}", text(&refused));
    assert!(d.schedules().is_empty(), "nothing was scheduled");
    // The same, as data for the window's one-click choice: the freeze, and
    // the first time after it (its end).
    let clash = schedules::freeze_at(&d.store, &d.staging(), Utc::now() + chrono::Duration::minutes(10)).unwrap().expect("inside the freeze");
    assert_eq!(clash.freeze, "Quarter close");
    let after = chrono::DateTime::parse_from_rfc3339(&clash.first_good_time).unwrap().with_timezone(&Utc);
    assert!(after > Utc::now() + chrono::Duration::minutes(50) && after <= Utc::now() + chrono::Duration::minutes(56), "{after}");
    assert_eq!(schedules::freeze_at(&d.store, &d.staging(), after).unwrap(), None, "the offered time is free");
    // Going through the freeze on purpose is a decision, recorded with it.
    let decided = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.2", "--at", "in 10m", "--override", "freeze=Dana:Hotfix for the close"]);
    assert_eq!(decided.status.code(), Some(0), "{}", text(&decided));

    // A freeze added after scheduling: at its time the preflight refuses,
    // and the schedule is missed naming the freeze.
    let e = Data::new("true");
    let added = e.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "3.0", "--at", "in 2s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    e.freeze(-1, 30, "Incident freeze");
    std::thread::sleep(Duration::from_millis(2300));
    let out = e.run(&["schedule", "run-due"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let s = &e.schedules()[0];
    assert_eq!(s.state, ScheduleState::Missed);
    assert!(s.state_reason.contains("Incident freeze"), "{}", s.state_reason);
    assert!(runs::list(&e.store, &e.project_id, &RunQuery::default()).unwrap().is_empty());
}

#[test]
fn a_scheduled_deploy_can_be_cancelled_until_it_starts() {
    let d = Data::new("true");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "2.3", "--at", "in 1s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    let id = d.schedules()[0].id.clone();
    let out = d.run(&["schedule", "cancel", "--id", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::thread::sleep(Duration::from_millis(1200));
    d.run(&["schedule", "run-due"]);
    assert_eq!(d.schedules()[0].state, ScheduleState::Cancelled);
    assert!(runs::list(&d.store, &d.project_id, &RunQuery::default()).unwrap().is_empty());
    let again = d.run(&["schedule", "cancel", "--id", &id]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

/// `systemd-analyze verify --user` on the unit files in `dir` (a private
/// runtime folder, so that no user manager is needed).
fn verify(dir: &Path) -> Output {
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    Command::new("systemd-analyze")
        .args(["verify", "--user"])
        .arg(dir.join("liftoff-schedule.timer"))
        .arg(dir.join("liftoff-schedule.service"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("systemd-analyze is needed for this test (apt install systemd)")
}

#[test]
fn the_timer_units_pass_systemds_own_check() {
    let dir = tempfile::tempdir().unwrap();
    // The program and the data folder with what systemd quotes and expands.
    let exe = dir.path().join("bin dir/liftoff-cli");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(BIN, &exe).unwrap();
    let data = dir.path().join("data with space and 100% odd \"name\"");
    let units = liftoff_cli::timer::units(&exe, &data);
    for (name, body) in &units {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    assert!(units[0].1.contains("\"--data-dir\" \"") && units[0].1.contains("100%%") && units[0].1.contains("odd \\\"name\\\""), "{}", units[0].1);
    let out = verify(dir.path());
    assert!(out.status.success(), "systemd-analyze verify: {}", text(&out));
    assert!(!text(&out).contains("liftoff-schedule"), "systemd-analyze verify: {}", text(&out));
    // The check can fail: the same files with a bad calendar and a relative
    // program are refused, naming them.
    let bad = tempfile::tempdir().unwrap();
    for (name, body) in &units {
        let body = body.replace("OnCalendar=*-*-* *:*:00", "OnCalendar=every minute please").replace(&format!("\"{}\"", exe.display()), "liftoff-cli-relative/x");
        std::fs::write(bad.path().join(name), body).unwrap();
    }
    let out = verify(bad.path());
    assert!(!out.status.success() && text(&out).contains("liftoff-schedule"), "{}", text(&out));
}

#[test]
fn at_its_time_a_busy_environment_or_an_unreachable_keychain_marks_it_missed_with_the_reason() {
    // Locked by hand: the preflight's lock check refuses it.
    let d = Data::new("true");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "4.0", "--at", "in 1s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    let locked = d.run(&["lock", "--project", "Shop", "--env", "staging", "--reason", "Database migration"]);
    assert_eq!(locked.status.code(), Some(0), "{}", text(&locked));
    std::thread::sleep(Duration::from_millis(1200));
    let out = d.run(&["schedule", "run-due"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let s = &d.schedules()[0];
    assert_eq!(s.state, ScheduleState::Missed);
    assert!(s.state_reason.contains("Database migration"), "{}", s.state_reason);

    // The target needs a credential and no keychain answers (no Secret
    // Service on the bus): its preflight refuses, nothing starts.
    let e = Data::new("true");
    let env = e.staging();
    rusqlite::Connection::open(e.store.db_path())
        .unwrap()
        .execute("INSERT INTO credentials (id, environment_id, name, kind, created_at) VALUES ('c1', ?1, 'DEPLOY_TOKEN', 'apiToken', '2026-12-01T00:00:00Z')", [&env])
        .unwrap();
    let mut settings = target::get(&e.store, &env).unwrap().unwrap().settings;
    settings.credentials = vec![target::CredentialUse { name: "DEPLOY_TOKEN".into(), variable: "DEPLOY_TOKEN".into() }];
    target::set(&e.store, &env, &settings, Utc::now()).unwrap();
    let added = e.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "4.1", "--at", "in 1s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    std::thread::sleep(Duration::from_millis(1200));
    let out = e.cmd(&["schedule", "run-due"]).env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/liftoff-test-bus").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let s = &e.schedules()[0];
    assert_eq!(s.state, ScheduleState::Missed);
    assert!(s.state_reason.contains("Credentials"), "{}", s.state_reason);
    assert!(runs::list(&e.store, &e.project_id, &RunQuery::default()).unwrap().is_empty());
}

#[test]
fn a_claim_left_by_a_process_killed_before_it_started_the_deploy_is_missed_at_the_next_run_due() {
    let d = Data::new("true");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "5.0", "--at", "in 1s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    // What a process killed between its claim and the deploy's start
    // leaves: the schedule claimed by an owner token nobody holds.
    let id = d.schedules()[0].id.clone();
    rusqlite::Connection::open(d.store.db_path())
        .unwrap()
        .execute("UPDATE deploy_schedules SET state = 'claimed', claimed_by = 'a-process-that-died' WHERE id = ?1", [&id])
        .unwrap();
    let out = d.run(&["schedule", "run-due"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = &d.schedules()[0];
    assert_eq!(s.state, ScheduleState::Missed);
    assert!(s.state_reason.contains("stopped before the deploy began"), "{}", s.state_reason);
    assert!(runs::list(&d.store, &d.project_id, &RunQuery::default()).unwrap().is_empty());
}

#[test]
fn freeze_check_exits_3_inside_a_freeze_naming_it_and_0_outside_it() {
    let d = Data::new("true");
    let check = |env: &str| d.run(&["freeze-check", "--project", "Shop", "--env", env]);
    let free = check("staging");
    assert_eq!(free.status.code(), Some(0), "{}", text(&free));
    assert!(text(&free).contains("Not frozen: staging of Shop may deploy now; no freeze in the next 7 days."), "{}", text(&free));
    d.freeze(120, 30, "Launch week");
    let ahead = check("staging");
    assert_eq!(ahead.status.code(), Some(0), "{}", text(&ahead));
    assert!(text(&ahead).contains("The next freeze, “Launch week”, starts at"), "{}", text(&ahead));
    d.freeze(-5, 60, "Quarter close");
    let frozen = check("staging");
    assert_eq!(frozen.status.code(), Some(3), "{}", text(&frozen));
    assert!(text(&frozen).starts_with("FROZEN: staging of Shop is in the freeze “Quarter close” (Quarter close) until "), "{}", text(&frozen));
    // Scoped to staging: production may deploy.
    let other = check("production");
    assert_eq!(other.status.code(), Some(0), "{}", text(&other));
    let unknown = check("moon");
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
}

#[test]
fn the_launchd_agent_and_the_windows_task_read_back_as_their_systems_read_them() {
    use liftoff_cli::timer;
    use std::io::Write;
    let exe = Path::new("/Applications/Liftoff & Co.app/Contents/MacOS/liftoff");
    let data = Path::new("/Users/zoë/Library/Application Support/dev.liftoff.app <test>");
    let plist = timer::launchd_plist(exe, data, Path::new("/Users/zoë/Library/Logs/liftoff-schedule.log"));
    // Python's plistlib reads the agent as launchd would.
    let read = |script: &str, input: &str| -> serde_json::Value {
        let mut child = Command::new("python3").args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python3 runs");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{input}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let agent = read("import plistlib, sys, json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))", &plist);
    assert_eq!(agent["Label"], timer::AGENT);
    assert_eq!(agent["ProgramArguments"], serde_json::json!([exe.to_str().unwrap(), "--data-dir", data.to_str().unwrap(), "schedule", "run-due"]));
    assert_eq!(agent["StartInterval"], 60);
    assert_eq!(agent["RunAtLoad"], true);

    let task = timer::task_xml(Path::new(r"C:\Program Files\Liftoff\liftoff.exe"), Path::new(r#"C:\Users\Zoë\AppData\Roaming\dev "quoted"\"#), r"OFFICE\zoe");
    // An XML parser reads it (its declaration says UTF-16: it is written so).
    let body = task.split_once("?>").unwrap().1;
    let parsed = read(
        "import sys, json, xml.etree.ElementTree as E; t = E.fromstring(sys.stdin.read()); n = {'t': 'http://schemas.microsoft.com/windows/2004/02/mit/task'}; \
         print(json.dumps([t.find(p, n).text for p in ['.//t:Interval', './/t:Command', './/t:Arguments', './/t:UserId', './/t:LogonType', './/t:MultipleInstancesPolicy', './/t:StartWhenAvailable']]))",
        body,
    );
    assert_eq!(
        parsed,
        serde_json::json!([
            "PT1M",
            r#""C:\Program Files\Liftoff\liftoff.exe""#,
            r#"--data-dir "C:\Users\Zoë\AppData\Roaming\dev \"quoted\"\\" schedule run-due"#,
            r"OFFICE\zoe",
            "InteractiveToken",
            "IgnoreNew",
            "true"
        ])
    );
    // Windows' own reading of a command line (CommandLineToArgvW), case by case.
    assert_eq!(timer::windows_word("run-due"), "run-due");
    assert_eq!(timer::windows_word(""), r#""""#);
    assert_eq!(timer::windows_word(r"C:\a b\"), r#""C:\a b\\""#);
    assert_eq!(timer::windows_word(r#"say "hi""#), r#""say \"hi\"""#);
}

/// A desktop notification service on the session bus (the freedesktop
/// `org.freedesktop.Notifications` interface): keeps the summary and body
/// of each notice it is sent.
fn notification_service() -> Arc<std::sync::Mutex<Vec<(String, String)>>> {
    use dbus::blocking::Connection;
    use dbus::channel::{MatchingReceiver, Sender};
    use dbus::message::MatchRule;
    let got: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
    let kept = got.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let conn = Connection::new_session().expect("the tests' session bus (run under scripts/with-keyring.sh)");
        conn.request_name("org.freedesktop.Notifications", false, true, true).unwrap();
        conn.start_receive(
            MatchRule::new_method_call(),
            Box::new(move |msg, c| {
                let reply = match msg.member().as_deref() {
                    Some("Notify") => {
                        let (_app, _replaces, _icon, summary, body): (String, u32, String, String, String) = msg.read5().unwrap();
                        kept.lock().unwrap().push((summary, body));
                        msg.method_return().append1(1u32)
                    }
                    Some("GetCapabilities") => msg.method_return().append1(vec!["body".to_owned()]),
                    Some("GetServerInformation") => msg.method_return().append2("test", "liftoff").append2("1", "1.2"),
                    _ => msg.method_return(),
                };
                let _ = c.send(reply);
                true
            }),
        );
        ready_tx.send(()).unwrap();
        loop {
            conn.process(Duration::from_millis(100)).unwrap();
        }
    });
    ready_rx.recv().unwrap();
    got
}

#[test]
#[ignore = "needs a session bus (run by scripts/test.sh under scripts/with-keyring.sh)"]
fn a_schedule_the_timer_finds_missed_gets_a_desktop_notice_once() {
    let notices = notification_service();
    let d = Data::new("true");
    let added = d.run(&["schedule", "add", "--project", "Shop", "--env", "staging", "--version", "7.7.7", "--at", "in 1s", "--until", "in 2s"]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    std::thread::sleep(Duration::from_millis(2300));
    let out = d.run(&["schedule", "run-due"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("no desktop notice"), "{}", text(&out));
    // Only this test's notices (other tests' run-due may notify the same bus).
    let mine = |n: &Vec<(String, String)>| n.iter().filter(|(s, _)| s.contains("7.7.7")).cloned().collect::<Vec<_>>();
    let got = mine(&notices.lock().unwrap());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "Scheduled deploy missed: 7.7.7 to staging");
    assert!(got[0].1.contains("did not start") && got[0].1.contains("latest start") && got[0].1.contains("Open Liftoff to run it now or reschedule it."), "{}", got[0].1);
    // The next run-due finds nothing new: no second notice.
    let again = d.run(&["schedule", "run-due"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(mine(&notices.lock().unwrap()).len(), 1);
}

#[test]
fn freeze_sync_says_per_freeze_which_way_it_goes_and_why_names_what_stops_it_and_run_due_tries_once_a_day() {
    use liftoff_core::deploy::target::{RemoteTarget, TargetKind};
    let d = Data::new("true");
    let none = d.run(&["freeze-sync", "--project", "Shop"]);
    assert_eq!(none.status.code(), Some(0), "{}", text(&none));
    assert!(text(&none).contains("No environment of Shop deploys through GitLab CI"), "{}", text(&none));

    // Production deploys through GitLab; its token was never stored.
    let production = liftoff_core::environments::list(&d.store, &d.project_id).unwrap().into_iter().find(|e| e.name == "production").unwrap().id;
    let mut settings = TargetSettings::local_command(CommandSpec::default());
    settings.kind = TargetKind::GitlabCi;
    settings.remote = Some(RemoteTarget { url: "http://127.0.0.1:9".into(), credential: "GITLAB_TOKEN".into(), project: "acme/shop".into(), ..RemoteTarget::default() });
    target::set(&d.store, &production, &settings, Utc::now()).unwrap();
    let window = |name: &str, start: &str, minutes: i32, rule: Option<&str>, exdates: Vec<String>| {
        let draft = CalendarWindowDraft {
            kind: Some(WindowKind::Freeze),
            name: name.into(),
            reason: String::new(),
            start_local: start.into(),
            minutes,
            time_zone: "Europe/Berlin".into(),
            rule: rule.map(str::to_owned),
            exdates,
            environment_ids: Vec::new(),
        };
        windows::create(&d.store, &d.project_id, &draft, Utc::now()).unwrap();
    };
    window("Weekend freeze", "2026-01-02T15:00", 66 * 60, Some("FREQ=WEEKLY;BYDAY=FR"), Vec::new());
    window("Month end", "2026-01-30T00:00", 48 * 60, Some("FREQ=MONTHLY;BYMONTHDAY=-2"), Vec::new());
    let out = d.run(&["freeze-sync"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(6), "{said}");
    assert!(said.contains("Shop → acme/shop on 127.0.0.1:9 (production):"), "{said}");
    assert!(said.contains("  repeating: 0 15 * * 5 to 0 9 * * 1 (Europe/Berlin). “Weekend freeze” repeats every Friday at a fixed local time"), "{said}");
    assert!(said.contains(" pairs. “Month end”: its rule picks days by their place in the month or year (BYMONTHDAY=-2, such as month-end)"), "{said}");
    assert!(said.contains("  dated: "), "{said}");
    assert!(said.contains("  NOT in step: The GitLab token of production could not be read: "), "{said}");

    // run-due tries once a day, not every minute.
    let first = d.run(&["schedule", "run-due"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(!text(&first).contains("GitLab deploy freezes"), "freeze-sync just tried: {}", text(&first));
    rusqlite::Connection::open(d.store.db_path()).unwrap().execute("UPDATE engine_freeze_syncs SET synced_at = '2026-01-01T00:00:00Z'", []).unwrap();
    let due = d.run(&["schedule", "run-due"]);
    assert!(text(&due).contains("liftoff: GitLab deploy freezes of acme/shop on 127.0.0.1:9 are not in step: The GitLab token of production could not be read"), "{}", text(&due));
    let again = d.run(&["schedule", "run-due"]);
    assert!(!text(&again).contains("GitLab deploy freezes"), "once a day: {}", text(&again));
}
