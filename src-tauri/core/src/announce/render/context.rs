//! What templates see: the [`Context`] built from a release and its
//! included change items, and the [`variables`] the editor lists.

use serde::{Deserialize, Serialize};

use crate::announce::changes::SuggestedItem;
use crate::announce::{Audience, Category};


#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInfo {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseInfo {
    pub version: String,
    pub name: String,
    /// The release's date in words, as readers read it: `15 December 2026`.
    pub date: String,
    /// The same date as `2026-12-15`, for links and machines.
    pub iso_date: String,
    /// The release is still to come: its date is ahead and it is not out
    /// yet. The built-in templates say "will be available on …" then, and
    /// "is now available" once it is out.
    pub upcoming: bool,
    /// What the release contains, in the lead's words.
    pub scope: String,
}

/// An included change, as templates see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub text: String,
    pub category: Category,
    pub category_label: String,
    pub audiences: Vec<Audience>,
    pub pr: Option<u32>,
    pub author: String,
    /// The short commit hash.
    pub commit: String,
    /// The text is the lead's own (an edit or an item added by hand) and
    /// may use Markdown; otherwise it is a commit's text, which is shown as
    /// text in every output, whatever it holds.
    #[serde(skip)]
    pub markdown: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub category: Category,
    pub label: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AudienceInfo {
    pub key: Audience,
    pub label: String,
}

/// Help and feedback links, as the project's settings keep them.
pub use crate::announce::settings::Support;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Links {
    pub release_notes: String,
    pub product: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    pub name: String,
}

/// Everything a template can use; [`variables`] describes each field.
/// Empty strings stand for "not set", so `{% if support.faq %}` works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub project: ProjectInfo,
    pub release: ReleaseInfo,
    pub items: Vec<Item>,
    pub groups: Vec<Group>,
    pub audience: AudienceInfo,
    pub support: Support,
    pub links: Links,
    /// The version users are back on, for a correction; empty otherwise.
    pub rolled_back_to: String,
    pub sender: Sender,
}

impl Context {
    /// The context for one audience: the included items meant for it, in
    /// the order given, and the same items grouped by category. Support,
    /// links, sender and `rolled_back_to` start empty; set the fields.
    pub fn new(
        project_name: &str,
        release: ReleaseInfo,
        audience: Audience,
        items: &[SuggestedItem],
    ) -> Context {
        let items: Vec<Item> = items
            .iter()
            .filter(|i| i.include && i.audiences.contains(&audience))
            .map(|i| Item {
                text: i.text.clone(),
                category: i.category,
                category_label: i.category.label().to_owned(),
                audiences: i.audiences.clone(),
                pr: i.commit.pr,
                author: i.commit.author.clone(),
                commit: i.commit.short.clone(),
                markdown: false,
            })
            .collect();
        let groups = group_items(&items);
        Context {
            project: ProjectInfo {
                name: project_name.to_owned(),
            },
            release,
            items,
            groups,
            audience: AudienceInfo {
                key: audience,
                label: audience.label().to_owned(),
            },
            support: Support::default(),
            links: Links::default(),
            rolled_back_to: String::new(),
            sender: Sender::default(),
        }
    }

    /// A filled-in context for previews of templates with no release at
    /// hand, and for tests.
    pub fn sample() -> Context {
        let item = |text: &str, category: Category, pr: Option<u32>, commit: &str| Item {
            text: text.to_owned(),
            category,
            category_label: category.label().to_owned(),
            audiences: vec![Audience::EndUsers],
            pr,
            author: "Ada Lovelace".to_owned(),
            commit: commit.to_owned(),
            markdown: false,
        };
        let items = vec![
            item("Export reports as CSV", Category::New, Some(41), "3f2a9c1"),
            item(
                "Search is twice as fast on large projects",
                Category::Improved,
                None,
                "9b1d0e4",
            ),
            item(
                "Emails with a plus sign can sign in again",
                Category::Fixed,
                Some(12),
                "c4e81aa",
            ),
            item(
                "The v1 API endpoints are removed; use v2",
                Category::Breaking,
                Some(38),
                "17d2b5f",
            ),
        ];
        Context {
            project: ProjectInfo {
                name: "Acme Reports".to_owned(),
            },
            release: ReleaseInfo {
                version: "2.4.0".to_owned(),
                name: "Aurora".to_owned(),
                date: "2 May 2024".to_owned(),
                iso_date: "2024-05-02".to_owned(),
                upcoming: false,
                scope: "CSV export and faster search.".to_owned(),
            },
            groups: group_items(&items),
            items,
            audience: AudienceInfo {
                key: Audience::EndUsers,
                label: Audience::EndUsers.label().to_owned(),
            },
            support: Support {
                helpdesk: "https://help.example.com".to_owned(),
                faq: "https://example.com/faq".to_owned(),
                contact: "support@example.com".to_owned(),
                feedback: "https://example.com/feedback".to_owned(),
            },
            links: Links {
                release_notes: "https://example.com/releases/2.4.0".to_owned(),
                product: "https://example.com".to_owned(),
            },
            rolled_back_to: "2.3.1".to_owned(),
            sender: Sender {
                name: "The Acme Reports team".to_owned(),
            },
        }
    }
}

impl Context {
    /// The context with each item's text (and author) as `text` and
    /// `author` make them, in the list and in the groups alike.
    pub(super) fn with_item_texts(&self, text: impl Fn(&Item) -> String, author: impl Fn(&str) -> String) -> Context {
        let mut ctx = self.clone();
        ctx.items = self.items.iter().map(|i| Item { text: text(i), author: author(&i.author), ..i.clone() }).collect();
        ctx.groups = group_items(&ctx.items);
        ctx
    }
}

/// Items by category in [`Category::ALL`] order; empty groups left out.
pub(crate) fn group_items(items: &[Item]) -> Vec<Group> {
    Category::ALL
        .into_iter()
        .map(|category| Group {
            category,
            label: category.label().to_owned(),
            items: items
                .iter()
                .filter(|i| i.category == category)
                .cloned()
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

/// A variable for the editor's sidebar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    pub name: String,
    pub description: String,
}

/// A date as readers read it: `2026-12-15` becomes `15 December 2026`.
/// The built-in templates are English, so the months are; text that is
/// not a date is kept as it is.
pub fn date_in_words(iso: &str) -> String {
    const MONTHS: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    match chrono::NaiveDate::parse_from_str(iso.trim(), "%Y-%m-%d") {
        Ok(d) => {
            use chrono::Datelike;
            format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
        }
        Err(_) => iso.to_owned(),
    }
}

/// Every variable templates can use. `item.…` and `group.…` are the
/// fields of each entry of `items` and `groups` in a `{% for %}` loop.
pub fn variables() -> Vec<Variable> {
    [
        ("project.name", "The project's name."),
        ("release.version", "The release's version, such as 2.4.0."),
        ("release.name", "The release's name, if it has one."),
        ("release.date", "The release date in words, such as 15 December 2026."),
        ("release.isoDate", "The release date as 2026-12-15, for links and machines."),
        ("release.upcoming", "Whether the release is still to come (its date is ahead and it is not out yet): {% if release.upcoming %}will be available on {{ release.date }}{% else %}is now available{% endif %}."),
        ("release.scope", "What the release contains, in your words from the release page."),
        ("items", "The included changes for this audience: {% for item in items %}…{% endfor %}."),
        ("item.text", "The change, as users read it."),
        ("item.category", "The change's category key: breaking, security, new, improved, fixed or deprecated."),
        ("item.categoryLabel", "The category as a heading, such as “Breaking changes”."),
        ("item.audiences", "Who the change matters to (endUsers, admins, developers, internal)."),
        ("item.pr", "The pull request number, or nothing when unknown."),
        ("item.author", "Who wrote the change."),
        ("item.commit", "The short commit hash."),
        ("groups", "The included changes by category, breaking changes first: {% for group in groups %}…{% endfor %}."),
        ("group.category", "The group's category key."),
        ("group.label", "The group's heading, such as “Fixed”."),
        ("group.items", "The group's changes, each like item."),
        ("audience.key", "The audience this draft is for (endUsers, admins, developers, internal)."),
        ("audience.label", "The audience's name, such as “End users”."),
        ("support.helpdesk", "The help desk address, if set in the project's settings."),
        ("support.faq", "The FAQ address, if set."),
        ("support.contact", "Who users can contact, if set."),
        ("support.feedback", "Where users can send feedback, if set."),
        ("links.releaseNotes", "The address of the published release notes, if set."),
        ("links.product", "The product's address, if set."),
        ("rolledBackTo", "The version users are back on after a rollback (for corrections)."),
        ("sender.name", "Who the announcement is from: the sender's name in Settings."),
    ]
    .into_iter()
    .map(|(name, description)| Variable { name: name.to_owned(), description: description.to_owned() })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::changes::Commit;
    use crate::announce::render::tests::body;

    #[test]
    fn every_listed_variable_exists() {
        for variable in variables() {
            let name = &variable.name;
            let source = if let Some(field) = name.strip_prefix("item.") {
                format!("{{% for item in items %}}{{{{ item.{field} }}}}{{% endfor %}}")
            } else if let Some(field) = name.strip_prefix("group.") {
                format!("{{% for group in groups %}}{{{{ group.{field} }}}}{{% endfor %}}")
            } else {
                format!("{{{{ {name} }}}}")
            };
            assert!(body(&source).is_ok(), "{name}: {:?}", body(&source));
        }
    }

    #[test]
    fn the_context_holds_included_items_for_the_audience() {
        let commit = |short: &str, pr: Option<u32>| Commit {
            sha: format!("{short}000"),
            short: short.into(),
            subject: String::new(),
            body: String::new(),
            author: "Ada".into(),
            date: String::new(),
            merge: false,
            pr,
            kind: None,
            scope: None,
            breaking: false,
            breaking_note: None,
            description: String::new(),
        };
        let item = |short: &str, category, audiences: Vec<Audience>, include| SuggestedItem {
            commit: commit(short, Some(7)),
            category,
            audiences,
            include,
            text: format!("Change {short}"),
        };
        let items = vec![
            item("a", Category::Fixed, vec![Audience::EndUsers], true),
            item(
                "b",
                Category::New,
                vec![Audience::EndUsers, Audience::Developers],
                true,
            ),
            item("c", Category::Security, vec![Audience::EndUsers], true),
            item("d", Category::Improved, vec![Audience::Internal], false),
            item("e", Category::New, vec![Audience::Developers], true),
        ];
        let ctx = Context::new("Acme", ReleaseInfo::default(), Audience::EndUsers, &items);
        let texts: Vec<&str> = ctx.items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["Change a", "Change b", "Change c"]);
        let groups: Vec<&str> = ctx.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(groups, ["Security", "New", "Fixed"]);
        assert_eq!(ctx.items[0].pr, Some(7));
        assert_eq!(ctx.audience.label, "End users");
        let value = serde_json::to_value(&ctx).expect("json");
        assert_eq!(value["items"][0]["categoryLabel"], "Fixed");
        assert_eq!(value["audience"]["key"], "endUsers");
        assert!(value.get("rolledBackTo").is_some());
    }
}
