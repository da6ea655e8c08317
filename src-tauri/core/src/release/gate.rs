//! The production gate: a release goes to a protected environment only when
//! every required checklist item is complete (done or not applicable, and
//! signed off where it has a reviewer), or when someone has recorded an
//! override with a reason. The deploy engine calls [`require`] before it
//! touches a protected environment.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditCategory, Change};
use crate::release::checklists::{self, ChecklistItem, ItemStatus};
use crate::rules::FieldErrors;
use crate::release::{self as releases, ReleaseError};
use crate::{clock, Store};

/// Why a release may not pass yet: one required item, or the lack of any
/// checklist (then `item_id` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MissingItem {
    pub item_id: Option<String>,
    pub section: String,
    pub title: String,
    pub status: Option<ItemStatus>,
    /// In words: "open, owner Omar; overdue since Fri 20 Nov", "awaiting sign-off by Dana".
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GateOverride {
    pub id: String,
    /// Who took the decision, as typed.
    pub decided_by: String,
    pub reason: String,
    /// How many required items were missing when it was recorded.
    pub missing_items: i32,
    /// Who entered it in Liftoff.
    pub recorded_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GateReport {
    pub release_id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub protected: bool,
    /// Every required item is complete.
    pub passed: bool,
    /// The release may be deployed here: unprotected, passed or overridden.
    pub allowed: bool,
    pub missing: Vec<MissingItem>,
    /// The override in force, if any.
    #[serde(rename = "override")]
    pub override_: Option<GateOverride>,
}

/// The gate's verdict for deploying `release_id` to `environment_id`.
pub fn evaluate(conn: &Connection, release_id: &str, environment_id: &str, today: NaiveDate) -> Result<GateReport, ReleaseError> {
    let release = releases::get_in(conn, release_id)?.ok_or(ReleaseError::NotFound)?;
    let env = crate::environments::in_project(conn, environment_id, &release.project_id)?.ok_or(ReleaseError::EnvironmentNotFound)?;
    let (name, protected) = (env.name, env.protected);
    let items = checklists::load_items(conn, release_id, today)?;
    report(conn, release_id, environment_id, name, protected, &items, today)
}

/// The gate of each protected environment of the release's project, in
/// pipeline order.
pub fn evaluate_protected(conn: &Connection, release_id: &str, today: NaiveDate) -> Result<Vec<GateReport>, ReleaseError> {
    let release = releases::get_in(conn, release_id)?.ok_or(ReleaseError::NotFound)?;
    let items = checklists::load_items(conn, release_id, today)?;
    let envs = crate::environments::list_in(conn, &release.project_id)?;
    envs.into_iter().filter(|e| e.protected).map(|e| report(conn, release_id, &e.id, e.name, true, &items, today)).collect()
}

/// For the deploy engine: `Ok` with the report when the release may go to
/// the environment, [`ReleaseError::GateClosed`] with what is missing if not.
pub fn require(store: &Store, release_id: &str, environment_id: &str, today: NaiveDate) -> Result<GateReport, ReleaseError> {
    let report = evaluate(&*store.reader()?, release_id, environment_id, today)?;
    if report.allowed {
        Ok(report)
    } else {
        Err(ReleaseError::GateClosed(vec![report]))
    }
}

fn report(
    conn: &Connection,
    release_id: &str,
    environment_id: &str,
    environment_name: String,
    protected: bool,
    items: &[ChecklistItem],
    today: NaiveDate,
) -> Result<GateReport, ReleaseError> {
    let missing = missing_items(items, today);
    let passed = missing.is_empty();
    let override_ = if protected && !passed { active_override(conn, release_id, environment_id)? } else { None };
    Ok(GateReport {
        release_id: release_id.to_owned(),
        environment_id: environment_id.to_owned(),
        environment_name,
        protected,
        passed,
        allowed: !protected || passed || override_.is_some(),
        missing,
        override_,
    })
}

/// The required items that are not complete, each with the reason in words
/// (a due date as the window writes days: "Fri 20 Nov", its year when it is
/// not `today`'s).
pub fn missing_items(items: &[ChecklistItem], today: NaiveDate) -> Vec<MissingItem> {
    if items.is_empty() {
        return vec![MissingItem {
            item_id: None,
            section: String::new(),
            title: "No readiness checklist".into(),
            status: None,
            why: "start one from a template or from another release".into(),
        }];
    }
    items
        .iter()
        .filter(|i| i.required && !i.complete)
        .map(|i| {
            let mut why = match (i.status, &i.owner_name, &i.reviewer_name) {
                (ItemStatus::Open, Some(owner), _) => format!("open, owner {owner}"),
                (ItemStatus::Open, None, _) => "open, no owner".to_owned(),
                (ItemStatus::Blocked, ..) => format!("blocked: {}", i.state_reason),
                (ItemStatus::AwaitingReview, _, Some(reviewer)) => format!("awaiting sign-off by {reviewer}"),
                (ItemStatus::AwaitingReview, _, None) => "awaiting sign-off".to_owned(),
                (ItemStatus::Done | ItemStatus::NotApplicable, ..) => unreachable!("complete items are filtered out"),
            };
            if i.overdue {
                if let Some(due) = &i.due_date {
                    let day = NaiveDate::parse_from_str(due, "%Y-%m-%d").map(|d| crate::clock::date_words(d, Some(today)));
                    why.push_str(&format!("; overdue since {}", day.as_deref().unwrap_or(due)));
                }
            }
            MissingItem { item_id: Some(i.id.clone()), section: i.section.clone(), title: i.title.clone(), status: Some(i.status), why }
        })
        .collect()
}

fn active_override(conn: &Connection, release_id: &str, environment_id: &str) -> rusqlite::Result<Option<GateOverride>> {
    conn.query_row(
        "SELECT id, decided_by, reason, missing_items, recorded_by, created_at FROM gate_overrides
         WHERE release_id = ?1 AND environment_id = ?2 AND withdrawn_at IS NULL
         ORDER BY created_at DESC, rowid DESC LIMIT 1",
        params![release_id, environment_id],
        |r| {
            Ok(GateOverride {
                id: r.get(0)?,
                decided_by: r.get(1)?,
                reason: r.get(2)?,
                missing_items: r.get(3)?,
                recorded_by: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )
    .optional()
}

/// Records a decision to let the release into a protected environment with
/// its checklist incomplete. Needs the name of who decided and a reason of
/// at least a sentence; the missing items are written to the audit log.
#[allow(clippy::too_many_arguments)]
pub fn override_gate(
    store: &Store,
    release_id: &str,
    environment_id: &str,
    decided_by: &str,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<GateReport, ReleaseError> {
    let (decided_by, reason) = crate::rules::decision(decided_by, reason).map_err(ReleaseError::Invalid)?;
    store.write(|tx| {
        let release = releases::get_in(tx, release_id)?.ok_or(ReleaseError::NotFound)?;
        let before = evaluate(tx, release_id, environment_id, today)?;
        if !before.protected {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "environment".to_owned(),
                format!("{} is not protected, so its gate is always open.", before.environment_name),
            )])));
        }
        if before.passed {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "environment".to_owned(),
                "Every required item is complete, so the gate is open and needs no override.".to_owned(),
            )])));
        }
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO gate_overrides (id, release_id, environment_id, decided_by, reason, missing_items, recorded_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![uuid::Uuid::now_v7().to_string(), release_id, environment_id, decided_by, reason, before.missing.len() as i64, actor.name, at],
        )?;
        // One missing item a line under the headline: the log shows them as a list.
        let listed: Vec<String> = before.missing.iter().map(|m| format!("“{}” ({})", m.title, m.why)).collect();
        let n = before.missing.len();
        audit::record(
            tx,
            actor,
            &at,
            Change {
                project_id: &release.project_id,
                release_id: Some(release_id),
                item_id: None,
                category: AuditCategory::Gate,
                action: "gate.overridden",
                summary: audit::with_details(
                    format!(
                        "Overrode the {} gate, decided by {decided_by}, with {n} required {} missing:",
                        before.environment_name,
                        if n == 1 { "item" } else { "items" }
                    ),
                    &listed,
                ),
                reason,
            },
        )?;
        let after = evaluate(tx, release_id, environment_id, today)?;
        Ok(after)
    })
}

/// Withdraws an override; the gate is then decided by the checklist again.
pub fn withdraw_override(store: &Store, override_id: &str, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), ReleaseError> {
    store.write(|tx| {
        let found: Option<(String, String, String)> = tx
            .query_row(
                "SELECT o.release_id, r.project_id, e.name FROM gate_overrides o
                 JOIN releases r ON r.id = o.release_id JOIN environments e ON e.id = o.environment_id
                 WHERE o.id = ?1 AND o.withdrawn_at IS NULL",
                params![override_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (release_id, project_id, env_name) = found.ok_or(ReleaseError::OverrideNotFound)?;
        let at = clock::to_text(now);
        tx.execute("UPDATE gate_overrides SET withdrawn_at = ?2 WHERE id = ?1", params![override_id, at])?;
        audit::record(
            tx,
            actor,
            &at,
            Change {
                project_id: &project_id,
                release_id: Some(&release_id),
                item_id: None,
                category: AuditCategory::Gate,
                action: "gate.overrideWithdrawn",
                summary: format!("Withdrew the override of the {env_name} gate"),
                reason: reason.trim(),
            },
        )?;
        Ok(())
    })
}

/// The message for a closed gate: which environment, and how many items are
/// missing (the gate on the release lists them).
pub fn closed_message(reports: &[GateReport]) -> String {
    // Short enough for a notice: the gate on the release lists the items.
    let closed: Vec<String> = reports
        .iter()
        .map(|r| {
            let n = r.missing.len();
            format!("the {} gate is closed: {n} required item{} missing", r.environment_name, if n == 1 { " is" } else { "s are" })
        })
        .collect();
    let mut out = closed.join("; ");
    if let Some(first) = out.get(..1) {
        out.replace_range(..1, &first.to_uppercase());
    }
    out.push_str(". See the gate on the release: complete what is missing, or record an override with a reason.");
    out
}
