//! Templates, Markdown and the per-channel renderings of a draft.
//!
//! A draft is written as minijinja templates, one per part of its channel
//! (an email's subject, preheader and body, …). Templates see a [`Context`]
//! built from the release and its included change items; an unknown
//! variable is an error that names it and its line, never an empty string.
//! Bodies are Markdown: rendered to HTML by pulldown-cmark, then cleaned by
//! ammonia, so that nothing written in a commit or a template (a script, an
//! event handler, a `javascript:` link, a remote image) reaches the HTML.
//!
//! Guarantees: rendering never panics; a part's output is at most
//! [`MAX_OUTPUT`] bytes; `range()` in templates is capped at
//! [`MAX_RANGE`] items; every part runs on at most [`MAX_FUEL`]
//! instructions; recursion is bounded by minijinja.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use super::changes::{Audience, Category, SuggestedItem};
use crate::store::column::stored_text;

/// The most a template part may produce, in bytes.
pub const MAX_OUTPUT: usize = 1024 * 1024;
/// The most instructions one part may run (a few hundred thousand is ample
/// for any announcement).
pub const MAX_FUEL: u64 = 5_000_000;
/// The most items `range()` may produce in a template.
pub const MAX_RANGE: usize = 1_000;

// ---------------------------------------------------------------------------
// Channels and templates

/// Where an announcement goes. Named `Medium` in TypeScript, where
/// `Channel` is Tauri's IPC channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename = "Medium", rename_all = "camelCase")]
pub enum Channel {
    Email,
    InApp,
    Social,
    ReleaseNotes,
}

stored_text!(Channel { Email => "email", InApp => "inApp", Social => "social", ReleaseNotes => "releaseNotes" });

/// One named part of a channel's draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartSpec {
    pub name: &'static str,
    /// Markdown, rendered to HTML and plain text; otherwise plain text.
    pub markdown: bool,
    /// Whitespace (newlines included) is collapsed to single spaces.
    pub one_line: bool,
}

const fn part(name: &'static str, markdown: bool, one_line: bool) -> PartSpec {
    PartSpec {
        name,
        markdown,
        one_line,
    }
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::InApp,
        Channel::Social,
        Channel::ReleaseNotes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::InApp => "In-app note",
            Channel::Social => "Social post",
            Channel::ReleaseNotes => "Release notes",
        }
    }

    /// The part of this channel called `name`.
    pub fn spec(self, name: &str) -> Option<PartSpec> {
        self.parts().iter().find(|p| p.name == name).copied()
    }

    /// The parts a draft of this channel has, in editing order. The in-app
    /// text is Markdown (the app shows its HTML or its plain text); a social
    /// post is plain text, as networks show it.
    pub fn parts(self) -> &'static [PartSpec] {
        const EMAIL: [PartSpec; 3] = [
            part("subject", false, true),
            part("preheader", false, true),
            part("body", true, false),
        ];
        const IN_APP: [PartSpec; 2] = [part("text", true, false), part("link", false, true)];
        const SOCIAL: [PartSpec; 1] = [part("text", false, false)];
        const NOTES: [PartSpec; 1] = [part("body", true, false)];
        match self {
            Channel::Email => &EMAIL,
            Channel::InApp => &IN_APP,
            Channel::Social => &SOCIAL,
            Channel::ReleaseNotes => &NOTES,
        }
    }
}

/// A draft's templates: part name → minijinja source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Templates(pub BTreeMap<String, String>);

impl Templates {
    pub fn get(&self, part: &str) -> Option<&str> {
        self.0.get(part).map(String::as_str)
    }

    fn from_pairs(pairs: &[(&str, &str)]) -> Templates {
        Templates(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

/// The built-in templates of a channel. `correction` gives the ones for a
/// release rolled back after it was announced: what was rolled back, what
/// users should expect, and an apology.
///
/// Templates use trim_blocks and lstrip_blocks: a line holding only a
/// `{% … %}` tag leaves nothing behind, and a tag at the end of a line
/// swallows that line's newline unless written `+%}`.
pub fn builtin(channel: Channel, correction: bool) -> Templates {
    match (channel, correction) {
        (Channel::Email, false) => Templates::from_pairs(&[
            ("subject", EMAIL_SUBJECT),
            ("preheader", EMAIL_PREHEADER),
            ("body", EMAIL_BODY),
        ]),
        (Channel::Email, true) => Templates::from_pairs(&[
            ("subject", EMAIL_SUBJECT_CORRECTION),
            ("preheader", EMAIL_PREHEADER_CORRECTION),
            ("body", EMAIL_BODY_CORRECTION),
        ]),
        (Channel::InApp, false) => {
            Templates::from_pairs(&[("text", IN_APP_TEXT), ("link", IN_APP_LINK)])
        }
        (Channel::InApp, true) => {
            Templates::from_pairs(&[("text", IN_APP_TEXT_CORRECTION), ("link", IN_APP_LINK)])
        }
        (Channel::Social, false) => Templates::from_pairs(&[("text", SOCIAL_TEXT)]),
        (Channel::Social, true) => Templates::from_pairs(&[("text", SOCIAL_TEXT_CORRECTION)]),
        (Channel::ReleaseNotes, false) => Templates::from_pairs(&[("body", NOTES_BODY)]),
        (Channel::ReleaseNotes, true) => Templates::from_pairs(&[("body", NOTES_BODY_CORRECTION)]),
    }
}

const EMAIL_SUBJECT: &str = "What's new in {{ project.name }} {{ release.version }}\
{% if release.name %}: {{ release.name }}{% endif %}";

const EMAIL_PREHEADER: &str = "{{ project.name }} {{ release.version }} \
{% if release.upcoming %}will be available on {{ release.date }}{% else %}is now available{% endif %}\
{% if items %} with {{ items|length }} {% if items|length == 1 %}change{% else %}changes{% endif %}{% endif %}.";

// The change items are listed inside `{% block changes %}`: the words
// editor shows that block as the list of items, and the rest as words the
// lead edits (see `super::words`).
const EMAIL_BODY: &str = r#"Hello,

{{ project.name }} {{ release.version }}{% if release.name %} ({{ release.name }}){% endif %} {% if release.upcoming %}will be available on {{ release.date }}{% else %}is now available{% endif %}.{% if items %} Here is what changed.{% endif +%}
{% block changes %}
{% for group in groups %}

## {{ group.label }}

{% for item in group.items %}
- {{ item.text }}
{% endfor %}
{% endfor %}
{% if not items %}

This update brings improvements behind the scenes. There is nothing you need to do.
{% endif %}
{% endblock %}
{% if links.releaseNotes %}

[Read the full release notes]({{ links.releaseNotes }})
{% endif %}
{% if support.faq or support.helpdesk or support.contact %}

## Questions?

{% if support.faq %}
- Answers to common questions: [FAQ]({{ support.faq }})
{% endif %}
{% if support.helpdesk %}
- Get help: [help desk]({{ support.helpdesk }})
{% endif %}
{% if support.contact %}
- Contact us: {{ support.contact }}
{% endif %}
{% endif %}
{% if support.feedback %}

Tell us what you think: [share your feedback]({{ support.feedback }})
{% endif %}

{% if sender.name %}{{ sender.name }}{% else %}The {{ project.name }} team{% endif +%}
"#;

const EMAIL_SUBJECT_CORRECTION: &str =
    "Correction: {{ project.name }} {{ release.version }} has been rolled back";

const EMAIL_PREHEADER_CORRECTION: &str = "We found a problem with {{ release.version }} and went back to \
{% if rolledBackTo %}{{ rolledBackTo }}{% else %}the previous version{% endif %}. Here is what that means for you.";

const EMAIL_BODY_CORRECTION: &str = r#"Hello,

We recently told you about {{ project.name }} {{ release.version }}. Soon after it went out we found a problem, so we have rolled it back{% if rolledBackTo %} to version {{ rolledBackTo }}{% endif %}. We are sorry for the confusion.

## What this means for you

- {{ project.name }} works as it did {% if rolledBackTo %}in version {{ rolledBackTo }}{% else %}before this update{% endif %}.
- You do not need to do anything.
- We will let you know as soon as the update is available again.
{% block changes %}
{% if items %}

The changes we announced are not available for now, including:

{% for item in items[:5] %}
- {{ item.text }}
{% endfor %}
{% endif %}
{% endblock %}
{% if support.helpdesk or support.contact %}

If something does not work as expected, {% if support.helpdesk %}[contact our help desk]({{ support.helpdesk }}){% else %}contact us at {{ support.contact }}{% endif %}.
{% endif %}

{% if sender.name %}{{ sender.name }}{% else %}The {{ project.name }} team{% endif +%}
"#;

const IN_APP_TEXT: &str = r#"**{{ project.name }} {{ release.version }}** {% if release.upcoming %}is coming on {{ release.date }}{% else %}is here{% endif %}.
{% block changes %}
{% if items %}

{% for item in items[:3] %}
- {{ item.text }}
{% endfor %}
{% if items|length > 3 %}
- And {{ items|length - 3 }} more
{% endif %}
{% endif %}
{% endblock %}
"#;

const IN_APP_TEXT_CORRECTION: &str =
    "**{{ project.name }} {{ release.version }} has been rolled back.** \
We found a problem after the update went out and went back to \
{% if rolledBackTo %}version {{ rolledBackTo }}{% else %}the previous version{% endif %}. \
The changes we announced are not available for now, and there is nothing you need to do. \
We are sorry for the trouble and will let you know when the update is back.";

const IN_APP_LINK: &str =
    "{% if links.releaseNotes %}{{ links.releaseNotes }}{% else %}{{ links.product }}{% endif %}";

const SOCIAL_TEXT: &str = r#"{{ project.name }} {{ release.version }} {% if release.upcoming %}is coming on {{ release.date }}{% else %}is out{% endif %}!
{% block changes %}
{% for item in items[:3] %}
• {{ item.text }}
{% endfor %}
{% endblock %}
{% if links.releaseNotes %}

{{ links.releaseNotes }}
{% endif %}
"#;

const SOCIAL_TEXT_CORRECTION: &str = r#"A correction about {{ project.name }} {{ release.version }}: we found a problem after release and rolled it back{% if rolledBackTo %} to {{ rolledBackTo }}{% endif %}. Everything works as before, and we will share news when the update is back. Sorry for the confusion.
{% if links.releaseNotes %}

{{ links.releaseNotes }}
{% endif %}
"#;

const NOTES_BODY: &str = r#"# {{ project.name }} {{ release.version }}{% if release.name %}: {{ release.name }}{% endif +%}
{% if release.date %}

{% if release.upcoming %}Planned for {{ release.date }}.{% else %}Released {{ release.date }}.{% endif +%}
{% endif %}
{% if release.scope %}

{{ release.scope }}
{% endif %}
{% block changes %}
{% for group in groups %}

## {{ group.label }}

{% for item in group.items %}
- {{ item.text }}{% if item.pr %} (#{{ item.pr }}){% endif +%}
{% endfor %}
{% endfor %}
{% if not items %}

No user-facing changes in this release.
{% endif %}
{% endblock %}
"#;

const NOTES_BODY_CORRECTION: &str = r#"# {{ project.name }} {{ release.version }} (rolled back)

> **This release was rolled back{% if rolledBackTo %} to {{ rolledBackTo }}{% endif %}.** We found a problem after it was published. The changes below are not available for now, and {{ project.name }} works as it did before this release. We will announce when they are available again.
{% block changes %}
{% for group in groups %}

## {{ group.label }}

{% for item in group.items %}
- {{ item.text }}{% if item.pr %} (#{{ item.pr }}){% endif +%}
{% endfor %}
{% endfor %}
{% endblock %}
"#;

// ---------------------------------------------------------------------------
// The context templates see

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
pub use super::settings::Support;

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

/// Items by category in [`Category::ALL`] order; empty groups left out.
impl Context {
    /// The context with each item's text (and author) as `text` and
    /// `author` make them, in the list and in the groups alike.
    fn with_item_texts(&self, text: impl Fn(&Item) -> String, author: impl Fn(&str) -> String) -> Context {
        let mut ctx = self.clone();
        ctx.items = self.items.iter().map(|i| Item { text: text(i), author: author(&i.author), ..i.clone() }).collect();
        ctx.groups = group_items(&ctx.items);
        ctx
    }
}

/// Text as Markdown that shows it as it is: every ASCII punctuation
/// character that Markdown could read as syntax (links, emphasis, code,
/// headings, lists, HTML, entities) is escaped with a backslash, as
/// CommonMark allows for any ASCII punctuation.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '#' | '+' | '-' | '.' | '!' | '<' | '>' | '|' | '~' | '&' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

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

// ---------------------------------------------------------------------------
// Rendering

/// A template that cannot be rendered, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub struct RenderError {
    pub part: String,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "Template “{}”, line {line}: {}", self.part, self.message),
            None => write!(f, "Template “{}”: {}", self.part, self.message),
        }
    }
}

/// One part of a rendered draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RenderedPart {
    pub name: String,
    /// What the template produced: Markdown for a Markdown part.
    pub source: String,
    /// Sanitized HTML, for Markdown parts.
    pub html: Option<String>,
    /// Plain text (for Markdown parts, see [`markdown_to_text`]).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Rendered {
    pub channel: Channel,
    pub parts: Vec<RenderedPart>,
}

impl Rendered {
    pub fn part(&self, name: &str) -> Option<&RenderedPart> {
        self.parts.iter().find(|p| p.name == name)
    }
}

/// Renders every part of `channel` from `templates` (parts of other
/// channels are ignored). The first failing part is the error.
pub fn render(
    channel: Channel,
    templates: &Templates,
    ctx: &Context,
) -> Result<Rendered, RenderError> {
    let renderer = Renderer::new(ctx);
    let mut parts = Vec::new();
    for spec in channel.parts() {
        let Some(source) = templates.get(spec.name) else {
            return Err(RenderError {
                part: spec.name.to_owned(),
                line: None,
                message: "there is no template for this part. Restore the built-in template or write one."
                    .to_owned(),
            });
        };
        let output = renderer.output(spec, source)?;
        let part = if spec.markdown {
            RenderedPart {
                name: spec.name.to_owned(),
                html: Some(markdown_to_html(&output)),
                text: markdown_to_text(&output),
                source: output,
            }
        } else {
            RenderedPart {
                name: spec.name.to_owned(),
                source: output.clone(),
                html: None,
                text: output,
            }
        };
        parts.push(part);
    }
    Ok(Rendered { channel, parts })
}

/// Template sources rendered with one context: what [`render`] does for
/// each part, and what the words editor does for each piece of a part.
pub(crate) struct Renderer {
    env: Environment<'static>,
    markdown_root: Value,
    plain_root: Value,
}

impl Renderer {
    pub(crate) fn new(ctx: &Context) -> Renderer {
        // Commit text is text: escaped where the part is Markdown, as it is
        // where the part is plain text; the lead's own Markdown is rendered in
        // Markdown parts and read as text in plain ones.
        Renderer {
            env: environment(),
            markdown_root: context_value(&ctx.with_item_texts(|i| if i.markdown { i.text.clone() } else { escape_markdown(&i.text) }, escape_markdown)),
            plain_root: context_value(&ctx.with_item_texts(|i| if i.markdown { markdown_to_text(&i.text) } else { i.text.clone() }, str::to_owned)),
        }
    }

    /// What `source` writes as the part `spec`: Markdown trimmed, a
    /// one-line part on one line, plain text with tidy lines.
    pub(crate) fn output(&self, spec: &PartSpec, source: &str) -> Result<String, RenderError> {
        let root = if spec.markdown { &self.markdown_root } else { &self.plain_root };
        let output = render_part(&self.env, spec.name, source, root)?;
        Ok(tidy(spec, &output))
    }

}

/// Whether `source` is a template on its own (its tags all closed).
pub(crate) fn compiles(source: &str) -> bool {
    fn parse(env: &Environment<'_>, source: &str) -> bool {
        env.template_from_str(source).is_ok()
    }
    parse(&environment(), source)
}

/// Text as the part `spec` keeps it: Markdown trimmed, a one-line part on
/// one line, plain text with tidy lines.
pub(crate) fn tidy(spec: &PartSpec, text: &str) -> String {
    if spec.markdown {
        text.trim().to_owned()
    } else if spec.one_line {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        trim_lines(text)
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Markdown and plain text are not HTML: escaping here would show
    // `&amp;` to readers. The HTML made from the Markdown is sanitized.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // Every instruction costs fuel: a template that loops without end (or
    // nests loops that print nothing) stops with an error.
    env.set_fuel(Some(MAX_FUEL));
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_function("range", capped_range);
    env
}

/// `range()` as minijinja has it, at most [`MAX_RANGE`] items.
fn capped_range(
    lower: isize,
    upper: Option<isize>,
    step: Option<isize>,
) -> Result<Value, minijinja::Error> {
    let (start, end) = match upper {
        Some(upper) => (lower as i128, upper as i128),
        None => (0, lower as i128),
    };
    // A step of 0 is left to minijinja, which refuses it.
    let len = match step.unwrap_or(1) as i128 {
        0 => 0,
        s if s > 0 => ((end - start).max(0) + s - 1) / s,
        s => ((start - end).max(0) - s - 1) / -s,
    };
    if len > MAX_RANGE as i128 {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("range() may give at most {MAX_RANGE} numbers"),
        ));
    }
    minijinja::functions::range(lower, upper, step)
}

/// Writes at most [`MAX_OUTPUT`] bytes, then refuses.
struct Bounded(Vec<u8>);

impl io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT {
            return Err(io::Error::other("output limit reached"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn render_part(
    env: &Environment<'_>,
    part: &str,
    source: &str,
    root: &Value,
) -> Result<String, RenderError> {
    let template = env
        .template_from_named_str(part, source)
        .map_err(|err| render_error(part, source, &err))?;
    let mut out = Bounded(Vec::new());
    template
        .render_captured_to(root, &mut out)
        .map_err(|err| render_error(part, source, &err))?;
    Ok(String::from_utf8_lossy(&out.0).into_owned())
}

/// The variables the context defines at the top level.
const ROOTS: [&str; 9] = [
    "project",
    "release",
    "items",
    "groups",
    "audience",
    "support",
    "links",
    "rolledBackTo",
    "sender",
];

fn render_error(part: &str, source: &str, err: &minijinja::Error) -> RenderError {
    let detail = err.detail().unwrap_or("").to_owned();
    let message = match err.kind() {
        ErrorKind::UndefinedError => match undefined_name(source, err) {
            Some(name) => format!("unknown variable “{name}”. The sidebar lists the variables you can use."),
            None => "unknown variable. The sidebar lists the variables you can use.".to_owned(),
        },
        ErrorKind::SyntaxError => format!(
            "syntax error: {detail}. Check the {{{{ … }}}} and {{% … %}} tags near it: each {{% if %}} needs an {{% endif %}}, each {{% for %}} an {{% endfor %}}."
        ),
        ErrorKind::WriteFailure => format!(
            "the text is longer than {} MB. A loop may repeat too often.",
            MAX_OUTPUT / (1024 * 1024)
        ),
        ErrorKind::OutOfFuel => "the template does too much work (a loop that does not end, or loops nested too deep). Simplify it.".to_owned(),
        ErrorKind::UnknownFilter | ErrorKind::UnknownFunction | ErrorKind::UnknownTest | ErrorKind::UnknownMethod => {
            if detail.is_empty() {
                err.kind().to_string()
            } else {
                format!("{}: {detail}", err.kind())
            }
        }
        kind if detail.is_empty() => kind.to_string(),
        kind => format!("{kind}: {detail}"),
    };
    RenderError {
        part: part.to_owned(),
        line: err.line().map(|l| l as u32),
        message,
    }
}

/// The name of the undefined variable an error points at: the
/// expression's leading `a.b.c` path, cut after its first unknown root.
fn undefined_name(source: &str, err: &minijinja::Error) -> Option<String> {
    let span = err.range().and_then(|r| source.get(r))?;
    let path: String = span
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let path = path.trim_matches('.');
    if path.is_empty() {
        return None;
    }
    let root = path.split('.').next().unwrap_or(path);
    if ROOTS.contains(&root) {
        Some(path.to_owned())
    } else {
        Some(root.to_owned())
    }
}

/// The context as minijinja values. (minijinja's `serde` feature is not
/// enabled, so the context goes through serde_json.)
fn context_value(ctx: &Context) -> Value {
    match serde_json::to_value(ctx) {
        Ok(json) => json_to_value(json),
        Err(_) => Value::from(BTreeMap::<String, Value>::new()),
    }
}

fn json_to_value(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(a) => {
            Value::from(a.into_iter().map(json_to_value).collect::<Vec<_>>())
        }
        serde_json::Value::Object(o) => Value::from(
            o.into_iter()
                .map(|(k, v)| (k, json_to_value(v)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

/// Trailing spaces off every line, at most one blank line in a row, no
/// blank lines at either end.
fn trim_lines(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

// ---------------------------------------------------------------------------
// Markdown

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Markdown to sanitized HTML. Images become links to them (no remote
/// loads in a preview or a mail client); raw HTML is cleaned with the rest.
pub fn markdown_to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, markdown_options()).map(|event| match event {
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url,
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize(&html)
}

/// HTML cleaned to the formatting Markdown produces: links only to
/// http, https and mailto addresses (with `rel="noopener noreferrer"`), no
/// images, scripts, styles, frames or event handlers.
pub fn sanitize(html: &str) -> String {
    let tags: HashSet<&str> = [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    attributes.insert("a", ["href"].into_iter().collect());
    attributes.insert("ol", ["start"].into_iter().collect());
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .clean_content_tags(
            [
                "script", "style", "iframe", "object", "embed", "noscript", "template", "textarea",
                "svg", "math",
            ]
            .into_iter()
            .collect(),
        )
        .tag_attributes(attributes)
        .generic_attributes(HashSet::new())
        .tag_attribute_values(HashMap::new())
        .allowed_classes(HashMap::new())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    builder.clean(html).to_string()
}

/// Markdown to plain text, as a text/plain email part or a notification
/// shows it: headings as a line underlined with `=` (level 1) or `-`
/// (level 2; lower levels plain), list items as `- ` or `1. `, links as
/// `text (url)`, emphasis dropped, code kept, blocks separated by a blank
/// line, quotes prefixed `> `. Lines are not wrapped: mail clients wrap,
/// and a wrapped line would break a long address. Raw HTML is dropped.
pub fn markdown_to_text(markdown: &str) -> String {
    let mut w = TextWriter::default();
    for event in Parser::new_ext(markdown, markdown_options()) {
        w.event(event);
    }
    trim_lines(&w.out)
}

#[derive(Default)]
struct TextWriter {
    out: String,
    /// Written at the start of each line: quote marks and list indents.
    prefixes: Vec<String>,
    /// Each open list's next number (`None`: bulleted).
    lists: Vec<Option<u64>>,
    /// Open links and images: (address, where their text starts in `out`).
    links: Vec<(String, usize)>,
    /// A list marker was just written; the item's first block goes on its line.
    after_marker: bool,
    /// Inside a table row: cells written so far.
    cells: usize,
    heading: Option<(HeadingLevel, usize)>,
}

impl TextWriter {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn write(&mut self, text: &str) {
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            if piece.is_empty() {
                continue;
            }
            if self.at_line_start() {
                let prefix: String = self.prefixes.concat();
                self.out.push_str(&prefix);
            }
            self.out.push_str(piece);
            self.after_marker = false;
        }
    }

    fn newline(&mut self) {
        if !self.at_line_start() {
            self.out.push('\n');
        }
    }

    /// Starts a block: on the marker's line right after a list marker,
    /// else after a blank line.
    fn block(&mut self) {
        if self.after_marker {
            return;
        }
        self.newline();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) => self.write(&text),
            Event::InlineMath(text) | Event::DisplayMath(text) => self.write(&text),
            Event::SoftBreak => self.write(" "),
            Event::HardBreak => self.out.push('\n'),
            Event::Rule => {
                self.block();
                self.write("----------");
                self.block();
            }
            Event::Html(_) | Event::InlineHtml(_) => {}
            Event::FootnoteReference(name) => self.write(&format!("[{name}]")),
            Event::TaskListMarker(done) => self.write(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.block(),
            Tag::Heading { level, .. } => {
                self.block();
                self.heading = Some((level, self.out.len()));
            }
            Tag::BlockQuote(_) => {
                self.block();
                self.prefixes.push("> ".to_owned());
            }
            Tag::CodeBlock(_) => {
                self.block();
                self.prefixes.push("    ".to_owned());
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.block();
                } else {
                    self.newline();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.newline();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => "- ".to_owned(),
                };
                self.write(&marker);
                self.after_marker = true;
                self.prefixes.push(" ".repeat(marker.chars().count()));
            }
            Tag::Table(_) => self.block(),
            Tag::TableHead | Tag::TableRow => {
                self.newline();
                self.cells = 0;
            }
            Tag::TableCell => {
                if self.cells > 0 {
                    self.write(" | ");
                }
                self.cells += 1;
            }
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.links.push((dest_url.to_string(), self.out.len()));
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.newline(),
            TagEnd::Heading(_) => {
                if let Some((level, start)) = self.heading.take() {
                    let width = self
                        .out
                        .get(start..)
                        .map_or(0, |t| t.trim().chars().count())
                        .max(3);
                    let underline = match level {
                        HeadingLevel::H1 => Some('='),
                        HeadingLevel::H2 => Some('-'),
                        _ => None,
                    };
                    if let Some(c) = underline {
                        self.newline();
                        self.write(&c.to_string().repeat(width));
                    }
                }
                self.newline();
            }
            TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::Item => {
                self.prefixes.pop();
                self.newline();
            }
            TagEnd::List(_) => {
                self.lists.pop();
                self.newline();
            }
            TagEnd::TableHead | TagEnd::TableRow => self.newline(),
            TagEnd::Link | TagEnd::Image => {
                if let Some((url, start)) = self.links.pop() {
                    let text = self.out.get(start..).unwrap_or("").trim().to_owned();
                    let same = text == url || url.strip_prefix("mailto:") == Some(text.as_str());
                    if !url.is_empty() && !same {
                        self.write(&format!(" ({url})"));
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// Email HTML

struct Palette {
    page: &'static str,
    card: &'static str,
    text: &'static str,
    muted: &'static str,
    link: &'static str,
    code: &'static str,
    rule: &'static str,
}

const LIGHT: Palette = Palette {
    page: "#f4f5f7",
    card: "#ffffff",
    text: "#1f2328",
    muted: "#59636e",
    link: "#0b57d0",
    code: "#eff1f3",
    rule: "#d1d9e0",
};

const DARK: Palette = Palette {
    page: "#0d1117",
    card: "#161b22",
    text: "#e6edf3",
    muted: "#9198a1",
    link: "#58a6ff",
    code: "#262c36",
    rule: "#3d444d",
};

const FONT: &str =
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const MONO: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace";

/// A complete HTML email around a sanitized body: a table layout at most
/// 600px wide, inline styles only (no `<style>` block, which Gmail and
/// Outlook drop or mangle), the preheader as hidden text at the top.
/// `dark` is for the in-app preview only; emails go out light.
pub fn email_html(subject: &str, preheader: &str, body_html: &str, dark: bool) -> String {
    let p = if dark { &DARK } else { &LIGHT };
    let body = style_tags(body_html, p);
    // Spacer characters after the preheader keep mail clients from filling
    // the preview with the start of the body.
    let filler = "&#8199;&#847; ".repeat(40);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="{scheme}">
<title>{title}</title>
</head>
<body style="margin:0;padding:0;background-color:{page};">
<span style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:{page};">{preheader}{filler}</span>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background-color:{page};">
<tr>
<td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:{card};border-radius:8px;">
<tr>
<td style="padding:32px;font-family:{font};font-size:16px;line-height:1.5;color:{text};">
{body}
</td>
</tr>
</table>
</td>
</tr>
</table>
</body>
</html>
"#,
        scheme = if dark { "dark" } else { "light" },
        title = escape_html(subject),
        preheader = escape_html(preheader),
        page = p.page,
        card = p.card,
        font = FONT,
        text = p.text,
    )
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn inline_style(tag: &str, p: &Palette) -> Option<String> {
    let style = match tag {
        "h1" => format!("margin:0 0 16px;font-family:{FONT};font-size:26px;line-height:1.25;font-weight:700;color:{};", p.text),
        "h2" => format!("margin:28px 0 12px;font-family:{FONT};font-size:20px;line-height:1.3;font-weight:700;color:{};", p.text),
        "h3" | "h4" | "h5" | "h6" => format!("margin:20px 0 8px;font-family:{FONT};font-size:17px;line-height:1.3;font-weight:700;color:{};", p.text),
        "p" => format!("margin:0 0 16px;font-family:{FONT};font-size:16px;line-height:1.5;color:{};", p.text),
        "ul" | "ol" => "margin:0 0 16px;padding:0 0 0 24px;".to_owned(),
        "li" => format!("margin:0 0 6px;font-family:{FONT};font-size:16px;line-height:1.5;color:{};", p.text),
        "a" => format!("color:{};text-decoration:underline;", p.link),
        "code" => format!("font-family:{MONO};font-size:14px;background-color:{};border-radius:4px;padding:1px 4px;", p.code),
        "pre" => format!("margin:0 0 16px;padding:12px;background-color:{};border-radius:6px;overflow:auto;white-space:pre-wrap;", p.code),
        "blockquote" => format!("margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid {};color:{};", p.rule, p.muted),
        "hr" => format!("border:0;border-top:1px solid {};margin:24px 0;", p.rule),
        "table" => "border-collapse:collapse;margin:0 0 16px;".to_owned(),
        "th" | "td" => format!("border:1px solid {};padding:6px 10px;text-align:left;font-family:{FONT};font-size:15px;color:{};", p.rule, p.text),
        _ => return None,
    };
    Some(style)
}

/// Adds a `style` attribute to each opening tag that has one in the
/// palette. The input comes from [`sanitize`]: text never holds a raw `<`
/// and no tag has a `style` already; quoted attribute values are skipped.
fn style_tags(html: &str, p: &Palette) -> String {
    let mut out = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag_src = &rest[lt..];
        let end = tag_end(tag_src);
        let tag = &tag_src[..end];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match inline_style(&name, p) {
            Some(style) if !name.is_empty() => {
                out.push('<');
                out.push_str(&name);
                out.push_str(" style=\"");
                out.push_str(&style.replace('"', "&quot;"));
                out.push('"');
                out.push_str(&tag[1 + name.len()..]);
            }
            _ => out.push_str(tag),
        }
        rest = &tag_src[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the tag at the start of `src` (up to and including `>`),
/// skipping quoted values; all of `src` when it never closes.
fn tag_end(src: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in src.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if i > 0 => quote = Some(c),
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    src.len()
}

// ---------------------------------------------------------------------------
// Social lengths

/// A post's length as one network counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SocialLength {
    pub network: String,
    pub count: u32,
    pub limit: u32,
    pub over: bool,
}

/// What a web address counts for on X and Mastodon, however long it is.
const URL_WEIGHT: usize = 23;

/// The post's length on X (280, weighted: code points in 0–4351,
/// 8192–8205, 8208–8223 and 8242–8247 count 1, others such as CJK and emoji
/// 2; an http(s) address 23), Mastodon (500 code points; an address 23)
/// and LinkedIn (3,000 code points).
pub fn social_lengths(text: &str) -> Vec<SocialLength> {
    let mut x = 0;
    let mut mastodon = 0;
    for piece in split_urls(text) {
        match piece {
            Piece::Url => {
                x += URL_WEIGHT;
                mastodon += URL_WEIGHT;
            }
            Piece::Text(t) => {
                x += t.chars().map(x_weight).sum::<usize>();
                mastodon += t.chars().count();
            }
        }
    }
    let length = |network: &str, count: usize, limit: usize| SocialLength {
        network: network.to_owned(),
        count: count.min(u32::MAX as usize) as u32,
        limit: limit as u32,
        over: count > limit,
    };
    vec![
        length("X", x, 280),
        length("Mastodon", mastodon, 500),
        length("LinkedIn", text.chars().count(), 3_000),
    ]
}

fn x_weight(c: char) -> usize {
    match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 1,
        _ => 2,
    }
}

enum Piece<'a> {
    Url,
    Text(&'a str),
}

/// Text and http(s) addresses: an address starts a word and runs to the
/// next whitespace, without trailing punctuation.
fn split_urls(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let starts_word = i == 0
            || !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        let rest = &text[i..];
        let scheme = ["https://", "http://"].into_iter().find(|s| {
            rest.len() >= s.len() && rest.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
        });
        if let (true, Some(scheme)) = (starts_word, scheme) {
            let run = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let url = rest[..run].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
            if url.len() > scheme.len() {
                pieces.push(Piece::Text(&text[plain_start..i]));
                pieces.push(Piece::Url);
                i += url.len();
                plain_start = i;
                continue;
            }
        }
        // Next character boundary.
        i += 1;
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    pieces.push(Piece::Text(&text[plain_start..]));
    pieces
}

// ---------------------------------------------------------------------------
// In-app JSON and the release-notes feed

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InAppNote<'a> {
    version: &'a str,
    title: &'a str,
    text: &'a str,
    link: Option<&'a str>,
    published_at: &'a str,
}

/// The note an app fetches to show "what's new": pretty JSON with
/// `version`, `title`, `text`, `link` (null when empty) and `publishedAt`.
pub fn in_app_json(
    version: &str,
    title: &str,
    text: &str,
    link: &str,
    published_at: &str,
) -> String {
    let note = InAppNote {
        version,
        title,
        text,
        link: (!link.trim().is_empty()).then_some(link.trim()),
        published_at,
    };
    // Serializing plain strings cannot fail.
    serde_json::to_string_pretty(&note).unwrap_or_default()
}

/// One release in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FeedEntry {
    pub version: String,
    pub title: String,
    /// The release notes as sanitized HTML.
    pub html: String,
    /// RFC 3339.
    pub published: String,
    /// Where the release notes are published; may be empty.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("The publish time “{published}” of {version} is not a date and time. Write it as RFC 3339, such as 2024-05-02T09:00:00Z.")]
    BadDate { version: String, published: String },
}

/// Text that XML 1.0 can hold: the control characters it forbids (all of
/// C0 but tab, newline and carriage return) and U+FFFE/U+FFFF removed. One
/// such character from a commit made every feed with it unreadable.
pub fn xml_text(text: &str) -> String {
    text.chars().filter(|&c| !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')).collect()
}

/// The release notes as an Atom feed. `feed_id` is the feed's permanent
/// address (its `<id>`, and its `self` link when it is http(s)); each
/// entry's id is its link, or `feed_id#version` without one.
pub fn atom_feed(
    project_name: &str,
    feed_id: &str,
    entries: &[FeedEntry],
) -> Result<String, FeedError> {
    use atom_syndication::{Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};

    let mut atom_entries = Vec::new();
    let mut newest: Option<FixedDateTime> = None;
    for e in entries {
        let published = FixedDateTime::parse_from_rfc3339(e.published.trim()).map_err(|_| {
            FeedError::BadDate {
                version: e.version.clone(),
                published: e.published.clone(),
            }
        })?;
        newest = Some(newest.map_or(published, |n| n.max(published)));
        let mut entry = Entry::default();
        let link = e.link.trim();
        entry.set_id(if link.is_empty() {
            format!("{feed_id}#{}", e.version)
        } else {
            link.to_owned()
        });
        entry.set_title(Text::plain(xml_text(&e.title)));
        entry.set_updated(published);
        entry.set_published(Some(published));
        let mut content = Content::default();
        content.set_content_type(Some("html".to_owned()));
        content.set_value(Some(xml_text(&e.html)));
        entry.set_content(Some(content));
        if !link.is_empty() {
            let mut alternate = Link::default();
            alternate.set_href(link);
            alternate.set_rel("alternate");
            entry.set_links(vec![alternate]);
        }
        atom_entries.push(entry);
    }

    let mut feed = Feed::default();
    feed.set_id(feed_id);
    let project_name = &xml_text(project_name);
    feed.set_title(Text::plain(format!("{project_name} release notes")));
    feed.set_updated(newest.unwrap_or_else(|| chrono::Utc::now().fixed_offset()));
    let mut author = Person::default();
    author.set_name(project_name);
    feed.set_authors(vec![author]);
    let mut generator = Generator::default();
    generator.set_value("Liftoff");
    feed.set_generator(Some(generator));
    if feed_id.starts_with("https://") || feed_id.starts_with("http://") {
        let mut me = Link::default();
        me.set_href(feed_id);
        me.set_rel("self");
        feed.set_links(vec![me]);
    }
    feed.set_entries(atom_entries);
    Ok(feed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::changes::Commit;

    fn notes(source: &str) -> Result<Rendered, RenderError> {
        let templates = Templates::from_pairs(&[("body", source)]);
        render(Channel::ReleaseNotes, &templates, &Context::sample())
    }

    fn body(source: &str) -> Result<String, RenderError> {
        notes(source).map(|r| r.parts[0].source.clone())
    }

    fn empty_context() -> Context {
        Context::new(
            "Acme",
            ReleaseInfo {
                version: "1.0.0".into(),
                ..ReleaseInfo::default()
            },
            Audience::Admins,
            &[],
        )
    }

    #[test]
    fn every_builtin_template_renders() {
        for channel in Channel::ALL {
            for correction in [false, true] {
                for ctx in [Context::sample(), empty_context()] {
                    let templates = builtin(channel, correction);
                    let rendered = render(channel, &templates, &ctx)
                        .unwrap_or_else(|e| panic!("{channel:?} correction={correction}: {e}"));
                    let names: Vec<&str> = rendered.parts.iter().map(|p| p.name.as_str()).collect();
                    let expected: Vec<&str> = channel.parts().iter().map(|p| p.name).collect();
                    assert_eq!(names, expected);
                    for part in &rendered.parts {
                        assert!(
                            !part.source.contains("{{") && !part.source.contains("{%"),
                            "{}",
                            part.source
                        );
                        assert!(!part.text.contains("\n\n\n"), "{:?}", part.text);
                        if part.name != "link" {
                            assert!(!part.text.is_empty(), "{channel:?} {}", part.name);
                        }
                        let spec = channel.parts().iter().find(|s| s.name == part.name);
                        assert_eq!(part.html.is_some(), spec.is_some_and(|s| s.markdown));
                    }
                    let all = rendered
                        .parts
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join("\n~~~\n");
                    assert!(all.contains(&ctx.release.version));
                    if correction {
                        assert!(all.contains("rolled"), "{all}");
                        if !ctx.rolled_back_to.is_empty() {
                            assert!(all.contains("2.3.1"), "{channel:?}: {all}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_email_lists_changes_by_category() {
        let rendered = render(
            Channel::Email,
            &builtin(Channel::Email, false),
            &Context::sample(),
        )
        .expect("renders");
        let subject = rendered.part("subject").expect("subject");
        assert_eq!(subject.text, "What's new in Acme Reports 2.4.0: Aurora");
        let body = rendered.part("body").expect("body");
        let breaking = body
            .source
            .find("## Breaking changes")
            .expect("breaking heading");
        let new = body.source.find("## New").expect("new heading");
        assert!(breaking < new, "breaking changes come first");
        assert!(body.source.contains("- Export reports as CSV\n"));
        let html = body.html.as_deref().unwrap_or("");
        assert!(html.contains("<h2>Fixed</h2>"));
        assert!(
            html.contains(r#"<a href="https://example.com/faq" rel="noopener noreferrer">FAQ</a>"#)
        );
        assert!(body
            .text
            .contains("Fixed\n-----\n\n- Emails with a plus sign can sign in again"));
        let notes = render(
            Channel::ReleaseNotes,
            &builtin(Channel::ReleaseNotes, false),
            &Context::sample(),
        )
        .expect("renders");
        assert!(
            notes.parts[0]
                .source
                .contains("- Export reports as CSV (#41)\n"),
            "{}",
            notes.parts[0].source
        );
    }

    #[test]
    fn dates_read_as_words_and_the_wording_follows_the_release() {
        assert_eq!(date_in_words("2026-12-15"), "15 December 2026");
        assert_eq!(date_in_words("2027-01-05"), "5 January 2027");
        assert_eq!(date_in_words("soon"), "soon");
        for channel in Channel::ALL {
            for upcoming in [false, true] {
                let mut ctx = Context::sample();
                ctx.release.upcoming = upcoming;
                let rendered = render(channel, &builtin(channel, false), &ctx).unwrap();
                let all: String = rendered.parts.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n");
                assert!(!all.contains("2024-05-02"), "{channel:?}: never the ISO date: {all}");
                if upcoming {
                    assert!(all.contains("2 May 2024"), "{channel:?}: {all}");
                }
                if channel == Channel::Email {
                    let body = rendered.text_of("body");
                    let preheader = rendered.text_of("preheader");
                    if upcoming {
                        assert!(body.contains("Acme Reports 2.4.0 (Aurora) will be available on 2 May 2024."), "{body}");
                        assert!(preheader.starts_with("Acme Reports 2.4.0 will be available on 2 May 2024"), "{preheader}");
                    } else {
                        assert!(body.contains("Acme Reports 2.4.0 (Aurora) is now available. Here is what changed."), "{body}");
                        assert!(!body.contains("as of") && !body.contains("will be"), "{body}");
                    }
                }
            }
        }
    }

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
    fn an_unknown_variable_names_itself_and_its_line() {
        let err = body("Hello\n\n{{ relase.version }}").expect_err("unknown");
        assert_eq!((err.part.as_str(), err.line), ("body", Some(3)));
        assert!(
            err.to_string()
                .starts_with("Template “body”, line 3: unknown variable “relase”"),
            "{err}"
        );
        let err = body("{% if release.verison %}x{% endif %}").expect_err("unknown field");
        assert!(err.message.contains("“release.verison”"), "{err}");
        let err = body("{% for item in items %}{{ item.txt }}{% endfor %}")
            .expect_err("unknown item field");
        assert!(
            err.message.contains("“item.txt”") || err.message.contains("“item”"),
            "{err}"
        );
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = body("One\nTwo\n{{ items | }}\n").expect_err("syntax");
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("syntax error:"), "{err}");
        let err = body("One\n{% if items %}\nTwo\n").expect_err("unclosed");
        assert!(
            err.to_string().starts_with("Template “body”, line "),
            "{err}"
        );
    }

    #[test]
    fn a_missing_part_is_an_error() {
        let templates = Templates::from_pairs(&[("subject", "Hi"), ("body", "Hi")]);
        let err = render(Channel::Email, &templates, &Context::sample()).expect_err("no preheader");
        assert_eq!(err.part, "preheader");
    }

    #[test]
    fn template_work_is_bounded() {
        let err = body("{% for i in range(1000) %}{% for j in range(1000) %}0123456789{% endfor %}{% endfor %}")
            .expect_err("too long");
        assert!(err.message.contains("longer than 1 MB"), "{err}");
        let err = body("{% for i in range(5000) %}{% endfor %}").expect_err("range");
        assert!(err.message.contains("at most 1000"), "{err}");
        assert_eq!(
            body("{% for i in range(3) %}{{ i }}{% endfor %}").as_deref(),
            Ok("012")
        );
        assert_eq!(
            body("{% for i in range(10, 0, -4) %}{{ i }},{% endfor %}").as_deref(),
            Ok("10,6,2,")
        );
        assert!(body("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}").is_err());
    }

    #[test]
    fn markdown_to_html_and_text() {
        let md = "# Title\n\nSome *emphasis*, **strong** and `code`, ~~gone~~.\n\n## Changes\n\n- One\n- Two with [a link](https://example.com)\n  - Nested\n\n1. First\n2. Second\n\n> Quoted\n> text\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n[https://example.com](https://example.com) and [mail](mailto:a@example.com)";
        let html = markdown_to_html(md);
        for expected in [
            "<h1>Title</h1>",
            "<em>emphasis</em>",
            "<del>gone</del>",
            "<code>code</code>",
            "<ol>",
            "<table>",
            "<td>2</td>",
            "<blockquote>",
        ] {
            assert!(html.contains(expected), "{expected} in {html}");
        }
        assert_eq!(
            markdown_to_text(md),
            "Title\n=====\n\nSome emphasis, strong and code, gone.\n\nChanges\n-------\n\n- One\n- Two with a link (https://example.com)\n  - Nested\n\n1. First\n2. Second\n\n> Quoted text\n\nA | B\n1 | 2\n\nhttps://example.com and mail (mailto:a@example.com)"
        );
        assert_eq!(
            markdown_to_text("### Small\n\n```\nlet x = 1;\n```"),
            "Small\n\n    let x = 1;"
        );
        assert_eq!(
            markdown_to_text("- loose\n\n- list\n\n  more\n"),
            "- loose\n- list\n\n  more"
        );
        assert_eq!(markdown_to_text(""), "");
    }

    #[test]
    fn nothing_active_reaches_the_html() {
        let md = "Hi <script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n[click](javascript:alert(3)) <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">x</a>\n\n![tracker](https://evil.example/pixel.png)\n\n<iframe src=\"https://evil.example\"></iframe><style>p{}</style>\n\n[relative](/admin) <p style=\"color:red\" class=\"x\">styled</p>";
        let html = markdown_to_html(md);
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "onclick",
            "javascript:",
            "<img",
            "<iframe",
            "<style",
            "style=",
            "class=",
            "/admin\"",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        // The image is a plain link to it, loaded by no one.
        assert!(
            html.contains(
                r#"<a href="https://evil.example/pixel.png" rel="noopener noreferrer">tracker</a>"#
            ),
            "{html}"
        );

        // The same through a template and the lead's own item text (which
        // may use Markdown, sanitized).
        let mut ctx = Context::sample();
        ctx.items[0].text = "<script>alert('x')</script> <img src=x onerror=alert(1)>".into();
        ctx.items[0].markdown = true;
        let rendered = render(
            Channel::ReleaseNotes,
            &Templates::from_pairs(&[(
                "body",
                "{% for item in items %}\n- {{ item.text }}\n{% endfor %}<script>bad()</script>",
            )]),
            &ctx,
        )
        .expect("renders");
        let html = rendered.parts[0].html.as_deref().unwrap_or("");
        assert!(
            !html.contains("<script") && !html.contains("onerror") && !html.contains("bad()"),
            "{html}"
        );
        assert!(
            !rendered.parts[0].text.contains("script"),
            "{}",
            rendered.parts[0].text
        );
    }

    /// A commit's text is text in every output: no link, heading, HTML or
    /// template syntax of a contributor's becomes active, and it reads as
    /// written.
    #[test]
    fn commit_text_stays_text_in_every_output() {
        let hostile = [
            "[Reset your password](https://evil.example/reset)",
            "</li></ul><h1>URGENT: update now</h1>",
            "<script>alert(1)</script><img src=x onerror=alert(2)><iframe src=https://evil.example>",
            "[x](javascript:alert(1)) *bold* `code` # heading {{ release.version }}",
            "1. not a list & not &amp; an entity \\ back",
        ];
        let templates = Templates::from_pairs(&[
            ("subject", "{% for item in items %}{{ item.text }} {% endfor %}"),
            ("preheader", "x"),
            ("body", "{% for item in items %}\n- {{ item.text }}\n{% endfor %}\n\n{% for item in items %}\n{{ item.text }}\n\n{% endfor %}"),
        ]);
        for text in hostile {
            let mut ctx = Context::sample();
            ctx.items.truncate(1);
            ctx.items[0].text = text.to_owned();
            ctx.groups = group_items(&ctx.items);
            let rendered = render(Channel::Email, &templates, &ctx).expect("renders");
            let body = rendered.part("body").unwrap();
            let html = body.html.as_deref().unwrap();
            for active in ["<a ", "<h1", "<script", "<img", "<iframe", "<strong", "<em>", "<code", "<ol", "href="] {
                assert!(!html.contains(active), "{text:?}: {active} in {html}");
            }
            // Read back, each output shows the text as written.
            assert!(body.text.contains(text), "{text:?} in the plain text: {}", body.text);
            assert!(rendered.part("subject").unwrap().text.contains(text), "subject: {}", rendered.part("subject").unwrap().text);
            let shown: String = html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
            assert!(shown.contains(text), "{text:?} in the HTML: {html}");
            assert!(!body.text.contains("(javascript:") || text.contains("(javascript:"), "{}", body.text);
        }
        // The lead's own rewrite may use Markdown.
        let mut ctx = Context::sample();
        ctx.items.truncate(1);
        ctx.items[0].text = "Read the **new** [guide](https://example.com/guide)".into();
        ctx.items[0].markdown = true;
        ctx.groups = group_items(&ctx.items);
        let rendered = render(Channel::Email, &templates, &ctx).expect("renders");
        let html = rendered.part("body").unwrap().html.clone().unwrap();
        assert!(html.contains("<strong>new</strong>") && html.contains("href=\"https://example.com/guide\""), "{html}");
        assert!(rendered.part("subject").unwrap().text.contains("Read the new guide"), "{}", rendered.part("subject").unwrap().text);
    }

    #[test]
    fn the_feed_is_well_formed_xml_whatever_a_commit_holds() {
        let entry = FeedEntry {
            version: "2.4.0".into(),
            title: "Bell \u{7} escape \u{1b}[31m unit \u{1f} separator".into(),
            html: "<p>Control \u{7}\u{1b}\u{1f} characters and \u{fffe}</p>".into(),
            published: "2024-05-02T09:00:00Z".into(),
            link: String::new(),
        };
        let xml = atom_feed("Acme \u{7}", "https://example.com/releases.atom", &[entry]).expect("feed");
        quick_xml_check(&xml);
        let feed: atom_syndication::Feed = xml.parse().expect("parses back");
        assert_eq!(feed.entries()[0].title().as_str(), "Bell  escape [31m unit  separator");
    }

    /// The document read to its end by an XML parser, and no character
    /// that XML 1.0 forbids in it, raw or as a character reference.
    fn quick_xml_check(xml: &str) {
        assert!(!xml.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')), "{xml:?}");
        for n in (0..32).filter(|n| ![9, 10, 13].contains(n)) {
            assert!(!xml.contains(&format!("&#{n};")) && !xml.contains(&format!("&#x{n:x};")), "{xml}");
        }
        let mut reader = quick_xml::Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed XML: {e} in {xml}"),
            }
        }
    }

    #[test]
    fn social_lengths_count_as_the_networks_do() {
        let lengths = social_lengths(
            "New: https://example.com/a/very/long/path/that/goes/on/and/on/for/a/while 👍",
        );
        let x = &lengths[0];
        assert_eq!((x.network.as_str(), x.limit), ("X", 280));
        // "New: " 5 + URL 23 + " " 1 + emoji 2.
        assert_eq!(x.count, 31);
        assert_eq!(lengths[1].count, 30, "Mastodon counts the emoji once");
        assert_eq!(lengths[2].network, "LinkedIn");
        assert!(lengths[2].count > 60);
        assert!(lengths.iter().all(|l| !l.over));

        assert_eq!(social_lengths("日本語")[0].count, 6);
        assert_eq!(
            social_lengths("(see https://a.example).")[0].count,
            5 + 23 + 2
        );
        assert_eq!(
            social_lengths("xhttps://a.example")[0].count,
            18,
            "not an address mid-word"
        );
        assert_eq!(social_lengths("https:// alone")[0].count, 14);

        let long = "a".repeat(281);
        let lengths = social_lengths(&long);
        assert!(lengths[0].over);
        assert!(!lengths[1].over);
        assert_eq!(social_lengths(&"é".repeat(140))[0].count, 140);
        assert!(social_lengths(&"😀".repeat(141))[0].over);
    }

    #[test]
    fn the_email_html_uses_inline_styles() {
        let body = markdown_to_html(
            "## New\n\nHello **there**, see [this](https://example.com).\n\n- `one`\n\n1. two",
        );
        let html = email_html("Acme <2.4.0> & more", "What's new", &body, false);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<style"));
        assert!(html.contains("max-width:600px"));
        assert!(html.contains("<title>Acme &lt;2.4.0&gt; &amp; more</title>"));
        assert!(html.contains("display:none") && html.contains("What&#39;s new"));
        for tag in [
            "<h2 style=\"",
            "<p style=\"",
            "<ul style=\"",
            "<ol style=\"",
            "<li style=\"",
            "<code style=\"",
            "<a style=\"",
        ] {
            assert!(html.contains(tag), "{tag} in {html}");
        }
        assert!(
            html.contains(r#"href="https://example.com" rel="noopener noreferrer">this</a>"#),
            "{html}"
        );
        assert!(html.contains("-apple-system"));
        let dark = email_html("S", "P", &body, true);
        assert!(dark.contains("#0d1117") && !html.contains("#0d1117"));
    }

    #[test]
    fn tag_rewriting_skips_quoted_values() {
        let html = r#"<p>a &lt;p&gt; b</p><a href="https://x.example/?q=<p>">l</a><br>"#;
        let styled = style_tags(html, &LIGHT);
        assert_eq!(styled.matches("<p style=").count(), 1);
        assert!(styled.contains(r#"<a style="color:#0b57d0;text-decoration:underline;" href="https://x.example/?q=<p>">l</a><br>"#), "{styled}");
        assert_eq!(style_tags("<p", &LIGHT), "<p style=\"margin:0 0 16px;font-family:-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;font-size:16px;line-height:1.5;color:#1f2328;\"");
    }

    #[test]
    fn in_app_json_and_the_atom_feed_read_back() {
        let json = in_app_json(
            "2.4.0",
            "Acme 2.4.0",
            "Export \"reports\"",
            "",
            "2024-05-02T09:00:00Z",
        );
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["version"], "2.4.0");
        assert_eq!(value["text"], "Export \"reports\"");
        assert!(value["link"].is_null());
        assert_eq!(value["publishedAt"], "2024-05-02T09:00:00Z");
        assert!(json.contains("\n  \"title\""));

        let entries = vec![
            FeedEntry {
                version: "2.4.0".into(),
                title: "Acme 2.4.0 & more".into(),
                html: "<p>New <b>things</b></p>".into(),
                published: "2024-05-02T09:00:00Z".into(),
                link: "https://example.com/releases/2.4.0".into(),
            },
            FeedEntry {
                version: "2.3.1".into(),
                title: "Acme 2.3.1".into(),
                html: "<p>Fixes</p>".into(),
                published: "2024-04-20T09:00:00+02:00".into(),
                link: String::new(),
            },
        ];
        let xml = atom_feed("Acme", "https://example.com/releases.atom", &entries).expect("feed");
        let feed: atom_syndication::Feed = xml.parse().expect("parses back");
        assert_eq!(feed.title().as_str(), "Acme release notes");
        assert_eq!(feed.id(), "https://example.com/releases.atom");
        assert_eq!(feed.updated().to_rfc3339(), "2024-05-02T09:00:00+00:00");
        assert_eq!(feed.entries().len(), 2);
        let first = &feed.entries()[0];
        assert_eq!(first.title().as_str(), "Acme 2.4.0 & more");
        assert_eq!(first.id(), "https://example.com/releases/2.4.0");
        assert_eq!(
            first.content().and_then(|c| c.value()),
            Some("<p>New <b>things</b></p>")
        );
        assert_eq!(
            first.links()[0].href(),
            "https://example.com/releases/2.4.0"
        );
        assert_eq!(
            feed.entries()[1].id(),
            "https://example.com/releases.atom#2.3.1"
        );

        let mut bad = entries;
        bad[1].published = "yesterday".into();
        let err = atom_feed("Acme", "urn:x", &bad).expect_err("bad date");
        assert!(err.to_string().contains("“yesterday” of 2.3.1"), "{err}");
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
