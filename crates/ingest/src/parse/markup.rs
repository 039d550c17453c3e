//! Markup tags read one at a time: the attributes of one HTML or XML start tag (`<img src="…"
//! …>`), where a kind of tag sits in a text, for the few places that look
//! at single tags without parsing a document: the feed links of a page, the `<rss>` root, lazy
//! images. (Not the items' tags: those are `crate::tags`.)

use std::ops::Range;

/// One attribute: its lowercase name, its value (raw, entities not decoded), and where the
/// value sits in the tag (None for a bare attribute such as `async`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: String,
    pub value_at: Option<Range<usize>>,
}

/// The attributes of `tag` (the text from `<` to `>`): each is whitespace, a name
/// (`[A-Za-z_:][A-Za-z0-9_:.-]*`) and optionally `=` with a double-quoted, single-quoted or bare
/// value. A hand-written scanner: this runs on every `<img>`, `<guid>` and item tag of every
/// feed, where a capturing regex cost more than the rest of the tag handling.
/// The value of attribute `name` of the start tag `tag`: entities decoded, trimmed; None when it
/// is missing or blank.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    attributes(tag)
        .into_iter()
        .find(|a| a.name == name)
        .map(|a| html_escape::decode_html_entities(a.value.trim()).into_owned())
        .filter(|v| !v.is_empty())
}

pub fn attributes(tag: &str) -> Vec<Attribute> {
    let bytes = tag.as_bytes();
    let name_start = |b: u8| b.is_ascii_alphabetic() || b == b'_' || b == b':';
    let name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-');
    // Unicode whitespace (as `\s`): ASCII fast, anything else decoded.
    let space_at = |i: usize| -> Option<usize> {
        let b = *bytes.get(i)?;
        if b.is_ascii() {
            return b
                .is_ascii_whitespace()
                .then_some(1)
                .or((b == 0x0b).then_some(1));
        }
        let c = tag[i..].chars().next()?;
        c.is_whitespace().then(|| c.len_utf8())
    };
    let skip_spaces = |mut i: usize| {
        while let Some(n) = space_at(i) {
            i += n;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let Some(n) = space_at(i) else {
            // Not whitespace: step over one character.
            i += tag[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let at = i + n;
        if !bytes.get(at).copied().is_some_and(name_start) {
            i = at;
            continue;
        }
        let mut end = at + 1;
        while bytes.get(end).copied().is_some_and(name_char) {
            end += 1;
        }
        let name = tag[at..end].to_ascii_lowercase();
        // (where the value sits, where the attribute ends)
        let mut value_at = None;
        let mut next = end;
        let eq = skip_spaces(end);
        if bytes.get(eq) == Some(&b'=') {
            let v = skip_spaces(eq + 1);
            match bytes.get(v) {
                Some(&q @ (b'"' | b'\'')) => {
                    if let Some(close) = tag[v + 1..].find(q as char) {
                        value_at = Some(v + 1..v + 1 + close);
                        next = v + close + 2;
                    }
                }
                Some(_) => {
                    let mut e = v;
                    while let Some(&b) = bytes.get(e) {
                        if matches!(b, b'"' | b'\'' | b'>' | b'/') || space_at(e).is_some() {
                            break;
                        }
                        e += tag[e..].chars().next().map_or(1, char::len_utf8);
                    }
                    if e > v {
                        value_at = Some(v..e);
                        next = e;
                    }
                }
                None => {}
            }
        }
        out.push(Attribute {
            name,
            value: value_at
                .as_ref()
                .map_or(String::new(), |r| tag[r.clone()].to_owned()),
            value_at,
        });
        i = next;
    }
    out
}

/// Every start tag named `name` in `text`, as byte ranges (`<` to `>` inclusive).
pub fn find_tags(text: &str, name: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let name = name.as_bytes();
    let mut from = 0;
    // Case-insensitive without a lowered copy of the whole document: every '<' is a
    // candidate, its name compared in place.
    while let Some(found) = text[from..].find('<') {
        let start = from + found;
        let after = start + 1 + name.len();
        from = start + 1;
        if !bytes
            .get(start + 1..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            continue;
        }
        // The name must end here: "<img " or "<img>" or "<img/", not "<imgx".
        if !bytes
            .get(after)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        {
            continue;
        }
        let Some(end) = tag_end(&text[start..]) else {
            break;
        };
        out.push(start..start + end + 1);
        from = start + end + 1;
    }
    out
}

/// The offset of the `>` that closes the tag starting at `tag[0]`, skipping quoted values.
fn tag_end(tag: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_in_every_quoting_style() {
        let attrs = attributes(r#"<img SRC="a.png" data-src='b.png' alt=x async title="a > b">"#);
        let pairs: Vec<(&str, &str)> = attrs
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("src", "a.png"),
                ("data-src", "b.png"),
                ("alt", "x"),
                ("async", ""),
                ("title", "a > b")
            ]
        );
    }

    /// The regex the scanner replaced, as the reference for what an attribute is.
    fn by_regex(tag: &str) -> Vec<Attribute> {
        let re = regex::Regex::new(
            r#"(?s)\s([A-Za-z_:][A-Za-z0-9_:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+)))?"#,
        )
        .unwrap();
        re.captures_iter(tag)
            .map(|cap| {
                let value = cap.get(2).or(cap.get(3)).or(cap.get(4));
                Attribute {
                    name: cap[1].to_ascii_lowercase(),
                    value: value.map_or(String::new(), |m| m.as_str().to_owned()),
                    value_at: value.map(|m| m.range()),
                }
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn the_scanner_reads_attributes_as_the_regex_did(
            tag in r#"<[a-z]{1,3}( |\t|\n|\u{3000}|=|"|'|>|/|a|B|_|:|-|\.|1|x=|y="|z='|图|&amp;){0,24}>?"#
        ) {
            proptest::prop_assert_eq!(attributes(&tag), by_regex(&tag));
        }
    }

    #[test]
    fn odd_attributes_read_as_before() {
        for tag in [
            r#"<img src="a.png" data-src='b.png' alt=x async title="a > b">"#,
            r#"<a  href = "x" b= c='unclosed>"#,
            "<img\u{3000}src=图.png\u{3000}alt='图'>",
            r#"<guid isPermaLink="false">"#,
            r#"<x a=b"c d=/e f='' g="">"#,
            "<x =a b",
        ] {
            assert_eq!(attributes(tag), by_regex(tag), "{tag}");
        }
    }

    #[test]
    fn tags_are_found_by_exact_name_with_quoted_gt() {
        let html = r#"<p><img src="a" title="x>y"><imgx><IMG/></p>"#;
        let found: Vec<&str> = find_tags(html, "img")
            .into_iter()
            .map(|r| &html[r])
            .collect();
        assert_eq!(found, vec![r#"<img src="a" title="x>y">"#, "<IMG/>"]);
    }
}
