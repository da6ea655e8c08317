//! The template engine: minijinja set up strict and bounded, a part's
//! source rendered with a context, and its errors as the lead reads them.

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use super::channels::PartSpec;
use super::context::Context;
use super::markdown::{escape_markdown, markdown_to_text, trim_lines};

/// The most a template part may produce, in bytes.
pub const MAX_OUTPUT: usize = 1024 * 1024;
/// The most instructions one part may run (a few hundred thousand is ample
/// for any announcement).
pub const MAX_FUEL: u64 = 5_000_000;
/// The most items `range()` may produce in a template.
pub const MAX_RANGE: usize = 1_000;

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

/// Template sources rendered with one context: what [`super::render`] does for
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

#[cfg(test)]
mod tests {
    use crate::announce::render::tests::body;

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
}
