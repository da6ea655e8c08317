//! The draft's words: what the lead edits instead of template code.
//!
//! A part's template is read as pieces: the change items' block
//! (`{% block changes %}…{% endblock %}`, shown as the list of items, each
//! edited in place) and the words around it. When the lead rewrites a piece
//! of words, that piece of the template becomes their text, written so that
//! the template engine prints it as it is; the block stays a template, so a
//! new read of the change items updates the list and keeps the words. The
//! template a piece replaced is kept ([`Written`]) with what it wrote then:
//! when it would write something else now (the items, the release or the
//! settings changed), the page says that the words were written before,
//! and the lead keeps them or takes the template's again.
//!
//! Everything here is a function of the template text: the draft itself
//! stays its templates, which render as before, so an approval still holds
//! a digest of what the draft says.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::render::{self, PartSpec, RenderError, Renderer};

/// What a piece of a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum PieceKind {
    /// Words the lead edits.
    Words,
    /// The change items' block: the list of items.
    Changes,
}

/// One piece of a part, as the words editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Piece {
    pub kind: PieceKind,
    /// What it says now (Markdown in a Markdown part).
    pub text: String,
    /// The lead's own words rather than the template's.
    pub own: bool,
    /// The lead's words were written before something they depend on
    /// changed: what the template would write here now.
    pub template_now: Option<String>,
}

/// A part of the draft in pieces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PartWords {
    pub part: String,
    pub pieces: Vec<Piece>,
}

/// The lead's new text for one piece of words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WordsEdit {
    pub part: String,
    pub piece: u32,
    pub text: String,
}

/// The lead's words over a piece of a template: the piece they replaced,
/// what it wrote when they last wrote or kept their words, and the
/// template text their words became (the entry holds while it is there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Written {
    pub template: String,
    pub wrote: String,
    pub source: String,
}

/// Part name → piece index → the words written over it.
pub(crate) type WrittenMap = BTreeMap<String, BTreeMap<u32, Written>>;

/// A piece of a template: its kind and where its text is (a block's
/// range is inside its tags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub kind: PieceKind,
    pub range: Range<usize>,
}

/// A `{% … %}` tag: where it is and its words (`["block", "changes"]`).
struct Tag {
    range: Range<usize>,
    words: Vec<String>,
}

/// Where the text between `from` and `end` stops (the end's start) and
/// where the end finishes; at the end of `source` when it is not there.
fn closing(source: &str, from: usize, end: &str) -> (usize, usize) {
    match source[from..].find(end) {
        Some(o) => (from + o, from + o + end.len()),
        None => (source.len(), source.len()),
    }
}

/// The words of a tag's text: `-%}` and `{%+` markers and spaces trimmed.
fn tag_words(inner: &str) -> Vec<String> {
    inner.trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace()).split_whitespace().map(str::to_owned).collect()
}

/// The statement tags of a template, outside expressions, comments and
/// `{% raw %}` sections.
fn tags(source: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = source[i..].find('{') {
        let at = i + off;
        match source.as_bytes().get(at + 1) {
            Some(b'{') => i = closing(source, at + 2, "}}").1,
            Some(b'#') => i = closing(source, at + 2, "#}").1,
            Some(b'%') => {
                let (inner_end, end) = closing(source, at + 2, "%}");
                let words = tag_words(&source[at + 2..inner_end]);
                i = end;
                if words.first().map(String::as_str) == Some("raw") {
                    // On to the end of the matching endraw tag.
                    while let Some(o) = source[i..].find("{%") {
                        let (inner_end, end) = closing(source, i + o + 2, "%}");
                        let inner = tag_words(&source[i + o + 2..inner_end]);
                        i = end;
                        if inner == ["endraw"] {
                            break;
                        }
                    }
                    continue;
                }
                out.push(Tag { range: at..end, words });
            }
            _ => i = at + 1,
        }
    }
    out
}

/// The pieces of a template: words, and each `{% block changes %}` with
/// the words around it. There is always a piece of words before and after
/// each block (it may be empty).
pub(crate) fn split(source: &str) -> Vec<Span> {
    let tags = tags(source);
    let mut spans = Vec::new();
    let mut pos = 0;
    let mut k = 0;
    while k < tags.len() {
        if tags[k].words != ["block", "changes"] {
            k += 1;
            continue;
        }
        let mut depth = 0;
        let mut end = None;
        for (j, tag) in tags.iter().enumerate().skip(k + 1) {
            match tag.words.first().map(String::as_str) {
                Some("block") => depth += 1,
                Some("endblock") if depth == 0 => {
                    end = Some(j);
                    break;
                }
                Some("endblock") => depth -= 1,
                _ => {}
            }
        }
        let Some(j) = end else { break };
        spans.push(Span { kind: PieceKind::Words, range: pos..tags[k].range.start });
        spans.push(Span { kind: PieceKind::Changes, range: tags[k].range.end..tags[j].range.start });
        pos = tags[j].range.end;
        k = j + 1;
    }
    spans.push(Span { kind: PieceKind::Words, range: pos..source.len() });
    spans
}

/// [`split`], when every piece is a template on its own; otherwise (a
/// block inside an `{% if %}`, say) the whole part is one piece of words.
pub(crate) fn pieces_of(source: &str) -> Vec<Span> {
    let spans = split(source);
    if spans.len() > 1 && spans.iter().all(|s| render::compiles(&source[s.range.clone()])) {
        spans
    } else {
        vec![Span { kind: PieceKind::Words, range: 0..source.len() }]
    }
}

/// `text` as template source that prints it as it is: a `{` that would
/// open a tag (`{{`, `{%`, `{#`) is itself printed by an expression.
pub(crate) fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && matches!(chars.peek(), Some('{' | '%' | '#')) {
            out.push_str("{{ \"{\" }}");
        } else {
            out.push(c);
        }
    }
    out
}

/// The template text for the lead's words in piece `index` of `spans`:
/// the words as they are, set apart from a neighbouring block of changes
/// by a blank line (Markdown) or a line break (plain text), so that they
/// never run on into the list.
pub(crate) fn words_source(spec: &PartSpec, text: &str, spans: &[Span], index: usize) -> String {
    let gap = if spec.markdown { "\n\n" } else { "\n" };
    let before = index > 0 && spans[index - 1].kind == PieceKind::Changes;
    let after = spans.get(index + 1).is_some_and(|s| s.kind == PieceKind::Changes);
    let mut out = String::new();
    if before {
        out.push_str(gap);
    }
    out.push_str(&literal(&render::tidy(spec, text)));
    if after {
        out.push_str(gap);
    }
    out
}

/// `source` with the text of `span` replaced.
pub(crate) fn replace(source: &str, span: &Span, with: &str) -> String {
    format!("{}{}{}", &source[..span.range.start], with, &source[span.range.end..])
}

/// The entries of `written` that still hold for `source` (their words are
/// still where they were written), for the part `part`.
pub(crate) fn holding(written: &WrittenMap, part: &str, source: &str) -> BTreeMap<u32, Written> {
    let spans = pieces_of(source);
    written
        .get(part)
        .map(|pieces| {
            pieces
                .iter()
                .filter(|(i, w)| spans.get(**i as usize).is_some_and(|s| s.kind == PieceKind::Words && source[s.range.clone()] == w.source))
                .map(|(i, w)| (*i, w.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The pieces of one part as the editor shows them: each piece's text,
/// whether it is the lead's, and what the template would write now where
/// that differs from what it wrote when the lead wrote their words.
pub(crate) fn part_words(spec: &PartSpec, renderer: &Renderer, source: &str, written: &BTreeMap<u32, Written>) -> Result<PartWords, RenderError> {
    let spans = pieces_of(source);
    let mut pieces = Vec::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        let text = renderer.output(spec, &source[span.range.clone()])?;
        let mine = written.get(&(i as u32));
        let template_now = match mine {
            Some(w) => {
                // A template that no longer renders (a variable renamed)
                // says nothing new: the lead's words stand.
                let now = renderer.output(spec, &w.template).ok();
                now.filter(|n| *n != w.wrote)
            }
            None => None,
        };
        pieces.push(Piece { kind: span.kind, text, own: mine.is_some(), template_now });
    }
    Ok(PartWords { part: spec.name.to_owned(), pieces })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::render::{builtin, Channel, Context};

    fn spec(channel: Channel, name: &str) -> PartSpec {
        channel.spec(name).unwrap()
    }

    #[test]
    fn a_template_splits_into_words_and_the_block_of_changes() {
        let source = "Hi {{ project.name }}\n{% block changes %}{% for i in items %}- {{ i.text }}\n{% endfor %}{% endblock %}\nBye {# {% block changes %} #}";
        let spans = split(source);
        let kinds: Vec<PieceKind> = spans.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [PieceKind::Words, PieceKind::Changes, PieceKind::Words]);
        assert_eq!(&source[spans[0].range.clone()], "Hi {{ project.name }}\n");
        assert_eq!(&source[spans[1].range.clone()], "{% for i in items %}- {{ i.text }}\n{% endfor %}");
        assert_eq!(&source[spans[2].range.clone()], "\nBye {# {% block changes %} #}");
        // A block in raw text or a comment is not a block.
        assert_eq!(split("{% raw %}{% block changes %}{% endblock %}{% endraw %}").len(), 1);
        // Unclosed: all words.
        assert_eq!(split("a {% block changes %} b").len(), 1);
    }

    #[test]
    fn a_block_inside_an_if_leaves_the_part_in_one_piece() {
        let source = "{% if items %}Hi\n{% block changes %}x{% endblock %}{% endif %}";
        assert_eq!(split(source).len(), 3);
        assert_eq!(pieces_of(source).len(), 1);
    }

    #[test]
    fn every_builtin_body_has_its_changes_in_a_block() {
        for channel in Channel::ALL {
            for correction in [false, true] {
                let templates = builtin(channel, correction);
                let main = if channel.spec("body").is_some() { "body" } else { "text" };
                let spans = pieces_of(templates.get(main).unwrap());
                let has_block = spans.iter().any(|s| s.kind == PieceKind::Changes);
                // The rollback notices name no items but the email's, notes' and the in-app note's.
                let expected = !(correction && matches!(channel, Channel::InApp | Channel::Social));
                assert_eq!(has_block, expected, "{channel:?} correction={correction}");
            }
        }
    }

    #[test]
    fn words_are_printed_as_written_whatever_they_hold() {
        let renderer = Renderer::new(&Context::sample());
        let spec = spec(Channel::ReleaseNotes, "body");
        for text in ["Use {{ project.name }} and {% if x %} and {# y #}", "{{{", "a { b } c }} %}", "{% endraw %}{% raw %}"] {
            let source = literal(text);
            assert_eq!(renderer.output(&spec, &source).unwrap(), text, "{source}");
        }
    }

    #[test]
    fn the_leads_words_replace_one_piece_and_the_list_follows_the_items() {
        let ctx = Context::sample();
        let renderer = Renderer::new(&ctx);
        let spec = spec(Channel::Email, "body");
        let source = builtin(Channel::Email, false).get("body").unwrap().to_owned();
        let spans = pieces_of(&source);
        assert_eq!(spans.len(), 3);
        let intro = renderer.output(&spec, &source[spans[0].range.clone()]).unwrap();
        assert_eq!(intro, "Hello,\n\nAcme Reports 2.4.0 (Aurora) is now available. Here is what changed.");
        let mine = words_source(&spec, "Hello,\n\nAcme Reports 2.4.0 is here, with **four** changes.", &spans, 0);
        let edited = replace(&source, &spans[0], &mine);
        let body = renderer.output(&spec, &edited).unwrap();
        // Set apart from the list by a blank line (a second one does no harm in Markdown).
        assert!(body.starts_with("Hello,\n\nAcme Reports 2.4.0 is here, with **four** changes.\n\n"), "{body}");
        assert!(body.contains("\n## Breaking changes\n"), "{body}");
        // One more item: the list has it, the words stay.
        let mut more = ctx.clone();
        let mut item = more.items[0].clone();
        item.text = "Dark mode".into();
        more.items.push(item);
        more.groups = crate::announce::render::group_items(&more.items);
        let body = Renderer::new(&more).output(&spec, &edited).unwrap();
        assert!(body.contains("- Dark mode") && body.contains("with **four** changes"), "{body}");
        // And the words after the list are set apart from it.
        let spans = pieces_of(&edited);
        assert_eq!(spans.len(), 3, "the lead's words keep the pieces as they were");
        let after = words_source(&spec, "Thanks!", &spans, 2);
        let body = renderer.output(&spec, &replace(&edited, &spans[2], &after)).unwrap();
        assert!(body.ends_with("- Emails with a plus sign can sign in again\n\nThanks!"), "{body}");
    }

    #[test]
    fn words_written_before_the_template_changed_its_mind_are_flagged() {
        let ctx = Context::sample();
        let renderer = Renderer::new(&ctx);
        let spec = spec(Channel::Email, "preheader");
        let template = builtin(Channel::Email, false).get("preheader").unwrap().to_owned();
        let wrote = renderer.output(&spec, &template).unwrap();
        assert_eq!(wrote, "Acme Reports 2.4.0 is now available with 4 changes.");
        let source = literal("Four changes in 2.4.0.");
        let written = BTreeMap::from([(0, Written { template: template.clone(), wrote, source: source.clone() })]);
        let words = part_words(&spec, &renderer, &source, &written).unwrap();
        assert_eq!(words.pieces[0].template_now, None, "nothing changed since");
        assert!(words.pieces[0].own);
        let mut fewer = ctx.clone();
        fewer.items.truncate(3);
        let words = part_words(&spec, &Renderer::new(&fewer), &source, &written).unwrap();
        assert_eq!(words.pieces[0].text, "Four changes in 2.4.0.", "the lead's words are kept");
        assert_eq!(words.pieces[0].template_now.as_deref(), Some("Acme Reports 2.4.0 is now available with 3 changes."));
    }

    #[test]
    fn an_entry_holds_while_its_words_are_in_the_template() {
        let source = literal("Mine");
        let written: WrittenMap =
            BTreeMap::from([("subject".to_owned(), BTreeMap::from([(0, Written { template: "x".into(), wrote: "x".into(), source: source.clone() })]))]);
        assert_eq!(holding(&written, "subject", &source).len(), 1);
        assert!(holding(&written, "subject", "Other").is_empty());
        assert!(holding(&written, "preheader", &source).is_empty());
    }
}
