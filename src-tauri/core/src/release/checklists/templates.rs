//! Checklist templates, shared by all projects: the built-in ones (which
//! users may edit and reset) and the users' own. A template is saved whole:
//! its items are replaced in the same transaction as its name.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::builtin::{self, BuiltinTemplate};
use super::{check_text, ItemDraft};
use crate::rules::FieldErrors;
use crate::release::ReleaseError;
use crate::{clock, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateItem {
    pub section: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Set for the templates Liftoff ships; they can be reset to the original.
    pub builtin: bool,
    pub items: Vec<TemplateItem>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDraft {
    pub name: String,
    pub description: String,
    pub items: Vec<TemplateItem>,
}

/// Built-in templates first, in the order of the release process; then the
/// users' own by name.
pub fn list(store: &Store) -> Result<Vec<Template>, ReleaseError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached("SELECT id FROM templates
         ORDER BY builtin_key IS NULL, CASE WHEN builtin_key IS NOT NULL THEN rowid END, name COLLATE NOCASE")?;
    let ids: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    ids.iter().map(|id| get_in(&conn, id)?.ok_or(ReleaseError::TemplateNotFound)).collect()
}

pub fn get(store: &Store, id: &str) -> Result<Template, ReleaseError> {
    get_in(&*store.reader()?, id)?.ok_or(ReleaseError::TemplateNotFound)
}

pub(crate) fn get_in(conn: &Connection, id: &str) -> Result<Option<Template>, ReleaseError> {
    let head = conn
        .query_row(
            "SELECT id, name, description, builtin_key IS NOT NULL, created_at, updated_at FROM templates WHERE id = ?1",
            params![id],
            |r| {
                Ok(Template {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    builtin: r.get(3)?,
                    items: Vec::new(),
                    created_at: r.get(4)?,
                    updated_at: r.get(5)?,
                })
            },
        )
        .optional()?;
    let Some(mut template) = head else { return Ok(None) };
    let mut stmt = conn.prepare_cached("SELECT section, title, detail, required FROM template_items WHERE template_id = ?1 ORDER BY position")?;
    template.items = stmt
        .query_map(params![id], |r| Ok(TemplateItem { section: r.get(0)?, title: r.get(1)?, detail: r.get(2)?, required: r.get(3)? }))?
        .collect::<Result<_, _>>()?;
    Ok(Some(template))
}

/// The id of a built-in template by its key (such as `release-readiness`),
/// whatever the user has renamed it to.
pub fn builtin_id(conn: &Connection, key: &str) -> Result<Option<String>, ReleaseError> {
    Ok(conn.query_row("SELECT id FROM templates WHERE builtin_key = ?1", params![key], |r| r.get(0)).optional()?)
}

pub fn create(store: &Store, draft: &TemplateDraft, now: DateTime<Utc>) -> Result<Template, ReleaseError> {
    let clean = validate(draft)?;
    store.write(|tx| {
        ensure_name_free(tx, &clean.name, None)?;
        let id = insert(tx, &clean, None, &clock::to_text(now))?;
        let template = get_in(tx, &id)?.ok_or(ReleaseError::TemplateNotFound)?;
        Ok(template)
    })
}

pub fn update(store: &Store, id: &str, draft: &TemplateDraft, now: DateTime<Utc>) -> Result<Template, ReleaseError> {
    let clean = validate(draft)?;
    store.write(|tx| {
        get_in(tx, id)?.ok_or(ReleaseError::TemplateNotFound)?;
        ensure_name_free(tx, &clean.name, Some(id))?;
        tx.execute(
            "UPDATE templates SET name = ?2, description = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, clean.name, clean.description, clock::to_text(now)],
        )?;
        replace_items(tx, id, &clean.items)?;
        let template = get_in(tx, id)?.ok_or(ReleaseError::TemplateNotFound)?;
        Ok(template)
    })
}

/// Deletes a user's template. Built-in templates are reset, not deleted.
pub fn delete(store: &Store, id: &str) -> Result<(), ReleaseError> {
    let template = get(store, id)?;
    if template.builtin {
        return Err(ReleaseError::Invalid(FieldErrors::from([(
            "template".to_owned(),
            format!("“{}” is built in and cannot be deleted. Use “Reset to original” to undo your edits.", template.name),
        )])));
    }
    store.write(|tx| tx.execute("DELETE FROM templates WHERE id = ?1", params![id]))?;
    Ok(())
}

/// Puts a built-in template back as Liftoff ships it.
pub fn reset_builtin(store: &Store, id: &str, now: DateTime<Utc>) -> Result<Template, ReleaseError> {
    store.write(|tx| {
        let key: Option<Option<String>> =
            tx.query_row("SELECT builtin_key FROM templates WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
        let key = key.ok_or(ReleaseError::TemplateNotFound)?;
        let Some(original) = key.and_then(|k| builtin::ALL.into_iter().find(|b| b.key == k)) else {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "template".to_owned(),
                "Only built-in templates can be reset.".to_owned(),
            )])));
        };
        let draft = draft_of(original);
        // Another template may have taken the built-in name meanwhile.
        ensure_name_free(tx, &draft.name, Some(id))?;
        tx.execute(
            "UPDATE templates SET name = ?2, description = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, draft.name, draft.description, clock::to_text(now)],
        )?;
        replace_items(tx, id, &draft.items)?;
        let template = get_in(tx, id)?.ok_or(ReleaseError::TemplateNotFound)?;
        Ok(template)
    })
}

pub fn draft_of(b: &BuiltinTemplate) -> TemplateDraft {
    TemplateDraft {
        name: b.name.to_owned(),
        description: b.description.to_owned(),
        items: b
            .items
            .iter()
            .map(|i| TemplateItem { section: i.section.into(), title: i.title.into(), detail: i.detail.into(), required: i.required })
            .collect(),
    }
}

fn insert(conn: &Connection, clean: &TemplateDraft, builtin_key: Option<&str>, at: &str) -> rusqlite::Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO templates (id, name, description, builtin_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![id, clean.name, clean.description, builtin_key, at],
    )?;
    replace_items(conn, &id, &clean.items)?;
    Ok(id)
}

fn replace_items(conn: &Connection, template_id: &str, items: &[TemplateItem]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM template_items WHERE template_id = ?1", params![template_id])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO template_items (id, template_id, position, section, title, detail, required) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, item) in items.iter().enumerate() {
        stmt.execute(params![
            uuid::Uuid::now_v7().to_string(),
            template_id,
            position as i64,
            item.section,
            item.title,
            item.detail,
            item.required
        ])?;
    }
    Ok(())
}

/// Trims and checks a template; item problems are keyed `items[3].title`.
pub fn validate(draft: &TemplateDraft) -> Result<TemplateDraft, ReleaseError> {
    let clean = TemplateDraft {
        name: draft.name.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        items: draft
            .items
            .iter()
            .map(|i| TemplateItem {
                section: i.section.trim().to_owned(),
                title: i.title.trim().to_owned(),
                detail: i.detail.trim().to_owned(),
                required: i.required,
            })
            .collect(),
    };
    let mut errors = FieldErrors::new();
    let len = clean.name.chars().count();
    if len == 0 {
        errors.insert("name".into(), "Give the template a name.".into());
    } else if len > 80 || clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "Keep the name to one line of 80 characters or fewer.".into());
    }
    if clean.description.chars().count() > 2000 {
        errors.insert("description".into(), "Keep the description under 2,000 characters.".into());
    }
    if clean.items.is_empty() {
        errors.insert("items".into(), "Add at least one item.".into());
    }
    if clean.items.len() > 500 {
        errors.insert("items".into(), "A template holds at most 500 items.".into());
    }
    for (i, item) in clean.items.iter().enumerate() {
        let as_item = ItemDraft {
            section: item.section.clone(),
            title: item.title.clone(),
            detail: item.detail.clone(),
            ..ItemDraft::default()
        };
        for (field, message) in check_text(&as_item) {
            errors.insert(format!("items[{i}].{field}"), message);
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(ReleaseError::Invalid(errors))
    }
}

fn ensure_name_free(conn: &Connection, name: &str, except: Option<&str>) -> Result<(), ReleaseError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM templates WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except],
        |r| r.get(0),
    )?;
    if taken {
        return Err(ReleaseError::Invalid(FieldErrors::from([(
            "name".to_owned(),
            format!("A template called “{name}” already exists. Pick another name."),
        )])));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid_templates() {
        for b in builtin::ALL {
            let draft = draft_of(b);
            validate(&draft).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        }
    }

    #[test]
    fn the_readiness_template_has_every_section_of_the_process() {
        let sections: Vec<&str> = builtin::READINESS.items.iter().map(|i| i.section).collect();
        for s in [
            "Infrastructure",
            "Initial content",
            "Integration",
            "Pilot user group training",
            "Transfer",
            "User documentation",
            "Business monitoring",
            "Choosing the moment",
        ] {
            assert!(sections.contains(&s), "{s} missing");
        }
        let day: Vec<&str> = builtin::DELIVERY_DAY.items.iter().map(|i| i.section).collect();
        for s in ["Prepare", "Execute", "Verify", "Communicate"] {
            assert!(day.contains(&s), "{s} missing");
        }
    }

    #[test]
    fn item_errors_name_their_place() {
        let draft = TemplateDraft {
            name: "Mine".into(),
            description: String::new(),
            items: vec![
                TemplateItem { section: "A".into(), title: "ok".into(), detail: String::new(), required: true },
                TemplateItem { section: "A".into(), title: " ".into(), detail: String::new(), required: true },
            ],
        };
        match validate(&draft) {
            Err(ReleaseError::Invalid(f)) => assert!(f.contains_key("items[1].title"), "{f:?}"),
            other => panic!("{other:?}"),
        }
    }
}
