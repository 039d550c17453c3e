//! Plain text from HTML that crossfeed sanitized itself, for matching, search and summaries:
//! pure functions on strings, shared by the stages that need them.

/// Plain text of HTML the sanitizer produced (well-formed, no scripts): a single pass that
/// drops tags and decodes entities, much cheaper than parsing it again.
pub fn text_of_sanitized(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return fold_whitespace(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open + 1..];
        // Find the end of the tag, skipping '>' inside quoted attribute values (bytes: the
        // characters looked for are ASCII, which never occur inside a UTF-8 sequence).
        let mut quote = None;
        let mut end = tag.len();
        for (i, &c) in tag.as_bytes().iter().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(c),
                (None, b'>') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let name = tag.trim_start_matches('/');
        let name = &name[..name
            .bytes()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(name.len())];
        // Block elements separate words ("<p>a</p><p>b</p>" is "a b"); inline ones do not
        // ("Tik<b>Tok</b>" is "TikTok").
        if BLOCK_TAGS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            out.push(' ');
        }
        rest = tag.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    decode_twice_escaped(html_escape::decode_html_entities(&out).into_owned())
}

/// Elements that end a run of words.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

pub fn decode_twice_escaped(mut text: String) -> String {
    if text.contains("&amp;") || text.contains("&lt;") || text.contains("&quot;") {
        text = html_escape::decode_html_entities(&text).into_owned();
    }
    fold_whitespace(&text)
}

/// Words separated by single spaces, as `split_whitespace().join(" ")` would give, in one pass
/// over the bytes: only the lead bytes of the few non-ASCII spaces (U+0085, U+00A0, U+1680,
/// U+2000–U+205F, U+3000) are decoded, so Chinese text is copied without decoding each
/// character.
pub fn fold_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut word: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let space = match bytes[i] {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => 1,
            0xc2 | 0xe1 | 0xe2 | 0xe3 => text[i..]
                .chars()
                .next()
                .filter(|c| c.is_whitespace())
                .map_or(0, char::len_utf8),
            _ => 0,
        };
        if space == 0 {
            word.get_or_insert(i);
            i += 1;
            continue;
        }
        if let Some(start) = word.take() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&text[start..i]);
        }
        i += space;
    }
    if let Some(start) = word {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text[start..]);
    }
    out
}
/// A CJK character (Han, kana, Hangul, their compatibility forms): script with no spaces
/// between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}' | '\u{3040}'..='\u{30FF}' | '\u{3100}'..='\u{312F}'
        | '\u{3190}'..='\u{31FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// `s` without the control characters XML 1.0 forbids (C0 controls other than tab, line feed
/// and carriage return, and DEL): upstreams paste them from word processors, and one of them
/// in a republished feed makes the whole document invalid.
pub fn strip_controls(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}';
    // Bytes, not chars: the common case (none found) is a tight scan.
    if s.bytes()
        .any(|b| (b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
    {
        std::borrow::Cow::Owned(s.chars().filter(|c| !bad(*c)).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Queries that should not be shown as popular even when counted: addresses, e-mail, bare
/// numbers, single letters, over-long strings, odd symbols.
pub fn is_junk_query(q: &str) -> bool {
    let chars: Vec<char> = q.chars().collect();
    let has_word = chars.iter().any(|c| c.is_alphabetic() || is_cjk(*c));
    let odd = chars.iter().any(|c| {
        !(c.is_alphanumeric()
            || is_cjk(*c)
            || matches!(c, ' ' | '-' | '+' | '.' | '&' | '#' | '\''))
    });
    let short = chars.len() < 2 && chars.iter().all(char::is_ascii);
    !has_word
        || odd
        || short
        || chars.len() > 40
        || q.contains("://")
        || q.starts_with("www.")
        || q.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_queries_are_not_trends() {
        for junk in [
            "x",
            "12345",
            "https://evil.example",
            "www.example.com",
            "a@b.cn",
            "<script>",
        ] {
            assert!(is_junk_query(junk), "{junk}");
        }
        for fine in ["物流", "tiktok shop 美区", "618", "q4 peak", "税"] {
            assert_eq!(is_junk_query(fine), fine == "618", "{fine}");
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_whitespace_is_splitting_and_joining(
            text in "[a图 \\t\\n\\u{b}\\u{c}\\r\\u{85}\\u{a0}\\u{1680}\\u{2000}\\u{200a}\\u{200b}\\u{2028}\\u{202f}\\u{205f}\\u{3000}\\u{3001}é€]{0,40}"
        ) {
            let expected = text.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(fold_whitespace(&text), expected);
        }
    }
}
