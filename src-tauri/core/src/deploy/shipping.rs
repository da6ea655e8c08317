//! What is about to ship: the commits between the version running on the
//! environment and the one chosen, read from the project's repository as
//! the announcements read them (conventional type, pull request, breaking),
//! like Shipit's list of undeployed commits. A breaking change among them is
//! a preflight warning.
//!
//! Reading it never stops a deploy: without a local repository, or when a
//! version has no tag there, the list is empty and says why.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::announce::changes;

/// One commit about to ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ShipCommit {
    pub short: String,
    /// Its subject, as text (cleaned as change items are).
    pub subject: String,
    /// The conventional type (`feat`, `fix`, …), when it has one.
    pub kind: Option<String>,
    pub pr: Option<u32>,
    pub breaking: bool,
}

/// The commits a deploy would bring to an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Shipping {
    /// What runs there now (a tag or commit), if anything.
    pub from: Option<String>,
    /// What would run there after the deploy.
    pub to: String,
    /// Newest first; merges left out.
    pub commits: Vec<ShipCommit>,
    /// Why the list is empty or partial, when it is.
    pub note: Option<String>,
}

impl Shipping {
    pub fn breaking(&self) -> Vec<&ShipCommit> {
        self.commits.iter().filter(|c| c.breaking).collect()
    }
}

/// The commits from `running` (the version on the environment; `None`: the
/// tag before `to`) to `to` (a build reference or version) in the project's
/// repository folder `repository`.
pub fn between(repository: &str, running: Option<&str>, to: &str) -> Shipping {
    let to = to.trim().to_owned();
    let mut out = Shipping { from: running.map(str::to_owned), to: to.clone(), ..Shipping::default() };
    let repo = repository.trim();
    if repo.is_empty() || repo.contains("://") || repo.starts_with("git@") {
        out.note = Some("Set the project's repository folder (a local clone, in Project settings) to see the commits that would ship.".into());
        return out;
    }
    if to.is_empty() {
        return out;
    }
    let repo = Path::new(repo);
    let range = changes::resolve_range(repo, running, &to).and_then(|(from, to)| {
        let from = match from {
            Some(f) => Some(f),
            None => changes::previous_tag(repo, &to)?,
        };
        Ok((from, to))
    });
    let (from, to_name) = match range {
        Ok(r) => r,
        Err(e) => {
            out.note = Some(format!("The commits cannot be listed: {e}"));
            return out;
        }
    };
    if from.as_deref() == Some(to_name.as_str()) {
        out.note = Some(format!("{to} runs there already: nothing new ships."));
        return out;
    }
    match changes::read(repo, from.as_deref(), &to_name) {
        Ok(items) => {
            out.from = from;
            out.commits = items
                .into_iter()
                .map(|i| ShipCommit { short: i.commit.short, subject: i.commit.subject, kind: i.commit.kind, pr: i.commit.pr, breaking: i.commit.breaking })
                .collect();
        }
        Err(e) => out.note = Some(format!("The commits cannot be listed: {e}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_local_repository_the_list_says_why() {
        let s = between("https://git.example.com/x.git", Some("1.0"), "1.1");
        assert!(s.commits.is_empty());
        assert!(s.note.unwrap().contains("repository folder"));
        let dir = tempfile::tempdir().unwrap();
        let s = between(dir.path().to_str().unwrap(), Some("1.0"), "1.1");
        assert!(s.note.unwrap().contains("cannot be listed"), "not a git repository");
    }
}
