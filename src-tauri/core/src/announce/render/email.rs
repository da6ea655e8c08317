//! The HTML email around a rendered body: a table layout with inline
//! styles, as mail clients need, in a light and a dark palette.


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
/// palette. The input comes from [`super::sanitize`]: text never holds a raw `<`
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::announce::render::markdown_to_html;

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
}
