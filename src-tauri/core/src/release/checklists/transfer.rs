//! Templates and checklists in and out of Liftoff: versioned JSON, CSV for
//! spreadsheets, and Markdown for tickets and documents.
//!
//! CSV cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) are written with a leading `'`;
//! an import removes it again. An import is read and checked whole before
//! anything is written, then written in one transaction; a problem names
//! the line (CSV) or the field (JSON) and nothing is imported.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::templates::{self, Template, TemplateDraft, TemplateItem};
use super::{check_text, insert, load_items, next_position, progress, ChecklistItem, ItemDraft, ItemState, ItemStatus};
use crate::audit::{self, Actor, AuditCategory, Change};
use crate::release::{self as releases, ReleaseError};
use crate::rules::Cause;
use crate::{clock, files, Store};

pub const FORMAT: &str = "liftoff.checklist";
/// The newest file version this Liftoff writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum FileFormat {
    Json,
    Csv,
    Markdown,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Json => "checklist.json",
            FileFormat::Csv => "csv",
            FileFormat::Markdown => "md",
        }
    }
}

/// What the file holds: a template (items only) or a release's checklist
/// (items with owners, states and dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FileKind {
    Template,
    Checklist,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChecklistFile {
    pub format: String,
    pub version: u32,
    pub kind: FileKind,
    pub exported_at: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub items: Vec<FileItem>,
}

/// An item as files carry it. People travel as email addresses; sign-offs
/// do not travel (a reviewer signs off in the Liftoff that holds the release).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileItem {
    pub section: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ItemState>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub evidence: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

fn yes() -> bool {
    true
}

const TEMPLATE_COLUMNS: [&str; 4] = ["section", "title", "detail", "required"];
const CHECKLIST_COLUMNS: [&str; 11] =
    ["section", "title", "detail", "required", "owner", "reviewer", "due", "state", "reason", "evidence", "notes"];

// ---------------------------------------------------------------- export

pub fn export_template(store: &Store, template_id: &str, format: FileFormat, now: DateTime<Utc>) -> Result<String, ReleaseError> {
    let t = templates::get(store, template_id)?;
    let items: Vec<FileItem> = t
        .items
        .iter()
        .map(|i| FileItem { section: i.section.clone(), title: i.title.clone(), detail: i.detail.clone(), required: i.required, ..FileItem::default() })
        .collect();
    Ok(match format {
        FileFormat::Json => to_json(FileKind::Template, &t.name, &t.description, items, now),
        FileFormat::Csv => to_csv(&TEMPLATE_COLUMNS, &items),
        FileFormat::Markdown => template_markdown(&t),
    })
}

pub fn export_checklist(store: &Store, release_id: &str, format: FileFormat, now: DateTime<Utc>, today: NaiveDate) -> Result<String, ReleaseError> {
    let release = releases::get(store, release_id)?;
    let items = load_items(&*store.reader()?, release_id, today)?;
    if format == FileFormat::Markdown {
        return Ok(checklist_markdown(&release, &items));
    }
    let emails = emails_by_id(store, &release.project_id)?;
    let email = |id: &Option<String>| id.as_ref().and_then(|id| emails.get(id).cloned());
    let file_items: Vec<FileItem> = items
        .iter()
        .map(|i| FileItem {
            section: i.section.clone(),
            title: i.title.clone(),
            detail: i.detail.clone(),
            required: i.required,
            owner: email(&i.owner_id),
            reviewer: email(&i.reviewer_id),
            due_date: i.due_date.clone(),
            state: Some(i.state),
            reason: i.state_reason.clone(),
            evidence: i.evidence.clone(),
            notes: i.notes.clone(),
        })
        .collect();
    let name = format!("{} {}", release.version, release.name);
    Ok(match format {
        FileFormat::Json => to_json(FileKind::Checklist, &name, &release.scope, file_items, now),
        _ => to_csv(&CHECKLIST_COLUMNS, &file_items),
    })
}

/// The file name to suggest, such as `2-4-0-tax-engine-switch.md`.
pub fn file_name(name: &str, format: FileFormat) -> String {
    format!("{}.{}", crate::files::slug(name, "checklist"), format.extension())
}

fn to_json(kind: FileKind, name: &str, description: &str, items: Vec<FileItem>, now: DateTime<Utc>) -> String {
    let file = ChecklistFile {
        format: FORMAT.into(),
        version: VERSION,
        kind,
        exported_at: clock::to_text(now),
        name: name.to_owned(),
        description: description.to_owned(),
        items,
    };
    serde_json::to_string_pretty(&file).expect("a checklist file always serializes")
}

fn to_csv(columns: &[&str], items: &[FileItem]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(columns).expect("write to memory");
    for i in items {
        let state = i.state.map(|s| s.label().to_owned()).unwrap_or_default();
        let values: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "section" => i.section.clone(),
                "title" => i.title.clone(),
                "detail" => i.detail.clone(),
                "required" => if i.required { "yes" } else { "no" }.to_owned(),
                "owner" => i.owner.clone().unwrap_or_default(),
                "reviewer" => i.reviewer.clone().unwrap_or_default(),
                "due" => i.due_date.clone().unwrap_or_default(),
                "state" => state.clone(),
                "reason" => i.reason.clone(),
                "evidence" => i.evidence.clone(),
                _ => i.notes.clone(),
            })
            .map(|v| neutralize(&v))
            .collect();
        w.write_record(&values).expect("write to memory");
    }
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of strings is UTF-8")
}

/// Keeps a spreadsheet from running a cell as a formula. A cell that itself
/// starts with `'` is quoted too, so that [`restore`] gives it back whole.
pub fn neutralize(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Undoes [`neutralize`]; a `'` that guards nothing is kept.
fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if matches!(rest.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'')) => rest,
        _ => cell,
    }
}

fn checklist_markdown(release: &releases::Release, items: &[ChecklistItem]) -> String {
    let p = progress::of(items);
    let mut out = format!("# Release {} – {}\n\n", md(&release.version), md(&release.name));
    out.push_str(&format!(
        "State: {} · Target date: {} · Progress: {} of {} complete ({}%)\n\n",
        release.state.label(),
        release.target_date.as_deref().unwrap_or("not set"),
        p.overall.complete,
        p.overall.total,
        p.overall.percent()
    ));
    if !release.scope.is_empty() {
        out.push_str(&format!("{}\n\n", release.scope));
    }
    for section in &p.sections {
        out.push_str(&format!("## {} ({}/{})\n\n", md(&section.section), section.tally.complete, section.tally.total));
        for i in items.iter().filter(|i| i.section == section.section) {
            let mark = if i.complete { "x" } else { " " };
            let mut facts = Vec::new();
            facts.push(status_words(i));
            if !i.required {
                facts.push("optional".into());
            }
            if let Some(o) = &i.owner_name {
                facts.push(format!("owner {}", md(o)));
            }
            if let Some(r) = &i.reviewer_name {
                facts.push(format!("reviewer {}", md(r)));
            }
            if let Some(d) = &i.due_date {
                facts.push(if i.overdue { format!("due {d} (overdue)") } else { format!("due {d}") });
            }
            out.push_str(&format!("- [{mark}] **{}** – {}\n", md(&i.title), facts.join(", ")));
            if !i.state_reason.is_empty() {
                out.push_str(&format!("  - Reason: {}\n", md(&i.state_reason)));
            }
            if !i.evidence.is_empty() {
                out.push_str(&format!("  - Evidence: <{}>\n", i.evidence));
            }
            if !i.notes.is_empty() {
                out.push_str(&format!("  - Notes: {}\n", md(&i.notes.replace('\n', " "))));
            }
        }
        out.push('\n');
    }
    out
}

fn status_words(i: &ChecklistItem) -> String {
    match i.status {
        ItemStatus::Open => "open".into(),
        ItemStatus::Blocked => "blocked".into(),
        ItemStatus::AwaitingReview => "awaiting review".into(),
        ItemStatus::Done | ItemStatus::NotApplicable => {
            let what = if i.status == ItemStatus::Done { "done" } else { "not applicable" };
            match (&i.signed_off_by, &i.signed_off_at) {
                (Some(who), Some(at)) => format!("{what}, signed off by {} on {}", md(who), &at[..10.min(at.len())]),
                _ => what.into(),
            }
        }
    }
}

fn template_markdown(t: &Template) -> String {
    let mut out = format!("# {}\n\n", md(&t.name));
    if !t.description.is_empty() {
        out.push_str(&format!("{}\n\n", md(&t.description)));
    }
    let mut last = "";
    for i in &t.items {
        if i.section != last {
            out.push_str(&format!("{}## {}\n\n", if last.is_empty() { "" } else { "\n" }, md(&i.section)));
            last = &i.section;
        }
        let optional = if i.required { "" } else { " (optional)" };
        out.push_str(&format!("- [ ] **{}**{optional}", md(&i.title)));
        if !i.detail.is_empty() {
            out.push_str(&format!(": {}", md(&i.detail)));
        }
        out.push('\n');
    }
    out
}

/// Escapes the characters Markdown would read as formatting.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------- import

/// A file's items; a JSON file also gives a name and a description, a CSV
/// file the line each item starts on.
struct Parsed {
    named: Option<(String, String)>,
    items: Vec<FileItem>,
    lines: Option<Vec<u64>>,
}

/// The largest file an import reads, and the most items it takes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_ITEMS: usize = 1000;

/// What to tell about a file of `bytes` over [`MAX_FILE_BYTES`].
fn too_large(bytes: u64) -> String {
    format!("The file is {:.1} MB; a checklist file is at most 5 MB. Pick the right file, or split it.", bytes as f64 / 1_048_576.0)
}

/// Reads the file at `path` for an import.
fn read_file(path: &Path) -> Result<String, ReleaseError> {
    crate::files::read_text(path, MAX_FILE_BYTES).map_err(|e| import_error(&e.message(too_large)))
}

/// Reads a JSON or CSV file (told apart by its first character).
fn parse(content: &str) -> Result<Parsed, ReleaseError> {
    if content.len() > MAX_FILE_BYTES {
        return Err(import_error(&too_large(content.len() as u64)));
    }
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    if content.trim().is_empty() {
        return Err(import_error("The file is empty. Pick a checklist exported from Liftoff, or a CSV with a header row."));
    }
    let parsed = if content.trim_start().starts_with('{') {
        let file = parse_json(content)?;
        Parsed { named: Some((file.name, file.description)), items: file.items, lines: None }
    } else {
        let (lines, items) = parse_csv(content)?.into_iter().unzip();
        Parsed { named: None, items, lines: Some(lines) }
    };
    if parsed.items.len() > MAX_ITEMS {
        return Err(import_error(&format!(
            "The file has {} items; Liftoff imports at most {MAX_ITEMS} at a time. Split the file.",
            parsed.items.len()
        )));
    }
    Ok(parsed)
}

fn parse_json(json: &str) -> Result<ChecklistFile, ReleaseError> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        import_error_from(
            &format!("The file is not valid JSON ({}). Export it again from Liftoff, or fix the file.", files::json_syntax_problem(&e)),
            &e,
        )
    })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(import_error(
            "This JSON file is not a Liftoff checklist (it has no \"format\": \"liftoff.checklist\"). Pick a file exported from a template or a release.",
        ));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > VERSION as u64 => {
            return Err(import_error(&format!(
                "This file was written by a newer Liftoff (format version {v}; this one reads up to {VERSION}). Update Liftoff, then import it again."
            )))
        }
        Some(_) => {}
        None => return Err(import_error("The file has no format version (\"version\").")),
    }
    serde_json::from_str(json).map_err(|e| {
        import_error_from(&format!("Line {}, column {}: {}. Nothing was imported.", e.line(), e.column(), files::json_value_problem(&e)), &e)
    })
}

/// The line of a quoted cell that is never closed, if any. The CSV reader
/// would silently take the rest of the file into that one cell. A quote
/// inside an unquoted cell (`19" rack`) is an ordinary character.
fn unclosed_quote(content: &str) -> Option<usize> {
    let (mut line, mut opened_at) = (1, 0);
    let (mut quoted, mut cell_start) = (false, true);
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                }
                '"' => quoted = false,
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            '"' if cell_start => {
                quoted = true;
                opened_at = line;
            }
            ',' => {
                cell_start = true;
                continue;
            }
            '\n' => {
                line += 1;
                cell_start = true;
                continue;
            }
            '\r' => continue,
            _ => {}
        }
        cell_start = false;
    }
    quoted.then_some(opened_at)
}

fn parse_csv(content: &str) -> Result<Vec<(u64, FileItem)>, ReleaseError> {
    if let Some(line) = unclosed_quote(content) {
        return Err(import_error(&format!("Line {line}: a quote (\") opens a cell but is never closed. Close it, or remove it.")));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(content.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| import_error_from("Line 1: the header row cannot be read. Save the file as CSV UTF-8 with a header row, and try again.", &e))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut index = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !CHECKLIST_COLUMNS.contains(&h.as_str()) {
            return Err(import_error(&format!(
                "Line 1: unknown column “{h}”. The columns Liftoff reads are: {}.",
                CHECKLIST_COLUMNS.join(", ")
            )));
        }
        if index.insert(h.clone(), i).is_some() {
            return Err(import_error(&format!("Line 1: the column “{h}” appears twice.")));
        }
    }
    for needed in ["section", "title"] {
        if !index.contains_key(needed) {
            return Err(import_error(&format!(
                "Line 1: the header row has no “{needed}” column. The first line must name the columns, such as: section,title,detail,required."
            )));
        }
    }
    let mut items = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => import_error(&format!(
                    "Line {line}: it has {len} cells where the header has {expected_len}. Check for a missing or extra comma, or an unclosed quote."
                )),
                csv::ErrorKind::Utf8 { .. } => import_error(&format!("Line {line}: it is not UTF-8 text. Save the file as CSV UTF-8 and try again.")),
                _ => import_error_from(&format!("Line {line}: it cannot be read as CSV. Check its quotes and commas, and try again."), &e),
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |name: &str| index.get(name).and_then(|i| record.get(*i)).map(|v| restore(v.trim()).to_owned()).unwrap_or_default();
        let opt = |name: &str| Some(cell(name)).filter(|v| !v.is_empty());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let required = match cell("required").to_lowercase().as_str() {
            "" | "yes" | "y" | "true" | "1" | "required" => true,
            "no" | "n" | "false" | "0" | "optional" => false,
            other => return Err(import_error(&format!("Line {line}, column “required”: “{other}” is not yes or no."))),
        };
        let state = match opt("state") {
            None => None,
            Some(s) => Some(parse_state(&s).ok_or_else(|| {
                import_error(&format!("Line {line}, column “state”: “{s}” is not one of open, done, not applicable, blocked."))
            })?),
        };
        items.push((
            line,
            FileItem {
                section: cell("section"),
                title: cell("title"),
                detail: cell("detail"),
                required,
                owner: opt("owner"),
                reviewer: opt("reviewer"),
                due_date: opt("due"),
                state,
                reason: cell("reason"),
                evidence: cell("evidence"),
                notes: cell("notes"),
            },
        ));
    }
    // Check the text now, so that the message can give the line.
    for (line, item) in &items {
        if let Some((field, message)) = check_text(&text_of(item)).into_iter().next() {
            return Err(import_error(&format!("Line {line}, column “{}”: {message}", csv_column(&field))));
        }
    }
    Ok(items)
}

fn parse_state(s: &str) -> Option<ItemState> {
    let norm: String = s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    match norm.as_str() {
        "open" | "todo" => Some(ItemState::Open),
        "done" => Some(ItemState::Done),
        "notapplicable" | "na" => Some(ItemState::NotApplicable),
        "blocked" => Some(ItemState::Blocked),
        _ => None,
    }
}

fn csv_column(field: &str) -> &str {
    match field {
        "dueDate" => "due",
        other => other,
    }
}

fn text_of(item: &FileItem) -> ItemDraft {
    ItemDraft {
        section: item.section.trim().to_owned(),
        title: item.title.trim().to_owned(),
        detail: item.detail.trim().to_owned(),
        required: item.required,
        owner_id: None,
        reviewer_id: None,
        due_date: item.due_date.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned),
        evidence: item.evidence.trim().to_owned(),
        notes: item.notes.trim().to_owned(),
    }
}

fn import_error(message: &str) -> ReleaseError {
    ReleaseError::File { message: message.to_owned(), cause: None }
}

/// An import error with the reader's own words behind it, as the detail.
fn import_error_from(message: &str, cause: &dyn std::fmt::Display) -> ReleaseError {
    ReleaseError::File { message: message.to_owned(), cause: Some(Cause::of(cause)) }
}

/// Makes a new template from a file. `file_name` names it when the file does
/// not (CSV); a taken name gets a suffix, " (2)", " (3)", ….
pub fn import_template(store: &Store, file_name: &str, content: &str, now: DateTime<Utc>) -> Result<Template, ReleaseError> {
    let Parsed { named, items, .. } = parse(content)?;
    let (name, description) = named.unwrap_or_else(|| (stem(file_name), String::new()));
    let draft = TemplateDraft {
        name: free_template_name(store, name.trim())?,
        description,
        items: items
            .into_iter()
            .map(|i| TemplateItem { section: i.section, title: i.title, detail: i.detail, required: i.required })
            .collect(),
    };
    templates::validate(&draft).map_err(|e| match e {
        ReleaseError::Invalid(fields) => {
            let (at, message) = fields.into_iter().next().unwrap_or_default();
            import_error(&format!("At {at}: {message} Nothing was imported."))
        }
        other => other,
    })?;
    templates::create(store, &draft, now)
}

/// Makes a new template from the file at `path` (see [`import_template`]).
pub fn import_template_file(store: &Store, path: &Path, now: DateTime<Utc>) -> Result<Template, ReleaseError> {
    import_template(store, &crate::files::name_of(path), &read_file(path)?, now)
}

/// Adds the items of the file at `path` to a release's checklist (see
/// [`import_checklist`]).
pub fn import_checklist_file(store: &Store, release_id: &str, path: &Path, actor: &Actor, now: DateTime<Utc>) -> Result<usize, ReleaseError> {
    import_checklist(store, release_id, &crate::files::name_of(path), &read_file(path)?, actor, now)
}

/// Adds the file's items to a release's checklist. Owners and reviewers are
/// matched to the project's people by email (or exact name).
pub fn import_checklist(
    store: &Store,
    release_id: &str,
    file_name: &str,
    content: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<usize, ReleaseError> {
    let Parsed { items, lines, .. } = parse(content)?;
    if items.is_empty() {
        return Err(import_error("The file has no items. Nothing was imported."));
    }
    let release = releases::get(store, release_id)?;
    let people = people_lookup(store, &release.project_id)?;
    let mut drafts = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        // CSV problems name the line and column, JSON ones the field.
        let at = |field: &str| match &lines {
            Some(lines) => format!("Line {}, column “{}”", lines[n], csv_column(field)),
            None => format!("At items[{n}].{field} (item {}, “{}”)", n + 1, item.title.trim()),
        };
        let find = |who: &Option<String>, field: &str| -> Result<Option<String>, ReleaseError> {
            match who.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                None => Ok(None),
                Some(w) => people.get(&w.to_lowercase()).cloned().map(Some).ok_or_else(|| {
                    import_error(&format!(
                        "{}: nobody in this project has the address or name “{w}”. Add them under People first, or clear the cell.",
                        at(field)
                    ))
                }),
            }
        };
        let mut draft = text_of(item);
        draft.owner_id = find(&item.owner, "owner")?;
        draft.reviewer_id = find(&item.reviewer, "reviewer")?;
        if let Some((field, message)) = check_text(&draft).into_iter().next() {
            return Err(import_error(&format!("{}: {message}", at(&field))));
        }
        let state = item.state.unwrap_or(ItemState::Open);
        let reason = if state.needs_reason() { item.reason.trim() } else { "" };
        if state.needs_reason() && reason.is_empty() {
            return Err(import_error(&format!("{}: a {} item needs a reason.", at("reason"), state.label())));
        }
        if reason.chars().count() > 1000 {
            return Err(import_error(&format!("{}: keep the reason under 1,000 characters.", at("reason"))));
        }
        drafts.push((draft, state, reason.to_owned()));
    }
    store.write(|tx| {
        let at = clock::to_text(now);
        let first = next_position(tx, release_id)?;
        for (n, (draft, state, reason)) in drafts.iter().enumerate() {
            insert(tx, release_id, draft, *state, reason, first + n as i64, &at)?;
        }
        audit::record(
            tx,
            actor,
            &at,
            Change {
                project_id: &release.project_id,
                release_id: Some(release_id),
                item_id: None,
                category: AuditCategory::Checklist,
                action: "checklist.imported",
                summary: format!("Imported {} item(s) from {}{}", drafts.len(), file_name.trim(), state_counts(&drafts)),
                reason: "",
            },
        )?;
        Ok(drafts.len())
    })
}

/// " (2 done, 1 blocked)": the states imported items arrive in, other than open.
fn state_counts(drafts: &[(ItemDraft, ItemState, String)]) -> String {
    let counts: Vec<String> = [ItemState::Done, ItemState::NotApplicable, ItemState::Blocked]
        .into_iter()
        .map(|st| (st, drafts.iter().filter(|(_, s, _)| *s == st).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(st, n)| format!("{n} {}", st.label()))
        .collect();
    if counts.is_empty() {
        String::new()
    } else {
        format!(" ({})", counts.join(", "))
    }
}

fn stem(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.split('.').next().unwrap_or(base).replace(['-', '_'], " ");
    if stem.trim().is_empty() {
        "Imported template".to_owned()
    } else {
        stem.trim().to_owned()
    }
}

fn free_template_name(store: &Store, wanted: &str) -> Result<String, ReleaseError> {
    let wanted = if wanted.is_empty() { "Imported template" } else { wanted };
    // Leave room for a suffix within the 80 characters a name may have.
    let wanted: String = wanted.chars().take(72).collect();
    let wanted = wanted.trim_end();
    let conn = store.reader()?;
    let taken = |name: &str| -> rusqlite::Result<bool> {
        conn.query_row("SELECT EXISTS (SELECT 1 FROM templates WHERE name = ?1)", params![name], |r| r.get(0))
    };
    if !taken(wanted)? {
        return Ok(wanted.to_owned());
    }
    for n in 2.. {
        let candidate = format!("{wanted} ({n})");
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    unreachable!("some suffix is free")
}

fn emails_by_id(store: &Store, project_id: &str) -> Result<HashMap<String, String>, ReleaseError> {
    Ok(crate::people::contacts(&*store.reader()?, project_id)?.into_iter().map(|(id, email, _)| (id, email)).collect())
}

/// People by lower-cased email and by lower-cased name.
fn people_lookup(store: &Store, project_id: &str) -> Result<HashMap<String, String>, ReleaseError> {
    let mut map = HashMap::new();
    for (id, email, name) in crate::people::contacts(&*store.reader()?, project_id)? {
        map.entry(name.to_lowercase()).or_insert_with(|| id.clone());
        map.insert(email.to_lowercase(), id);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized_and_restored() {
        for cell in ["=HYPERLINK(\"http://x\")", "+1", "-1 rollback", "@SUM(A1)", "\tx"] {
            let out = neutralize(cell);
            assert!(out.starts_with('\''), "{cell}");
            assert_eq!(restore(&out), cell);
        }
        assert_eq!(neutralize("Backups taken"), "Backups taken");
        assert_eq!(restore("'quoted on purpose"), "'quoted on purpose");
        assert_eq!(restore(&neutralize("'=x")), "'=x");
        assert_eq!(restore(&neutralize("'quoted")), "'quoted");
    }

    #[test]
    fn csv_problems_name_the_line() {
        let bad_required = "section,title,required\nPrepare,Backups taken,yes\nPrepare,Tests,perhaps\n";
        let e = parse_csv(bad_required).unwrap_err().to_string();
        assert!(e.starts_with("Line 3, column “required”"), "{e}");
        let ragged = "section,title\nPrepare,Backups taken\nPrepare,Tests,extra\n";
        assert!(parse_csv(ragged).unwrap_err().to_string().starts_with("Line 3:"));
        let no_title = "section,detail\nPrepare,x\n";
        assert!(parse_csv(no_title).unwrap_err().to_string().contains("no “title” column"));
        assert_eq!(unclosed_quote("section,title\nPrepare,\"19\"\" rack\"\nPrepare,19\" rack\n"), None);
        assert_eq!(unclosed_quote("section,title\nPrepare,ok\nPrepare,\"open\n"), Some(3));
        let bad_date = "section,title,due\nPrepare,Backups,12/01/2026\n";
        let e = parse_csv(bad_date).unwrap_err().to_string();
        assert!(e.starts_with("Line 2, column “due”"), "{e}");
    }

    #[test]
    fn malformed_json_says_where_in_words_and_keeps_the_parsers_words_as_the_detail() {
        use crate::rules::Kind;
        let cut = "{\n  \"format\": \"liftoff.checklist\",\n  \"version\": 1,\n  \"items\": [{\"title\": \"Backu";
        let e = parse(cut).err().unwrap();
        assert_eq!(
            e.to_string(),
            "The file is not valid JSON (it ends in the middle of a text on line 4). Export it again from Liftoff, or fix the file."
        );
        let detail = e.detail().unwrap();
        assert!(detail.starts_with("EOF while parsing a string at line 4"), "{detail}");

        let wrong_type = "{\"format\": \"liftoff.checklist\", \"version\": 1, \"kind\": \"template\", \"exportedAt\": \"x\", \"name\": \"T\",\n\"items\": [{\"section\": \"A\", \"title\": \"B\", \"required\": \"yes\"}]}";
        let e = parse(wrong_type).err().unwrap();
        assert!(e.to_string().starts_with("Line 2, column "), "{e}");
        assert!(e.to_string().ends_with(": a value is string \"yes\" where Liftoff expects a boolean. Nothing was imported."), "{e}");
        assert!(e.detail().unwrap().starts_with("invalid type: string \"yes\", expected a boolean"));

        let csv = "section,title\nPrepare,\"Backups\",x\n";
        assert_eq!(parse(csv).err().unwrap().detail(), None, "a line we explain ourselves has nothing behind it");
    }

    #[test]
    fn markdown_escapes_formatting() {
        assert_eq!(md("a*b_[c]"), "a\\*b\\_\\[c\\]");
    }
}
