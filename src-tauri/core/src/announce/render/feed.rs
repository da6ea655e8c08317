//! The published files: the in-app note as JSON and the release notes as
//! an Atom feed, valid whatever a commit holds.

use serde::{Deserialize, Serialize};


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
}
