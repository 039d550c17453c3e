//! Entities a document declares for itself, which feed-rs leaves unexpanded.

use std::borrow::Cow;

/// Entities declared in the document's internal DTD subset (`<!ENTITY id "tag:…">`), which
/// feed-rs leaves as `&id;`, replaced by their text. Only plain text values are used: one that
/// refers to another entity is left alone, so nothing expands recursively (billion laughs
/// stays harmless), and the document may grow by at most 1 MiB.
pub(super) fn expand_internal_entities(text: &str) -> Cow<'_, str> {
    use std::sync::OnceLock;
    const GROWTH: usize = 1 << 20;
    let Some(doctype) = text.find("<!DOCTYPE") else {
        return Cow::Borrowed(text);
    };
    let Some(subset_end) = text[doctype..].find("]>").map(|i| doctype + i + 2) else {
        return Cow::Borrowed(text);
    };
    static ENTITY: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = ENTITY
        .get_or_init(|| {
            regex::Regex::new(r#"<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>"#).ok()
        })
        .as_ref()
    else {
        return Cow::Borrowed(text);
    };
    let entities: std::collections::HashMap<&str, &str> = re
        .captures_iter(&text[doctype..subset_end])
        .filter_map(|c| {
            let value = c.get(2).or(c.get(3))?.as_str();
            let name = c.get(1)?.as_str();
            (!value.contains(['&', '%', '<'])).then_some((name, value))
        })
        .collect();
    if entities.is_empty() {
        return Cow::Borrowed(text);
    }
    // One pass over the body, looking each `&name;` up: linear however many entities the
    // document declares (replacing them one by one rescanned the body per declaration).
    let (head, body) = text.split_at(subset_end);
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    let mut grown = 0usize;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let name_len = after
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(after.len());
        let value = after[name_len..]
            .starts_with(';')
            .then(|| entities.get(&after[..name_len]))
            .flatten();
        match value {
            Some(value) if grown + value.len() <= GROWTH => {
                // The value goes in as text, escaped for where it lands.
                let escaped = html_escape::encode_text(value);
                grown += escaped.len();
                out.push_str(&escaped);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(format!("{head}{out}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_entities_expand_in_one_pass_and_others_stay() {
        let doc = "<!DOCTYPE rss [<!ENTITY a \"甲\"><!ENTITY b 'B&lt;'><!ENTITY c \"<x>\">]>\
                   <rss>&a;&b;&amp;&c;&a &zz;&a;</rss>";
        let out = expand_internal_entities(doc);
        assert!(out.ends_with("<rss>甲&b;&amp;&c;&a &zz;甲</rss>"), "{out}");
        // Thousands of declarations and references: each reference resolved.
        let decls: String = (0..5000)
            .map(|i| format!("<!ENTITY e{i} \"v{i}\">"))
            .collect();
        let uses: String = (0..5000).map(|i| format!("&e{i};")).collect();
        let doc = format!("<!DOCTYPE rss [{decls}]><rss>{uses}</rss>");
        let out = expand_internal_entities(&doc);
        assert!(
            out.contains("v0v1v2") && out.contains("v4999</rss>"),
            "expanded"
        );
    }
}
