//! A small reader for the attributes of one HTML or XML start tag (`<img src="…" …>`), for the
//! few places that look at single tags without parsing a document: feed discovery, the `<rss>`
//! root, lazy images.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// One attribute: its lowercase name, its value (raw, entities not decoded), and where the
/// value sits in the tag (None for a bare attribute such as `async`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: String,
    pub value_at: Option<Range<usize>>,
}

/// The attributes of `tag` (the text from `<` to `>`).
pub fn attributes(tag: &str) -> Vec<Attribute> {
    static ATTR: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = ATTR.get_or_init(|| {
        Regex::new(
            r#"(?s)\s([A-Za-z_:][A-Za-z0-9_:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+)))?"#,
        )
        .ok()
    }) else {
        return Vec::new();
    };
    re.captures_iter(tag)
        .filter_map(|cap| {
            let name = cap.get(1)?.as_str().to_ascii_lowercase();
            let value = cap.get(2).or(cap.get(3)).or(cap.get(4));
            Some(Attribute {
                name,
                value: value.map_or(String::new(), |m| m.as_str().to_owned()),
                value_at: value.map(|m| m.range()),
            })
        })
        .collect()
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
