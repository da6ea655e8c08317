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
    store.write(|tx| {
        let project = projects::create_in(tx, &draft, now)?;
        fill(tx, &project, now).map_err(ProjectError::Sample)?;
        Ok(project)
    })
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
    let target = (now + Days::new(11)).format("%Y-%m-%d").to_string();
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
        environment_ids: Vec::new(),
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
    while t < now {
        let local = t.with_timezone(&berlin);
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
        let workday = local.weekday().num_days_from_monday() < 5;
        let office = if (8.0..18.0).contains(&hour) { (std::f64::consts::PI * (hour - 8.0) / 10.0).sin() } else { 0.0 };
        let monday = if local.weekday().num_days_from_monday() == 0 { 1.25 } else { 1.0 };
        let value = 120.0 + if workday { 1800.0 * office * monday } else { 250.0 * office };
        tx.execute("INSERT INTO load_samples (project_id, at, value) VALUES (?1, ?2, ?3)", rusqlite::params![project.id, t.timestamp(), value.round()])
            .map_err(|e| err(&e))?;
        t += chrono::Duration::minutes(15);
    }
    crate::planning::profile::rebuild_hours(tx, &project.id).map_err(|e| err(&e))?;
    let target = (local_now.date_naive() + Days::new(11)).and_hms_opt(10, 0, 0).ok_or("no such time")?;
    let start = localize(berlin, target);
    releases::set_window_in(tx, release_id, Some((start, start + chrono::Duration::minutes(90))), None, lead, now).map_err(|e| err(&e))?;
    Ok(())
}

fn second_last_day_of_month(day: chrono::NaiveDate) -> chrono::NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    next - Days::new(2)
}
