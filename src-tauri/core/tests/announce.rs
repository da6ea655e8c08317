//! Announcements end to end in the core: change items from a real git
//! repository, drafts rendered from templates, approval withdrawn by an
//! edit, the rule that nothing goes out before production is verified (with
//! real deploys by the engine), the .eml read back by an independent parser,
//! and the correction drafted after a rollback.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use liftoff_core::announce::drafts::{self, Approval};
use liftoff_core::announce::items::{self, ItemEdit};
use liftoff_core::announce::mail::Security;
use liftoff_core::announce::sends::{self, ExportFormat};
use liftoff_core::announce::settings::{self, AnnounceSettings, EmailSender, MailServer, Support};
use liftoff_core::announce::{self, AnnounceError, Audience, Category, Channel};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::engine::{self, Timing};
use liftoff_core::deploy::target::{self, CommandSpec, TargetKind, TargetSettings};
use liftoff_core::deploy::{DeployRequest, RunState};
use liftoff_core::environments;
use liftoff_core::people::{self, PersonDraft, Role};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft, ReleaseState};
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

#[path = "support/python.rs"]
mod support_python;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Ada Dev", "-c", "user.email=ada@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["commit", "--allow-empty", "-q", "-m", message]);
}

/// A repository with v2.3.1, then four commits (one a breaking change, one
/// carrying a script tag), tagged v2.4.0.
fn repository(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    commit(dir, "feat: first release");
    git(dir, &["tag", "v2.3.1"]);
    commit(dir, "feat(export): export invoices as PDF");
    commit(dir, "fix: totals round half up (#41)");
    commit(dir, "feat(api)!: remove the v1 invoices endpoint");
    commit(dir, "feat: warn about <script>alert(1)</script> in names");
    commit(dir, "chore: bump dependencies");
    git(dir, &["tag", "v2.4.0"]);
}

fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

fn keychain() -> Keychain {
    Keychain::with_entries(|_| Err(keyring::Error::NoEntry))
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    project: Project,
    release: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        repository(&repo);
        let store = Arc::new(Store::open_or_recover(&dir.path().join("data"), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Billing".into(), description: String::new(), repository: repo.display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let release = releases::create(
            &store,
            &project.id,
            &ReleaseDraft { version: "2.4.0".into(), name: "Invoices".into(), scope: String::new(), target_date: None },
            &lead(),
            Utc::now(),
        )
        .unwrap()
        .id;
        Fixture { _dir: dir, store, project, release }
    }

    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn person(&self, name: &str) -> Actor {
        let draft = PersonDraft {
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase()),
            role: Role::Reviewer,
            time_zone: "UTC".into(),
            work_start: "09:00".into(),
            work_end: "17:00".into(),
            work_days: [true, true, true, true, true, false, false],
        };
        let p = people::create(&self.store, &self.project.id, &draft, Utc::now()).unwrap();
        Actor { person_id: Some(p.id), name: p.name }
    }

    fn audit_actions(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.store.db_path()).unwrap();
        let mut stmt = conn.prepare("SELECT action FROM audit_log WHERE project_id = ?1 ORDER BY id").unwrap();
        stmt.query_map([&self.project.id], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        rusqlite::Connection::open(self.store.db_path()).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Deploys the release to staging and production with the engine (a
    /// real child process), the gate overridden as a lead would.
    async fn deploy_to_production(&self) {
        let settings = TargetSettings {
            kind: TargetKind::LocalCommand,
            command: CommandSpec { program: "true".into(), args: Vec::new(), through_shell: false, timeout_secs: 30 },
            working_dir: std::env::temp_dir().display().to_string(),
            env: Vec::new(),
            credentials: Vec::new(),
            before: Vec::new(),
            after: Vec::new(),
            smoke: Vec::new(),
            rollback_on_failure: false,
            leave_background: false,
            blue_green: None,
            remote: None,
            calls_deploy_system: false,
            acceptance_tests: Vec::new(),
        };
        for env in ["staging", "production"] {
            target::set(&self.store, &self.env(env), &settings, Utc::now()).unwrap();
        }
        releases::gate::override_gate(&self.store, &self.release, &self.env("production"), "Lena", "Checked by hand.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
        for env in ["staging", "production"] {
            let req = DeployRequest {
                environment_id: self.env(env),
                release_id: Some(self.release.clone()),
                version: "2.4.0".into(),
                build_ref: String::new(),
                decisions: Vec::new(),
                accept_warnings: true,
            };
            let job = engine::start(&self.store, &keychain(), &req, &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
            let timing = Timing { grace: Duration::from_millis(300), drain: Duration::from_millis(200), flush_every: Duration::from_millis(50), ..Timing::default() };
            let runs = engine::execute_with_rollback(self.store.clone(), &keychain(), job, CancellationToken::new(), timing, &mut |_| {}, &mut |_| {}).await;
            assert_eq!(runs[0].state, RunState::Succeeded, "{env}: {}", runs[0].outcome);
        }
    }
}

#[test]
fn change_items_come_from_git_and_the_leads_edits_survive_a_new_read() {
    let f = Fixture::new();
    let report = announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    assert_eq!(report.from_ref.as_deref(), Some("v2.3.1"), "the tag before the release's own");
    assert_eq!(report.to_ref, "v2.4.0", "the version resolves to its tag");
    assert_eq!(report.commits, 5);
    let list = report.list;
    let by_text = |t: &str| list.items.iter().find(|i| i.text.contains(t)).unwrap_or_else(|| panic!("no item with {t}: {:?}", list.items)).clone();
    let breaking = by_text("v1 invoices endpoint");
    assert_eq!(breaking.category, Category::Breaking);
    assert!(breaking.breaking && breaking.audiences.contains(&Audience::Developers));
    let fix = by_text("Totals round half up");
    assert_eq!((fix.category, fix.pr), (Category::Fixed, Some(41)));
    assert_eq!(fix.author, "Ada Dev");
    assert!(!by_text("Bump dependencies").included, "chores are left out by default");

    // The lead rewrites one and adds one by hand; a new read keeps both.
    let edit = ItemEdit { text: "Invoices can be downloaded as PDF".into(), category: Category::New, audiences: vec![Audience::EndUsers], included: true };
    let pdf = by_text("Export invoices as PDF");
    announce::update_item(&f.store, &pdf.id, &edit, &lead(), Utc::now()).unwrap();
    let manual = ItemEdit { text: "New help pages for billing".into(), category: Category::Improved, audiences: vec![Audience::EndUsers], included: true };
    announce::add_item(&f.store, &f.release, &manual, &lead(), Utc::now()).unwrap();
    let again = announce::read_changes(&f.store, &f.release, Some("v2.3.1"), Some("2.4.0"), &lead(), Utc::now()).unwrap();
    assert_eq!((again.added, again.kept, again.removed), (0, 1, 0));
    let texts: Vec<String> = again.list.items.iter().map(|i| i.text.clone()).collect();
    assert!(texts.contains(&"Invoices can be downloaded as PDF".to_owned()), "{texts:?}");
    assert_eq!(texts.last().map(String::as_str), Some("New help pages for billing"), "items added by hand follow the commits");

    // Bad input: a tag that does not exist names the ones that do, and
    // changes nothing.
    let err = announce::read_changes(&f.store, &f.release, Some("v9.9"), None, &lead(), Utc::now()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("v9.9") && message.contains("v2.3.1"), "{message}");
    assert_eq!(items::list(&f.store, &f.release).unwrap().items.len(), 6);
    // A project without a repository folder says where to set it.
    announce::update_project(
        &f.store,
        &f.project.id,
        &ProjectDraft { name: "Billing".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() },
        &lead(),
        Utc::now(),
    )
    .unwrap();
    assert!(matches!(announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()), Err(AnnounceError::NoRepository)));
}

#[test]
fn a_draft_renders_sanitized_and_a_template_error_names_its_line() {
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert!(view.error.is_none(), "{:?}", view.error);
    let rendered = view.rendered.unwrap();
    let html = rendered.email_html(false);
    assert!(html.contains("2.4.0") && html.contains("PDF"), "the items reach the email");
    assert!(!html.contains("<script"), "a script in a commit never reaches the HTML");
    assert!(view.warnings.iter().any(|w| w.contains("help")), "no help or feedback link: {:?}", view.warnings);
    assert_eq!(view.approval, Approval::Waiting);

    let mut parts = draft.parts.clone();
    parts.insert("body".into(), "Hello\n\n{{ relase.version }}".into());
    drafts::update_parts(&f.store, &draft.id, &parts, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let error = view.error.unwrap();
    assert!(error.contains("line 3") && error.contains("relase"), "{error}");
    // The preview shows the error's draft nothing half-rendered.
    assert!(drafts::preview(&f.store, &draft.id, false).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_goes_out_before_production_is_verified_and_a_rollback_drafts_a_correction() {
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let support = Support { helpdesk: "https://help.example.com".into(), feedback: "https://example.com/feedback".into(), ..Support::default() };
    let smtp = MailServer { host: "localhost".into(), port: 2525, security: Security::Plain, username: String::new() };
    let sender = EmailSender { name: "Billing Team – Ärger-frei".into(), address: "news@example.com".into() };
    announce::set_settings(&f.store, &f.project.id, &AnnounceSettings { support, sender, smtp: Some(smtp), ..AnnounceSettings::default() }, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let mut parts = draft.parts.clone();
    parts.insert("subject".into(), "Neu in {{ release.version }}: Rechnungen als PDF".into());
    drafts::update_parts(&f.store, &draft.id, &parts, &lead(), Utc::now()).unwrap();

    // Approval: only the reviewer, and an edit afterwards withdraws it.
    let rita = f.person("Rita");
    drafts::set_reviewer(&f.store, &draft.id, rita.person_id.as_deref(), &lead(), Utc::now()).unwrap();
    assert!(matches!(drafts::approve(&f.store, &draft.id, &lead(), Utc::now()), Err(AnnounceError::NotReviewer { .. })));
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    assert_eq!(drafts::view(&f.store, &draft.id).unwrap().approval, Approval::Approved);
    let item = items::list(&f.store, &f.release).unwrap().items.into_iter().find(|i| i.included && i.audiences.contains(&Audience::EndUsers)).unwrap();
    let edit = ItemEdit { text: "Totals are now exact".into(), category: item.category, audiences: item.audiences.clone(), included: true };
    announce::update_item(&f.store, &item.id, &edit, &lead(), Utc::now()).unwrap();
    assert_eq!(drafts::view(&f.store, &draft.id).unwrap().approval, Approval::Withdrawn, "what it says changed");
    assert!(matches!(sends::export(&f.store, &draft.id, ExportFormat::Eml, &lead(), Utc::now()), Err(AnnounceError::NotApproved(_))));
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();

    // Approved, but 2.4.0 is not on production: refused, nothing recorded.
    let err = sends::export(&f.store, &draft.id, ExportFormat::Eml, &lead(), Utc::now()).unwrap_err();
    assert!(matches!(err, AnnounceError::NotVerified(_)), "{err}");
    assert!(err.to_string().contains("not verified on production"), "{err}");
    assert_eq!(f.count("SELECT COUNT(*) FROM announce_sends"), 0);

    f.deploy_to_production().await;
    assert_eq!(releases::get(&f.store, &f.release).unwrap().state, ReleaseState::Verified);
    assert!(announce::gate::gate(&f.store, &f.release).unwrap().verified);
    let export = sends::export(&f.store, &draft.id, ExportFormat::Eml, &lead(), Utc::now()).unwrap();
    assert_eq!(export.file_name, "release-2.4.0.eml");

    // The .eml as an independent parser reads it.
    let message = mail_parser::MessageParser::default().parse(&export.bytes).expect("the .eml parses");
    assert_eq!(message.subject(), Some("Neu in 2.4.0: Rechnungen als PDF"));
    let from = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.name(), Some("Billing Team – Ärger-frei"));
    assert_eq!(from.address(), Some("news@example.com"));
    assert!(message.message_id().is_some() && message.date().is_some());
    assert!(message.body_text(0).unwrap().contains("Totals are now exact"));
    let html = message.body_html(0).unwrap();
    assert!(html.contains("Totals are now exact") && html.contains("style=") && !html.contains("<script"));
    assert!(html.contains("https://help.example.com"), "the support block is in the built-in email");

    // Going out made the verified release "released", in the audit log too.
    assert_eq!(releases::get(&f.store, &f.release).unwrap().state, ReleaseState::Released);
    let actions = f.audit_actions();
    for a in ["announcement.changesRead", "announcement.approvalWithdrawn", "announcement.approved", "announcement.exported"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }

    // A send the app never finished (it stopped mid-way) blocks another
    // until start-up marks it stopped; then a resume takes the rest.
    let mut with_list = settings::get(&f.store, &f.project.id).unwrap();
    with_list.recipients = vec![settings::AudienceRecipients { audience: Audience::EndUsers, text: "ann@example.com\nbo@example.com".into() }];
    announce::set_settings(&f.store, &f.project.id, &with_list, &lead(), Utc::now()).unwrap();
    let first = sends::start(&f.store, &draft.id, sends::SendKind::Audience, false, &lead(), Utc::now()).unwrap();
    assert_eq!(first.total, 2);
    assert!(matches!(sends::start(&f.store, &draft.id, sends::SendKind::Audience, false, &lead(), Utc::now()), Err(AnnounceError::AlreadySending)));
    assert_eq!(sends::recover_interrupted(&f.store, Utc::now()).unwrap(), 1);
    let resumed = sends::start(&f.store, &draft.id, sends::SendKind::Audience, false, &lead(), Utc::now()).unwrap();
    assert_eq!(resumed.total, 2, "nobody was reached, so both are still to send");
    assert_eq!(sends::get(&f.store, &first.id).unwrap().pending, 0, "the stopped send hands its untried addresses over");

    // Rolled back after it went out: a correction for the same audience.
    announce::set_release_state(&f.store, &f.release, ReleaseState::RolledBack, "The PDF export broke.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let list = drafts::list(&f.store, &f.release).unwrap();
    let correction = list.iter().find(|(d, _)| d.correction).map(|(d, _)| d.clone()).expect("a correction was drafted");
    assert_eq!((correction.channel, correction.audience), (Channel::Email, Audience::EndUsers));
    let view = drafts::view(&f.store, &correction.id).unwrap();
    assert!(view.error.is_none(), "{:?}", view.error);
    assert!(view.gate.allowed, "{}", view.gate.reason);
    assert!(view.rendered.unwrap().text_of("subject").contains("2.4.0"));
    assert!(!announce::gate::gate(&f.store, &f.release).unwrap().allowed, "the rolled-back release itself may not be announced again");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_override_and_verified_hold_only_while_the_release_runs_on_production() {
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    // The announcement override follows the deploy gate's rule.
    assert!(matches!(announce::gate::override_gate(&f.store, &f.release, "L", "x", &lead(), Utc::now()), Err(AnnounceError::Invalid(_))));
    let gate = announce::gate::override_gate(&f.store, &f.release, "Dana Okafor (CTO)", "Customers were promised the PDF export today.", &lead(), Utc::now()).unwrap();
    assert!(gate.allowed && !gate.verified);
    // A copy of a draft may reach users: it is recorded.
    let draft = drafts::create(&f.store, &f.release, Channel::InApp, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let copied = sends::copy_text(&f.store, &draft.id, "markdown", &lead(), Utc::now()).unwrap();
    assert!(!copied.is_empty());
    assert_eq!(f.count("SELECT COUNT(*) FROM announce_sends WHERE kind = 'export' AND subject = 'copied as Markdown'"), 1);

    f.deploy_to_production().await;
    assert!(announce::gate::gate(&f.store, &f.release).unwrap().verified);

    // An older version deployed to production over it: 2.4.0 no longer runs
    // there, so it is not verified, the override no longer stands, and
    // whoever may have heard (the copy) gets a correction draft.
    let older = releases::create(&f.store, &f.project.id, &ReleaseDraft { version: "2.3.9".into(), name: "Back".into(), scope: String::new(), target_date: None }, &lead(), Utc::now())
        .unwrap()
        .id;
    releases::gate::override_gate(&f.store, &older, &f.env("production"), "Lena", "Going back to the last good build.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    for env in ["staging", "production"] {
        let req = DeployRequest { environment_id: f.env(env), release_id: Some(older.clone()), version: "2.3.9".into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true };
        let job = engine::start(&f.store, &keychain(), &req, &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
        let timing = Timing { grace: Duration::from_millis(300), drain: Duration::from_millis(200), flush_every: Duration::from_millis(50), ..Timing::default() };
        let run = engine::execute(f.store.clone(), job, CancellationToken::new(), timing, &mut |_| {}).await;
        assert_eq!(run.state, RunState::Succeeded, "{env}: {}", run.outcome);
    }
    assert_eq!(releases::get(&f.store, &f.release).unwrap().state, ReleaseState::RolledBack);
    let gate = announce::gate::gate(&f.store, &f.release).unwrap();
    assert!(!gate.allowed && !gate.verified, "{}", gate.reason);
    assert_eq!(f.count("SELECT COUNT(*) FROM announce_overrides"), 0, "the override was voided");
    assert!(f.audit_actions().contains(&"announcement.overrideVoided".to_owned()));
    let list = drafts::list(&f.store, &f.release).unwrap();
    assert!(list.iter().any(|(d, _)| d.correction && d.channel == Channel::InApp), "a correction for the copied channel");
    // Production offers no "roll back" to the release it rolled back.
    match engine::rollback_request(&f.store, &f.env("production")) {
        Ok((req, _, _)) => assert_ne!(req.version, "2.4.0", "a rolled-back release is no rollback target"),
        Err(e) => assert!(e.to_string().contains("Nothing to roll back to"), "{e}"),
    }
}

/// The release-notes feed of hostile commits, as feedparser (a feed
/// reader's parser) reads it: well-formed, and the text as written.
#[test]
fn the_feed_of_hostile_commits_passes_a_feed_parser() {
    use liftoff_core::announce::render::{self, FeedEntry};
    let hostile = "Bell \u{7} escape \u{1b}[31m </title><script>alert(1)</script> & [link](javascript:x) \u{202E}rtl";
    let entry = FeedEntry {
        version: "2.4.0".into(),
        title: hostile.into(),
        html: format!("<ul><li>{}</li></ul>", render::xml_text(hostile).replace('&', "&amp;").replace('<', "&lt;")),
        published: "2026-12-01T09:00:00Z".into(),
        link: "https://example.com/releases/2.4.0".into(),
    };
    let xml = render::atom_feed("Billing \u{1f}", "https://example.com/releases.atom", &[entry]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.atom");
    std::fs::write(&path, &xml).unwrap();
    let script = "import feedparser, json, sys\nd = feedparser.parse(sys.argv[1])\nprint(json.dumps({'bozo': d.bozo, 'error': str(d.get('bozo_exception', '')), 'title': d.entries[0].title if d.entries else None, 'n': len(d.entries)}))";
    let out = Command::new(support_python::python()).args(["-c", script]).arg(&path).output().expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["bozo"] == serde_json::json!(false) || report["bozo"] == serde_json::json!(0), "{report} for {xml}");
    assert_eq!(report["n"], 1);
    assert!(report["title"].as_str().unwrap().contains("</title><script>alert(1)</script>"), "the title is text: {report}");
}

#[test]
fn a_recipients_file_is_read_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    std::fs::write(&path, "name,email\nAnn,ann@example.com\n").unwrap();
    assert_eq!(settings::read_recipients_file(&path).unwrap(), "name,email\nAnn,ann@example.com\n");
    let huge = dir.path().join("everyone.csv");
    std::fs::File::create(&huge).unwrap().set_len(5 * 1024 * 1024).unwrap();
    assert_eq!(settings::read_recipients_file(&huge).unwrap_err().to_string(), "This list is larger than 4 MB. Split the audience.");
}

/// The lead's words: the draft in pieces, one rewritten, a new read and an
/// item left out, the page's word when the template would now write a piece
/// otherwise, and the approval through it all.
#[test]
fn the_lead_edits_words_not_template_code_and_a_new_read_keeps_them() {
    use liftoff_core::announce::words::{PieceKind, WordsEdit};
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let sender = EmailSender { name: "Billing".into(), address: "news@example.com".into() };
    announce::set_settings(&f.store, &f.project.id, &AnnounceSettings { sender, ..AnnounceSettings::default() }, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let body = view.words.iter().find(|w| w.part == "body").unwrap();
    let kinds: Vec<PieceKind> = body.pieces.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [PieceKind::Words, PieceKind::Changes, PieceKind::Words], "words, the list of items, words");
    assert_eq!(body.pieces[0].text, "Hello,\n\nBilling 2.4.0 (Invoices) is now available. Here is what changed.");
    assert!(!body.pieces[0].text.contains("{%") && !body.pieces[2].text.contains("{%"), "words, not template code");
    assert_eq!(view.items.len() as u32, view.item_count, "the items the draft lists, to edit in place");
    let preheader = view.words.iter().find(|w| w.part == "preheader").unwrap();
    assert_eq!(preheader.pieces[0].text, format!("Billing 2.4.0 is now available with {} changes.", view.item_count));

    // The lead rewrites the opening and the preheader; the reviewer approves.
    let edits = vec![
        WordsEdit { part: "body".into(), piece: 0, text: "Hi,\n\nInvoices come as **PDF** now, and {{ braces }} stay braces.".into() },
        WordsEdit { part: "preheader".into(), piece: 0, text: "Four changes, one of them PDFs.".into() },
    ];
    drafts::set_words(&f.store, &draft.id, &edits, &lead(), Utc::now()).unwrap();
    let rita = f.person("Rita");
    drafts::set_reviewer(&f.store, &draft.id, rita.person_id.as_deref(), &lead(), Utc::now()).unwrap();
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let rendered = view.rendered.clone().unwrap();
    let text = rendered.text_of_body();
    assert!(text.starts_with("Hi,\n\nInvoices come as PDF now, and {{ braces }} stay braces."), "{text}");
    assert!(rendered.main_html().contains("<strong>PDF</strong>"));
    assert!(text.contains("Totals round half up"), "the list is still the items: {text}");
    let body = view.words.iter().find(|w| w.part == "body").unwrap();
    assert!(body.pieces[0].own && !body.pieces[2].own);
    assert_eq!(body.pieces[0].template_now, None);

    // A new read from git: the words stay, the list is the items.
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.approval, Approval::Approved, "nothing the draft says changed");
    assert!(view.rendered.as_ref().unwrap().text_of_body().starts_with("Hi,\n\nInvoices come as PDF now"));

    // An item left out: the list follows and the opening stays as written;
    // the preheader the lead wrote counted the items, and the template would
    // now write it otherwise: the page says so.
    let totals = view.items.iter().find(|i| i.text.contains("Totals")).unwrap().clone();
    let edit = ItemEdit { text: totals.text.clone(), category: totals.category, audiences: totals.audiences.clone(), included: false };
    announce::update_item(&f.store, &totals.id, &edit, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.approval, Approval::Withdrawn, "the list changed");
    let text = view.rendered.as_ref().unwrap().text_of_body();
    assert!(!text.contains("Totals round half up") && text.starts_with("Hi,\n\nInvoices come as PDF now"), "{text}");
    let body = view.words.iter().find(|w| w.part == "body").unwrap();
    assert_eq!(body.pieces[0].template_now, None, "the opening does not depend on the items");
    let preheader = view.words.iter().find(|w| w.part == "preheader").unwrap();
    assert_eq!(preheader.pieces[0].text, "Four changes, one of them PDFs.", "the lead's words are kept");
    let now_says = format!("Billing 2.4.0 is now available with {} changes.", view.item_count);
    assert_eq!(preheader.pieces[0].template_now.as_deref(), Some(now_says.as_str()));

    // Keeping the words changes nothing the draft says: an approval stands.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    drafts::keep_words(&f.store, &draft.id, "preheader", 0, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.approval, Approval::Approved);
    assert_eq!(view.words.iter().find(|w| w.part == "preheader").unwrap().pieces[0].template_now, None);
    // Taking the template's words again does change it.
    drafts::use_template_words(&f.store, &draft.id, "preheader", 0, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.approval, Approval::Withdrawn, "an edit of the draft asks for a new approval");
    let preheader = view.words.iter().find(|w| w.part == "preheader").unwrap();
    assert_eq!((preheader.pieces[0].text.as_str(), preheader.pieces[0].own), (now_says.as_str(), false));
    // Words written back to what the template writes follow it again.
    let opening = drafts::view(&f.store, &draft.id).unwrap();
    let original = "Hello,\n\nBilling 2.4.0 (Invoices) is now available. Here is what changed.";
    drafts::set_words(&f.store, &draft.id, &[WordsEdit { part: "body".into(), piece: 0, text: original.into() }], &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert!(!view.words.iter().find(|w| w.part == "body").unwrap().pieces[0].own, "{:?}", opening.words);
    assert_eq!(f.count("SELECT COUNT(*) FROM announcements WHERE words <> '{}'"), 0, "no record of words left");
    let actions = f.audit_actions();
    assert!(actions.contains(&"announcement.wordsKept".to_owned()), "{actions:?}");

    // A piece that is not words, or no longer there, is refused with what to do.
    let err = drafts::set_words(&f.store, &draft.id, &[WordsEdit { part: "body".into(), piece: 1, text: "x".into() }], &lead(), Utc::now()).unwrap_err();
    assert!(err.to_string().contains("reload the draft"), "{err}");
}

fn in_days(days: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

fn date_words(iso: &str) -> String {
    liftoff_core::announce::render::date_in_words(iso)
}

/// A release still to come reads as coming on its date, in words; once it
/// runs verified on production it reads as available, and its approval
/// stands through that.
#[tokio::test(flavor = "multi_thread")]
async fn the_wording_follows_the_release_and_its_coming_out_withdraws_no_approval() {
    let f = Fixture::new();
    let date = in_days(20);
    announce::update_release(
        &f.store,
        &f.release,
        &ReleaseDraft { version: "2.4.0".into(), name: "Invoices".into(), scope: String::new(), target_date: Some(date.clone()) },
        &lead(),
        Utc::now(),
    )
    .unwrap();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let sender = EmailSender { name: "Billing".into(), address: "news@example.com".into() };
    announce::set_settings(&f.store, &f.project.id, &AnnounceSettings { sender, ..AnnounceSettings::default() }, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let notes = drafts::create(&f.store, &f.release, Channel::ReleaseNotes, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let text = view.rendered.as_ref().unwrap().text_of_body();
    let words = date_words(&date);
    assert!(text.contains(&format!("Billing 2.4.0 (Invoices) will be available on {words}.")), "{text}");
    assert!(!text.contains(&date) && !text.contains("now available"), "never the ISO date, never 'now' before it is: {text}");
    assert!(view.timing.as_deref().unwrap_or("").contains("covers both"), "{:?}", view.timing);
    let notes_text = drafts::view(&f.store, &notes.id).unwrap().rendered.unwrap().text_of_body();
    assert!(notes_text.contains(&format!("Planned for {words}.")), "{notes_text}");

    let rita = f.person("Rita");
    drafts::set_reviewer(&f.store, &draft.id, rita.person_id.as_deref(), &lead(), Utc::now()).unwrap();
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    f.deploy_to_production().await;
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.approval, Approval::Approved, "coming out withdraws no approval");
    let text = view.rendered.as_ref().unwrap().text_of_body();
    assert!(text.contains("Billing 2.4.0 (Invoices) is now available."), "{text}");
    let export = sends::export(&f.store, &draft.id, ExportFormat::Eml, &lead(), Utc::now()).unwrap();
    let message = mail_parser::MessageParser::default().parse(&export.bytes).unwrap();
    assert!(message.body_text(0).unwrap().contains("is now available."));
}

/// Each state of the gate has its own sentences: a release rolled back
/// before anything went out has nothing to correct, and nobody is told to
/// send a correction that does not exist; one rolled back after it went
/// out offers its correction.
#[tokio::test(flavor = "multi_thread")]
async fn a_correction_is_offered_only_after_something_went_out() {
    use liftoff_core::announce::gate::GateStage;
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let gate = announce::gate::gate(&f.store, &f.release).unwrap();
    assert_eq!(gate.stage, GateStage::NotVerified);
    assert_eq!(gate.waiting, "Exports for users and sending wait until 2.4.0 runs verified on production, or someone decides to announce it anyway.");
    let draft = drafts::create(&f.store, &f.release, Channel::InApp, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    f.deploy_to_production().await;
    let gate = announce::gate::gate(&f.store, &f.release).unwrap();
    assert_eq!((gate.stage, gate.waiting.as_str()), (GateStage::Verified, ""));

    // Rolled back, and nothing went out: nothing to correct.
    announce::set_release_state(&f.store, &f.release, ReleaseState::RolledBack, "The PDF export broke.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let gate = announce::gate::gate(&f.store, &f.release).unwrap();
    assert_eq!(gate.stage, GateStage::RolledBack);
    assert!(!gate.allowed);
    assert_eq!(
        gate.reason,
        "2.4.0 was rolled back before anything about it went out, so there is nothing to correct. Deploy it (or a fixed version) to production again and let its smoke checks pass to announce it."
    );
    assert!(!gate.reason.contains("Send the correction"));
    assert_eq!(gate.waiting, "Exports for users and sending are closed while 2.4.0 is rolled back.");
    assert!(drafts::list(&f.store, &f.release).unwrap().iter().all(|(d, _)| !d.correction), "no correction drafted");
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.gate.waiting, gate.waiting, "the draft's sentence is the gate's own, not a piece of another");
    // Announcing it anyway is refused rather than recorded to no effect.
    let err = announce::gate::override_gate(&f.store, &f.release, "Dana Okafor (CTO)", "Customers were promised the PDF export today.", &lead(), Utc::now()).unwrap_err();
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert_eq!(f.count("SELECT COUNT(*) FROM announce_overrides"), 0);

    // Something went out (a copy may reach users), then a rollback: its
    // correction is offered, and may go out.
    announce::set_release_state(&f.store, &f.release, ReleaseState::Planned, "Fixed; again.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    sends::copy_text(&f.store, &draft.id, "markdown", &lead(), Utc::now()).unwrap();
    announce::set_release_state(&f.store, &f.release, ReleaseState::Ready, "Ready again.", &lead(), Utc::now(), Utc::now().date_naive()).ok();
    f.deploy_to_production().await;
    announce::set_release_state(&f.store, &f.release, ReleaseState::RolledBack, "Broke again.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let gate = announce::gate::gate(&f.store, &f.release).unwrap();
    assert_eq!(gate.stage, GateStage::RolledBackAfterAnnouncing);
    assert!(gate.reason.contains("Send its correction"), "{}", gate.reason);
    let correction = drafts::list(&f.store, &f.release).unwrap().into_iter().find(|(d, _)| d.correction).expect("a correction").0;
    let view = drafts::view(&f.store, &correction.id).unwrap();
    assert_eq!((view.gate.stage, view.gate.allowed, view.gate.waiting.as_str()), (GateStage::CorrectionDue, true, ""));
}

/// An .eml needs a From address and nothing of the mail server; what the
/// reviewer approves is what recipients read, so the server's settings
/// withdraw nothing and the sender's do.
#[tokio::test(flavor = "multi_thread")]
async fn an_eml_needs_only_a_sender_and_the_mail_server_withdraws_no_approval() {
    use liftoff_core::announce::drafts::NeedKind;
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let rita = f.person("Rita");
    drafts::set_reviewer(&f.store, &draft.id, rita.person_id.as_deref(), &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let needs: Vec<NeedKind> = view.needs.iter().map(|n| n.kind).collect();
    assert!(needs.contains(&NeedKind::Sender) && needs.contains(&NeedKind::Approval), "{needs:?}");
    assert_eq!(view.from, None);
    // Recipients read who it is from: the reviewer approves it with the rest.
    let err = drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap_err();
    assert!(err.to_string().contains("Settings, Sender"), "{err}");

    // A sender, and no mail server at all.
    let sender = EmailSender { name: "Billing".into(), address: "news@example.com".into() };
    announce::set_settings(&f.store, &f.project.id, &AnnounceSettings { sender: sender.clone(), ..AnnounceSettings::default() }, &lead(), Utc::now()).unwrap();
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    announce::gate::override_gate(&f.store, &f.release, "Dana Okafor (CTO)", "Customers were promised the PDF export today.", &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    assert_eq!(view.from.as_deref(), Some("Billing <news@example.com>"));
    let needs: Vec<NeedKind> = view.needs.iter().map(|n| n.kind).collect();
    assert!(!needs.contains(&NeedKind::Sender) && !needs.contains(&NeedKind::Approval) && needs.contains(&NeedKind::Server), "{needs:?}");
    sends::check_export(&f.store, &draft.id, ExportFormat::Eml).unwrap();
    let export = sends::export(&f.store, &draft.id, ExportFormat::Eml, &lead(), Utc::now()).unwrap();
    let message = mail_parser::MessageParser::default().parse(&export.bytes).unwrap();
    let from = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Billing"), Some("news@example.com")));

    // The mail server, its port, security, user name, rate, the test
    // address and the recipients: recipients read none of them.
    let mut s = settings::get(&f.store, &f.project.id).unwrap();
    s.smtp = Some(MailServer { host: "smtp.example.com".into(), port: 587, security: Security::StartTls, username: "lena".into() });
    announce::set_settings(&f.store, &f.project.id, &s, &lead(), Utc::now()).unwrap();
    s.smtp = Some(MailServer { host: "localhost".into(), port: 2525, security: Security::Plain, username: String::new() });
    s.rate_per_minute = 10;
    s.test_address = "lena@example.com".into();
    s.recipients = vec![settings::AudienceRecipients { audience: Audience::EndUsers, text: "ann@example.com".into() }];
    announce::set_settings(&f.store, &f.project.id, &s, &lead(), Utc::now()).unwrap();
    assert_eq!(drafts::view(&f.store, &draft.id).unwrap().approval, Approval::Approved);
    // Who it comes from: they read that.
    s.sender.name = "Billing Team".into();
    announce::set_settings(&f.store, &f.project.id, &s, &lead(), Utc::now()).unwrap();
    assert_eq!(drafts::view(&f.store, &draft.id).unwrap().approval, Approval::Withdrawn);

    // Without a sender the approval no longer holds (recipients would read
    // no From): the page lists both, and the .eml is refused before any file
    // is picked, with nothing recorded.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let before = f.count("SELECT COUNT(*) FROM announce_sends");
    s.sender = EmailSender::default();
    s.smtp = None;
    announce::set_settings(&f.store, &f.project.id, &s, &lead(), Utc::now()).unwrap();
    let view = drafts::view(&f.store, &draft.id).unwrap();
    let needs: Vec<NeedKind> = view.needs.iter().map(|n| n.kind).collect();
    assert!(needs.contains(&NeedKind::Sender) && needs.contains(&NeedKind::Approval), "{needs:?}");
    assert!(matches!(sends::check_export(&f.store, &draft.id, ExportFormat::Eml), Err(AnnounceError::NotApproved(_))));
    assert_eq!(f.count("SELECT COUNT(*) FROM announce_sends"), before);
    // A mail server needs a sender: the settings say so at the field.
    s.smtp = Some(MailServer { host: "smtp.example.com".into(), ..MailServer::default() });
    match announce::set_settings(&f.store, &f.project.id, &s, &lead(), Utc::now()).unwrap_err() {
        AnnounceError::Invalid(fields) => assert!(fields.contains_key("sender.address"), "{fields:?}"),
        other => panic!("{other}"),
    }
}

/// The one approval rule, whatever changes what a draft says: the draft's
/// words, its items, the settings, the release, the project. Each withdraws
/// the approval in the same write, audited with its cause, and undoing the
/// change does not bring it back; a change that alters nothing the draft
/// says withdraws nothing.
#[test]
fn an_approval_stands_while_what_the_draft_says_is_unchanged_whatever_changed_it() {
    let f = Fixture::new();
    announce::read_changes(&f.store, &f.release, None, None, &lead(), Utc::now()).unwrap();
    let sender = EmailSender { name: "Billing".into(), address: "news@example.com".into() };
    let base = AnnounceSettings { sender, ..AnnounceSettings::default() };
    announce::set_settings(&f.store, &f.project.id, &base, &lead(), Utc::now()).unwrap();
    let draft = drafts::create(&f.store, &f.release, Channel::Email, Audience::EndUsers, &lead(), Utc::now()).unwrap();
    let rita = f.person("Rita");
    drafts::set_reviewer(&f.store, &draft.id, rita.person_id.as_deref(), &lead(), Utc::now()).unwrap();
    let approval = || drafts::view(&f.store, &draft.id).unwrap().approval;
    let withdrawn = || {
        let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
        let mut stmt = conn.prepare("SELECT summary FROM audit_log WHERE action = 'announcement.approvalWithdrawn' ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
    };

    // The settings: a change recipients read (who it is from), then undone.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let renamed = AnnounceSettings { sender: EmailSender { name: "Billing Team".into(), ..base.sender.clone() }, ..base.clone() };
    announce::set_settings(&f.store, &f.project.id, &renamed, &lead(), Utc::now()).unwrap();
    assert_eq!(approval(), Approval::Withdrawn);
    assert_eq!(withdrawn().len(), 1, "{:?}", withdrawn());
    assert!(withdrawn()[0].ends_with("the announcement settings changed"), "{:?}", withdrawn());
    announce::set_settings(&f.store, &f.project.id, &base, &lead(), Utc::now()).unwrap();
    assert_eq!(approval(), Approval::Withdrawn, "undoing the change does not bring the approval back");
    // A settings change recipients do not read withdraws nothing.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    announce::set_settings(&f.store, &f.project.id, &AnnounceSettings { test_address: "ops@example.com".into(), ..base.clone() }, &lead(), Utc::now()).unwrap();
    assert_eq!((approval(), withdrawn().len()), (Approval::Approved, 1), "the test address is not read by recipients");

    // The release's name, changed and changed back: withdrawn for good.
    let rename = |name: &str| {
        let d = ReleaseDraft { version: "2.4.0".into(), name: name.into(), scope: String::new(), target_date: None };
        announce::update_release(&f.store, &f.release, &d, &lead(), Utc::now()).unwrap();
    };
    rename("Invoices as PDF");
    assert_eq!(approval(), Approval::Withdrawn);
    assert!(withdrawn().last().unwrap().ends_with("the release changed"), "{:?}", withdrawn());
    rename("Invoices");
    assert_eq!(approval(), Approval::Withdrawn, "undoing the change does not bring the approval back");

    // The project's name is in the draft too.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let d = ProjectDraft { name: "Billing Cloud".into(), description: String::new(), repository: f.project.repository.clone(), time_zone: "UTC".into() };
    announce::update_project(&f.store, &f.project.id, &d, &lead(), Utc::now()).unwrap();
    assert_eq!(approval(), Approval::Withdrawn);
    assert!(withdrawn().last().unwrap().ends_with("the project changed"), "{:?}", withdrawn());

    // The items, and the draft's own words: the same rule, the same record.
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let item = items::list(&f.store, &f.release).unwrap().items.into_iter().find(|i| i.included && i.audiences.contains(&Audience::EndUsers)).unwrap();
    let edit = ItemEdit { text: "Totals are now exact".into(), category: item.category, audiences: item.audiences.clone(), included: true };
    announce::update_item(&f.store, &item.id, &edit, &lead(), Utc::now()).unwrap();
    assert_eq!(approval(), Approval::Withdrawn);
    assert!(withdrawn().last().unwrap().ends_with("its change items changed"), "{:?}", withdrawn());
    drafts::approve(&f.store, &draft.id, &rita, Utc::now()).unwrap();
    let mut parts = drafts::view(&f.store, &draft.id).unwrap().draft.parts;
    parts.insert("subject".into(), "New in {{ release.version }}: exact totals".into());
    drafts::update_parts(&f.store, &draft.id, &parts, &lead(), Utc::now()).unwrap();
    assert_eq!(approval(), Approval::Withdrawn);
    assert!(withdrawn().last().unwrap().ends_with("the draft changed after it"), "{:?}", withdrawn());
    assert_eq!(f.audit_actions().iter().filter(|a| *a == "announcement.approvalWithdrawn").count(), 5, "one record per withdrawal, none for undoing");
}
