//! What a committed write changed, so that open pages can refresh.
//!
//! The store reports a [`ChangeSet`] after every commit; it knows nothing of
//! windows. The shell batches the sets and forwards them to the window.

use serde::{Deserialize, Serialize};

/// The kinds of thing a page shows, coarse enough for a cache to know what
/// to fetch again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    Project,
    Environment,
    Credential,
    Person,
    Release,
    Checklist,
    Template,
    Audit,
    Calendar,
    Load,
    Availability,
    /// A deploy target, run, its log or a lock.
    Deploy,
    /// An announcement: its change items, drafts, settings or sends.
    Announcement,
    /// Anything may have changed (another process committed).
    Any,
}

impl ChangeKind {
    /// The kind of change a write to `table` is. Tables no page shows have none.
    pub fn of_table(table: &str) -> Option<ChangeKind> {
        Some(match table {
            "projects" => ChangeKind::Project,
            "environments" => ChangeKind::Environment,
            "credentials" => ChangeKind::Credential,
            "people" => ChangeKind::Person,
            "releases" | "gate_overrides" => ChangeKind::Release,
            "checklist_items" => ChangeKind::Checklist,
            "templates" | "template_items" => ChangeKind::Template,
            "audit_log" => ChangeKind::Audit,
            "calendar_windows" | "calendar_window_environments" => ChangeKind::Calendar,
            "load_samples" | "load_patterns" => ChangeKind::Load,
            "busy_times" => ChangeKind::Availability,
            "deploy_targets" | "deploy_runs" | "deploy_locks" | "deploy_schedules" | "engine_freeze_periods" | "engine_freeze_syncs" => ChangeKind::Deploy,
            "announce_settings" | "announce_templates" | "change_sources" | "change_items" | "announcements"
            | "announce_overrides" | "announce_sends" => ChangeKind::Announcement,
            _ => return None,
        })
    }
}

/// One thing that changed: its kind, and where known its project and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub kind: ChangeKind,
    pub project_id: Option<String>,
    pub id: Option<String>,
}

/// What one commit (or several, once batched) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSet {
    pub changes: Vec<Change>,
    /// Set when another process wrote: what changed is not known in detail.
    pub external: bool,
}

impl ChangeSet {
    /// Adds `other` to this set, without repeating a change.
    pub fn merge(&mut self, other: &ChangeSet) {
        for change in &other.changes {
            if !self.changes.contains(change) {
                self.changes.push(change.clone());
            }
        }
        self.external |= other.external;
    }
}
