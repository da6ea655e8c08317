//! Announcements: what users are told about a release, composed from what
//! actually shipped, reviewed, and sent once production is verified.
//!
//! - [`changes`]: the release's commits read from its git repository, with
//!   conventional commits parsed into suggested items;
//! - [`items`]: the change items as the lead edits them (stored);
//! - [`render`]: templates, Markdown, sanitizing and each channel's output;
//! - [`drafts`]: a draft per channel and audience, and its approval;
//! - [`gate`]: the rule that nothing goes out before production is verified;
//! - [`words`]: a draft's words as the lead edits them (its templates read
//!   as words around the change items' list);
//! - [`mail`]: the `.eml` file and SMTP; [`sends`]: sends recorded one row
//!   per recipient, so a resume never sends to anyone twice.
//!
//! Here: the [`Category`] and [`Audience`] of a change, which every child
//! shares, and the module's error. This module also orchestrates the rules that span its children, each in the
//! write that causes it: an edit of the change items, the settings, the
//! release or the project is followed by the one approval rule
//! ([`drafts::settle_in`]: an approval stands while what the draft says is
//! unchanged), and a release that stopped running on production drafts its
//! corrections ([`release_pulled_in`]).

pub mod changes;
pub mod drafts;
pub mod gate;
pub mod items;
pub mod mail;
mod output;
pub mod render;
pub mod sends;
pub mod settings;
pub mod words;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::credentials::CredentialError;
use crate::projects::{Project, ProjectDraft, ProjectError};
use crate::release::{Release, ReleaseDraft, ReleaseState};
use crate::release::ReleaseError;
use crate::rules::{ErrorKind, FieldErrors, Kind};
use crate::secrets::KeychainError;
use crate::store::column::stored_text;
use crate::{clock, Store, StoreError};

pub use render::Channel;

/// Where a change is listed in an announcement.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase")]
pub enum Category {
    New,
    Improved,
    Fixed,
    Breaking,
    Deprecated,
    Security,
}

stored_text!(Category {
    New => "new",
    Improved => "improved",
    Fixed => "fixed",
    Breaking => "breaking",
    Deprecated => "deprecated",
    Security => "security",
});

impl Category {
    /// Every category, in the order announcements list them.
    pub const ALL: [Category; 6] = [
        Category::Breaking,
        Category::Security,
        Category::New,
        Category::Improved,
        Category::Fixed,
        Category::Deprecated,
    ];

    /// The heading users read.
    pub fn label(self) -> &'static str {
        match self {
            Category::New => "New",
            Category::Improved => "Improved",
            Category::Fixed => "Fixed",
            Category::Breaking => "Breaking changes",
            Category::Deprecated => "Deprecated",
            Category::Security => "Security",
        }
    }

}

/// Who a change matters to; each announcement draft is for one audience.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type,
)]
#[serde(rename_all = "camelCase")]
pub enum Audience {
    EndUsers,
    Admins,
    Developers,
    Internal,
}

stored_text!(Audience { EndUsers => "endUsers", Admins => "admins", Developers => "developers", Internal => "internal" });

impl Audience {
    pub const ALL: [Audience; 4] = [
        Audience::EndUsers,
        Audience::Admins,
        Audience::Developers,
        Audience::Internal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Audience::EndUsers => "End users",
            Audience::Admins => "Admins",
            Audience::Developers => "Developers and API users",
            Audience::Internal => "Internal",
        }
    }

}

#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That release no longer exists. The list has been refreshed.")]
    ReleaseNotFound,
    #[error("That change item no longer exists. The list has been refreshed.")]
    ItemNotFound,
    #[error("That draft no longer exists. The list has been refreshed.")]
    DraftNotFound,
    #[error("That send no longer exists. The list has been refreshed.")]
    SendNotFound,
    #[error("The settings of this project's announcements cannot be read. Set them again on the Announcements page.")]
    SettingsDamaged,
    #[error("This project has no repository folder. Set it in the project's settings (a local folder with a git clone), then read the changes again.")]
    NoRepository,
    #[error(transparent)]
    Changes(#[from] changes::ChangesError),
    #[error("{0}")]
    Template(render::RenderError),
    #[error("This draft has no reviewer. Choose who reviews it, and ask them to approve it.")]
    NoReviewer,
    #[error("Only {reviewer}, the draft's reviewer, can approve it. Choose {reviewer} under “Acting as” if that is you.")]
    NotReviewer { reviewer: String },
    #[error("{0}")]
    NotApproved(String),
    #[error("{0}")]
    NotVerified(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Recipients(#[from] mail::RecipientsError),
    #[error("{0}")]
    Send(#[from] mail::SendError),
    #[error("{0}")]
    Mail(#[from] mail::MailError),
    /// A file that could not be read; the message says what to do.
    #[error("{0}")]
    File(String),
    #[error("This announcement is being sent now. Wait for it to finish, or cancel it.")]
    AlreadySending,
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AnnounceError {
    fn from(e: rusqlite::Error) -> Self {
        AnnounceError::Store(StoreError::from(e))
    }
}

impl From<crate::audit::AuditError> for AnnounceError {
    fn from(e: crate::audit::AuditError) -> Self {
        AnnounceError::Release(e.into())
    }
}

impl Kind for AnnounceError {
    fn kind(&self) -> ErrorKind {
        use AnnounceError as E;
        match self {
            E::Invalid(_) | E::NoRepository | E::Template(_) | E::NoReviewer | E::NotReviewer { .. } => ErrorKind::Invalid,
            E::NotApproved(_) | E::NotVerified(_) | E::Refused(_) | E::Recipients(_) | E::Mail(_) | E::File(_) => ErrorKind::Invalid,
            E::Changes(_) => ErrorKind::Invalid,
            E::ReleaseNotFound | E::ItemNotFound | E::DraftNotFound | E::SendNotFound => ErrorKind::NotFound,
            E::SettingsDamaged => ErrorKind::Database,
            E::Send(_) => ErrorKind::External,
            E::AlreadySending => ErrorKind::Conflict,
            E::Keychain(_) => ErrorKind::Keychain,
            E::Credentials(e) => e.kind(),
            E::Release(e) => e.kind(),
            E::Project(e) => e.kind(),
            E::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AnnounceError::Invalid(f) => Some(f),
            AnnounceError::Release(e) => e.fields(),
            AnnounceError::Project(e) => e.fields(),
            _ => None,
        }
    }
}

/// Writes one audit entry of the announcement category.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    tx: &rusqlite::Connection,
    actor: &crate::audit::Actor,
    at: &str,
    project_id: &str,
    release_id: &str,
    action: &str,
    summary: String,
    reason: &str,
) -> rusqlite::Result<()> {
    crate::audit::record(
        tx,
        actor,
        at,
        crate::audit::Change {
            project_id,
            release_id: Some(release_id),
            item_id: None,
            category: crate::audit::AuditCategory::Announcement,
            action,
            summary,
            reason,
        },
    )
}

/// What a caller holds an id of, to find its release.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Draft,
    Item,
}

/// The release a draft or change item belongs to.
pub fn release_of(store: &crate::Store, owner: Owner, id: &str) -> Result<String, AnnounceError> {
    use rusqlite::OptionalExtension;
    let (sql, missing) = match owner {
        Owner::Draft => ("SELECT release_id FROM announcements WHERE id = ?1", AnnounceError::DraftNotFound),
        Owner::Item => ("SELECT release_id FROM change_items WHERE id = ?1", AnnounceError::ItemNotFound),
    };
    let found: Option<String> = store.reader()?.query_row(sql, [id], |r| r.get(0)).optional()?;
    found.ok_or(missing)
}

/// Adds a change item by hand; approvals follow.
pub fn add_item(store: &Store, release_id: &str, edit: &items::ItemEdit, actor: &Actor, now: DateTime<Utc>) -> Result<items::ChangeItem, AnnounceError> {
    store.write(|tx| {
        let item = items::add_in(tx, release_id, edit, actor, now)?;
        drafts::settle_in(tx, release_id, actor, &clock::to_text(now), "its change items changed")?;
        Ok(item)
    })
}

/// Saves the lead's edit of a change item; approvals follow.
pub fn update_item(store: &Store, item_id: &str, edit: &items::ItemEdit, actor: &Actor, now: DateTime<Utc>) -> Result<items::ChangeItem, AnnounceError> {
    store.write(|tx| {
        let item = items::update_in(tx, item_id, edit, actor, now)?;
        drafts::settle_in(tx, &item.release_id, actor, &clock::to_text(now), "its change items changed")?;
        Ok(item)
    })
}

/// Deletes a change item added by hand; approvals follow.
pub fn delete_item(store: &Store, item_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    store.write(|tx| {
        let release_id = items::delete_in(tx, item_id, actor, now)?;
        drafts::settle_in(tx, &release_id, actor, &clock::to_text(now), "its change items changed")
    })
}

/// Reads the release's commits from git (outside any write: git may be
/// slow) and merges them into its items in one write; approvals follow.
pub fn read_changes(
    store: &Store,
    release_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<items::ReadReport, AnnounceError> {
    let read = items::read_git(store, release_id, from, to)?;
    store.write(|tx| {
        let report = items::merge_in(tx, &read, actor, now)?;
        drafts::settle_in(tx, release_id, actor, &clock::to_text(now), "its change items changed")?;
        Ok(report)
    })
}

/// Saves the project's announcement settings; approvals of drafts whose
/// text they change (the sender, the links) follow.
pub fn set_settings(
    store: &Store,
    project_id: &str,
    settings: &settings::AnnounceSettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<settings::AnnounceSettings, AnnounceError> {
    store.write(|tx| {
        let saved = settings::set_in(tx, project_id, settings, now)?;
        settle_project_in(tx, project_id, actor, now, "the announcement settings changed")?;
        Ok(saved)
    })
}

/// Edits a release (its version, name, scope or date); approvals of its
/// drafts follow.
pub fn update_release(store: &Store, id: &str, draft: &ReleaseDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Release, AnnounceError> {
    let clean = crate::release::validate(draft)?;
    store.write(|tx| {
        let release = crate::release::update_in(tx, id, &clean, actor, now)?;
        drafts::settle_in(tx, id, actor, &clock::to_text(now), "the release changed")?;
        Ok(release)
    })
}

/// Edits a project (its name is in every draft); approvals follow.
pub fn update_project(store: &Store, id: &str, draft: &ProjectDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Project, AnnounceError> {
    let clean = crate::projects::validate(draft)?;
    store.write(|tx| {
        let project = crate::projects::update_in(tx, id, &clean, now)?;
        settle_project_in(tx, id, actor, now, "the project changed")?;
        Ok(project)
    })
}

/// What the project's production runs changed: a correction draft names
/// the version users are back on, so the approvals of corrections follow.
/// The deploy module calls it in the write that records a run's success.
pub(crate) fn production_changed_in(tx: &Connection, project_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    settle_releases_in(tx, project_id, true, actor, now, "the version running on production changed")
}

fn settle_project_in(tx: &Connection, project_id: &str, actor: &Actor, now: DateTime<Utc>, cause: &str) -> Result<(), AnnounceError> {
    settle_releases_in(tx, project_id, false, actor, now, cause)
}

/// The approval rule over the project's releases with an approved draft
/// still open (with `corrections_only`, an approved correction).
fn settle_releases_in(tx: &Connection, project_id: &str, corrections_only: bool, actor: &Actor, now: DateTime<Utc>, cause: &str) -> Result<(), AnnounceError> {
    let at = clock::to_text(now);
    for release_id in drafts::approved_releases_in(tx, project_id, corrections_only)? {
        drafts::settle_in(tx, &release_id, actor, &at, cause)?;
    }
    Ok(())
}

/// Moves a release to `to` (see [`crate::release::set_state`]); a move to
/// rolled back is a release pulled from production ([`release_pulled_in`]),
/// in the same transaction.
pub fn set_release_state(
    store: &Store,
    id: &str,
    to: ReleaseState,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Release, AnnounceError> {
    store.write(|tx| {
        let release = crate::release::set_state_in(tx, id, to, reason, actor, now, today)?;
        if to == ReleaseState::RolledBack {
            release_pulled_in(tx, id, actor, now)?;
        }
        Ok(release)
    })
}

/// The release stopped running on production (a rollback, a switch back, a
/// deploy of an older version): an "announce anyway" decided for it no
/// longer stands, and whoever heard of it gets a correction draft. The
/// deploy module calls it in the write that records the run's end.
pub(crate) fn release_pulled_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    gate::void_override_in(tx, release_id, actor, now)?;
    drafts::draft_corrections_in(tx, release_id, actor, now)
}
