//! Channels and their parts, and the built-in templates each starts from
//! (the announcement and the correction after a rollback).

use crate::store::column::stored_text;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};


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

stored_text!(Channel { Email => "email", InApp => "inApp", Social => "social", ReleaseNotes => "releaseNotes" });

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

    pub(super) fn from_pairs(pairs: &[(&str, &str)]) -> Templates {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::render::tests::empty_context;
    use crate::announce::render::{date_in_words, render, Context};

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
}
