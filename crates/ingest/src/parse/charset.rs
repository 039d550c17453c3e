//! Bytes to UTF-8 before parsing. The encoding is decided in the order RFC 7303 gives: a byte
//! order mark, then the HTTP `charset`, then the XML declaration; a declared encoding is trusted
//! when the bytes decode under it without error. Otherwise valid UTF-8 is UTF-8. Then a declared
//! multi-byte encoding (GBK, GB18030, Big5, …) under which only a few bytes fail — a truncated
//! character, one stray byte in 20 KB, common on old portals — still wins, with replacement
//! characters at the bad bytes; so does a sniffed one. When many fail (a page labelled UTF-8
//! that is really GBK), chardetng sniffs the bytes. The XML declaration is rewritten to say
//! UTF-8, so the parser does not decode the text a second time.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Where the encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    ByteOrderMark,
    HttpCharset,
    XmlDeclaration,
    /// `<meta charset>` or `<meta http-equiv="Content-Type" content="…; charset=…">` in the
    /// first kilobytes of an HTML page.
    HtmlMeta,
    ValidUtf8,
    Sniffed,
}

/// A document decoded to UTF-8.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub evidence: Evidence,
}

/// Decode `bytes`, given the `charset` parameter of the HTTP Content-Type if there was one.
pub fn to_utf8(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return finish(text.into_owned(), encoding, Evidence::ByteOrderMark);
    }
    let declared = declared_encoding(bytes);
    let meta = declared.is_none().then(|| meta_charset(bytes)).flatten();
    // Each declaration that names an encoding, in the order they are trusted.
    let labels: Vec<(&'static Encoding, Evidence)> = [
        (http_charset, Evidence::HttpCharset),
        (declared, Evidence::XmlDeclaration),
        (meta.as_deref(), Evidence::HtmlMeta),
    ]
    .into_iter()
    .filter_map(|(label, evidence)| {
        label
            .and_then(|l| Encoding::for_label(l.trim().as_bytes()))
            .map(|e| (e, evidence))
    })
    .collect();
    for &(encoding, evidence) in &labels {
        // Without a BOM, bytes we could read as ASCII are not UTF-16 whatever they claim.
        if encoding == UTF_16LE || encoding == UTF_16BE {
            continue;
        }
        // Every byte is valid in a single-byte encoding, so a wrong one cannot be caught by
        // decoding errors. Text that is valid UTF-8 with non-ASCII characters in it is UTF-8
        // mislabelled (Latin-1 text that happens to form valid UTF-8 sequences is vanishingly
        // rare; "ISO-8859-1" on UTF-8 bytes is common).
        if encoding.is_single_byte()
            && !bytes.is_ascii()
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            return finish(text.to_owned(), UTF_8, Evidence::ValidUtf8);
        }
        if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(bytes) {
            return finish(text.into_owned(), encoding, evidence);
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return finish(text.to_owned(), UTF_8, Evidence::ValidUtf8);
    }
    // A declared encoding that fails on a few bytes only: the page is in it, damaged.
    for &(encoding, evidence) in &labels {
        if encoding.is_single_byte() || encoding == UTF_16LE || encoding == UTF_16BE {
            continue;
        }
        if let Some(text) = mostly_decodes(bytes, encoding) {
            return finish(text, encoding, evidence);
        }
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, Utf8Detection::Allow);
    // chardetng rules an encoding out at its first invalid sequence, so one bad byte in a GBK
    // page makes it guess a single-byte encoding: the whole text as mojibake. So a Chinese
    // multi-byte encoding under which nearly every byte decodes is tried: the bytes repaired
    // under it (bad sequences replaced) are sniffed again, and it wins when chardetng then
    // names it (GBK and Big5 bytes decode under each other; their characters tell them apart).
    if encoding.is_single_byte() {
        for candidate in [encoding_rs::GB18030, encoding_rs::BIG5] {
            let Some(text) = mostly_decodes(bytes, candidate) else {
                continue;
            };
            let (repaired, _, _) = candidate.encode(&text);
            let mut again = EncodingDetector::new(Iso2022JpDetection::Deny);
            again.feed(&repaired, true);
            let guess = again.guess(None, Utf8Detection::Allow);
            if guess == candidate
                || (candidate == encoding_rs::GB18030 && guess == encoding_rs::GBK)
            {
                return finish(text, candidate, Evidence::Sniffed);
            }
        }
        if let Some(text) = mostly_decodes(bytes, UTF_8) {
            return finish(text, UTF_8, Evidence::Sniffed);
        }
    }
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    finish(text.into_owned(), encoding, Evidence::Sniffed)
}

/// `bytes` decoded with `encoding` when few of them fail to (a replacement character in at
/// most one character in 500) and the text holds more than a handful of non-ASCII
/// characters, so that an encoding is not chosen on bytes it happens to read.
fn mostly_decodes(bytes: &[u8], encoding: &'static Encoding) -> Option<String> {
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    let (mut chars, mut bad, mut wide) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        chars += 1;
        if c == '\u{fffd}' {
            bad += 1;
        } else if !c.is_ascii() {
            wide += 1;
        }
    }
    (bad * 500 <= chars && wide >= 8 && wide >= bad * 20).then(|| text.into_owned())
}

fn finish(text: String, encoding: &'static Encoding, evidence: Evidence) -> Decoded {
    Decoded {
        text: declare_utf8(match crate::text::strip_controls(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(clean) => clean,
        }),
        encoding,
        evidence,
    }
}

/// The `encoding` of an XML declaration at the start of `bytes`, if any.
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = head.get(start..)?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let (_, value) = attribute(decl, "encoding")?;
    Some(value)
}

/// How far into a page its `<meta>` charset is looked for (the HTML standard's prescan reads
/// 1,024 bytes; pages with long `<title>`s and scripts first need more).
const META_PRESCAN: usize = 4096;

/// The charset an HTML page declares in a `<meta>` element near its start. Only ASCII is read,
/// so the bytes' real encoding does not matter yet.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(META_PRESCAN)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let start = from + at;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let Some(rest) = rest.trim_ascii_start().strip_prefix(b"=") else {
                from = end;
                continue;
            };
            let rest = rest.trim_ascii_start();
            let rest = rest
                .strip_prefix(b"\"")
                .or_else(|| rest.strip_prefix(b"'"))
                .unwrap_or(rest);
            let len = rest
                .iter()
                .position(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
                })
                .unwrap_or(rest.len());
            if len > 0 {
                return Some(String::from_utf8_lossy(&rest[..len]).into_owned());
            }
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Find `name="value"` (or single quotes) in an XML declaration: the value's byte range and text.
fn attribute<'a>(decl: &'a str, name: &str) -> Option<(std::ops::Range<usize>, &'a str)> {
    let at = decl.find(name)?;
    let rest = &decl[at + name.len()..];
    let eq = rest.find('=')?;
    if !rest[..eq].trim().is_empty() {
        return None;
    }
    let after_eq = &rest[eq + 1..];
    let quote_at = after_eq.find(['"', '\''])?;
    if !after_eq[..quote_at].trim().is_empty() {
        return None;
    }
    let quote = after_eq[quote_at..].chars().next()?;
    let value_start = at + name.len() + eq + 1 + quote_at + 1;
    let len = decl[value_start..].find(quote)?;
    Some((
        value_start..value_start + len,
        &decl[value_start..value_start + len],
    ))
}

/// Make the XML declaration (if any) say UTF-8, which the text now is.
fn declare_utf8(mut text: String) -> String {
    let start = text.len() - text.trim_start().len();
    if !text[start..].starts_with("<?xml") {
        return text;
    }
    let Some(end) = text[start..].find("?>") else {
        return text;
    };
    if let Some((range, value)) = attribute(&text[start..start + end], "encoding")
        && !value.eq_ignore_ascii_case("utf-8")
    {
        text.replace_range(start + range.start..start + range.end, "UTF-8");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &str, label: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap();
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{text} is not representable in {label}");
        bytes.into_owned()
    }

    const XML: &str = "<?xml version=\"1.0\" encoding=\"ENC\"?><rss><channel><title>跨境电商：亚马逊与TikTok Shop的旺季备货指南，卖家们正在为黑五做准备</title></channel></rss>";

    #[test]
    fn declared_encodings_are_decoded_and_the_declaration_fixed() {
        for label in ["GBK", "gb2312", "GB18030", "Big5", "Shift_JIS", "EUC-KR"] {
            let text = if matches!(label, "Shift_JIS" | "EUC-KR") {
                XML.replace(
                    "跨境电商：亚马逊与TikTok Shop的旺季备货指南，卖家们正在为黑五做准备",
                    "Amazon と TikTok",
                )
            } else if label == "Big5" {
                XML.replace(
                    "跨境电商：亚马逊与TikTok Shop的旺季备货指南，卖家们正在为黑五做准备",
                    "跨境電商：亞馬遜",
                )
            } else {
                XML.to_owned()
            };
            let text = text.replace("ENC", label);
            let decoded = to_utf8(&encode(&text, label), None);
            assert_eq!(decoded.evidence, Evidence::XmlDeclaration, "{label}");
            assert_eq!(decoded.text, text.replace(label, "UTF-8"), "{label}");
        }
    }

    #[test]
    fn an_html_page_declares_its_charset_in_a_meta_element() {
        let body = "<p>跨境电商：亚马逊旺季备货指南，卖家们正在为黑五做准备，物流提前排仓</p>";
        for head in [
            r#"<meta charset="gbk">"#,
            r#"<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=gb2312">"#,
            "<meta charset=GB18030 />",
        ] {
            let html = format!(
                "<!DOCTYPE html><html><head>{head}<title>资讯</title></head><body>{body}</body></html>"
            );
            let decoded = to_utf8(&encode(&html, "GBK"), None);
            assert_eq!(decoded.evidence, Evidence::HtmlMeta, "{head}");
            assert!(decoded.text.contains(body), "{head}: {}", decoded.text);
        }
        // The HTTP charset still comes first.
        let html = format!(r#"<html><head><meta charset="gbk"></head><body>{body}</body></html>"#);
        let decoded = to_utf8(html.as_bytes(), Some("utf-8"));
        assert_eq!(decoded.evidence, Evidence::HttpCharset);
    }

    #[test]
    fn gb18030_four_byte_characters_outside_the_bmp_survive() {
        let text = XML.replace("ENC", "GB18030").replace("旺季", "𠮷野家");
        let decoded = to_utf8(&encode(&text, "GB18030"), None);
        assert!(decoded.text.contains("𠮷野家"), "{}", decoded.text);
    }

    #[test]
    fn the_http_charset_wins_over_the_declaration_when_it_decodes_cleanly() {
        let text = XML.replace("ENC", "ISO-8859-1");
        let decoded = to_utf8(&encode(&text, "GBK"), Some("gbk"));
        assert_eq!(decoded.evidence, Evidence::HttpCharset);
        assert!(decoded.text.contains("亚马逊"));
    }

    #[test]
    fn utf8_bytes_under_a_single_byte_label_are_utf8() {
        let text = XML.replace("ENC", "ISO-8859-1").replace("旺季", "café");
        let decoded = to_utf8(text.as_bytes(), Some("windows-1251"));
        assert_eq!(decoded.evidence, Evidence::ValidUtf8);
        assert!(decoded.text.contains("café"), "{}", decoded.text);
        // Real Latin-1 text stays Latin-1.
        let latin = to_utf8(
            &encode(
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><title>Café €5</title></channel></rss>",
                "windows-1252",
            ),
            None,
        );
        assert_eq!(latin.evidence, Evidence::XmlDeclaration);
        assert!(latin.text.contains("Café €5"));
    }

    /// A GBK, GB18030 or Big5 page of some 20 KB with one stray byte and a character cut in
    /// half at its end, as old portals serve them.
    fn damaged(label: &str, text: &str) -> Vec<u8> {
        let mut bytes = encode(text, label);
        let middle = bytes.len() / 2;
        // A stray byte that starts no character in any of these encodings.
        bytes.insert(middle - middle % 2, 0xff);
        let cut = encode("跨境", label);
        bytes.extend_from_slice(&cut[..1]);
        bytes
    }

    fn portal_text(title: &str, body: &str) -> String {
        let line = format!("<p>{body}</p>\n");
        format!(
            "<html><head><title>{title}</title></head><body>{}</body></html>",
            line.repeat(300)
        )
    }

    #[test]
    fn a_damaged_gbk_or_big5_page_keeps_its_charset_with_replacements_at_the_bad_bytes() {
        let simplified = (
            "跨境资讯",
            "亚马逊调整入仓配置费，卖家需要重新核算物流成本与利润空间。",
        );
        let traditional = (
            "跨境資訊",
            "亞馬遜調整入倉配置費，賣家需要重新核算物流成本與利潤空間。",
        );
        for (label, (title, body)) in [
            ("gbk", simplified),
            ("gb18030", simplified),
            ("gb2312", simplified),
            ("big5", traditional),
        ] {
            let text = portal_text(title, body);
            let bytes = damaged(label, &text);
            // Declared in HTTP, declared in a <meta>, and not declared at all.
            let meta = {
                let mut b = format!("<meta charset=\"{label}\">").into_bytes();
                b.extend_from_slice(&bytes);
                b
            };
            for (input, http) in [(&bytes, Some(label)), (&meta, None), (&bytes, None)] {
                let decoded = to_utf8(input, http);
                assert!(
                    decoded.text.contains(title),
                    "{label} {http:?}: {}",
                    &decoded.text[..200]
                );
                let bad = decoded.text.matches('\u{fffd}').count();
                assert!(
                    (1..=3).contains(&bad),
                    "{label} {http:?}: {bad} replacements"
                );
                assert!(decoded.text.contains(body), "{label} {http:?}");
            }
        }
    }

    #[test]
    fn gbk_bytes_mislabelled_as_utf8_are_sniffed() {
        let text = XML.replace("ENC", "UTF-8");
        let decoded = to_utf8(&encode(&text, "GBK"), Some("utf-8"));
        assert_eq!(decoded.evidence, Evidence::Sniffed);
        assert_eq!(decoded.encoding, encoding_rs::GBK);
        assert!(
            decoded.text.contains("亚马逊与TikTok Shop"),
            "{}",
            decoded.text
        );
    }

    #[test]
    fn byte_order_marks_decide_utf16_and_utf8() {
        let text = XML.replace("ENC", "UTF-16");
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let decoded = to_utf8(&le, Some("iso-8859-1"));
        assert_eq!(decoded.evidence, Evidence::ByteOrderMark);
        assert_eq!(decoded.text, XML.replace("ENC", "UTF-8"));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(to_utf8(&be, None).text, XML.replace("ENC", "UTF-8"));
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend(XML.replace("ENC", "utf-8").as_bytes());
        assert_eq!(to_utf8(&utf8, None).text, XML.replace("ENC", "utf-8"));
    }

    #[test]
    fn cyrillic_and_western_single_byte_encodings() {
        for (label, word) in [
            ("windows-1251", "Маркетплейс"),
            ("KOI8-R", "Маркетплейс"),
            ("windows-1252", "Café €5"),
        ] {
            let text = XML.replace("ENC", label).replace(
                "跨境电商：亚马逊与TikTok Shop的旺季备货指南，卖家们正在为黑五做准备",
                word,
            );
            let decoded = to_utf8(&encode(&text, label), None);
            assert!(decoded.text.contains(word), "{label}: {}", decoded.text);
        }
    }

    #[test]
    fn undeclared_utf8_and_json_pass_through() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"跨境"}"#;
        let decoded = to_utf8(json.as_bytes(), None);
        assert_eq!(
            (decoded.text.as_str(), decoded.evidence),
            (json, Evidence::ValidUtf8)
        );
    }
}
