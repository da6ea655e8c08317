//! Change items of a release, read from its git repository.
//!
//! - `git`: the `git` program run for a range of commits, names resolved
//!   to commits, each `git log` record read into a [`Commit`];
//! - `conventional`: a commit's message read (conventional commits, pull
//!   request numbers, text cleaned) and the [`SuggestedItem`] made of it.
//!
//! The [`Audience`](super::Audience) and [`Category`](super::Category) an
//! item is suggested for belong to all of `announce` and live in its root.

mod conventional;
mod git;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Audience, Category};
use crate::rules::Cause;

pub use conventional::{clean_text, suggest, MAX_NAME_CHARS, MAX_TEXT_CHARS};
pub use git::{commit_times, previous_tag, read, resolve_range};

/// At most this many commits are read for one release. A longer range is an
/// error ([`ChangesError::TooManyCommits`]) rather than a silently cut list,
/// so that no change is left out of an announcement without the lead
/// knowing; the message says to choose a nearer starting point.
pub const MAX_COMMITS: usize = 2_000;

/// How many tags an "unknown tag" message lists.
const TAGS_LISTED: usize = 10;

/// One commit as git reports it, with its conventional-commit reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    /// The full hash.
    pub sha: String,
    pub short: String,
    /// The first paragraph of the message, on one line.
    pub subject: String,
    /// The rest of the message.
    pub body: String,
    /// The author's name (after the repository's mailmap).
    pub author: String,
    /// The author date, strict ISO 8601 as git writes it.
    pub date: String,
    /// A commit with more than one parent.
    pub merge: bool,
    /// The pull or merge request the commit came from, when known.
    pub pr: Option<u32>,
    /// The conventional type (`feat`, `fix`, …) as written.
    pub kind: Option<String>,
    pub scope: Option<String>,
    pub breaking: bool,
    /// The text of a `BREAKING CHANGE:` footer.
    pub breaking_note: Option<String>,
    /// The conventional description, or the subject of a plain commit.
    pub description: String,
}

/// A commit with what the lead would most likely want done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SuggestedItem {
    pub commit: Commit,
    pub category: Category,
    pub audiences: Vec<Audience>,
    pub include: bool,
    /// The line users read.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("The repository folder {} does not exist. Set the project's repository folder in its settings.", .0.display())]
    FolderMissing(PathBuf),
    #[error("The folder {} is not a git repository. Set the project's repository folder to the folder that holds its .git folder.", .0.display())]
    NotARepository(PathBuf),
    #[error("There is no tag or branch called “{name}”. {}", tag_hint(.tags))]
    UnknownRef { name: String, tags: Vec<String> },
    #[error("Git is not installed, or Liftoff cannot find it. Install git (git-scm.com) and make sure the git command works in a terminal, then try again.")]
    GitMissing,
    /// Git's own words are the cause, shown behind "Details".
    #[error("Git could not {action}. Check that the repository folder holds a working git clone (git status works in it), then try again.")]
    GitFailed {
        action: &'static str,
        #[source]
        cause: Cause,
    },
    #[error("{range} has more than {} commits, more than one announcement can list. Choose a later starting tag or commit.", group_thousands(*.limit))]
    TooManyCommits { range: String, limit: usize },
}

fn tag_hint(tags: &[String]) -> String {
    match tags {
        [] => "This repository has no tags yet. Use a branch name or a commit instead.".to_owned(),
        _ if tags.len() >= TAGS_LISTED => {
            format!(
                "Tags in this repository (the newest {TAGS_LISTED}): {}.",
                tags.join(", ")
            )
        }
        _ => format!("Tags in this repository: {}.", tags.join(", ")),
    }
}

fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_commits_is_an_error() {
        let err = ChangesError::TooManyCommits {
            range: "v1.0.0..v2.0.0".into(),
            limit: MAX_COMMITS,
        };
        assert_eq!(
            err.to_string(),
            "v1.0.0..v2.0.0 has more than 2,000 commits, more than one announcement can list. Choose a later starting tag or commit."
        );
    }
}
