//! Releases, checklists, reviewer sign-off, the gate, the audit log and
//! checklist files, through the public API on a real database.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liftoff_core::audit::{self, Actor, AuditCategory, AuditQuery};
use liftoff_core::release::checklists::templates::{self, TemplateDraft, TemplateItem};
use liftoff_core::release::checklists::transfer::{self, FileFormat};
use liftoff_core::release::checklists::{self, ChecklistSource, ItemDraft, ItemState, ItemStatus};
use liftoff_core::environments;
use liftoff_core::release::gate;
use liftoff_core::people::{self, Person, PersonDraft, Role};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, GateBrief, GateState, Release, ReleaseDraft, ReleaseError, ReleaseState};
use liftoff_core::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

struct World {
    _dir: tempfile::TempDir,
    store: Store,
    project: Project,
    owner: Person,
    reviewer: Person,
    lead: Actor,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        let draft = ProjectDraft { name: "Atlas".into(), time_zone: "Europe/Berlin".into(), ..Default::default() };
        let project = projects::create(&store, &draft, t0()).unwrap();
        let person = |name: &str, email: &str, role: Role| PersonDraft {
            name: name.into(),
            email: email.into(),
            role,
            time_zone: "Europe/Berlin".into(),
            work_start: "09:00".into(),
            work_end: "17:00".into(),
            work_days: [true, true, true, true, true, false, false],
        };
        let owner = people::create(&store, &project.id, &person("Omar Developer", "omar@example.com", Role::Developer), t0()).unwrap();
        let reviewer = people::create(&store, &project.id, &person("Dana Auditor", "dana@example.com", Role::Reviewer), t0()).unwrap();
        World { _dir: dir, store, project, owner, reviewer, lead: Actor { person_id: None, name: "lead".into() } }
    }

    fn as_person(&self, p: &Person) -> Actor {
        Actor::resolve(&self.store.reader().unwrap(), &self.project.id, Some(&p.id), "lead").unwrap()
    }

    fn release(&mut self, version: &str) -> Release {
        let draft = ReleaseDraft { version: version.into(), name: "Tax engine switch".into(), scope: "Invoices".into(), target_date: Some("2026-12-03".into()) };
        releases::create(&self.store, &self.project.id, &draft, &self.lead, t0()).unwrap()
    }

    fn production(&self) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.protected).unwrap().id
    }

    fn staging(&self) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id
    }

    fn template(&self, name: &str) -> String {
        templates::list(&self.store).unwrap().into_iter().find(|t| t.name == name).unwrap().id
    }

    fn add(&mut self, release: &Release, title: &str, required: bool, reviewer: bool) -> String {
        let draft = ItemDraft {
            section: "Prepare".into(),
            title: title.into(),
            required,
            owner_id: Some(self.owner.id.clone()),
            reviewer_id: reviewer.then(|| self.reviewer.id.clone()),
            ..ItemDraft::default()
        };
        checklists::add_item(&self.store, &release.id, &draft, &self.lead, t0()).unwrap().id
    }

    /// The release's gate as the list of releases shows it.
    fn brief(&self, release: &Release) -> Option<GateBrief> {
        releases::list(&self.store, &self.project.id, None).unwrap().into_iter().find(|r| r.release.id == release.id).unwrap().gate
    }

    fn log(&self, release: &Release) -> Vec<audit::AuditEntry> {
        audit::list(&self.store, &release.id, &AuditQuery::default()).unwrap()
    }
}

#[test]
fn a_new_database_has_the_three_builtin_templates() {
    let w = World::new();
    let all = templates::list(&w.store).unwrap();
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Release readiness", "Delivery day", "Deployment maturity review"], "in the order of the process");
    assert!(all.iter().all(|t| t.builtin));
    let readiness = all.iter().find(|t| t.name == "Release readiness").unwrap();
    assert_eq!(readiness.items.len(), 25);
    assert_eq!(readiness.items[0].section, "Infrastructure");
    assert_eq!(readiness.items.last().unwrap().section, "Choosing the moment");
}

#[test]
fn a_checklist_starts_from_a_template_and_is_logged() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let template = w.template("Release readiness");
    let n = checklists::start(&w.store, &release.id, &ChecklistSource::Template(template.clone()), &w.lead, t0()).unwrap();
    assert_eq!(n, 25);
    let view = releases::view(&w.store, &release.id, today()).unwrap();
    assert_eq!(view.items.len(), 25);
    assert!(view.items.iter().all(|i| i.state == ItemState::Open && i.owner_id.is_none()));
    let sections: Vec<&str> = view.progress.sections.iter().map(|s| s.section.as_str()).collect();
    assert_eq!(sections.len(), 8);
    assert_eq!(sections[0], "Infrastructure");
    assert_eq!(view.progress.overall.total, 25);
    assert_eq!(view.progress.overall.complete, 0);
    // A second start is refused, and changes nothing.
    let again = checklists::start(&w.store, &release.id, &ChecklistSource::Template(template), &w.lead, t0());
    assert!(matches!(again, Err(ReleaseError::ChecklistExists)));
    assert_eq!(releases::view(&w.store, &release.id, today()).unwrap().items.len(), 25);
    let log = w.log(&release);
    assert_eq!(log[0].action, "checklist.started");
    assert!(log[0].summary.contains("Release readiness"), "{}", log[0].summary);
    assert_eq!(log[1].action, "release.created");
}

#[test]
fn copying_another_release_keeps_people_and_starts_open() {
    let mut w = World::new();
    let first = w.release("2.3.0");
    let item = w.add(&first, "Backups taken", true, true);
    checklists::set_item_state(&w.store, &item, ItemState::Done, "", &w.lead, t0()).unwrap();
    let second = w.release("2.4.0");
    checklists::start(&w.store, &second.id, &ChecklistSource::Release(first.id.clone()), &w.lead, t0()).unwrap();
    let copied = releases::view(&w.store, &second.id, today()).unwrap().items;
    assert_eq!(copied.len(), 1);
    assert_eq!(copied[0].title, "Backups taken");
    assert_eq!(copied[0].owner_id.as_deref(), Some(w.owner.id.as_str()));
    assert_eq!(copied[0].reviewer_id.as_deref(), Some(w.reviewer.id.as_str()));
    assert_eq!(copied[0].state, ItemState::Open);
}

#[test]
fn only_the_reviewers_sign_off_completes_an_item() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let item = w.add(&release, "All tests passed", true, true);
    let omar = w.as_person(&w.owner.clone());
    let dana = w.as_person(&w.reviewer.clone());

    // Sign-off before the owner is done: refused.
    assert!(matches!(checklists::review(&w.store, &item, true, "", &dana, t0()), Err(ReleaseError::NotFinished(_))));

    let done = checklists::set_item_state(&w.store, &item, ItemState::Done, "", &omar, t0()).unwrap();
    assert_eq!(done.status, ItemStatus::AwaitingReview);
    assert!(!done.complete);
    assert_eq!(releases::view(&w.store, &release.id, today()).unwrap().progress.overall.awaiting_review, 1);

    // The owner cannot sign off their own item.
    let refused = checklists::review(&w.store, &item, true, "", &omar, t0());
    assert!(matches!(&refused, Err(ReleaseError::NotReviewer { reviewer }) if reviewer == "Dana Auditor"), "{refused:?}");

    let signed = checklists::review(&w.store, &item, true, "", &dana, t0()).unwrap();
    assert_eq!(signed.status, ItemStatus::Done);
    assert!(signed.complete);
    assert_eq!(signed.signed_off_by.as_deref(), Some("Dana Auditor"));
    assert_eq!(releases::view(&w.store, &release.id, today()).unwrap().progress.overall.complete, 1);

    // Reopening withdraws the sign-off.
    let reopened = checklists::set_item_state(&w.store, &item, ItemState::Open, "", &omar, t0()).unwrap();
    assert!(reopened.signed_off_at.is_none());
    checklists::set_item_state(&w.store, &item, ItemState::Done, "", &omar, t0()).unwrap();
    // Sending back needs a note and reopens the item.
    assert!(matches!(checklists::review(&w.store, &item, false, " ", &dana, t0()), Err(ReleaseError::Invalid(_))));
    let back = checklists::review(&w.store, &item, false, "No link to the test run.", &dana, t0()).unwrap();
    assert_eq!(back.state, ItemState::Open);

    // Changing the reviewer withdraws a sign-off too.
    checklists::set_item_state(&w.store, &item, ItemState::Done, "", &omar, t0()).unwrap();
    checklists::review(&w.store, &item, true, "", &dana, t0()).unwrap();
    let mut draft = ItemDraft { section: "Prepare".into(), title: "All tests passed".into(), required: true, ..ItemDraft::default() };
    draft.owner_id = Some(w.owner.id.clone());
    draft.reviewer_id = Some(w.owner.id.clone());
    let changed = checklists::update_item(&w.store, &item, &draft, &w.lead, t0()).unwrap();
    assert_eq!(changed.status, ItemStatus::AwaitingReview);

    let history = audit::list(&w.store, &release.id, &AuditQuery { item_id: Some(item.clone()), ..AuditQuery::default() }).unwrap();
    let actions: Vec<&str> = history.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["item.added", "item.state", "item.signedOff", "item.state", "item.state", "item.sentBack", "item.state", "item.signedOff", "item.edited"]
    );
    assert_eq!(history[3].reason, "No link to the test run.");
    assert_eq!(history.last().unwrap().actor, "lead");
    assert!(history.iter().any(|e| e.actor == "Dana Auditor"));
}

#[test]
fn not_applicable_and_blocked_need_reasons() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let item = w.add(&release, "Reference books filled", true, false);
    for state in [ItemState::NotApplicable, ItemState::Blocked] {
        let e = checklists::set_item_state(&w.store, &item, state, "  ", &w.lead, t0());
        assert!(matches!(e, Err(ReleaseError::Invalid(f)) if f.contains_key("reason")));
    }
    let na = checklists::set_item_state(&w.store, &item, ItemState::NotApplicable, "No reference data in this release", &w.lead, t0()).unwrap();
    assert_eq!(na.status, ItemStatus::NotApplicable);
    assert!(na.complete);
    assert_eq!(na.state_reason, "No reference data in this release");
}

#[test]
fn the_gate_lets_only_complete_required_items_into_production() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let prod = w.production();

    // No checklist at all: closed.
    let empty = gate::evaluate(&w.store.reader().unwrap(), &release.id, &prod, today()).unwrap();
    assert!(!empty.allowed && !empty.passed);
    assert_eq!(empty.missing[0].title, "No readiness checklist");
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Closed, missing: 0 }));

    let tests = w.add(&release, "All tests passed", true, true);
    let backups = w.add(&release, "Backups taken", true, false);
    let content = w.add(&release, "Reference books filled", true, false);
    let _feedback = w.add(&release, "Feedback collection open", false, false);
    let omar = w.as_person(&w.owner.clone());
    let dana = w.as_person(&w.reviewer.clone());

    let report = gate::evaluate(&w.store.reader().unwrap(), &release.id, &prod, today()).unwrap();
    assert!(!report.allowed);
    let titles: Vec<&str> = report.missing.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["All tests passed", "Backups taken", "Reference books filled"], "optional items do not count");
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Closed, missing: 3 }));

    // Unprotected environments are always open.
    assert!(gate::evaluate(&w.store.reader().unwrap(), &release.id, &w.staging(), today()).unwrap().allowed);
    assert!(gate::require(&w.store, &release.id, &w.staging(), today()).is_ok());

    checklists::set_item_state(&w.store, &backups, ItemState::Done, "", &omar, t0()).unwrap();
    checklists::set_item_state(&w.store, &content, ItemState::NotApplicable, "No reference data changes", &omar, t0()).unwrap();
    checklists::set_item_state(&w.store, &tests, ItemState::Done, "", &omar, t0()).unwrap();
    // Awaiting review still blocks, and says who must sign.
    let report = gate::evaluate(&w.store.reader().unwrap(), &release.id, &prod, today()).unwrap();
    assert_eq!(report.missing.len(), 1);
    assert_eq!(report.missing[0].why, "awaiting sign-off by Dana Auditor");
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Closed, missing: 1 }));
    match gate::require(&w.store, &release.id, &prod, today()) {
        Err(ReleaseError::GateClosed(reports)) => assert_eq!(reports[0].missing[0].title, "All tests passed"),
        other => panic!("expected a closed gate, got {other:?}"),
    }
    // "Ready" needs the gate.
    releases::set_state(&w.store, &release.id, ReleaseState::Planned, "", &w.lead, t0(), today()).unwrap();
    let refused = releases::set_state(&w.store, &release.id, ReleaseState::Ready, "", &w.lead, t0(), today());
    let message = refused.unwrap_err().to_string();
    assert_eq!(
        message,
        "The production gate is closed: 1 required item is missing. See the gate on the release: complete what is missing, or record an override with a reason."
    );
    assert_eq!(releases::get(&w.store, &release.id).unwrap().state, ReleaseState::Planned);

    checklists::review(&w.store, &tests, true, "", &dana, t0()).unwrap();
    let open = gate::require(&w.store, &release.id, &prod, today()).unwrap();
    assert!(open.passed && open.allowed && open.override_.is_none());
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Open, missing: 0 }));
    releases::set_state(&w.store, &release.id, ReleaseState::Ready, "", &w.lead, t0(), today()).unwrap();
}

#[test]
fn an_override_needs_a_name_and_a_reason_and_is_audited() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let prod = w.production();
    w.add(&release, "Backups taken", true, false);
    w.add(&release, "Smoke tests passed", true, false);
    let unowned = ItemDraft { section: "Prepare".into(), title: "Runbook written".into(), required: true, ..ItemDraft::default() };
    checklists::add_item(&w.store, &release.id, &unowned, &w.lead, t0()).unwrap();

    let bad = gate::override_gate(&w.store, &release.id, &prod, "", "short", &w.lead, t0(), today());
    assert!(matches!(bad, Err(ReleaseError::Invalid(f)) if f.contains_key("decidedBy") && f.contains_key("reason")));
    let staging_id = w.staging();
    let staging = gate::override_gate(&w.store, &release.id, &staging_id, "Lena", "Staging has no gate at all", &w.lead, t0(), today());
    assert!(matches!(staging, Err(ReleaseError::Invalid(f)) if f["environment"].contains("not protected")));

    let reason = "Hotfix for invoice totals; backups run nightly, smoke tests follow the deploy.";
    let report = gate::override_gate(&w.store, &release.id, &prod, "Lena Fischer (CTO)", reason, &w.lead, t0(), today()).unwrap();
    assert!(report.allowed && !report.passed);
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Overridden, missing: 3 }));
    let o = report.override_.clone().unwrap();
    assert_eq!((o.decided_by.as_str(), o.reason.as_str(), o.missing_items), ("Lena Fischer (CTO)", reason, 3));
    assert!(gate::require(&w.store, &release.id, &prod, today()).is_ok());
    // The view shows it on the release.
    let view = releases::view(&w.store, &release.id, today()).unwrap();
    assert_eq!(view.gates.len(), 1);
    assert_eq!(view.gates[0].override_.as_ref().unwrap().decided_by, "Lena Fischer (CTO)");

    let gate_log = audit::list(&w.store, &release.id, &AuditQuery { category: Some(AuditCategory::Gate), ..AuditQuery::default() }).unwrap();
    assert_eq!(gate_log.len(), 1);
    assert_eq!(gate_log[0].reason, reason);
    assert_eq!(gate_log[0].summary, "Overrode the production gate, decided by Lena Fischer (CTO), with 3 required items missing:");
    // The missing items are listed one by one, each with why in words.
    assert_eq!(
        gate_log[0].details,
        ["“Backups taken” (open, owner Omar Developer)", "“Smoke tests passed” (open, owner Omar Developer)", "“Runbook written” (open, no owner)"]
    );
    // They can be found by their words.
    let query = AuditQuery { category: Some(AuditCategory::Gate), text: "runbook written".into(), ..AuditQuery::default() };
    let by_item = audit::list(&w.store, &release.id, &query).unwrap();
    assert_eq!(by_item.len(), 1);

    gate::withdraw_override(&w.store, &o.id, "Backups are now taken before deploys", &w.lead, t0()).unwrap();
    assert!(!gate::evaluate(&w.store.reader().unwrap(), &release.id, &prod, today()).unwrap().allowed);
    assert_eq!(w.brief(&release), Some(GateBrief { environment_name: "production".into(), state: GateState::Closed, missing: 3 }));
    // With no protected environment there is no gate to show.
    let env = environments::get(&w.store, &prod).unwrap();
    let draft = environments::EnvironmentDraft { name: env.name, url: env.url, health_url: env.health_url, colour: env.colour, protected: false };
    environments::update(&w.store, &prod, &draft, t0()).unwrap();
    assert_eq!(w.brief(&release), None);
    let found = audit::list(&w.store, &release.id, &AuditQuery { text: "withdrew".into(), ..AuditQuery::default() }).unwrap();
    assert_eq!(found.len(), 1);
}

#[test]
fn overdue_items_stand_out() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let id = w.add(&release, "Backups taken", true, false);
    let mut draft = ItemDraft { section: "Prepare".into(), title: "Backups taken".into(), required: true, ..ItemDraft::default() };
    draft.due_date = Some("2026-11-20".into());
    checklists::update_item(&w.store, &id, &draft, &w.lead, t0()).unwrap();
    let view = releases::view(&w.store, &release.id, today()).unwrap();
    assert!(view.items[0].overdue);
    assert_eq!(view.progress.overall.overdue, 1);
    // Written as the window writes days: the weekday, no year within this one.
    assert!(view.gates[0].missing[0].why.ends_with("; overdue since Fri 20 Nov"), "{}", view.gates[0].missing[0].why);
    checklists::set_item_state(&w.store, &id, ItemState::Done, "", &w.lead, t0()).unwrap();
    assert!(!releases::view(&w.store, &release.id, today()).unwrap().items[0].overdue, "done items are not overdue");
}

#[test]
fn releases_move_only_along_their_states_and_versions_are_unique() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let dup = ReleaseDraft { version: "2.4.0".into(), name: "Other".into(), ..Default::default() };
    assert!(matches!(releases::create(&w.store, &w.project.id, &dup, &w.lead, t0()), Err(ReleaseError::Invalid(f)) if f.contains_key("version")));
    let jump = releases::set_state(&w.store, &release.id, ReleaseState::Released, "", &w.lead, t0(), today());
    assert!(matches!(jump, Err(ReleaseError::BadTransition { .. })));
    releases::set_state(&w.store, &release.id, ReleaseState::Cancelled, "Merged into 2.5", &w.lead, t0(), today()).unwrap();
    let by_state = releases::list(&w.store, &w.project.id, Some(ReleaseState::Cancelled)).unwrap();
    assert_eq!(by_state.len(), 1);
    assert!(releases::list(&w.store, &w.project.id, Some(ReleaseState::Draft)).unwrap().is_empty());
    let log = w.log(&release);
    assert_eq!(log[0].summary, "Moved the release from draft to cancelled");
    assert_eq!(log[0].reason, "Merged into 2.5");
}

#[test]
fn the_audit_log_cannot_be_edited() {
    let w = World::new();
    let mut w = w;
    let release = w.release("2.4.0");
    let e = w.store.write(|tx| tx.execute("UPDATE audit_log SET actor = 'someone else' WHERE release_id = ?1", [&release.id]));
    assert!(e.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn checklists_round_trip_through_json_and_csv() {
    for format in [FileFormat::Json, FileFormat::Csv] {
        let mut w = World::new();
        let release = w.release("2.4.0");
        let a = w.add(&release, "=HYPERLINK(\"http://evil\")", true, true);
        let b = w.add(&release, "Backups taken, with \"quotes\"", false, false);
        let mut draft = ItemDraft {
            section: "Prepare".into(),
            title: "Backups taken, with \"quotes\"".into(),
            detail: "-1 day retention\nsecond line".into(),
            due_date: Some("2026-12-01".into()),
            evidence: "https://ci.example.com/runs/812".into(),
            notes: "@ops knows".into(),
            owner_id: Some(w.owner.id.clone()),
            ..ItemDraft::default()
        };
        draft.required = false;
        checklists::update_item(&w.store, &b, &draft, &w.lead, t0()).unwrap();
        checklists::set_item_state(&w.store, &a, ItemState::Blocked, "Waiting for the DBA", &w.lead, t0()).unwrap();

        let out = transfer::export_checklist(&w.store, &release.id, format, t0(), today()).unwrap();
        if format == FileFormat::Csv {
            assert!(out.contains("'=HYPERLINK"), "formula neutralized: {out}");
            assert!(out.contains("'-1 day") && out.contains("'@ops"), "{out}");
        }
        let other = w.release("2.5.0");
        let n = transfer::import_checklist(&w.store, &other.id, "x", &out, &w.lead, t0()).unwrap();
        assert_eq!(n, 2);
        let before = releases::view(&w.store, &release.id, today()).unwrap().items;
        let after = releases::view(&w.store, &other.id, today()).unwrap().items;
        for (x, y) in before.iter().zip(&after) {
            assert_eq!(
                (&x.section, &x.title, &x.detail, x.required, &x.owner_id, &x.reviewer_id, &x.due_date, x.state, &x.state_reason, &x.evidence, &x.notes),
                (&y.section, &y.title, &y.detail, y.required, &y.owner_id, &y.reviewer_id, &y.due_date, y.state, &y.state_reason, &y.evidence, &y.notes),
                "{format:?}"
            );
        }
    }
}

#[test]
fn templates_round_trip_and_bad_imports_change_nothing() {
    let w = World::new();
    let id = w.template("Delivery day");
    let original = templates::get(&w.store, &id).unwrap();
    for format in [FileFormat::Json, FileFormat::Csv] {
        let out = transfer::export_template(&w.store, &id, format, t0()).unwrap();
        let copy = transfer::import_template(&w.store, "delivery-day.csv", &out, t0()).unwrap();
        assert_eq!(copy.items, original.items, "{format:?}");
        assert!(!copy.builtin);
    }
    let names: Vec<String> = templates::list(&w.store).unwrap().into_iter().map(|t| t.name).collect();
    // JSON carries the name; CSV is named after the file. Neither takes a used name.
    assert_eq!(names[3..], ["Delivery day (2)".to_owned(), "delivery day (3)".to_owned()]);

    let md = transfer::export_template(&w.store, &id, FileFormat::Markdown, t0()).unwrap();
    assert!(md.starts_with("# Delivery day\n") && md.contains("## Verify") && md.contains("- [ ] **Smoke tests passed**"), "{md}");

    let count = templates::list(&w.store).unwrap().len();
    let cases = [
        ("section,title,required\nPrepare,Backups,maybe\n", "Line 2, column “required”"),
        ("section,title\nPrepare,\"unclosed\n", "Line"),
        ("{\"format\": \"liftoff.checklist\", \"version\": 1, \"kind\": \"template\", \"exportedAt\": \"x\", \"name\": \"T\", \"items\": [{\"section\": \"A\", \"title\": \"\"}]}", "At items[0].title"),
        ("{\"format\": \"liftoff.checklist\", \"version\": 9}", "newer Liftoff"),
        ("{\"format\": \"liftoff.project\", \"version\": 1}", "not a Liftoff checklist"),
        ("{\"format\": \"liftoff.checklist\", \"version\": 1, \"kind\": \"template\", \"exportedAt\": \"x\", \"name\": \"T\", \"items\": [{\"section\": \"A\", \"title\": \"B\", \"colour\": 1}]}", ": the field “colour” is not one Liftoff knows. Nothing was imported."),
        ("{\"format\": \"liftoff.checklist\", \"version\": 1, \"items\": [", "The file is not valid JSON (it ends too early, on line 1: the rest is missing)."),
    ];
    for (content, expected) in cases {
        let e = transfer::import_template(&w.store, "t.csv", content, t0()).unwrap_err().to_string();
        assert!(e.contains(expected), "{content}: {e}");
    }
    assert_eq!(templates::list(&w.store).unwrap().len(), count);
}

#[test]
fn checklist_files_are_read_from_their_paths_within_their_limits() {
    let mut w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("go-live_checks.csv");
    std::fs::write(&path, "section,title,required\nPrepare,Backups taken,yes\n").unwrap();
    let t = transfer::import_template_file(&w.store, &path, t0()).unwrap();
    assert_eq!((t.name.as_str(), t.items.len()), ("go live checks", 1), "named after the file");
    let release = w.release("2.4.0");
    assert_eq!(transfer::import_checklist_file(&w.store, &release.id, &path, &w.lead, t0()).unwrap(), 1);

    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge).unwrap().set_len(6 * 1024 * 1024).unwrap();
    let e = transfer::import_checklist_file(&w.store, &release.id, &huge, &w.lead, t0()).unwrap_err().to_string();
    assert_eq!(e, "The file is 6.0 MB; a checklist file is at most 5 MB. Pick the right file, or split it.");
    assert_eq!(releases::view(&w.store, &release.id, today()).unwrap().items.len(), 1);
}

#[test]
fn a_checklist_import_with_an_unknown_person_writes_nothing() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let csv = "section,title,owner\nPrepare,Backups taken,omar@example.com\nPrepare,Smoke tests,nobody@example.com\n";
    let e = transfer::import_checklist(&w.store, &release.id, "c.csv", csv, &w.lead, t0()).unwrap_err().to_string();
    assert!(e.starts_with("Line 3, column “owner”: nobody in this project has the address or name “nobody@example.com”"), "{e}");
    assert!(releases::view(&w.store, &release.id, today()).unwrap().items.is_empty());
    assert_eq!(w.log(&release).len(), 1, "only the release's creation is logged");
    let ok = "section,title,owner,state,reason\nPrepare,Backups taken,OMAR@example.com,not applicable,Nightly backups cover it\n";
    transfer::import_checklist(&w.store, &release.id, "c.csv", ok, &w.lead, t0()).unwrap();
    let items = releases::view(&w.store, &release.id, today()).unwrap().items;
    assert_eq!(items[0].owner_name.as_deref(), Some("Omar Developer"));
    assert_eq!(items[0].state, ItemState::NotApplicable);
}

#[test]
fn markdown_export_reads_as_a_ticket() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let a = w.add(&release, "All tests passed", true, true);
    w.add(&release, "Backups taken", true, false);
    checklists::set_item_state(&w.store, &a, ItemState::Done, "", &w.lead, t0()).unwrap();
    let dana = w.as_person(&w.reviewer.clone());
    checklists::review(&w.store, &a, true, "", &dana, t0()).unwrap();
    let md = transfer::export_checklist(&w.store, &release.id, FileFormat::Markdown, t0(), today()).unwrap();
    assert!(md.starts_with("# Release 2.4.0 – Tax engine switch\n"), "{md}");
    assert!(md.contains("Progress: 1 of 2 complete (50%)"), "{md}");
    assert!(md.contains("## Prepare (1/2)"), "{md}");
    assert!(md.contains("- [x] **All tests passed** – done, signed off by Dana Auditor on 2026-11-22, owner Omar Developer, reviewer Dana Auditor"), "{md}");
    assert!(md.contains("- [ ] **Backups taken** – open, owner Omar Developer"), "{md}");
}

#[test]
fn builtin_templates_can_be_edited_and_reset_but_not_deleted() {
    let w = World::new();
    let id = w.template("Release readiness");
    let draft = TemplateDraft {
        name: "Our readiness".into(),
        description: "Trimmed".into(),
        items: vec![TemplateItem { section: "Infrastructure".into(), title: "Monitoring".into(), detail: String::new(), required: true }],
    };
    let edited = templates::update(&w.store, &id, &draft, t0()).unwrap();
    assert_eq!(edited.items.len(), 1);
    assert!(templates::delete(&w.store, &id).is_err());
    let reset = templates::reset_builtin(&w.store, &id, t0()).unwrap();
    assert_eq!(reset.name, "Release readiness");
    assert_eq!(reset.items.len(), 25);
    let mine = templates::create(&w.store, &TemplateDraft { name: "Mine".into(), ..draft }, t0()).unwrap();
    templates::delete(&w.store, &mine.id).unwrap();
    assert!(templates::get(&w.store, &mine.id).is_err());
}

#[test]
fn the_sample_project_shows_a_release_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let project = liftoff_core::sample::open_sample_project(&store, t0()).unwrap();
    assert_eq!(people::list(&store, &project.id).unwrap().len(), 4);
    let list = releases::list(&store, &project.id, None).unwrap();
    assert_eq!(list.len(), 3, "2.4.0 under way, 2.3.1 released before it, and the hotfix of the year's history");
    assert_eq!(list.iter().filter(|r| r.release.name == "Tax line fix" && r.release.state == ReleaseState::Released).count(), 1);
    let old = list.iter().find(|r| r.release.version == "2.3.1").unwrap();
    assert_eq!(old.release.state, ReleaseState::Released);
    let current = list.iter().find(|r| r.release.version == "2.4.0").unwrap();
    assert_eq!((current.items, current.complete), (25, 2));
    let view = releases::view(&store, &current.release.id, today()).unwrap();
    assert_eq!(view.release.state, ReleaseState::Planned);
    assert_eq!(view.progress.overall.awaiting_review, 1);
    assert_eq!(view.progress.overall.overdue, 1);
    assert!(!view.gates[0].allowed);
    // It is planned on the timeline, with freezes and a load history around it.
    assert!(view.release.window_start.is_some());
    assert_eq!(liftoff_core::planning::windows::list(&store, &project.id).unwrap().len(), 3);
    assert_eq!(liftoff_core::planning::profile::summary(&store, &project.id).unwrap().samples, 28 * 96);
    // Every stage deploys with the demo script, and runs 2.3.1 now.
    let status = liftoff_core::deploy::runs::status(&store, &project.id).unwrap();
    assert_eq!(status.len(), 3);
    for env in &status {
        assert!(env.has_target, "{} has the demo target", env.environment.name);
        assert_eq!(env.current.as_ref().unwrap().version, "2.3.1");
    }
    let script = dir.path().join("demo").join("deploy-demo.sh");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o111 != 0, "the demo script is executable");
    }
}

#[test]
fn only_people_of_the_project_can_act_and_huge_files_are_refused() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let other = projects::create(&w.store, &ProjectDraft { name: "Other".into(), time_zone: "UTC".into(), ..Default::default() }, t0()).unwrap();
    let stranger = PersonDraft {
        name: "Stranger".into(),
        email: "s@example.com".into(),
        role: Role::Reviewer,
        time_zone: "UTC".into(),
        work_start: "09:00".into(),
        work_end: "17:00".into(),
        work_days: [true; 7],
    };
    let stranger = people::create(&w.store, &other.id, &stranger, t0()).unwrap();
    let e = Actor::for_release(&w.store.reader().unwrap(), &release.id, Some(&stranger.id), "lead");
    assert!(matches!(e, Err(liftoff_core::audit::AuditError::UnknownActor)));
    let me = Actor::for_release(&w.store.reader().unwrap(), &release.id, None, "dana").unwrap();
    assert_eq!(me, Actor { person_id: None, name: "dana".into() });

    let huge = format!("section,title\n{}", "Prepare,Backups taken\n".repeat(300_000));
    let e = transfer::import_checklist(&w.store, &release.id, "huge.csv", &huge, &w.lead, t0()).unwrap_err().to_string();
    assert!(e.contains("at most 5 MB"), "{e}");
    let many = format!("section,title\n{}", "Prepare,Backups taken\n".repeat(1001));
    let e = transfer::import_checklist(&w.store, &release.id, "many.csv", &many, &w.lead, t0()).unwrap_err().to_string();
    assert!(e.contains("at most 1000"), "{e}");
    assert!(releases::view(&w.store, &release.id, today()).unwrap().items.is_empty());
}

#[test]
fn a_sign_off_covers_what_was_reviewed_and_reviewers_cannot_vanish() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let item = w.add(&release, "All tests passed", true, true);
    let dana = w.as_person(&w.reviewer.clone());
    checklists::set_item_state(&w.store, &item, ItemState::Done, "", &w.lead, t0()).unwrap();

    // A reviewer with a review pending cannot be removed from the project.
    let e = people::delete(&w.store, &w.reviewer.id.clone());
    assert!(matches!(&e, Err(people::PersonError::StillReviewing { count: 1, .. })), "{e:?}");

    checklists::review(&w.store, &item, true, "", &dana, t0()).unwrap();
    // Marking it done again with a note changes nothing, sign-off included.
    let same = checklists::set_item_state(&w.store, &item, ItemState::Done, "again", &w.lead, t0()).unwrap();
    assert!(same.complete);

    // New evidence needs a new sign-off.
    let mut draft = releases::view(&w.store, &release.id, today()).unwrap().items[0].clone();
    draft.evidence = "https://ci.example.com/runs/813".into();
    let d = ItemDraft {
        section: draft.section,
        title: draft.title,
        detail: draft.detail,
        required: draft.required,
        owner_id: draft.owner_id,
        reviewer_id: draft.reviewer_id,
        due_date: draft.due_date,
        evidence: draft.evidence,
        notes: draft.notes,
    };
    let edited = checklists::update_item(&w.store, &item, &d, &w.lead, t0()).unwrap();
    assert_eq!(edited.status, ItemStatus::AwaitingReview);
    let last = &w.log(&release)[0];
    assert!(last.summary.ends_with("the sign-off was withdrawn"), "{}", last.summary);

    // Once signed off, the reviewer may leave; the item stays complete.
    checklists::review(&w.store, &item, true, "", &dana, t0()).unwrap();
    people::delete(&w.store, &w.reviewer.id.clone()).unwrap();
    assert!(releases::view(&w.store, &release.id, today()).unwrap().items[0].complete);
}

#[test]
fn deploying_asks_the_gate_again() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let item = w.add(&release, "Backups taken", true, false);
    checklists::set_item_state(&w.store, &item, ItemState::Done, "", &w.lead, t0()).unwrap();
    for to in [ReleaseState::Planned, ReleaseState::Ready] {
        releases::set_state(&w.store, &release.id, to, "", &w.lead, t0(), today()).unwrap();
    }
    checklists::set_item_state(&w.store, &item, ItemState::Open, "", &w.lead, t0()).unwrap();
    let e = releases::set_state(&w.store, &release.id, ReleaseState::Deploying, "", &w.lead, t0(), today());
    assert!(matches!(e, Err(ReleaseError::GateClosed(_))));
    let e = gate::withdraw_override(&w.store, "no-such-override", "", &w.lead, t0()).unwrap_err().to_string();
    assert!(e.starts_with("That override was already withdrawn"), "{e}");
}

#[test]
fn editing_a_release_logs_what_changed() {
    let mut w = World::new();
    let release = w.release("2.4.0");
    let draft = ReleaseDraft { version: "2.4.1".into(), name: "Tax engine switch".into(), scope: "Invoices".into(), target_date: None };
    let edited = liftoff_core::announce::update_release(&w.store, &release.id, &draft, &w.lead, t0()).unwrap();
    assert_eq!((edited.version.as_str(), edited.target_date.as_deref()), ("2.4.1", None));
    assert_eq!(w.log(&release)[0].summary, "Edited version 2.4.0 → 2.4.1; target date 2026-12-03 → none");
    // Saving it unchanged writes nothing.
    liftoff_core::announce::update_release(&w.store, &release.id, &draft, &w.lead, t0()).unwrap();
    assert_eq!(w.log(&release).len(), 2);
}
