//! A commit's message read as a release lead would: its subject and body,
//! its conventional-commit type, scope and breaking note, the pull request
//! it names, and its text cleaned for users to read.
//!
//! Each commit becomes a [`SuggestedItem`]: the category, audiences, text
//! and include flag a release lead would most likely pick. They are only
//! suggestions; the lead edits them before anything is sent.

use super::{Commit, SuggestedItem};
use crate::announce::{Audience, Category};

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
pub(super) fn pr_number(subject: &str, body: &str) -> Option<u32> {
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
pub(super) fn split_message(message: &str) -> (String, String) {
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

pub(super) type Conventional = (Option<String>, Option<String>, bool, Option<String>, String);

/// The conventional-commit reading of a message; a plain commit keeps its
/// subject as description. A body git-conventional cannot read falls back
/// to the subject alone, with the breaking footer looked for by hand.
pub(super) fn conventional(subject: &str, body: &str) -> Conventional {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
