//! The release's commits read by running the `git` program.
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

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};

use super::conventional::{clean_text, conventional, pr_number, split_message, suggest, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use super::{ChangesError, Commit, SuggestedItem, MAX_COMMITS, TAGS_LISTED};
use crate::rules::Cause;

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

/// The commits in `from..to` (all of `to`'s history when `from` is
/// `None`) as (full hash, committer date as git writes it, `%cI`), newest
/// first, merges included: what lead time counts. At most `limit` are
/// read; more is [`ChangesError::TooManyCommits`].
pub fn commit_times(repo: &Path, from: Option<&str>, to: &str, limit: usize) -> Result<Vec<(String, String)>, ChangesError> {
    check_repository(repo)?;
    let (to_name, to_sha) = resolve_name(repo, to)?;
    let (range, range_text) = match from {
        Some(from) => {
            let (from_name, from_sha) = resolve_name(repo, from)?;
            (format!("{from_sha}..{to_sha}"), format!("{from_name}..{to_name}"))
        }
        None => (to_sha, format!("The history of {to_name}")),
    };
    let max = format!("--max-count={}", limit + 1);
    let out = git(repo, &["-c", "log.showSignature=false", "log", "--no-color", &max, "--format=%H %cI", &range, "--"])?;
    if !out.ok {
        return Err(failed("read the history", &out.stderr));
    }
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let commits: Vec<(String, String)> = out
        .stdout
        .lines()
        .filter_map(|l| l.trim().split_once(' '))
        .filter(|(sha, _)| hex(sha))
        .map(|(sha, at)| (sha.to_owned(), at.trim().to_owned()))
        .collect();
    if commits.len() > limit {
        return Err(ChangesError::TooManyCommits { range: range_text, limit });
    }
    Ok(commits)
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
    use crate::announce::{Audience, Category};

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
}
