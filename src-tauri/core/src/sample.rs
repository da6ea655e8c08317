//! The sample project a first-time user can open to see Liftoff with
//! realistic data: a pipeline, people, and a release under way with its
//! readiness checklist partly done. All of it is written in one transaction.

use chrono::{DateTime, Datelike, Days, Timelike, Utc};
use rusqlite::Connection;

use crate::audit::Actor;
use crate::release::checklists::{self, builtin, templates, ChecklistSource, ItemDraft, ItemState};
use crate::people::{self, Person, PersonDraft, Role};
use crate::projects::{self, Project, ProjectDraft, ProjectError, ProjectQuery};
use crate::planning::recurrence::localize;
use crate::planning::windows::{self, CalendarWindowDraft, WindowKind};
use crate::release::{self as releases, ReleaseDraft, ReleaseState};
use crate::Store;

pub const SAMPLE_NAME: &str = "Northwind Billing (sample)";

/// Creates the sample project, or returns it if it already exists.
pub fn open_sample_project(store: &Store, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    let query = ProjectQuery { text: SAMPLE_NAME.into(), include_archived: true };
    if let Some(existing) = projects::list(store, &query)?.into_iter().find(|p| p.name == SAMPLE_NAME) {
        return Ok(existing);
    }
    let draft = ProjectDraft {
        name: SAMPLE_NAME.into(),
        description: "Customer billing portal and invoicing API for 40,000 business customers. \
                      Ships monthly; release 2.4 moves invoice generation to the new tax engine \
                      and needs a window outside the month-end billing peak."
            .into(),
        repository: "https://git.example.com/northwind/billing.git".into(),
        time_zone: "Europe/Berlin".into(),
    };
    // The demo deploy script lives in the data folder, where the sample's
    // targets run it.
    let demo = store.data_dir().join("demo");
    if let Err(e) = write_demo(&demo) {
        log::warn!("the sample's demo deploy script could not be written to {}: {e}", demo.display());
    }
    // A small git history, so that announcements have changes to read.
    let mut draft = draft;
    match write_repository(&demo.join("repo")) {
        Ok(path) => draft.repository = path.display().to_string(),
        Err(e) => log::warn!("the sample's git repository could not be made ({e}); announcements will say how to set one"),
    }
    let port = crate::demo_service::free_port().unwrap_or(47_800);
    let project = store.write(|tx| {
        let project = projects::create_in(tx, &draft, now)?;
        demo_urls(tx, &project, port).map_err(|e| ProjectError::Sample(crate::rules::Cause(e)))?;
        fill(tx, &project, now).map_err(|e| ProjectError::Sample(crate::rules::Cause(e)))?;
        deploys(tx, &project, &demo, now).map_err(|e| ProjectError::Sample(crate::rules::Cause(e)))?;
        announcements(tx, &project, now).map_err(|e| ProjectError::Sample(crate::rules::Cause(e)))?;
        Ok::<_, ProjectError>(project)
    })?;
    if let Err(e) = start_demo_service(store) {
        log::warn!("{e}");
    }
    Ok(project)
}

/// Each sample environment's address and health URL, on the demo service.
fn demo_urls(tx: &Connection, project: &Project, port: u16) -> Result<(), String> {
    crate::environments::use_local_service_in(tx, &project.id, port).map_err(|e| e.to_string())
}

/// Starts the sample's demo service (once per process) on the port its
/// health URLs name; nothing when there is no sample.
pub fn start_demo_service(store: &Store) -> Result<Option<u16>, String> {
    static STARTED: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    if let Some(port) = STARTED.get() {
        return Ok(Some(*port));
    }
    let url: Option<String> = store
        .reader()
        .map_err(|e| e.to_string())?
        .query_row(
            "SELECT e.health_url FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.name = ?1 ORDER BY e.position LIMIT 1",
            [SAMPLE_NAME],
            |r| r.get(0),
        )
        .ok();
    let Some(port) = url.as_deref().and_then(crate::demo_service::port_of) else { return Ok(None) };
    let port = crate::demo_service::start(store.data_dir().join("demo"), port).map_err(|e| {
        format!("The sample project's demo service could not start on port {port} ({e}); its health checks will fail until Liftoff starts again.")
    })?;
    Ok(Some(*STARTED.get_or_init(|| port)))
}

/// The sample's git repository: 2.3.1, then the commits of 2.4.0 (tagged
/// as its release candidate), in conventional-commit style.
fn write_repository(dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    if dir.join(".git").exists() {
        return Ok(dir.to_path_buf());
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let git = |args: &[&str]| -> Result<(), String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=Lena Fischer", "-c", "user.email=lena@northwind.example", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| format!("git could not run: {e}"))?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()) }
    };
    git(&["init", "-q"])?;
    let commits: [(&str, &str); 9] = [
        ("Lena Fischer", "fix(dunning): send each reminder e-mail once"),
        ("", "tag v2.3.1"),
        ("Omar Haddad", "feat(invoices): generate invoices with the new tax engine"),
        ("Omar Haddad", "feat(invoices): keep the old engine as a fallback for one month (#212)"),
        ("Priya Nair", "fix(pdf): totals round half up on invoice PDFs (#215)"),
        ("Omar Haddad", "feat(api)!: remove the v1 invoices endpoint\n\nBREAKING CHANGE: clients must use /v2/invoices."),
        ("Sam Carter", "docs: explain the tax engine switch for support"),
        ("Omar Haddad", "chore(deps): bump the PDF library"),
        ("", "tag v2.4.0"),
    ];
    for (author, message) in commits {
        if let Some(tag) = message.strip_prefix("tag ") {
            git(&["tag", tag])?;
            continue;
        }
        let email = format!("{}@northwind.example", author.split(' ').next().unwrap_or("dev").to_lowercase());
        let who = format!("{author} <{email}>");
        git(&["commit", "-q", "--allow-empty", "--author", &who, "-m", message])?;
    }
    Ok(dir.to_path_buf())
}

/// Where the sample's users get help and give feedback.
fn announcements(tx: &Connection, project: &Project, now: DateTime<Utc>) -> Result<(), String> {
    use crate::announce::settings::{AnnounceSettings, Support};
    let settings = AnnounceSettings {
        support: Support {
            helpdesk: "https://help.northwind.example".into(),
            faq: "https://northwind.example/billing/faq".into(),
            contact: "support@northwind.example".into(),
            feedback: "https://northwind.example/feedback".into(),
        },
        product_url: "https://billing.northwind.example".into(),
        release_notes_url: "https://northwind.example/billing/changelog".into(),
        ..AnnounceSettings::default()
    };
    crate::announce::settings::set_in(tx, &project.id, &settings, now).map(|_| ()).map_err(|e| e.to_string())
}

/// The script the sample's deploy targets run: a deploy simulated in a few
/// seconds, with a realistic log.
pub const DEMO_SCRIPT: &str = include_str!("../demo/deploy-demo.sh");

fn write_demo(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("deploy-demo.sh");
    std::fs::write(&path, DEMO_SCRIPT)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Every environment deploys with the demo script and checks the version
/// it left; production backs up first. 2.3.1 went out three weeks ago, so
/// there is something to roll back to.
fn deploys(tx: &Connection, project: &Project, demo: &std::path::Path, now: DateTime<Utc>) -> Result<(), String> {
    use crate::deploy::smoke::{CommandCheck, SmokeCheck};
    use crate::deploy::target::{CommandSpec, ExtraStep, TargetKind, TargetSettings};
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let envs: Vec<(String, String, bool)> =
        crate::environments::list_in(tx, &project.id).map_err(|e| err(&e))?.into_iter().map(|e| (e.id, e.name, e.protected)).collect();
    let old = releases::create_in(
        tx,
        &project.id,
        &ReleaseDraft { version: "2.3.1".into(), name: "Dunning fixes".into(), scope: "Reminder e-mails for overdue invoices go out once, not twice.".into(), target_date: None },
        &Actor { person_id: None, name: "Lena Fischer".into() },
        now - Days::new(22),
    )
    .map_err(|e| err(&e))?;
    crate::release::set_past_state_in(tx, &old.id, crate::release::ReleaseState::Released).map_err(|e| err(&e))?;
    for (n, (env_id, env_name, protected)) in envs.iter().enumerate() {
        let settings = TargetSettings {
            kind: TargetKind::LocalCommand,
            command: CommandSpec { program: demo.join("deploy-demo.sh").display().to_string(), args: Vec::new(), through_shell: false, timeout_secs: 300 },
            working_dir: demo.display().to_string(),
            env: Vec::new(),
            credentials: Vec::new(),
            before: if *protected {
                vec![ExtraStep {
                    name: "Back up the database".into(),
                    command: CommandSpec {
                        program: "echo \"pg_dump billing | gzip > backups/billing-$(date -u +%Y%m%d%H%M).sql.gz\"; sleep 0.5; echo 'Backup written: 212 MB'".into(),
                        args: Vec::new(),
                        through_shell: true,
                        timeout_secs: 600,
                    },
                }]
            } else {
                Vec::new()
            },
            after: Vec::new(),
            smoke: vec![SmokeCheck::Command(CommandCheck {
                name: "The live version is the one deployed".into(),
                command: "test \"$(cat \"state/$LIFTOFF_ENVIRONMENT.version\")\" = \"$LIFTOFF_VERSION\"".into(),
                timeout_secs: 10,
            })],
            rollback_on_failure: false,
            leave_background: false,
            blue_green: None,
            remote: None,
            calls_deploy_system: false,
            acceptance_tests: Vec::new(),
        };
        let settings = crate::deploy::target::validate(&settings).map_err(|e| err(&e))?;
        crate::deploy::target::set_in(tx, env_id, &settings, now).map_err(|e| err(&e))?;
        // 2.3.1's runs, a day apart through the pipeline.
        let started = now - Days::new(21) + chrono::Duration::days(n as i64) + chrono::Duration::hours(9);
        let ended = started + chrono::Duration::seconds(74);
        let run_id = uuid::Uuid::now_v7().to_string();
        let outcome = "2.3.1 deployed and verified by its smoke checks.";
        let step = |name: &str, ms: i64, at: DateTime<Utc>| {
            serde_json::json!({"name": name, "state": "succeeded", "startedAt": crate::clock::to_text(at),
                "endedAt": crate::clock::to_text(at + chrono::Duration::milliseconds(ms)), "durationMs": ms, "detail": "exit code 0"})
        };
        let steps = serde_json::json!([step("Deploy", 71_000, started), step("Smoke: The live version is the one deployed", 40, started + chrono::Duration::seconds(71))]);
        let lines: Vec<String> = vec![
            format!("Deploying Northwind Billing (sample) 2.3.1 to {env_name}"),
            "Rolling out to 3 instances (max unavailable 1)".to_owned(),
            format!("Deployed 2.3.1 to {env_name}"),
        ];
        crate::deploy::runs::insert_past_in(
            tx,
            &crate::deploy::runs::Past {
                id: &run_id,
                project_id: &project.id,
                environment_id: env_id,
                release_id: Some(&old.id),
                version: "2.3.1",
                build_ref: "v2.3.1",
                started_by: "Lena Fischer",
                started_at: started,
                ended_at: ended,
                state: crate::deploy::RunState::Succeeded,
                outcome,
                steps: &steps.to_string(),
                log: &lines,
            },
        )
        .map_err(|e| err(&e))?;
    }
    if let Some((production, _, _)) = envs.iter().find(|(_, _, protected)| *protected) {
        production_history(tx, project, production, now)?;
    }
    // What the demo script would have left after 2.3.1.
    let state = demo.join("state");
    if std::fs::create_dir_all(&state).is_ok() {
        for (_, env_name, _) in &envs {
            let _ = std::fs::write(state.join(format!("{env_name}.version")), "2.3.1\n");
        }
    }
    Ok(())
}

fn fill(tx: &Connection, project: &Project, now: DateTime<Utc>) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let weekdays = [true, true, true, true, true, false, false];
    let add = |name: &str, email: &str, role: Role, tz: &str, start: &str, end: &str| -> Result<Person, String> {
        let draft = PersonDraft {
            name: name.into(),
            email: email.into(),
            role,
            time_zone: tz.into(),
            work_start: start.into(),
            work_end: end.into(),
            work_days: weekdays,
        };
        people::create_in(tx, &project.id, &draft, now).map_err(|e| err(&e))
    };
    let lena = add("Lena Fischer", "lena@northwind.example", Role::Lead, "Europe/Berlin", "08:30", "17:00")?;
    let omar = add("Omar Haddad", "omar@northwind.example", Role::Developer, "Europe/Berlin", "10:00", "18:30")?;
    let priya = add("Priya Nair", "priya@northwind.example", Role::Reviewer, "Europe/London", "09:00", "17:30")?;
    add("Sam Carter", "sam@northwind.example", Role::Support, "America/New_York", "08:00", "16:00")?;

    let as_lena = Actor { person_id: Some(lena.id.clone()), name: lena.name.clone() };
    let as_omar = Actor { person_id: Some(omar.id.clone()), name: omar.name.clone() };
    let as_priya = Actor { person_id: Some(priya.id.clone()), name: priya.name.clone() };
    let target = window_day(now).format("%Y-%m-%d").to_string();
    let release = releases::create_in(
        tx,
        &project.id,
        &ReleaseDraft {
            version: "2.4.0".into(),
            name: "Tax engine switch".into(),
            scope: "Invoice generation moves to the new tax engine; the old engine stays as a fallback for one month.".into(),
            target_date: Some(target),
        },
        &as_lena,
        now,
    )
    .map_err(|e| err(&e))?;
    let readiness = templates::builtin_id(tx, builtin::READINESS.key).map_err(|e| err(&e))?;
    let readiness = readiness.ok_or("the built-in readiness template is missing")?;
    checklists::start_in(tx, &release.id, &ChecklistSource::Template(readiness), &as_lena, now).map_err(|e| err(&e))?;
    releases::set_state_in(tx, &release.id, ReleaseState::Planned, "", &as_lena, now, now.date_naive()).map_err(|e| err(&e))?;

    // Planning: weekend and month-end freezes, four weeks of load, and the
    // release's window on its target date at 10:00 Berlin.
    plan(tx, project, &release.id, &as_lena, now)?;
    // Busy time from the team's calendars: Omar's dentist appointment is
    // the one conflict the planned window has to resolve.
    calendars(tx, &omar, &priya, now)?;

    // The first infrastructure items are under way: two signed off, one
    // awaiting review, one overdue.
    let items = checklists::load_items(tx, &release.id, now.date_naive()).map_err(|e| err(&e))?;
    let due_past = (now - Days::new(2)).format("%Y-%m-%d").to_string();
    for (n, item) in items.iter().take(5).enumerate() {
        let draft = ItemDraft {
            section: item.section.clone(),
            title: item.title.clone(),
            detail: item.detail.clone(),
            required: item.required,
            owner_id: Some(omar.id.clone()),
            reviewer_id: Some(priya.id.clone()),
            due_date: Some(if n == 3 { due_past.clone() } else { (now + Days::new(7)).format("%Y-%m-%d").to_string() }),
            evidence: String::new(),
            notes: String::new(),
        };
        checklists::update_item_in(tx, &item.id, &draft, &as_lena, now).map_err(|e| err(&e))?;
        if n < 3 {
            checklists::set_item_state_in(tx, &item.id, ItemState::Done, "", &as_omar, now).map_err(|e| err(&e))?;
        }
        if n < 2 {
            checklists::review_in(tx, &item.id, true, "", &as_priya, now).map_err(|e| err(&e))?;
        }
    }
    Ok(())
}

fn plan(tx: &Connection, project: &Project, release_id: &str, lead: &Actor, now: DateTime<Utc>) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().map_err(|e| err(&e))?;
    let local_now = now.with_timezone(&berlin);
    // Freezes hold production; the other stages may be deployed any time.
    let production: Vec<String> = crate::environments::first_protected(tx, &project.id).ok().flatten().map(|e| vec![e.id]).unwrap_or_default();
    // The Friday on or before today, so that the freeze has begun already.
    let friday = local_now.date_naive() - Days::new(u64::from((local_now.weekday().num_days_from_monday() + 3) % 7));
    let window = |kind, name: &str, reason: &str, start: String, minutes, rule: &str| CalendarWindowDraft {
        kind: Some(kind),
        name: name.into(),
        reason: reason.into(),
        start_local: start,
        minutes,
        time_zone: "Europe/Berlin".into(),
        rule: Some(rule.into()),
        exdates: Vec::new(),
        environment_ids: production.clone(),
    };
    let drafts = [
        window(WindowKind::Freeze, "Weekend freeze", "Nobody is on hand to roll back at the weekend.", format!("{}T15:00", friday), 66 * 60, "FREQ=WEEKLY;BYDAY=FR"),
        window(
            WindowKind::Freeze,
            "Month-end billing run",
            "Invoices for 40,000 customers are generated on the last two days of each month.",
            format!("{}T00:00", second_last_day_of_month(local_now.date_naive())),
            48 * 60,
            "FREQ=MONTHLY;BYMONTHDAY=-2",
        ),
        window(WindowKind::Maintenance, "Database maintenance", "The hosting provider patches the database servers.", format!("{}T22:00", friday - Days::new(2)), 120, "FREQ=WEEKLY;BYDAY=WE"),
    ];
    for d in &drafts {
        windows::create_in(tx, &project.id, d, now).map_err(|e| err(&e))?;
    }
    // Four weeks of requests per minute, every 15 minutes: busy office
    // hours, quiet nights, heavier on Mondays.
    let mut t = now - chrono::Duration::days(28);
    let mut samples = Vec::new();
    while t < now {
        let local = t.with_timezone(&berlin);
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
        let workday = local.weekday().num_days_from_monday() < 5;
        let office = if (8.0..18.0).contains(&hour) { (std::f64::consts::PI * (hour - 8.0) / 10.0).sin() } else { 0.0 };
        let monday = if local.weekday().num_days_from_monday() == 0 { 1.25 } else { 1.0 };
        let value = 120.0 + if workday { 1800.0 * office * monday } else { 250.0 * office };
        samples.push((t.timestamp(), value.round()));
        t += chrono::Duration::minutes(15);
    }
    crate::planning::profile::replace_samples_in(tx, &project.id, samples).map_err(|e| err(&e))?;
    let target = window_day(now).and_hms_opt(10, 0, 0).ok_or("no such time")?;
    let start = localize(berlin, target);
    releases::set_window_in(tx, release_id, Some((start, start + chrono::Duration::minutes(90))), None, lead, now).map_err(|e| err(&e))?;
    Ok(())
}

/// The day of the sample's release window: a Tuesday or Thursday some
/// nine days ahead, clear of the weekend and month-end freezes.
fn window_day(now: DateTime<Utc>) -> chrono::NaiveDate {
    let berlin: chrono_tz::Tz = chrono_tz::Europe::Berlin;
    let mut day = now.with_timezone(&berlin).date_naive() + Days::new(9);
    loop {
        let weekday = day.weekday().num_days_from_monday();
        if (weekday == 1 || weekday == 3) && day < second_last_day_of_month(day) {
            return day;
        }
        day = day + Days::new(1);
    }
}

/// The team's calendars as their apps export them: Omar's weekly sprint
/// planning and a dentist appointment in the release window; Priya's leave.
fn calendars(tx: &Connection, omar: &Person, priya: &Person, now: DateTime<Utc>) -> Result<(), String> {
    let berlin = chrono_tz::Europe::Berlin;
    let day = window_day(now);
    let stamp = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string();
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()) + 7);
    let omar_ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Northwind//Calendar export//EN\r\n\
         BEGIN:VEVENT\r\nUID:sprint-planning@northwind.example\r\nSUMMARY:Sprint planning\r\n\
         DTSTART;TZID=Europe/Berlin:{monday}T100000\r\nDTEND;TZID=Europe/Berlin:{monday}T110000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:dentist@northwind.example\r\nSUMMARY:Dentist\r\n\
         DTSTART;TZID=Europe/Berlin:{day}T103000\r\nDTEND;TZID=Europe/Berlin:{day}T120000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        monday = stamp(monday),
        day = stamp(day),
    );
    let leave_from = day - Days::new(6);
    let priya_ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Northwind//Calendar export//EN\r\n\
         BEGIN:VEVENT\r\nUID:leave@northwind.example\r\nSUMMARY:Annual leave\r\n\
         DTSTART;VALUE=DATE:{from}\r\nDTEND;VALUE=DATE:{to}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        from = stamp(leave_from),
        to = stamp(leave_from + Days::new(3)),
    );
    let london = chrono_tz::Europe::London;
    for (person, tz, file, ics) in [(omar, berlin, "omar-calendar.ics", omar_ics), (priya, london, "priya-calendar.ics", priya_ics)] {
        let events = crate::planning::ics::parse(&ics, tz).map_err(|e| format!("the sample calendar {file}: {e}"))?.events;
        crate::planning::busy::insert_events_in(tx, &person.id, file, &events, now).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn second_last_day_of_month(day: chrono::NaiveDate) -> chrono::NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    next - Days::new(2)
}

/// A year of production deploys before 2.3.1, so that the Metrics page has
/// real charts: two deploys a week (Tuesdays and Thursdays), two quiet
/// weeks in the middle, failed verifications rolled back within the half
/// hour, a few deploys rolled back hours later, deploys that did not
/// complete and were retried, one hotfix release, and each verified
/// deploy's commits with their committer times. All of it ends four weeks
/// before today, before 2.3.1 and everything the other pages look at.
fn production_history(tx: &Connection, project: &Project, production: &str, now: DateTime<Utc>) -> Result<(), String> {
    use crate::deploy::runs::{insert_past_kind_in, Past};
    use crate::deploy::{RunKind, RunState};
    use chrono::Duration;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let today = now.date_naive().and_hms_opt(0, 0, 0).ok_or("no midnight")?.and_utc();
    // The deploy days, oldest first: Tuesdays and Thursdays from a year ago
    // to four weeks ago, but for two quiet weeks (the team's holiday).
    let slots: Vec<DateTime<Utc>> = (29..=365)
        .rev()
        .map(|d| today - Duration::days(d))
        .filter(|day| matches!(day.weekday().num_days_from_monday(), 1 | 3))
        .filter(|day| !(190..204).contains(&(today - *day).num_days()))
        .enumerate()
        .map(|(n, day)| day + Duration::hours(8 + 2 * (n as i64 % 3)) + Duration::minutes(7 * (n as i64 % 5)))
        .collect();
    let hotfix_slot = slots.len() * 2 / 3;
    let who = ["Lena Fischer", "Omar Haddad", "Priya Nair"];
    // Lead times of a deploy's commits, in hours before the deploy started.
    let ages = [3.0, 20.0, 6.5, 27.0, 49.0, 1.5, 72.0, 18.0, 120.0, 30.0, 9.0, 44.0];
    // Versions 1.0.0 onwards, eight patches a minor, ending at 2.1 or 2.2.
    let mut minor = 22 - (slots.len() as i64 + 8) / 8;
    let mut patch = 0;
    let mut version = || {
        let v = format!("{}.{}.{}", minor / 10, minor % 10, patch);
        patch += 1;
        if patch == 8 {
            (minor, patch) = (minor + 1, 0);
        }
        v
    };
    let mut verified: Option<String> = None;
    // Commits made since the last verified deploy, read at the next one.
    let mut pending: Vec<(String, String)> = Vec::new();
    let step = |name: &str, ms: i64, at: DateTime<Utc>, ok: bool| {
        serde_json::json!({"name": name, "state": if ok { "succeeded" } else { "failed" }, "startedAt": crate::clock::to_text(at),
            "endedAt": crate::clock::to_text(at + Duration::milliseconds(ms)), "durationMs": ms, "detail": if ok { "exit code 0" } else { "failed with exit code 1" }})
    };
    let record = |kind: RunKind, state: RunState, version: &str, release: Option<&str>, by: &str, started: DateTime<Utc>, previous: Option<&str>| -> Result<String, String> {
        let id = uuid::Uuid::now_v7().to_string();
        let secs = 64 + (started.timestamp() % 40);
        let ended = started + Duration::seconds(secs);
        let deployed = matches!(state, RunState::Succeeded | RunState::FailedVerification);
        let checked = matches!(state, RunState::Succeeded);
        let steps = serde_json::json!([
            step("Back up the database", 900, started, true),
            step("Deploy", (secs - 2) * 1000, started + Duration::seconds(1), deployed),
            step("Smoke: The live version is the one deployed", 40, started + Duration::seconds(secs - 1), checked)
        ]);
        let (outcome, last) = match (kind, state) {
            (_, RunState::Succeeded) => (format!("{version} deployed and verified by its smoke checks."), format!("Deployed {version} to production")),
            (_, RunState::FailedVerification) => (
                "The smoke check “The live version is the one deployed” failed: the service still answered with the old version.".to_owned(),
                "Smoke check failed".to_owned(),
            ),
            (_, RunState::TimedOut) => ("The step Deploy timed out after 300 s and was stopped.".to_owned(), "Waiting for 3 of 3 instances to become ready".to_owned()),
            _ => ("The step Deploy failed with exit code 1.".to_owned(), "error: the rollout did not become ready in time".to_owned()),
        };
        let what = match kind {
            RunKind::Deploy => "Deploying",
            RunKind::Rollback => "Rolling back to",
            RunKind::SwitchBack => "Switching back to",
        };
        let log = vec![format!("{what} Northwind Billing (sample) {version} to production"), "Rolling out to 3 instances (max unavailable 1)".to_owned(), last];
        let past = Past {
            id: &id,
            project_id: &project.id,
            environment_id: production,
            release_id: release,
            version,
            build_ref: &format!("v{version}"),
            started_by: by,
            started_at: started,
            ended_at: ended,
            state,
            outcome: &outcome,
            steps: &steps.to_string(),
            log: &log,
        };
        insert_past_kind_in(tx, &past, kind, previous).map_err(|e| err(&e))?;
        // A run that deployed ran its smoke check (as the target says).
        if deployed {
            let checks = serde_json::json!([{"name": "The live version is the one deployed", "passed": checked, "attempts": 1, "elapsedMs": 40, "status": 200, "latencyMs": 12,
                "detail": if checked { "200 OK in 12 ms, body has the version" } else { "the service still answered with the old version" }}]);
            crate::deploy::runs::save_progress_in(tx, &id, &steps.to_string(), &checks.to_string()).map_err(|e| err(&e))?;
        }
        Ok(id)
    };
    for (n, start) in slots.iter().copied().enumerate() {
        let by = who[n % 3];
        let v = version();
        // This version's commits, made in the days before it.
        for (j, age) in ages.iter().cycle().skip(n * 5 % ages.len()).take(1 + (n * 7) % 5).enumerate() {
            let sha = sha_hex(&format!("northwind-{v}-{j}"));
            pending.push((sha, crate::clock::to_text(start - Duration::minutes((age * 60.0) as i64))));
        }
        let previous = verified.clone();
        // Read at the end of a verified deploy, as the engine does.
        let verify = |id: &str, pending: &mut Vec<(String, String)>| -> Result<(), String> {
            let ended: String = tx.query_row("SELECT ended_at FROM deploy_runs WHERE id = ?1", [id], |r| r.get(0)).map_err(|e| err(&e))?;
            crate::deploy::commits::insert_past_in(tx, id, production, &ended, pending).map_err(|e| err(&e))?;
            pending.clear();
            Ok(())
        };
        if n % 11 == 3 {
            // The deploy step failed; the retry an hour later went through.
            record(RunKind::Deploy, RunState::Failed, &v, None, by, start, previous.as_deref())?;
            let retry = start + Duration::hours(1);
            let id = record(RunKind::Deploy, RunState::Succeeded, &v, None, by, retry, previous.as_deref())?;
            verify(&id, &mut pending)?;
            verified = Some(v);
        } else if n == 29 {
            // The rollout hung and timed out; deployed again 25 minutes later.
            record(RunKind::Deploy, RunState::TimedOut, &v, None, by, start, previous.as_deref())?;
            let again = start + Duration::minutes(25);
            let id = record(RunKind::Deploy, RunState::Succeeded, &v, None, by, again, previous.as_deref())?;
            verify(&id, &mut pending)?;
            verified = Some(v);
        } else if n % 13 == 5 {
            // Failed verification; rolled back to the version before.
            record(RunKind::Deploy, RunState::FailedVerification, &v, None, by, start, previous.as_deref())?;
            if let Some(back) = previous.as_deref() {
                record(RunKind::Rollback, RunState::Succeeded, back, None, by, start + Duration::minutes(18 + (n as i64 % 4) * 9), Some(&v))?;
            }
        } else if n % 17 == 9 {
            // Verified, but support saw wrong totals hours later: rolled back.
            let id = record(RunKind::Deploy, RunState::Succeeded, &v, None, by, start, previous.as_deref())?;
            verify(&id, &mut pending)?;
            if let Some(back) = previous.as_deref() {
                record(RunKind::Rollback, RunState::Succeeded, back, None, "Lena Fischer", start + Duration::hours(3 + (n as i64 % 3)), Some(&v))?;
            }
        } else {
            let id = record(RunKind::Deploy, RunState::Succeeded, &v, None, by, start, previous.as_deref())?;
            verify(&id, &mut pending)?;
            verified = Some(v.clone());
            if n == hotfix_slot {
                // Invoices without a tax line: fixed the same afternoon.
                let fix = version();
                let draft = ReleaseDraft { version: fix.clone(), name: "Tax line fix".into(), scope: "Hotfix: invoices issued since the morning lacked their tax line.".into(), target_date: None };
                let lena = Actor { person_id: None, name: "Lena Fischer".into() };
                let release = releases::create_in(tx, &project.id, &draft, &lena, start).map_err(|e| err(&e))?;
                releases::set_past_state_in(tx, &release.id, ReleaseState::Released).map_err(|e| err(&e))?;
                releases::set_hotfix_in(tx, &release.id, true, &lena, start).map_err(|e| err(&e))?;
                let at = start + Duration::hours(4) + Duration::minutes(40);
                pending.push((sha_hex(&format!("northwind-{fix}-0")), crate::clock::to_text(at - Duration::minutes(95))));
                let id = record(RunKind::Deploy, RunState::Succeeded, &fix, Some(&release.id), "Omar Haddad", at, Some(&v))?;
                verify(&id, &mut pending)?;
                verified = Some(fix);
            }
        }
    }
    Ok(())
}

/// A commit hash for the sample's history (the sample repository holds only
/// 2.3.1 and 2.4.0): the SHA-1-sized start of a SHA-256.
fn sha_hex(seed: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(seed.as_bytes()).iter().take(20).map(|b| format!("{b:02x}")).collect()
}
