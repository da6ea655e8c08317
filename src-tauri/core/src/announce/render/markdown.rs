//! Markdown to sanitized HTML (pulldown-cmark, then ammonia) and to plain
//! text, and text escaped so that Markdown shows it as it is.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

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

/// Trailing spaces off every line, at most one blank line in a row, no
/// blank lines at either end.
pub(super) fn trim_lines(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::render::{render, Channel, Context, Templates};

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
}
