//! Recipients: a pasted list or a CSV file, all or nothing.

use std::collections::HashSet;

use lettre::message::Mailbox;
use lettre::Address;
use serde::{Deserialize, Serialize};

use super::{name_of, shown};
use crate::rules::{ErrorKind, Kind};

/// One recipient, as imported: `line` is where it was (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub address: String,
    pub name: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientsError {
    #[error("Line {line}: “{text}” is not an email address. Fix it and import again; nothing was sent.")]
    InvalidAddress { line: u32, text: String },
    #[error("Line {line} has no email address in the “{column}” column. Fill it in or delete the line, and import again; nothing was sent.")]
    MissingAddress { line: u32, column: String },
    #[error("Line {line} cannot be read as CSV ({reason}). Fix it and import again; nothing was sent.")]
    Csv { line: u32, reason: String },
    #[error("The first line looks like column names, but none of them is “email”. Name the column of addresses “email” and import again; nothing was sent.")]
    NoEmailColumn,
    #[error("No email addresses were found. Paste one address per line, or a CSV file with an “email” column.")]
    Empty,
}

impl Kind for RecipientsError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

/// Column names that hold the address, and the name, in a CSV file.
const ADDRESS_COLUMNS: [&str; 6] = ["email", "e-mail", "address", "email address", "e-mail address", "mail"];
const NAME_COLUMNS: [&str; 3] = ["name", "full name", "display name"];

/// The recipients in `text`: either a list (one per line, or separated by
/// commas or semicolons; `Name <a@b>` forms; blank lines and `#` comments
/// skipped) or a CSV file whose first line names an `email` column (or
/// `address`, `e-mail`) and perhaps a `name` column. Addresses repeated in
/// any case are kept once, the first time. One invalid line refuses all.
pub fn parse_recipients(text: &str) -> Result<Vec<Recipient>, RecipientsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) else {
        return Err(RecipientsError::Empty);
    };
    let mut found = Vec::new();
    if first.contains('@') {
        parse_list(text, &mut found)?;
    } else if let Some((delimiter, columns)) = csv_header(first) {
        parse_csv(text, delimiter, columns, &mut found)?;
    } else if [',', ';', '\t'].iter().any(|d| first.contains(*d)) {
        return Err(RecipientsError::NoEmailColumn);
    } else {
        parse_list(text, &mut found)?;
    }
    let mut seen = HashSet::new();
    found.retain(|r: &Recipient| seen.insert(r.address.to_lowercase()));
    if found.is_empty() {
        return Err(RecipientsError::Empty);
    }
    Ok(found)
}

/// The columns of the address and the name when `line` is a CSV header.
fn csv_header(line: &str) -> Option<(u8, (usize, Option<usize>))> {
    for delimiter in [b',', b';', b'\t'] {
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(line.as_bytes());
        let Some(Ok(record)) = reader.records().next() else { continue };
        let names: Vec<String> = record.iter().map(|f| f.trim().to_lowercase()).collect();
        if let Some(address) = names.iter().position(|n| ADDRESS_COLUMNS.contains(&n.as_str())) {
            let name = names.iter().position(|n| NAME_COLUMNS.contains(&n.as_str()));
            return Some((delimiter, (address, name)));
        }
    }
    None
}

fn parse_csv(text: &str, delimiter: u8, (address_column, name_column): (usize, Option<usize>), found: &mut Vec<Recipient>) -> Result<(), RecipientsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let column = reader.headers().ok().and_then(|h| h.get(address_column)).unwrap_or("email").to_owned();
    for record in reader.records() {
        let record = record.map_err(|e| RecipientsError::Csv {
            line: e.position().map_or(0, |p| line_number(p.line())),
            reason: csv_reason(&e),
        })?;
        let line = record.position().map_or(0, |p| line_number(p.line()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = record.get(address_column).unwrap_or("");
        if cell.is_empty() {
            return Err(RecipientsError::MissingAddress { line, column: column.clone() });
        }
        let mut recipient = parse_one(cell, line)?;
        if let Some(name) = name_column.and_then(|c| record.get(c)).and_then(name_of) {
            recipient.name = Some(name);
        }
        found.push(recipient);
    }
    Ok(())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text; save the file as CSV UTF-8".to_owned(),
        _ => shown(&e.to_string()),
    }
}

fn line_number(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

fn parse_list(text: &str, found: &mut Vec<Recipient>) -> Result<(), RecipientsError> {
    for (index, line) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        for item in split_list(trimmed) {
            let item = item.trim();
            if !item.is_empty() {
                found.push(parse_one(item, line_no)?);
            }
        }
    }
    Ok(())
}

/// `text` cut at commas and semicolons outside quotes and angle brackets, so
/// that `"Fischer, Lena" <lena@example.com>` stays whole.
fn split_list(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut angle, mut escaped) = (Vec::new(), 0, false, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_one(text: &str, line: u32) -> Result<Recipient, RecipientsError> {
    let mailbox = parse_mailbox(text).ok_or_else(|| RecipientsError::InvalidAddress { line, text: shown(text) })?;
    Ok(Recipient { address: mailbox.email.to_string(), name: mailbox.name, line })
}

/// `a@b`, `<a@b>`, `Name <a@b>` or `"Name, Title" <a@b>`: the whole text,
/// nothing left over (lettre's own mailbox parser ignores what trails).
pub(super) fn parse_mailbox(text: &str) -> Option<Mailbox> {
    let text = text.trim();
    let (name, address) = match text.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
        // An unquoted name with an address sign in it is most likely two
        // addresses run together: refused, not guessed.
        Some((name, _)) if !name.trim().starts_with('"') && name.contains(['@', '<', '>']) => return None,
        Some((name, address)) => (unquote(name.trim()), address.trim()),
        None => (None, text),
    };
    let address: Address = address.parse().ok()?;
    Some(Mailbox::new(name, address))
}

fn unquote(name: &str) -> Option<String> {
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => name.to_owned(),
    };
    name_of(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_run_together_are_refused_with_their_line() {
        let err = parse_recipients("ok@example.org\nann@example.comBo Berg <bo@example.com>\n").unwrap_err();
        assert!(err.to_string().contains("Line 2"), "{err}");
        assert!(parse_recipients("\"ann@example.com\" <ann@example.com>").is_ok(), "a quoted name may hold anything");
    }

    #[test]
    fn a_list_in_any_separator_with_names_comments_and_duplicates() {
        let text = "# the beta group\n\nlena@example.org, \"Fischer, Jonas\" <jonas@example.org>; Ana <ana@example.org>\n\n  LENA@example.org\nbob@example.org\n";
        let got = parse_recipients(text).unwrap();
        let addresses: Vec<&str> = got.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, ["lena@example.org", "jonas@example.org", "ana@example.org", "bob@example.org"]);
        assert_eq!(got[1].name.as_deref(), Some("Fischer, Jonas"));
        assert_eq!(got[2].name.as_deref(), Some("Ana"));
        assert_eq!((got[0].line, got[3].line), (3, 6));
    }

    #[test]
    fn an_invalid_line_is_named_and_nothing_is_returned() {
        let text = "a@example.org\nb@example.org\n\n# c\nd@example.org\ne@example.org\nbob@@example\nf@example.org\n";
        let err = parse_recipients(text).unwrap_err();
        assert_eq!(err, RecipientsError::InvalidAddress { line: 7, text: "bob@@example".into() });
        assert_eq!(err.to_string(), "Line 7: “bob@@example” is not an email address. Fix it and import again; nothing was sent.");
        assert!(matches!(parse_recipients("a@example.org junk@example.org"), Err(RecipientsError::InvalidAddress { line: 1, .. })));
        assert_eq!(parse_recipients("\n# nobody\n"), Err(RecipientsError::Empty));
    }

    #[test]
    fn a_csv_with_a_header_row() {
        let text = "\u{feff}Name,Company,E-Mail\nLena Fischer,ACME,lena@example.org\n\n,,\n\"Doe, John\",ACME,JOHN@example.org\nJohn again,ACME,john@example.org\n";
        let got = parse_recipients(text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Recipient { address: "lena@example.org".into(), name: Some("Lena Fischer".into()), line: 2 });
        assert_eq!(got[1].name.as_deref(), Some("Doe, John"));
        assert_eq!(got[1].line, 5);

        let semicolons = "email;name\nana@example.org;Ana\n";
        assert_eq!(parse_recipients(semicolons).unwrap()[0].name.as_deref(), Some("Ana"));
        let single = "Address\nana@example.org\n";
        assert_eq!(parse_recipients(single).unwrap().len(), 1);

        let bad = "name,email\nLena,lena@example.org\nBob,bob@@example\n";
        assert_eq!(parse_recipients(bad), Err(RecipientsError::InvalidAddress { line: 3, text: "bob@@example".into() }));
        let missing = "name,email\nLena,lena@example.org\nBob,\n";
        assert_eq!(parse_recipients(missing), Err(RecipientsError::MissingAddress { line: 3, column: "email".into() }));
        assert_eq!(parse_recipients("name,company\nLena,ACME\n"), Err(RecipientsError::NoEmailColumn));
    }

    #[test]
    fn odd_input_never_panics() {
        for text in ["", "<", ">", "\"", "a@b<", "<>", "\"\" <>", ",,;;", "email\n\"unclosed", "email\n\u{0}", "é@é", "x <y@z.org"] {
            let _ = parse_recipients(text);
        }
    }
}
