//! Where the team stands on the deployment maturity ladder (DESIGN.md,
//! "Deployment maturity"), judged from what Liftoff recorded over the last
//! 90 days rather than from a questionnaire.
//!
//! Each indication of levels 0, 1 and 2 is measured against a threshold and
//! names the runs or settings behind it. The level is the highest whose
//! indications all hold, with no level 0 sign. Two level 2 indications
//! (atomic features, configuration management) cannot be seen in Liftoff's
//! records: the lead answers them in the built-in "Deployment maturity
//! review" checklist template, and the latest answer in the project counts.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::deploy::runs::{self, StepState};
use crate::deploy::target::{self, TargetKind, TargetSettings};
use crate::deploy::{CheckOutcome, DeployError, Run, RunKind, RunState};
use crate::environments::{self, Environment};
use crate::planning::windows::{self, WindowKind};
use crate::planning::{picture::PEAK_SHARE, profile};
use crate::{clock, Store};

/// The days looked back over.
pub const PERIOD_DAYS: i64 = 90;
/// The days over which "several releases a day" is judged.
pub const DAILY_DAYS: i64 = 30;
/// The most runs or settings named under one indication.
const EVIDENCE_MAX: usize = 10;

/// Titles of the built-in "Deployment maturity review" template's items the
/// lead answers (migration 0004_seed_builtin_templates.sql).
pub const ATOMIC_FEATURES: &str = "Features are deployed and removed atomically";
pub const CONFIGURATION_MANAGEMENT: &str = "Environments are consistent through configuration management";
pub const REVIEW_TEMPLATE: &str = "Deployment maturity review";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// The indication holds (for a level 0 sign: the sign was not seen).
    Holds,
    /// It does not (for a level 0 sign: the sign was seen).
    Fails,
    /// Liftoff lacks the data to judge it; says what would give it.
    NotMeasured,
    /// The lead's own answer in the review checklist.
    Answered,
    /// A question for the lead, not answered yet.
    Unanswered,
}

/// What an indication rests on: a run, a release or a setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Basis {
    pub label: String,
    pub run_id: Option<String>,
    pub release_id: Option<String>,
    pub environment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Indication {
    pub key: String,
    /// 0, 1 or 2.
    pub level: u8,
    pub title: String,
    pub verdict: Verdict,
    /// What was measured, in words: "7 of 9 production deploys (78%)".
    pub measured: String,
    /// What it is held against: "at least 90%".
    pub threshold: String,
    /// Why, or what would change it.
    pub detail: String,
    /// For an answer: the lead's answer in words ("Yes", "No").
    pub answer: Option<String>,
    /// The runs, releases or settings behind it (at most ten).
    pub basis: Vec<Basis>,
    /// How many there were in all.
    pub basis_total: i32,
}

impl Indication {
    fn holds(&self) -> bool {
        match self.verdict {
            Verdict::Holds => true,
            Verdict::Answered => self.answer.as_deref() == Some("Yes"),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    /// The indication it works towards.
    pub key: String,
    pub text: String,
    /// Where in Liftoff: `target`, `smoke`, `blueGreen`, `environments`,
    /// `timeline`, `releases`, `checklist`, `load`.
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Maturity {
    /// 0, 1 or 2.
    pub level: u8,
    /// Why the level is what it is, in one sentence.
    pub summary: String,
    pub from: String,
    pub to: String,
    /// Production deploys in the period (the base of most percentages).
    pub production_deploys: i32,
    pub signs: Vec<Indication>,
    pub level1: Vec<Indication>,
    pub level2: Vec<Indication>,
    pub next_steps: Vec<NextStep>,
}

/// A production deploy: a run of kind deploy on a protected environment
/// that reached it (succeeded or failed verification).
fn reached(r: &Run) -> bool {
    r.kind == RunKind::Deploy && matches!(r.state, RunState::Succeeded | RunState::FailedVerification)
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        return "none".into();
    }
    format!("{n} of {of} production deploys ({:.0}%)", n as f64 * 100.0 / of as f64)
}

fn share_holds(n: usize, of: usize, at_least: f64) -> bool {
    of > 0 && n as f64 >= at_least * of as f64 - 1e-9
}

fn run_basis(r: &Run, why: &str) -> Basis {
    let when = r.started_at.get(..10).unwrap_or(&r.started_at);
    Basis {
        label: format!("{} to {} on {when}{}", r.version, r.environment_name, if why.is_empty() { String::new() } else { format!(": {why}") }),
        run_id: Some(r.id.clone()),
        release_id: r.release_id.clone(),
        environment_id: Some(r.environment_id.clone()),
    }
}

/// The newest first (runs are read oldest first), at most ten.
fn capped(mut basis: Vec<Basis>) -> (Vec<Basis>, i32) {
    let total = basis.len() as i32;
    basis.reverse();
    basis.truncate(EVIDENCE_MAX);
    (basis, total)
}

struct ReleaseRow {
    id: String,
    version: String,
    state: String,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    freeze_override: bool,
    updated_at: String,
}

struct Data {
    envs: Vec<Environment>,
    targets: HashMap<String, TargetSettings>,
    runs: Vec<Run>,
    releases: Vec<ReleaseRow>,
    people: HashSet<String>,
    approved_by_hand: HashSet<String>,
    answers: HashMap<String, (String, String, String)>,
    tz: chrono_tz::Tz,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn read(conn: &Connection, project_id: &str, from: &str) -> Result<Data, DeployError> {
    let envs = environments::list_in(conn, project_id)?;
    let mut targets = HashMap::new();
    for e in &envs {
        if let Some(t) = target::get_in(conn, &e.id)? {
            targets.insert(e.id.clone(), t.settings);
        }
    }
    let runs = runs::protected_since_in(conn, project_id, from)?;
    let mut stmt = conn.prepare(
        "SELECT id, version, state, window_start, window_end, freeze_override_reason IS NOT NULL, updated_at FROM releases WHERE project_id = ?1",
    )?;
    let releases = stmt
        .query_map(params![project_id], |r| {
            let start: Option<String> = r.get(3)?;
            let end: Option<String> = r.get(4)?;
            Ok(ReleaseRow {
                id: r.get(0)?,
                version: r.get(1)?,
                state: r.get(2)?,
                window: start.as_deref().and_then(parse_time).zip(end.as_deref().and_then(parse_time)),
                freeze_override: r.get(5)?,
                updated_at: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let people = crate::people::contacts(conn, project_id)?.into_iter().map(|(_, _, name)| name.to_lowercase()).collect();
    // Approvals answered by hand in Liftoff name the run as their item.
    let mut stmt = conn.prepare("SELECT item_id FROM audit_log WHERE project_id = ?1 AND action = 'deploy.approved' AND item_id IS NOT NULL AND at >= ?2")?;
    let approved_by_hand = stmt.query_map(params![project_id, from], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<HashSet<_>>>()?;
    // The lead's answers: the latest checklist item of each question in
    // the project's releases.
    let mut stmt = conn.prepare(
        "SELECT c.title, c.state, r.version, r.id FROM checklist_items c JOIN releases r ON r.id = c.release_id
         WHERE r.project_id = ?1 AND c.title IN (?2, ?3) ORDER BY c.updated_at DESC, c.rowid DESC",
    )?;
    let mut answers = HashMap::new();
    for row in stmt.query_map(params![project_id, ATOMIC_FEATURES, CONFIGURATION_MANAGEMENT], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })? {
        let (title, state, version, release_id) = row?;
        answers.entry(title).or_insert((state, version, release_id));
    }
    let tz = crate::projects::time_zone_in(conn, project_id)?;
    Ok(Data { envs, targets, runs, releases, people, approved_by_hand, answers, tz })
}

/// Judges the project over the 90 days up to `now`.
pub fn assess(store: &Store, project_id: &str, now: DateTime<Utc>) -> Result<Maturity, DeployError> {
    let from_t = now - Duration::days(PERIOD_DAYS);
    let from = clock::to_text(from_t);
    let data = {
        let conn = store.reader()?;
        read(&conn, project_id, &from)?
    };
    let (occurrences, _) = windows::occurrences(store, project_id, from_t, now).map_err(|e| DeployError::Refused(e.to_string()))?;
    let maintenance: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = occurrences
        .into_iter()
        .filter(|o| o.kind == WindowKind::Maintenance)
        .filter_map(|o| Some((o.name.clone(), parse_time(&o.start)?, parse_time(&o.end)?)))
        .collect();
    let load = profile::weekly_pattern(store, project_id).map_err(|e| DeployError::Refused(e.to_string()))?;
    Ok(judge(&data, &maintenance, load.as_ref().map(|(p, tz)| (p, *tz)), from_t, now))
}

fn judge(d: &Data, maintenance: &[(String, DateTime<Utc>, DateTime<Utc>)], load: Option<(&crate::planning::load::WeeklyPattern, chrono_tz::Tz)>, from: DateTime<Utc>, now: DateTime<Utc>) -> Maturity {
    let prod: Vec<&Run> = d.runs.iter().filter(|r| reached(r)).collect();
    let n = prod.len();
    let overridden = |r: &Run| r.preflight.iter().any(|c| c.decision.is_some());
    let automated_target = |r: &Run| {
        r.remote_ref.is_some()
            || d.targets.get(&r.environment_id).is_some_and(|t| t.kind != TargetKind::LocalCommand || t.calls_deploy_system)
    };
    let mut signs = Vec::new();
    let mut level1 = Vec::new();
    let mut level2 = Vec::new();
    let ind = |key: &str, level: u8, title: &str, verdict: Verdict, measured: String, threshold: &str, detail: String, basis: Vec<Basis>| {
        let (basis, basis_total) = capped(basis);
        Indication { key: key.into(), level, title: title.into(), verdict, measured, threshold: threshold.into(), detail, answer: None, basis, basis_total }
    };
    let sign = |seen: bool| if seen { Verdict::Fails } else { Verdict::Holds };

    // Level 0 signs.
    let deployed: HashSet<&str> = d.runs.iter().filter(|r| reached(r)).filter_map(|r| r.release_id.as_deref()).collect();
    let all_deployed: HashSet<&str> = deployed.clone();
    let outside: Vec<Basis> = d
        .releases
        .iter()
        .filter(|r| matches!(r.state.as_str(), "verified" | "released") && r.updated_at.as_str() >= clock::to_text(from).as_str())
        .filter(|r| !all_deployed.contains(r.id.as_str()))
        .map(|r| Basis { label: format!("Release {} is {} with no production deploy in Liftoff", r.version, r.state), run_id: None, release_id: Some(r.id.clone()), environment_id: None })
        .collect();
    signs.push(ind(
        "outsideLiftoff",
        0,
        "Production changed outside Liftoff",
        sign(!outside.is_empty()),
        format!("{} release{} released with no production run", outside.len(), if outside.len() == 1 { "" } else { "s" }),
        "none",
        "A release marked verified or released that no production deploy in Liftoff carried was copied there some other way.".into(),
        outside,
    ));
    let unchecked: Vec<Basis> = prod.iter().filter(|r| r.checks.is_empty()).map(|r| run_basis(r, "no smoke checks")).collect();
    signs.push(ind(
        "noSmokeChecks",
        0,
        "Production deploys without smoke checks (users find the failures)",
        if n == 0 { Verdict::NotMeasured } else { sign(!unchecked.is_empty()) },
        if n == 0 { "no production deploys".into() } else { format!("{} of {n} production deploys ran no smoke check", unchecked.len()) },
        "none",
        "Without smoke checks, the first to see a broken release are its users.".into(),
        unchecked,
    ));
    let by_hand: Vec<Basis> = prod.iter().filter(|r| !automated_target(r)).map(|r| run_basis(r, "a local command not marked as calling the deploy system")).collect();
    signs.push(ind(
        "developerMachine",
        0,
        "Production deployed from a developer's machine",
        if n == 0 { Verdict::NotMeasured } else { sign(!by_hand.is_empty()) },
        if n == 0 { "no production deploys".into() } else { format!("{} of {n} production deploys by a local command", by_hand.len()) },
        "none",
        "A local command target counts as automated only when marked “calls our deploy system” (its deploy runs elsewhere); a CI/CD engine target always does.".into(),
        by_hand,
    ));
    let booked: Vec<Basis> = maintenance
        .iter()
        .filter(|(_, s, e)| {
            prod.iter().any(|r| parse_time(&r.started_at).is_some_and(|t| t >= *s && t < *e))
                || d.releases.iter().any(|rel| rel.window.is_some_and(|(ws, we)| ws < *e && we > *s))
        })
        .map(|(name, s, _)| Basis { label: format!("Maintenance window “{name}” on {}", s.format("%Y-%m-%d")), run_id: None, release_id: None, environment_id: None })
        .collect();
    signs.push(ind(
        "downtime",
        0,
        "Downtime scheduled for releases",
        sign(!booked.is_empty()),
        format!("{} maintenance window{} booked over a release", booked.len(), if booked.len() == 1 { "" } else { "s" }),
        "none",
        "A maintenance window over a release's window or a production deploy means users lose the service while it ships.".into(),
        booked,
    ));

    // Level 1.
    let protected: Vec<&Environment> = d.envs.iter().filter(|e| e.protected).collect();
    let last_protected = d.envs.last().is_some_and(|e| e.protected);
    let pipeline_ok = d.envs.len() >= 3 && last_protected;
    level1.push(ind(
        "pipeline",
        1,
        "A pipeline of environments ending in a protected production",
        if pipeline_ok { Verdict::Holds } else { Verdict::Fails },
        format!("{} environment{}: {}", d.envs.len(), if d.envs.len() == 1 { "" } else { "s" }, d.envs.iter().map(|e| if e.protected { format!("{} (protected)", e.name) } else { e.name.clone() }).collect::<Vec<_>>().join(" → ")),
        "at least 3, the last protected",
        if pipeline_ok { "Releases pass through the earlier environments before production.".into() } else if d.envs.len() < 3 { "Add environments so a release is tried before production (development → staging → production).".into() } else { "Mark the last environment, production, as protected: the readiness gate and promotion rules guard it.".into() },
        protected.iter().map(|e| Basis { label: format!("{} is protected", e.name), run_id: None, release_id: None, environment_id: Some(e.id.clone()) }).collect(),
    ));
    let promoted = |r: &Run| !overridden(r) && r.preflight.iter().any(|c| c.key == "promotion" && c.outcome == CheckOutcome::Pass);
    let skipped: Vec<Basis> = prod.iter().filter(|r| !promoted(r)).map(|r| run_basis(r, if overridden(r) { "a preflight check was overridden" } else { "did not pass promotion" })).collect();
    let ok = n - skipped.len();
    level1.push(ind(
        "promotion",
        1,
        "Releases are promoted through the pipeline, without overrides",
        if n == 0 { Verdict::NotMeasured } else if share_holds(ok, n, 0.9) { Verdict::Holds } else { Verdict::Fails },
        pct(ok, n),
        "at least 90%",
        "A production deploy counts when its promotion check passed (the version verified on the environment before) and no preflight check was overridden.".into(),
        skipped,
    ));
    let planned: Vec<&&Run> = prod.iter().filter(|r| r.release_id.as_deref().and_then(|id| d.releases.iter().find(|x| x.id == id)).is_some_and(|x| x.window.is_some())).collect();
    let mut off_plan = Vec::new();
    for r in &planned {
        let rel = d.releases.iter().find(|x| Some(x.id.as_str()) == r.release_id.as_deref()).expect("filtered above");
        let (ws, we) = rel.window.expect("filtered above");
        let t = parse_time(&r.started_at).unwrap_or(now);
        let why = if t < ws || t >= we {
            Some("started outside the release's planned window")
        } else if !d.people.contains(&r.started_by.to_lowercase()) {
            Some("started by someone not in the project's people")
        } else if rel.freeze_override || r.preflight.iter().any(|c| c.key == "freeze" && c.decision.is_some()) {
            Some("overrode a freeze")
        } else {
            None
        };
        if let Some(why) = why {
            off_plan.push(run_basis(r, why));
        }
    }
    let in_plan = planned.len() - off_plan.len();
    level1.push(ind(
        "schedulesOwn",
        1,
        "The team schedules its own releases",
        if planned.is_empty() { Verdict::NotMeasured } else if share_holds(in_plan, planned.len(), 0.9) { Verdict::Holds } else { Verdict::Fails },
        if planned.is_empty() { "no production deploys of releases with a planned window".into() } else { format!("{in_plan} of {} production deploys of planned releases ({:.0}%)", planned.len(), in_plan as f64 * 100.0 / planned.len() as f64) },
        "at least 90%",
        if planned.is_empty() { "Plan each release's window on the timeline: then Liftoff can tell whether deploys keep to it.".into() } else { "Counted: deploys of releases with a planned window that started inside it, by a person of the project, without overriding a freeze.".into() },
        off_plan,
    ));
    let checked = n - prod.iter().filter(|r| r.checks.is_empty()).count();
    level1.push(ind(
        "smokeChecks",
        1,
        "Smoke checks run after each production deploy",
        if n == 0 { Verdict::NotMeasured } else if share_holds(checked, n, 0.9) { Verdict::Holds } else { Verdict::Fails },
        pct(checked, n),
        "at least 90%",
        "A production deploy counts when at least one smoke check ran after it.".into(),
        prod.iter().filter(|r| r.checks.is_empty()).map(|r| run_basis(r, "no smoke checks")).collect(),
    ));
    match load {
        None => level1.push(ind(
            "outsideUsage",
            1,
            "Releases happen outside usage hours",
            Verdict::NotMeasured,
            "no load profile".into(),
            "at least 80%",
            "Not measured: import a load profile (Timeline → Load) so Liftoff knows your usage hours.".into(),
            Vec::new(),
        )),
        Some((pattern, tz)) => {
            let peak = pattern.peak();
            let busy: Vec<Basis> = prod
                .iter()
                .filter(|r| parse_time(&r.started_at).is_some_and(|t| peak > 0.0 && pattern.at(t, tz) >= PEAK_SHARE * peak))
                .map(|r| run_basis(r, "started in usage hours"))
                .collect();
            let quiet = n - busy.len();
            level1.push(ind(
                "outsideUsage",
                1,
                "Releases happen outside usage hours",
                if n == 0 { Verdict::NotMeasured } else if share_holds(quiet, n, 0.8) { Verdict::Holds } else { Verdict::Fails },
                pct(quiet, n),
                "at least 80%",
                format!("Usage hours are those whose usual load is at least {:.0}% of the weekly peak (the planner's peak share).", PEAK_SHARE * 100.0),
                busy,
            ));
        }
    }

    // Level 2.
    let manual: Vec<Basis> = prod
        .iter()
        .filter_map(|r| {
            if !automated_target(r) {
                Some(run_basis(r, "a local command"))
            } else if overridden(r) {
                Some(run_basis(r, "a preflight check was overridden"))
            } else if d.approved_by_hand.contains(&r.id) {
                Some(run_basis(r, "approved by hand on the engine"))
            } else {
                None
            }
        })
        .collect();
    let auto = n - manual.len();
    level2.push(ind(
        "endToEnd",
        2,
        "Automated end to end",
        if n == 0 { Verdict::NotMeasured } else if share_holds(auto, n, 0.95) { Verdict::Holds } else { Verdict::Fails },
        pct(auto, n),
        "at least 95%",
        "A production deploy counts when it went through an engine target (or a local command marked “calls our deploy system”), with no override and no approval given by hand.".into(),
        manual,
    ));
    // Production deploys per working day (Monday to Friday, the project's
    // time zone) over the last 30 days.
    let since = now - Duration::days(DAILY_DAYS);
    let mut per_day: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut day = since.with_timezone(&d.tz).date_naive();
    let today = now.with_timezone(&d.tz).date_naive();
    while day <= today {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            per_day.insert(day, 0);
        }
        day = day.succ_opt().expect("a date after today exists");
    }
    for r in &prod {
        if let Some(t) = parse_time(&r.started_at).filter(|t| *t >= since) {
            if let Some(c) = per_day.get_mut(&t.with_timezone(&d.tz).date_naive()) {
                *c += 1;
            }
        }
    }
    let mut counts: Vec<usize> = per_day.values().copied().collect();
    counts.sort_unstable();
    let median = if counts.is_empty() { 0.0 } else if counts.len() % 2 == 1 { counts[counts.len() / 2] as f64 } else { (counts[counts.len() / 2 - 1] + counts[counts.len() / 2]) as f64 / 2.0 };
    level2.push(ind(
        "severalADay",
        2,
        "Several releases a day",
        if median >= 2.0 { Verdict::Holds } else { Verdict::Fails },
        format!("median {median} production deploy{} per working day over {} working days", if median == 1.0 { "" } else { "s" }, counts.len()),
        "at least 2",
        format!("Counted over the last {DAILY_DAYS} days, Monday to Friday in the project's time zone."),
        Vec::new(),
    ));
    let without_bg: Vec<Basis> = protected
        .iter()
        .filter(|e| d.targets.get(&e.id).is_none_or(|t| t.blue_green.is_none()))
        .map(|e| Basis { label: format!("{} has no blue-green slots", e.name), run_id: None, release_id: None, environment_id: Some(e.id.clone()) })
        .collect();
    let reached_users: Vec<Basis> = prod.iter().filter(|r| r.state == RunState::FailedVerification && r.slot.is_none()).map(|r| run_basis(r, "failed verification while users were on it")).collect();
    let switched_early: Vec<Basis> = prod
        .iter()
        .filter(|r| r.slot.is_some())
        .filter(|r| {
            // The switch must come after every smoke check passed.
            let switched = r.steps.iter().position(|s| s.name.starts_with("Switch users") && s.state == StepState::Succeeded);
            let last_check = r.steps.iter().rposition(|s| s.name.starts_with("Smoke: "));
            match (switched, last_check) {
                (Some(sw), Some(ch)) => sw < ch || r.checks.iter().any(|c| !c.passed),
                (Some(_), None) => true,
                _ => false,
            }
        })
        .map(|r| run_basis(r, "users switched before the checks passed"))
        .collect();
    let impact_free = !protected.is_empty() && without_bg.is_empty() && reached_users.is_empty() && switched_early.is_empty();
    let mut impact_basis = without_bg.clone();
    impact_basis.extend(reached_users.iter().cloned());
    impact_basis.extend(switched_early.iter().cloned());
    level2.push(ind(
        "noUserImpact",
        2,
        "No user impact: blue-green, switched only after checks",
        if impact_free { Verdict::Holds } else { Verdict::Fails },
        format!(
            "{} of {} production environment{} blue-green; {} failed verification{} reached users",
            protected.len() - without_bg.len(),
            protected.len(),
            if protected.len() == 1 { "" } else { "s" },
            reached_users.len(),
            if reached_users.len() == 1 { "" } else { "s" }
        ),
        "all blue-green, none reached users",
        "Users move to the new slot only after its smoke checks pass; a failed check leaves them on the old one.".into(),
        impact_basis,
    ));
    let accepted: Vec<&&Run> = prod.iter().filter(|r| r.steps.iter().any(|s| s.acceptance) && r.steps.iter().filter(|s| s.acceptance).all(|s| s.state == StepState::Succeeded)).collect();
    let marked_any = d.targets.values().any(|t| !t.acceptance_tests.is_empty());
    level2.push(ind(
        "acceptanceTests",
        2,
        "Automated acceptance tests",
        if n == 0 { Verdict::NotMeasured } else if share_holds(accepted.len(), n, 0.9) { Verdict::Holds } else { Verdict::Fails },
        pct(accepted.len(), n),
        "at least 90%",
        if marked_any { "A production deploy counts when every step or smoke check marked “acceptance test” ran and passed.".into() } else { "No step or smoke check is marked “acceptance test”: mark the ones that test what users do (Environments → deploy target).".into() },
        prod.iter().filter(|r| !accepted.iter().any(|a| a.id == r.id)).map(|r| run_basis(r, "no acceptance test passed")).collect(),
    ));
    for (key, title) in [("atomicFeatures", ATOMIC_FEATURES), ("configurationManagement", CONFIGURATION_MANAGEMENT)] {
        let answer = d.answers.get(title);
        let (verdict, answer_text, detail, basis) = match answer {
            None => (Verdict::Unanswered, None, format!("Liftoff cannot see this. Answer it in the “{REVIEW_TEMPLATE}” checklist: add the template to a release's checklist and tick the item if it is true."), Vec::new()),
            Some((state, version, release_id)) => {
                let (verdict, text) = match state.as_str() {
                    "done" => (Verdict::Answered, Some("Yes".to_owned())),
                    "notApplicable" | "blocked" => (Verdict::Answered, Some("No".to_owned())),
                    _ => (Verdict::Unanswered, None),
                };
                let detail = match &text {
                    Some(t) => format!("Your answer: {t}, in release {version}'s “{REVIEW_TEMPLATE}” checklist."),
                    None => format!("Not answered yet: the item is open in release {version}'s checklist."),
                };
                (verdict, text, detail, vec![Basis { label: format!("Release {version}'s checklist"), run_id: None, release_id: Some(release_id.clone()), environment_id: None }])
            }
        };
        let mut i = ind(key, 2, title, verdict, answer_text.clone().map(|a| format!("your answer: {a}")).unwrap_or_else(|| "not answered".into()), "Yes", detail, basis);
        i.answer = answer_text;
        level2.push(i);
    }

    let sign_seen = signs.iter().any(|s| s.verdict == Verdict::Fails);
    let l1 = level1.iter().all(Indication::holds);
    let l2 = level2.iter().all(Indication::holds);
    let level = if sign_seen || !l1 { 0 } else if l2 { 2 } else { 1 };
    let summary = if n == 0 && d.releases.is_empty() {
        format!("No production deploys in the last {PERIOD_DAYS} days: deploy a release to production through Liftoff to be measured.")
    } else if sign_seen {
        format!("Level 0: {} level 0 sign{} seen in the last {PERIOD_DAYS} days.", signs.iter().filter(|s| s.verdict == Verdict::Fails).count(), if signs.iter().filter(|s| s.verdict == Verdict::Fails).count() == 1 { " was" } else { "s were" })
    } else if !l1 {
        format!("Level 0: no level 0 sign, but {} of {} level 1 indications hold.", level1.iter().filter(|i| i.holds()).count(), level1.len())
    } else if !l2 {
        format!("Level 1: every level 1 indication holds; {} of {} level 2 indications do.", level2.iter().filter(|i| i.holds()).count(), level2.len())
    } else {
        "Level 2: every indication holds.".into()
    };
    let mut next_steps = Vec::new();
    let target_level = if level == 0 { 1 } else { 2 };
    for i in signs.iter().chain(level1.iter()).chain(level2.iter()) {
        if i.holds() || (i.level > target_level) || (i.level == 0 && i.verdict != Verdict::Fails) {
            continue;
        }
        if let Some((text, place)) = advice(&i.key).filter(|(text, _)| !next_steps.iter().any(|s: &NextStep| s.text == *text)) {
            next_steps.push(NextStep { key: i.key.clone(), text: text.into(), place: place.into() });
        }
    }
    Maturity {
        level,
        summary,
        from: clock::to_text(from),
        to: clock::to_text(now),
        production_deploys: n as i32,
        signs,
        level1,
        level2,
        next_steps,
    }
}

/// The ladder's "working towards" advice, tied to what Liftoff offers.
fn advice(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "outsideLiftoff" => ("Deploy every release to production with the Deploy button, so each change is preflighted, checked and recorded.", "releases"),
        "noSmokeChecks" | "smokeChecks" => ("Add smoke checks to production's deploy target: an HTTP check of the health page and of one key function.", "smoke"),
        "developerMachine" => ("Move the deploy off your machine: a GitHub Actions, GitLab CI, Jenkins, Buildbot or webhook target, or mark a local command that only calls your deploy system.", "target"),
        "downtime" => ("Ship without downtime: blue-green slots on production switch users only after the new slot's checks pass.", "blueGreen"),
        "pipeline" => ("Set up the pipeline: development → staging → production, with production protected.", "environments"),
        "promotion" => ("Promote each version through staging before production instead of overriding the promotion check.", "releases"),
        "schedulesOwn" => ("Plan each release's window on the timeline and deploy inside it; schedule the deploy so it starts on time.", "timeline"),
        "outsideUsage" => ("Import a load profile and let the timeline suggest a window outside usage hours.", "load"),
        "endToEnd" => ("Let the engine do the whole deploy: one target per environment, no overrides, approvals in the pipeline's rules rather than by hand.", "target"),
        "severalADay" => ("Ship smaller releases more often: a release per change keeps each deploy small and quick to roll back.", "releases"),
        "noUserImpact" => ("Give production blue-green slots so a failed check never reaches users.", "blueGreen"),
        "acceptanceTests" => ("Add a step or smoke check that tests what users do, and mark it “acceptance test”.", "smoke"),
        "atomicFeatures" | "configurationManagement" => ("Answer the review: add the “Deployment maturity review” template to a release's checklist.", "checklist"),
        _ => return None,
    })
}
