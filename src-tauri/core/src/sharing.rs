//! Sharing a project: a versioned JSON file with the project, its pipeline,
//! its people and the *names* of its credentials. Values never travel; after
//! an import the user is told which secrets to fill in.
//!
//! An import is parsed and validated whole before anything is written, then
//! written in one transaction: a bad file changes nothing.

use crate::rules::{Cause, ErrorKind, Kind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credentials::{self, CredentialKind};
use crate::environments::{self, EnvironmentDraft, EnvironmentError};
use crate::files;
use crate::people::{self, PersonDraft, PersonError};
use crate::projects::{self, Project, ProjectDraft, ProjectError};
use crate::{clock, Store, StoreError};

pub const FORMAT: &str = "liftoff.project";
/// The newest file version this Liftoff writes and reads.
pub const VERSION: u32 = 1;
/// The largest project file an import reads: real ones are a few kilobytes.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectFile {
    pub format: String,
    pub version: u32,
    pub exported_at: String,
    pub project: ProjectDraft,
    pub environments: Vec<EnvironmentFile>,
    pub people: Vec<PersonDraft>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentFile {
    #[serde(flatten)]
    pub environment: EnvironmentDraft,
    pub credentials: Vec<CredentialName>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialName {
    pub name: String,
    pub kind: CredentialKind,
}

/// A secret the imported project expects, to fill in from one's own keychain.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SecretToFill {
    pub environment: String,
    pub name: String,
    pub kind: CredentialKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub project: Project,
    pub secrets_to_fill: Vec<SecretToFill>,
}

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("The file is not valid JSON ({problem}). Export the project again from Liftoff, or fix the file.")]
    Malformed {
        problem: String,
        #[source]
        cause: Cause,
    },
    #[error("This is not a Liftoff project file (it has no \"format\": \"liftoff.project\"). Pick a file exported with “Export project”.")]
    NotAProjectFile,
    #[error("This file was written by a newer Liftoff (format version {found}; this one reads up to {VERSION}). Update Liftoff, then import it again.")]
    NewerVersion { found: u64 },
    #[error("The file has a problem at {at}: {message} Nothing was imported.")]
    Invalid {
        at: String,
        message: String,
        #[source]
        cause: Option<Cause>,
    },
    /// A file that could not be read or written; the message says what to do.
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    #[error(transparent)]
    Credential(#[from] crate::credentials::CredentialError),
    #[error(transparent)]
    Person(#[from] PersonError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ShareError {
    fn from(e: rusqlite::Error) -> Self {
        ShareError::Store(StoreError::from(e))
    }
}

impl Kind for ShareError {
    fn kind(&self) -> ErrorKind {
        match self {
            ShareError::Malformed { .. } | ShareError::NotAProjectFile | ShareError::NewerVersion { .. } | ShareError::Invalid { .. } | ShareError::File(_) => {
                ErrorKind::Invalid
            }
            ShareError::Project(e) => e.kind(),
            ShareError::Environment(e) => e.kind(),
            ShareError::Credential(e) => e.kind(),
            ShareError::Person(e) => e.kind(),
            ShareError::Store(e) => e.kind(),
        }
    }
}

pub fn export(store: &Store, project_id: &str, now: DateTime<Utc>) -> Result<String, ShareError> {
    let project = projects::get(store, project_id)?;
    let mut environments = Vec::new();
    for env in environments::list(store, project_id)? {
        let names = credentials::list(store, &env.id)?
            .into_iter()
            .map(|c| CredentialName { name: c.name, kind: c.kind })
            .collect();
        environments.push(EnvironmentFile {
            environment: EnvironmentDraft { name: env.name, url: env.url, health_url: env.health_url, colour: env.colour, protected: env.protected },
            credentials: names,
        });
    }
    let people = people::list(store, project_id)?
        .into_iter()
        .map(|p| PersonDraft {
            name: p.name,
            email: p.email,
            role: p.role,
            time_zone: p.time_zone,
            work_start: p.work_start,
            work_end: p.work_end,
            work_days: p.work_days,
        })
        .collect();
    let file = ProjectFile {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: clock::to_text(now),
        project: ProjectDraft { name: project.name, description: project.description, repository: project.repository, time_zone: project.time_zone },
        environments,
        people,
    };
    Ok(serde_json::to_string_pretty(&file).expect("a project file always serializes"))
}

/// The file name to suggest: `atlas-mobile-2026-11-22.liftoff.json`.
pub fn file_name(project_name: &str, now: DateTime<Utc>) -> String {
    format!("{}-{}.liftoff.json", crate::files::slug(project_name, "project"), now.format("%Y-%m-%d"))
}

/// Writes the export to `path`, which must be absolute and in an existing
/// folder; a file there is replaced (the Save dialog has asked). The file
/// appears whole or not at all.
pub fn export_to_file(store: &Store, project_id: &str, path: &std::path::Path, now: DateTime<Utc>) -> Result<(), ShareError> {
    let json = export(store, project_id, now)?;
    crate::files::write_replacing(path, json.as_bytes()).map_err(ShareError::File)
}

/// Imports the project file at `path` (see [`import`]).
pub fn import_file(store: &Store, path: &std::path::Path, now: DateTime<Utc>) -> Result<ImportReport, ShareError> {
    let json = crate::files::read_text(path, MAX_FILE_BYTES).map_err(|e| {
        ShareError::File(e.message(|bytes| {
            format!(
                "The file is {:.1} MB; a Liftoff project file is at most 10 MB. Pick a file exported with “Export project”.",
                bytes as f64 / 1_048_576.0
            )
        }))
    })?;
    import(store, &json, now)
}

/// Reads `json` and, if all of it is valid, adds the project. A project with
/// the same name gets a suffix, " (2)", " (3)", ….
pub fn import(store: &Store, json: &str, now: DateTime<Utc>) -> Result<ImportReport, ShareError> {
    let file = parse(json)?;
    let project_draft = projects::validate(&file.project).map_err(|e| invalid("project", e.to_string(), field_of_project(&e)))?;
    let mut envs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, env) in file.environments.iter().enumerate() {
        let clean = environments::validate(&env.environment).map_err(|e| match &e {
            EnvironmentError::Invalid(f) => invalid(&format!("environments[{i}]"), e.to_string(), f.keys().next().cloned()),
            _ => invalid(&format!("environments[{i}]"), e.to_string(), None),
        })?;
        if !seen.insert(clean.name.to_lowercase()) {
            return Err(invalid(&format!("environments[{i}]"), format!("The environment “{}” appears twice.", clean.name), Some("name".into())));
        }
        for (j, c) in env.credentials.iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(invalid(&format!("environments[{i}].credentials[{j}]"), "A credential has no name.".into(), Some("name".into())));
            }
        }
        envs.push((clean, &env.credentials));
    }
    let mut people_drafts = Vec::new();
    for (i, p) in file.people.iter().enumerate() {
        let clean = people::validate(p).map_err(|e| match &e {
            PersonError::Invalid(f) => invalid(&format!("people[{i}]"), e.to_string(), f.keys().next().cloned()),
            _ => invalid(&format!("people[{i}]"), e.to_string(), None),
        })?;
        people_drafts.push(clean);
    }

    // All of it is valid: write it in one transaction.
    let (project_id, to_fill) = store.write(|tx| -> Result<_, ShareError> {
        // Chosen inside the write, so that no project takes the name meanwhile.
        let name = free_name(tx, &project_draft.name)?;
        let project_id = uuid::Uuid::now_v7().to_string();
        let at = clock::to_text(now);
        projects::insert_in(tx, &project_id, &ProjectDraft { name: name.clone(), ..project_draft.clone() }, &at)?;
        let mut to_fill = Vec::new();
        for (position, (env, creds)) in envs.iter().enumerate() {
            environments::insert(tx, &project_id, env, position as i64, &at)?;
            to_fill.extend(creds.iter().map(|c| SecretToFill { environment: env.name.clone(), name: c.name.trim().to_owned(), kind: c.kind }));
        }
        for p in &people_drafts {
            people::insert(tx, &project_id, p, &at).map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => invalid("people", format!("The address {} appears twice.", p.email), Some("email".into())),
                _ => e.into(),
            })?;
        }
        Ok((project_id, to_fill))
    })?;
    Ok(ImportReport { project: projects::get(store, &project_id)?, secrets_to_fill: to_fill })
}

fn parse(json: &str) -> Result<ProjectFile, ShareError> {
    // Look at the envelope first, so that a newer or foreign file gets the
    // right message rather than a complaint about its fields.
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ShareError::Malformed { problem: files::json_syntax_problem(&e), cause: Cause::of(&e) })?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(ShareError::NotAProjectFile);
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(VERSION) => return Err(ShareError::NewerVersion { found: v }),
        Some(_) => {}
        None => return Err(invalid("version", "The file has no format version.".into(), None)),
    }
    serde_json::from_str(json).map_err(|e| ShareError::Invalid {
        at: format!("line {}, column {}", e.line(), e.column()),
        message: format!("{}.", capitalize(&files::json_value_problem(&e))),
        cause: Some(Cause::of(&e)),
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn invalid(at: &str, message: String, field: Option<String>) -> ShareError {
    let at = match field {
        Some(f) => format!("{at}.{f}"),
        None => at.to_owned(),
    };
    ShareError::Invalid { at, message, cause: None }
}

fn field_of_project(e: &ProjectError) -> Option<String> {
    match e {
        ProjectError::Invalid(f) => f.keys().next().cloned(),
        _ => None,
    }
}

/// The project's name, or, when a project of that name exists, the name
/// with " (2)", " (3)"… after it, the base shortened so that the whole still
/// fits the name limit. The final name is checked like a typed one.
fn free_name(tx: &rusqlite::Connection, wanted: &str) -> Result<String, ShareError> {
    let taken: Vec<String> = projects::names_in(tx)?.into_iter().map(|n| n.to_lowercase()).collect();
    let name = if !taken.contains(&wanted.to_lowercase()) {
        wanted.to_owned()
    } else {
        (2..)
            .map(|n| {
                let suffix = format!(" ({n})");
                let room = projects::NAME_MAX.saturating_sub(suffix.chars().count());
                let base: String = wanted.chars().take(room).collect();
                format!("{}{suffix}", base.trim_end())
            })
            .find(|candidate| !taken.contains(&candidate.to_lowercase()))
            .unwrap_or_else(|| wanted.to_owned())
    };
    let check = ProjectDraft { name: name.clone(), time_zone: "UTC".into(), ..Default::default() };
    if let Err(ProjectError::Invalid(fields)) = projects::validate(&check) {
        if let Some(message) = fields.get("name") {
            return Err(invalid("project", format!("The project would be called “{name}”, which Liftoff cannot use: {message}"), Some("name".into())));
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_version_is_named_as_written() {
        // Beyond u32, the number was cut to its low bits: "format version 1;
        // this one reads up to 1".
        let json = r#"{"format": "liftoff.project", "version": 4294967297}"#;
        let e = parse(json).unwrap_err().to_string();
        assert!(e.starts_with("This file was written by a newer Liftoff (format version 4294967297; this one reads up to 1)."), "{e}");
    }
}
