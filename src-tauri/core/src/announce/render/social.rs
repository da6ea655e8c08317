//! A social post's length as X, Mastodon and LinkedIn count it.

use serde::{Deserialize, Serialize};


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

#[cfg(test)]
mod tests {
    use super::*;

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
}
