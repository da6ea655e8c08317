//! What a rendered draft becomes: the email's parts, the files it exports
//! to, what is copied, and the preview documents (light and dark).

use chrono::{DateTime, Utc};

use super::render::{self, Channel, FeedEntry, Rendered};
use super::settings::AnnounceSettings;
use crate::release::Release;

impl Rendered {
    /// A part's plain text (empty when the channel has no such part).
    pub fn text_of(&self, name: &str) -> &str {
        self.part(name).map(|p| p.text.as_str()).unwrap_or("")
    }

    /// The part that carries the message: the body, or the text.
    fn main_part(&self) -> Option<&render::RenderedPart> {
        self.part("body").or_else(|| self.part("text"))
    }

    /// The message as plain text (an email's text part).
    pub fn text_of_body(&self) -> String {
        self.main_part().map(|p| p.text.clone()).unwrap_or_default()
    }

    /// The message as Markdown (what the template produced).
    pub fn main_markdown(&self) -> String {
        self.main_part().map(|p| p.source.clone()).unwrap_or_default()
    }

    /// The message as sanitized HTML; a plain-text part is escaped.
    pub fn main_html(&self) -> String {
        match self.main_part() {
            Some(p) => p.html.clone().unwrap_or_else(|| paragraphs(&p.text)),
            None => String::new(),
        }
    }

    /// The complete HTML email, with inline styles mail programs show.
    pub fn email_html(&self, dark: bool) -> String {
        render::email_html(self.text_of("subject"), self.text_of("preheader"), &self.main_html(), dark)
    }

    /// The in-app notification as the JSON the product reads.
    pub fn in_app_json(&self, release: &Release, now: DateTime<Utc>) -> String {
        let title = if release.name.is_empty() { format!("What's new in {}", release.version) } else { release.name.clone() };
        render::in_app_json(&release.version, &title, self.text_of("text"), self.text_of("link"), &now.to_rfc3339())
    }

    /// The release-notes feed with this release's entry.
    pub fn atom(&self, release: &Release, settings: &AnnounceSettings, now: DateTime<Utc>) -> String {
        let feed_id = if settings.release_notes_url.is_empty() { format!("urn:liftoff:project:{}", release.project_id) } else { settings.release_notes_url.clone() };
        let title = if release.name.is_empty() { format!("Release {}", release.version) } else { format!("{} {}", release.name, release.version) };
        let entry = FeedEntry { version: release.version.clone(), title, html: self.main_html(), published: now.to_rfc3339(), link: self.text_of("link").to_owned() };
        // The time is written by chrono as RFC 3339: the feed cannot refuse it.
        render::atom_feed(&title_of_project(release), &feed_id, &[entry]).unwrap_or_default()
    }

    /// Release notes as a standalone HTML file.
    pub fn html_document(&self) -> String {
        document(&self.main_html(), false)
    }

    /// What the preview frame shows: the channel's output as its readers see it.
    pub fn preview(&self, dark: bool) -> String {
        match self.channel {
            Channel::Email => self.email_html(dark),
            Channel::ReleaseNotes => document(&self.main_html(), dark),
            Channel::InApp => {
                let link = self.text_of("link");
                let link = if link.is_empty() { String::new() } else { format!("<p class=\"link\">{}</p>", escape(link)) };
                document(&format!("<div class=\"card\"><p>{}</p>{link}</div>", escape(self.text_of("text"))), dark)
            }
            Channel::Social => document(&format!("<div class=\"card post\">{}</div>", paragraphs(self.text_of("text"))), dark),
        }
    }
}

fn title_of_project(release: &Release) -> String {
    format!("Release notes ({})", release.version)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Plain text as HTML paragraphs, escaped, line breaks kept.
fn paragraphs(text: &str) -> String {
    text.split("\n\n").filter(|p| !p.trim().is_empty()).map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>"))).collect()
}

/// A small standalone document around sanitized HTML.
fn document(body: &str, dark: bool) -> String {
    let (bg, fg, card, border) = if dark { ("#14161f", "#e7e9f3", "#1d202c", "#2f3344") } else { ("#ffffff", "#1c2033", "#f6f7fb", "#d9dcea") };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><style>\
         body{{margin:0;padding:16px 20px;background:{bg};color:{fg};font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}}\
         a{{color:#4b4fd1}}.card{{background:{card};border:1px solid {border};border-radius:10px;padding:12px 16px;max-width:34rem}}\
         .post{{white-space:normal}}.link{{font-size:13px;opacity:.8;word-break:break-all}}code{{font-size:13px}}\
         </style></head><body>{body}</body></html>"
    )
}
