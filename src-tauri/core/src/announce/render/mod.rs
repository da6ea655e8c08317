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
//!
//! One file per concern, each used through the names re-exported here:
//! - `channels`: the channels, their parts and the built-in templates;
//! - `context`: what templates see, and the variables the editor lists;
//! - `template`: the minijinja engine, its bounds and its errors;
//! - `markdown`: Markdown to sanitized HTML and to plain text;
//! - `email`: the HTML email with inline styles;
//! - `social`: a post's length on each network;
//! - `feed`: the in-app JSON note and the Atom feed;
//! - here, [`render`]: a draft's parts through the engine, then Markdown.

mod channels;
mod context;
mod email;
mod feed;
mod markdown;
mod social;
mod template;

use serde::{Deserialize, Serialize};

pub use channels::{builtin, Channel, PartSpec, Templates};
pub(crate) use context::group_items;
pub use context::{date_in_words, variables, AudienceInfo, Context, Group, Item, Links, ProjectInfo, ReleaseInfo, Sender, Support, Variable};
pub use email::email_html;
pub use feed::{atom_feed, in_app_json, xml_text, FeedEntry, FeedError};
pub use markdown::{escape_markdown, markdown_to_html, markdown_to_text, sanitize};
pub use social::{social_lengths, SocialLength};
pub(crate) use template::{compiles, tidy, Renderer};
pub use template::{RenderError, MAX_FUEL, MAX_OUTPUT, MAX_RANGE};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::Audience;

    fn notes(source: &str) -> Result<Rendered, RenderError> {
        let templates = Templates::from_pairs(&[("body", source)]);
        render(Channel::ReleaseNotes, &templates, &Context::sample())
    }

    pub(super) fn body(source: &str) -> Result<String, RenderError> {
        notes(source).map(|r| r.parts[0].source.clone())
    }

    pub(super) fn empty_context() -> Context {
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
    fn a_missing_part_is_an_error() {
        let templates = Templates::from_pairs(&[("subject", "Hi"), ("body", "Hi")]);
        let err = render(Channel::Email, &templates, &Context::sample()).expect_err("no preheader");
        assert_eq!(err.part, "preheader");
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
}
