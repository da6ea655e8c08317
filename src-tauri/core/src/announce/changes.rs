//! Change items of a release, read from its git repository.
//!
//! Git is read by running the `git` program, not through a library: it is
//! the same git, with the same configuration (safe directories, mailmap,
//! alternates, credential helpers never asked for anything here), that the
//! user runs in a terminal; it needs no native library and adds nothing
//! large to the build; and it runs as a real child process that the OS can
//! account for. Every call passes its arguments as a list (never through a
//! shell), resolves names to commits before they reach `git log`, and sets
//! `GIT_TERMINAL_PROMPT=0` and `LC_ALL=C` so that git never waits for input
//! and its messages are the English ones this module recognises.
//!
//! Each commit becomes a [`SuggestedItem`]: the category, audiences, text
//! and include flag a release lead would most likely pick. They are only
//! suggestions; the lead edits them before anything is sent.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::rules::Cause;
use crate::store::column::stored_text;

/// At most this many commits are read for one release. A longer range is an
/// error ([`ChangesError::TooManyCommits`]) rather than a silently cut list,
/// so that no change is left out of an announcement without the lead
/// knowing; the message says to choose a nearer starting point.
pub const MAX_COMMITS: usize = 2_000;

/// How many tags an "unknown tag" message lists.
const TAGS_LISTED: usize = 10;

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

/// The `from` and `to` of a release as names git knows: a bare version
/// (`2.4.0`) becomes the tag that exists (`v2.4.0` or `2.4.0`).
pub fn resolve_range(
    repo: &Path,
    from: Option<&str>,
    to: &str,
) -> Result<(Option<String>, String), ChangesError> {
    check_repository(repo)?;
    let to = resolve_name(repo, to)?.0;
    let from = match from {
        Some(from) => Some(resolve_name(repo, from)?.0),
        None => None,
    };
    Ok((from, to))
}

/// The nearest tag before `to`, where the previous release most likely
/// starts; `None` when there is none and the history starts at the root.
pub fn previous_tag(repo: &Path, to: &str) -> Result<Option<String>, ChangesError> {
    check_repository(repo)?;
    let (_, sha) = resolve_name(repo, to)?;
    // A root commit has no parent, so nothing can come before it.
    let parent = format!("{sha}^");
    if rev_parse(repo, &parent)?.is_none() {
        return Ok(None);
    }
    let out = git(repo, &["describe", "--tags", "--abbrev=0", &parent])?;
    if out.ok {
        let tag = out.stdout.trim();
        return Ok((!tag.is_empty()).then(|| tag.to_owned()));
    }
    let stderr = out.stderr.to_ascii_lowercase();
    if stderr.contains("no names found")
        || stderr.contains("no tags can describe")
        || stderr.contains("cannot describe")
    {
        return Ok(None);
    }
    Err(failed("find the previous tag", &out.stderr))
}

/// The commits in `from..to` (all of `to`'s history when `from` is
/// `None`), newest first, each with its suggested item. Merge commits that
/// brought in commits of the range are left out, their pull request number
/// given to those commits; other merges stay, not included.
pub fn read(repo: &Path, from: Option<&str>, to: &str) -> Result<Vec<SuggestedItem>, ChangesError> {
    check_repository(repo)?;
    let (to_name, to_sha) = resolve_name(repo, to)?;
    let (range, range_text) = match from {
        Some(from) => {
            let (from_name, from_sha) = resolve_name(repo, from)?;
            (
                format!("{from_sha}..{to_sha}"),
                format!("{from_name}..{to_name}"),
            )
        }
        None => (to_sha, format!("The history of {to_name}")),
    };
    let max = format!("--max-count={}", MAX_COMMITS + 1);
    let out = git(
        repo,
        &[
            "-c",
            "log.showSignature=false",
            "log",
            "--no-color",
            "-z",
            &max,
            // One field a line: git refuses a newline in a name (an ident
            // is one line of the commit object), and hashes and dates have
            // none, so no field can shift another; the message comes last.
            "--format=%H%n%h%n%P%n%aN%n%aI%n%B",
            &range,
            "--",
        ],
    )?;
    if !out.ok {
        return Err(failed("read the history", &out.stderr));
    }
    let mut raw: Vec<RawCommit> = out
        .stdout
        .split('\0')
        .filter_map(RawCommit::parse)
        .collect();
    if raw.len() > MAX_COMMITS {
        return Err(ChangesError::TooManyCommits {
            range: range_text,
            limit: MAX_COMMITS,
        });
    }
    let absorbed = attach_merge_prs(&mut raw);
    Ok(raw
        .into_iter()
        .filter(|c| !absorbed.contains(&c.commit.sha))
        .map(|c| suggest(c.commit))
        .collect())
}

/// The suggestion for one commit. A merge is never included; otherwise
/// breaking beats security (a `security` type or scope, or "CVE-" in the
/// message) beats deprecated beats the type: feat → New, fix → Fixed,
/// refactor/style/chore/ci/build/test/docs → Improved and not included,
/// perf, other types and plain commits → Improved. Audiences: end users
/// for anything included, admins too for security and config/admin/
/// deploy/ops scopes, developers too for breaking changes and api/sdk/cli
/// scopes; internal only for what is not included.
pub fn suggest(commit: Commit) -> SuggestedItem {
    let kind = commit.kind.as_deref().map(str::to_ascii_lowercase);
    let scope = commit.scope.as_deref().map(str::to_ascii_lowercase);
    let scope_parts: Vec<&str> = scope
        .as_deref()
        .map(|s| s.split(|c: char| !c.is_ascii_alphanumeric()).collect())
        .unwrap_or_default();
    let kind = kind.as_deref();
    let excluded_kind = matches!(
        kind,
        Some("refactor" | "style" | "chore" | "ci" | "build" | "test" | "tests" | "docs")
    );
    let security = kind == Some("security")
        || scope_parts.contains(&"security")
        || commit.subject.contains("CVE-")
        || commit.body.contains("CVE-");
    let deprecated = matches!(kind, Some("deprecate" | "deprecated"))
        || commit.description.to_lowercase().contains("deprecat");

    let (category, include) = if commit.merge {
        (Category::Improved, false)
    } else if commit.breaking {
        (Category::Breaking, true)
    } else if security {
        (Category::Security, true)
    } else if deprecated {
        (Category::Deprecated, true)
    } else {
        match kind {
            Some("feat") => (Category::New, true),
            Some("fix") => (Category::Fixed, true),
            _ if excluded_kind => (Category::Improved, false),
            _ => (Category::Improved, true),
        }
    };

    let mut audiences = Vec::new();
    if include {
        audiences.push(Audience::EndUsers);
        if category == Category::Security
            || scope_parts.iter().any(|p| {
                p.contains("config")
                    || p.contains("admin")
                    || p.contains("deploy")
                    || p.ends_with("ops")
            })
        {
            audiences.push(Audience::Admins);
        }
        if commit.breaking
            || scope_parts
                .iter()
                .any(|p| matches!(*p, "api" | "sdk" | "cli"))
        {
            audiences.push(Audience::Developers);
        }
    } else {
        audiences.push(Audience::Internal);
    }

    let source = match (&commit.breaking_note, commit.breaking) {
        (Some(note), true) => note.as_str(),
        _ => commit.description.as_str(),
    };
    let text = item_text(source);
    SuggestedItem {
        commit,
        category,
        audiences,
        include,
        text,
    }
}

/// A description as users read it: one line, the first letter upper-cased,
/// without a trailing period or a `(#123)` suffix.
fn item_text(description: &str) -> String {
    let one_line = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let (rest, _) = split_pr_suffix(&one_line);
    let rest = rest.trim_end().trim_end_matches('.').trim_end();
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `"Fix login (#12)"` → `("Fix login", Some(12))`.
fn split_pr_suffix(text: &str) -> (&str, Option<u32>) {
    let trimmed = text.trim_end();
    if let Some(inner) = trimmed.strip_suffix(')') {
        if let Some(at) = inner.rfind("(#") {
            let digits = &inner[at + 2..];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(n) = digits.parse() {
                    return (inner[..at].trim_end(), Some(n));
                }
            }
        }
    }
    (text, None)
}

/// The pull or merge request a message names: GitHub's merge subject, a
/// GitLab merge body, or a squash commit's `(#123)` suffix.
fn pr_number(subject: &str, body: &str) -> Option<u32> {
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        if let Some(n) = leading_number(rest) {
            return Some(n);
        }
    }
    for line in body.lines() {
        if let Some(rest) = line.trim().strip_prefix("See merge request ") {
            if let Some((_, number)) = rest.rsplit_once('!') {
                if let Some(n) = leading_number(number) {
                    return Some(n);
                }
            }
        }
    }
    split_pr_suffix(subject).1
}

fn leading_number(text: &str) -> Option<u32> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// One record of `git log` with its parents.
struct RawCommit {
    commit: Commit,
    parents: Vec<String>,
}

impl RawCommit {
    /// Fields, one a line: hash, short hash, parents, author, date, then the
    /// raw message. Nothing a name or a message holds can shift a field.
    /// Text that users will read is cleaned ([`clean_text`]).
    fn parse(record: &str) -> Option<RawCommit> {
        let record = record.trim_start_matches('\n');
        if record.is_empty() {
            return None;
        }
        let mut fields = record.splitn(6, '\n');
        let sha = fields.next()?.trim().to_owned();
        let short = fields.next()?.trim().to_owned();
        let parents: Vec<String> = fields
            .next()?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let author = clean_text(fields.next()?, MAX_NAME_CHARS);
        let date = fields.next()?.trim().to_owned();
        let message = fields.next().unwrap_or("").trim();
        let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(&sha) || !hex(&short) || !parents.iter().all(|p| hex(p)) {
            return None;
        }
        let (subject, body) = split_message(message);
        let subject = clean_text(&subject, MAX_TEXT_CHARS);
        let merge = parents.len() > 1;
        let pr = pr_number(&subject, &body);
        let (kind, scope, breaking, breaking_note, description) = conventional(&subject, &body);
        let breaking_note = breaking_note.map(|n| clean_text(&n, MAX_TEXT_CHARS));
        Some(RawCommit {
            commit: Commit {
                sha,
                short,
                subject,
                body,
                author,
                date,
                merge,
                pr,
                kind,
                scope,
                breaking,
                breaking_note,
                description,
            },
            parents,
        })
    }
}

/// The longest item text read from git, in characters: what a hand edit
/// may hold.
pub const MAX_TEXT_CHARS: usize = 500;
/// The longest author name kept.
pub const MAX_NAME_CHARS: usize = 200;

/// Commit text as users may read it: control characters (C0, DEL, C1) and
/// the invisible bidirectional controls (which can make text read in
/// another order than it is stored, as in "Trojan Source") removed,
/// whitespace runs made one space, at most `max` characters (cut at a
/// character, with an ellipsis).
pub fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut count = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        let word = word.chars().filter(|&c| !is_bidi_control(c) && c != '\u{FEFF}');
        for (i, c) in word.enumerate() {
            if i == 0 && !out.is_empty() {
                out.push(' ');
                count += 1;
            }
            out.push(c);
            count += 1;
        }
        if count > max {
            break;
        }
    }
    if count > max {
        out = out.chars().take(max.saturating_sub(1)).collect::<String>().trim_end().to_owned();
        out.push('…');
    }
    out
}

/// The Unicode characters that only steer the direction of text.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Subject (the first paragraph joined on one line, as `%s` does) and body.
/// A lone carriage return ends a line as a newline does.
fn split_message(message: &str) -> (String, String) {
    let normalized = message.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines = normalized.lines();
    let mut subject_lines = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            if subject_lines.is_empty() {
                continue;
            }
            break;
        }
        subject_lines.push(line.trim());
    }
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_owned();
    (subject_lines.join(" "), body)
}

type Conventional = (Option<String>, Option<String>, bool, Option<String>, String);

/// The conventional-commit reading of a message; a plain commit keeps its
/// subject as description. A body git-conventional cannot read falls back
/// to the subject alone, with the breaking footer looked for by hand.
fn conventional(subject: &str, body: &str) -> Conventional {
    let full = if body.is_empty() {
        subject.to_owned()
    } else {
        format!("{subject}\n\n{body}")
    };
    let parsed = git_conventional::Commit::parse(&full)
        .ok()
        .or_else(|| git_conventional::Commit::parse(subject).ok());
    let Some(parsed) = parsed else {
        return (None, None, false, None, subject.to_owned());
    };
    let mut note = parsed
        .footers()
        .iter()
        .find(|f| f.breaking())
        .map(|f| f.value().split_whitespace().collect::<Vec<_>>().join(" "));
    if note.is_none() {
        note = body.lines().find_map(|line| {
            let line = line.trim();
            line.strip_prefix("BREAKING CHANGE:")
                .or_else(|| line.strip_prefix("BREAKING-CHANGE:"))
                .map(|v| v.trim().to_owned())
        });
    }
    let note = note.filter(|n| !n.is_empty());
    let breaking = parsed.breaking() || note.is_some();
    (
        Some(parsed.type_().as_str().to_owned()),
        parsed.scope().map(|s| s.as_str().to_owned()),
        breaking,
        note,
        parsed.description().trim().to_owned(),
    )
}

/// Gives each merge's pull request number to the commits it brought in
/// (those reachable from its other parents but not its first, within the
/// range) that have none yet, older merges first so that the innermost
/// pull request wins. Returns the merges whose commits are in the range;
/// they are not listed on their own.
fn attach_merge_prs(commits: &mut [RawCommit]) -> HashSet<String> {
    let index: HashMap<String, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.commit.sha.clone(), i))
        .collect();
    let ancestors = |starts: &[String]| -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = starts
            .iter()
            .filter_map(|s| index.get(s).copied())
            .collect();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(
                    commits[i]
                        .parents
                        .iter()
                        .filter_map(|p| index.get(p).copied()),
                );
            }
        }
        seen
    };
    let mut absorbed = HashSet::new();
    let mut assignments: Vec<(usize, Option<u32>)> = Vec::new();
    for i in (0..commits.len()).rev() {
        let c = &commits[i];
        if !c.commit.merge {
            continue;
        }
        let mainline = ancestors(&c.parents[..1]);
        let merged: Vec<usize> = ancestors(&c.parents[1..])
            .into_iter()
            .filter(|j| !mainline.contains(j))
            .collect();
        if merged.is_empty() {
            continue;
        }
        absorbed.insert(c.commit.sha.clone());
        for j in merged {
            assignments.push((j, c.commit.pr));
        }
    }
    for (j, pr) in assignments {
        let commit = &mut commits[j].commit;
        if commit.pr.is_none() && !commit.merge {
            commit.pr = pr;
        }
    }
    absorbed
}

/// Git's output, as text.
struct GitOutput {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn git(repo: &Path, args: &[&str]) -> Result<GitOutput, ChangesError> {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    // A parent that runs inside a hook or another repository must not
    // point git somewhere other than `repo`.
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    ] {
        command.env_remove(var);
    }
    let output = command.output().map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => ChangesError::GitMissing,
        _ => ChangesError::GitFailed { action: "start", cause: Cause::of(&err) },
    })?;
    Ok(GitOutput {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Git's first meaningful line of error output, trimmed and bounded.
fn failed(action: &'static str, stderr: &str) -> ChangesError {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("it stopped without saying why");
    let mut message: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        message.push('…');
    }
    ChangesError::GitFailed { action, cause: Cause(message) }
}

fn check_repository(repo: &Path) -> Result<(), ChangesError> {
    if !repo.is_dir() {
        return Err(ChangesError::FolderMissing(repo.to_owned()));
    }
    let out = git(repo, &["rev-parse", "--git-dir"])?;
    if out.ok {
        return Ok(());
    }
    if out
        .stderr
        .to_ascii_lowercase()
        .contains("not a git repository")
    {
        return Err(ChangesError::NotARepository(repo.to_owned()));
    }
    Err(failed("open the repository", &out.stderr))
}

/// The commit a name points to, if any.
fn rev_parse(repo: &Path, name: &str) -> Result<Option<String>, ChangesError> {
    let spec = format!("{name}^{{commit}}");
    let out = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    let sha = out.stdout.trim();
    Ok((out.ok && !sha.is_empty()).then(|| sha.to_owned()))
}

/// A tag, branch or commit, or a bare version meaning the tag `v<version>`
/// (or `<version>` when `v…` is given and only the bare tag exists), as
/// (the name that exists, its commit).
fn resolve_name(repo: &Path, name: &str) -> Result<(String, String), ChangesError> {
    let name = name.trim();
    let usable = !name.is_empty()
        && !name.starts_with('-')
        && !name.chars().any(|c| c.is_control() || c.is_whitespace());
    if usable {
        let mut candidates = vec![name.to_owned()];
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            candidates.push(format!("v{name}"));
        } else if let Some(bare) = name.strip_prefix(['v', 'V']) {
            if bare.starts_with(|c: char| c.is_ascii_digit()) {
                candidates.push(bare.to_owned());
            }
        }
        for candidate in candidates {
            if let Some(sha) = rev_parse(repo, &candidate)? {
                return Ok((candidate, sha));
            }
        }
    }
    Err(ChangesError::UnknownRef {
        name: name.to_owned(),
        tags: newest_tags(repo)?,
    })
}

/// The newest tags by version, listed oldest to newest.
fn newest_tags(repo: &Path) -> Result<Vec<String>, ChangesError> {
    let out = git(repo, &["tag", "--list", "--sort=-v:refname"])?;
    if !out.ok {
        return Err(failed("list the tags", &out.stderr));
    }
    let mut tags: Vec<String> = out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .take(TAGS_LISTED)
        .map(str::to_owned)
        .collect();
    tags.reverse();
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs git in `dir` with a fixed identity and no signing, as the
    /// module does (so that a hook's GIT_DIR does not leak in).
    fn run(dir: &Path, args: &[&str]) -> String {
        run_at(dir, args, "2024-05-01T10:00:00+00:00")
    }

    fn run_at(dir: &Path, args: &[&str], date: &str) -> String {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=Ada Lovelace",
                "-c",
                "user.email=ada@example.com",
            ])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_COMMON_DIR",
        ] {
            command.env_remove(var);
        }
        let out = command.output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Each commit a minute after the one before, so that "newest first"
    /// has one answer.
    fn commit(dir: &Path, message: &str) {
        commit_with(dir, &[], message);
    }

    fn commit_as(dir: &Path, author: &str, message: &str) {
        commit_with(dir, &["--author", author], message);
    }

    fn commit_with(dir: &Path, extra: &[&str], message: &str) {
        let count = run(dir, &["rev-list", "--all", "--count"])
            .trim()
            .parse::<u32>()
            .unwrap_or(0);
        let date = format!("2024-05-01T10:{count:02}:00+00:00");
        let mut args = vec!["commit", "--allow-empty", "-q", "-m", message];
        args.extend_from_slice(extra);
        run_at(dir, &args, &date);
    }

    /// Contributors' names and messages cannot forge fields, and what users
    /// will read of them is clean text of a bounded length.
    #[test]
    fn hostile_names_and_messages_are_read_as_what_they_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        run(d, &["init", "-q"]);
        commit(d, "Initial commit");
        run(d, &["tag", "v1.0.0"]);
        // A name holding the old field separator, a forged date and a
        // breaking subject.
        commit_as(d, "Eve\x1f2099-01-01T00:00:00+00:00\x1ffeat!: pwned <eve@example.com>", "chore: tidy the build");
        commit(d, "fix: sign\u{202E}in again\u{2066} for\u{200F} all");
        commit(d, &format!("feat: {}", "long ".repeat(20_000)));
        commit(d, "feat: add export\rwith a lone carriage return");
        commit(d, "fix: bell\u{7} and escape\u{1b}[31m characters");
        let raw = d.join("msg");
        std::fs::write(&raw, b"fix: caf\xe9 latin-1 bytes\n").unwrap();
        run(d, &["commit", "--allow-empty", "-q", "-F", raw.to_str().unwrap()]);
        run(d, &["tag", "v1.1.0"]);
        let items = read(d, Some("v1.0.0"), "v1.1.0").expect("reads");
        assert_eq!(items.len(), 6);
        let by = |prefix: &str| items.iter().find(|i| i.commit.subject.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {items:#?}"));
        let chore = by("chore:");
        assert!(!chore.include && chore.category != Category::Breaking, "{chore:?}");
        assert_eq!(chore.commit.author, "Eve 2099-01-01T00:00:00+00:00 feat!: pwned", "the name is a name, cleaned");
        assert!(chore.commit.date.starts_with("2024-05-01"), "{}", chore.commit.date);
        let rtl = by("fix: sign");
        assert_eq!(rtl.text, "Signin again for all", "bidirectional controls removed, nothing else");
        let long = items.iter().find(|i| i.commit.subject.starts_with("feat: long")).unwrap();
        assert!(long.commit.subject.chars().count() <= MAX_TEXT_CHARS && long.text.chars().count() <= MAX_TEXT_CHARS, "capped: {} and {}", long.commit.subject.chars().count(), long.text.chars().count());
        let cr = by("feat: add export");
        assert_eq!((cr.commit.kind.as_deref(), cr.text.as_str()), (Some("feat"), "Add export with a lone carriage return"), "a lone CR is a line break");
        let ctl = by("fix: bell");
        assert!(!ctl.text.chars().any(char::is_control), "{:?}", ctl.text);
        let latin = by("fix: caf");
        assert!(latin.text.starts_with("Caf"), "{:?}", latin.text);
    }

    /// v1.0.0, then on main: a plain commit, conventional ones, breaking
    /// ones, a squashed fix, a chore, a merged pull request; then v1.1.0.
    fn sample_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        run(d, &["init", "-q"]);
        commit(d, "Initial commit");
        run(d, &["tag", "v1.0.0"]);
        commit(d, "Tidy up the settings page.");
        commit(d, "feat(export): export reports as CSV");
        commit(d, "feat(api)!: remove the v1 endpoints");
        commit(
            d,
            "refactor(auth): new session store\n\nBREAKING CHANGE: sessions from before the update are signed out",
        );
        commit_as(
            d,
            "Grace Hopper <grace@example.com>",
            "fix(login): accept emails with a plus sign (#12)",
        );
        commit(d, "chore: bump dependencies");
        run(d, &["checkout", "-q", "-b", "feature"]);
        commit(d, "feat(config): a setting for the default time zone");
        run(d, &["checkout", "-q", "main"]);
        commit(d, "docs: explain the export");
        run_at(
            d,
            &[
                "merge",
                "-q",
                "--no-ff",
                "feature",
                "-m",
                "Merge pull request #34 from someone/feature",
            ],
            "2024-05-01T11:00:00+00:00",
        );
        run(d, &["tag", "-a", "v1.1.0", "-m", "Version 1.1.0"]);
        commit(d, "fix: after the release");
        dir
    }

    fn find<'a>(items: &'a [SuggestedItem], subject: &str) -> &'a SuggestedItem {
        items
            .iter()
            .find(|i| i.commit.subject == subject)
            .unwrap_or_else(|| {
                panic!(
                    "no item “{subject}” in {:?}",
                    items.iter().map(|i| &i.commit.subject).collect::<Vec<_>>()
                )
            })
    }

    #[test]
    fn items_between_two_tags() {
        let repo = sample_repo();
        let items = read(repo.path(), Some("v1.0.0"), "v1.1.0").expect("read");
        let subjects: Vec<&str> = items.iter().map(|i| i.commit.subject.as_str()).collect();
        // Nine commits, the merge left out: its pull request went to the
        // commit it merged.
        assert_eq!(items.len(), 8, "{subjects:?}");
        assert!(!subjects.contains(&"Initial commit"));
        assert!(!subjects.contains(&"fix: after the release"));
        assert!(!items.iter().any(|i| i.commit.merge));

        let plain = find(&items, "Tidy up the settings page.");
        assert_eq!((plain.category, plain.include), (Category::Improved, true));
        assert_eq!(plain.text, "Tidy up the settings page");
        assert_eq!(plain.commit.kind, None);
        assert_eq!(plain.audiences, vec![Audience::EndUsers]);
        assert_eq!(plain.commit.author, "Ada Lovelace");
        assert_eq!(plain.commit.date, "2024-05-01T10:01:00Z");
        assert_eq!(plain.commit.sha.len(), 40);

        let feat = find(&items, "feat(export): export reports as CSV");
        assert_eq!((feat.category, feat.include), (Category::New, true));
        assert_eq!(feat.text, "Export reports as CSV");
        assert_eq!(feat.commit.scope.as_deref(), Some("export"));

        let api = find(&items, "feat(api)!: remove the v1 endpoints");
        assert_eq!((api.category, api.include), (Category::Breaking, true));
        assert!(api.commit.breaking);
        assert_eq!(api.text, "Remove the v1 endpoints");
        assert_eq!(
            api.audiences,
            vec![Audience::EndUsers, Audience::Developers]
        );

        let footer = find(&items, "refactor(auth): new session store");
        assert_eq!(
            (footer.category, footer.include),
            (Category::Breaking, true)
        );
        assert_eq!(
            footer.commit.breaking_note.as_deref(),
            Some("sessions from before the update are signed out")
        );
        assert_eq!(
            footer.text,
            "Sessions from before the update are signed out"
        );

        let fix = find(&items, "fix(login): accept emails with a plus sign (#12)");
        assert_eq!((fix.category, fix.include), (Category::Fixed, true));
        assert_eq!(fix.commit.pr, Some(12));
        assert_eq!(fix.text, "Accept emails with a plus sign");
        assert_eq!(fix.commit.author, "Grace Hopper");

        let chore = find(&items, "chore: bump dependencies");
        assert_eq!((chore.category, chore.include), (Category::Improved, false));
        assert_eq!(chore.audiences, vec![Audience::Internal]);
        let docs = find(&items, "docs: explain the export");
        assert!(!docs.include);

        let merged = find(&items, "feat(config): a setting for the default time zone");
        assert_eq!(merged.commit.pr, Some(34));
        assert_eq!(merged.category, Category::New);
        assert_eq!(merged.audiences, vec![Audience::EndUsers, Audience::Admins]);

        // Newest first.
        assert_eq!(items[0].commit.subject, "docs: explain the export");
        assert_eq!(
            items.last().map(|i| i.commit.subject.as_str()),
            Some("Tidy up the settings page.")
        );
    }

    #[test]
    fn bare_versions_and_previous_tags() {
        let repo = sample_repo();
        let (from, to) = resolve_range(repo.path(), Some("1.0.0"), "1.1.0").expect("resolve");
        assert_eq!((from.as_deref(), to.as_str()), (Some("v1.0.0"), "v1.1.0"));
        let (from, to) = resolve_range(repo.path(), None, "main").expect("resolve");
        assert_eq!((from, to.as_str()), (None, "main"));
        assert_eq!(
            previous_tag(repo.path(), "v1.1.0").expect("tag").as_deref(),
            Some("v1.0.0")
        );
        assert_eq!(
            previous_tag(repo.path(), "main").expect("tag").as_deref(),
            Some("v1.1.0")
        );
        assert_eq!(previous_tag(repo.path(), "v1.0.0").expect("tag"), None);
        // No starting point: the whole history up to the tag.
        let all = read(repo.path(), None, "1.0.0").expect("read");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].commit.subject, "Initial commit");
    }

    #[test]
    fn a_merge_without_merged_commits_stays_excluded() {
        let mut merge = RawCommit::parse(
            "aaaa\naa\nbbbb cccc\nAda\n2024-05-01T10:00:00+00:00\nMerge branch 'x'\n\nSee merge request group/proj!45\n",
        )
        .expect("parses");
        assert_eq!(merge.commit.pr, Some(45));
        let absorbed = attach_merge_prs(std::slice::from_mut(&mut merge));
        assert!(absorbed.is_empty());
        let item = suggest(merge.commit);
        assert!(!item.include);
        assert_eq!(item.audiences, vec![Audience::Internal]);
    }

    #[test]
    fn pull_request_numbers() {
        assert_eq!(pr_number("Merge pull request #123 from a/b", ""), Some(123));
        assert_eq!(
            pr_number(
                "Merge branch 'x' into 'main'",
                "Do it\n\nSee merge request group/sub/proj!45"
            ),
            Some(45)
        );
        assert_eq!(pr_number("fix: thing (#7)", ""), Some(7));
        assert_eq!(pr_number("fix: thing (#)", ""), None);
        assert_eq!(pr_number("fix: thing (#99999999999)", ""), None);
        assert_eq!(pr_number("fix: thing", ""), None);
    }

    #[test]
    fn categories_for_security_and_deprecation() {
        let base = Commit {
            sha: "a".into(),
            short: "a".into(),
            subject: String::new(),
            body: String::new(),
            author: String::new(),
            date: String::new(),
            merge: false,
            pr: None,
            kind: None,
            scope: None,
            breaking: false,
            breaking_note: None,
            description: String::new(),
        };
        let with = |subject: &str| {
            let (kind, scope, breaking, breaking_note, description) = conventional(subject, "");
            suggest(Commit {
                subject: subject.into(),
                kind,
                scope,
                breaking,
                breaking_note,
                description,
                ..base.clone()
            })
        };
        let cve = with("chore(deps): bump openssl for CVE-2024-1234");
        assert_eq!((cve.category, cve.include), (Category::Security, true));
        assert!(cve.audiences.contains(&Audience::Admins));
        assert_eq!(
            with("security: rotate session keys").category,
            Category::Security
        );
        assert_eq!(
            with("fix(security): escape names").category,
            Category::Security
        );
        assert_eq!(
            with("deprecate: the old importer").category,
            Category::Deprecated
        );
        assert_eq!(
            with("feat: deprecate the XML export").category,
            Category::Deprecated
        );
        assert_eq!(with("perf: faster search").category, Category::Improved);
        assert!(with("perf: faster search").include);
        assert!(with("feat(cli): a --json flag")
            .audiences
            .contains(&Audience::Developers));
        assert!(with("fix(deploy): retries")
            .audiences
            .contains(&Audience::Admins));
        assert_eq!(with("").text, "");
        assert_eq!(with("ünïcode start.").text, "Ünïcode start");
    }

    #[test]
    fn range_errors_say_what_to_do() {
        let missing = Path::new("/nonexistent/liftoff-repo");
        let err = read(missing, None, "main").expect_err("missing folder");
        assert!(matches!(err, ChangesError::FolderMissing(_)));
        assert!(err
            .to_string()
            .contains("does not exist. Set the project's repository folder"));

        let empty = tempfile::tempdir().expect("tempdir");
        let err = read(empty.path(), None, "main").expect_err("not a repo");
        assert!(matches!(err, ChangesError::NotARepository(_)), "{err:?}");

        let repo = sample_repo();
        let err = read(repo.path(), Some("v9.9"), "v1.1.0").expect_err("unknown tag");
        assert_eq!(
            err.to_string(),
            "There is no tag or branch called “v9.9”. Tags in this repository: v1.0.0, v1.1.0."
        );
        let err = resolve_range(repo.path(), None, "--output=/tmp/x").expect_err("option");
        assert!(matches!(err, ChangesError::UnknownRef { .. }));
    }

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
