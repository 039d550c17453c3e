//! HTML handling: sanitizing item HTML with ammonia (the last step of normalization) and
//! deriving plain text for titles, matching and summaries.

use ammonia::{Builder, UrlRelative};
use url::Url;

/// Sanitize HTML or escape plain text, per its media type; `None` when nothing is left.
pub fn sanitize_text(body: &str, media_type: &str, base: &Url) -> Option<String> {
    let html = if media_type == "text/plain" {
        html_escape::encode_text(body).into_owned()
    } else {
        sanitize(body, base)
    };
    let trimmed = html.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Remove everything unsafe (scripts, styles, frames, event handlers, script URLs), make
/// relative URLs absolute against `base`, and mark links `noopener noreferrer`.
pub fn sanitize(html: &str, base: &Url) -> String {
    let mut b = Builder::default();
    b.link_rel(Some("noopener noreferrer"));
    if matches!(base.scheme(), "http" | "https") {
        b.url_relative(UrlRelative::RewriteWithBase(base.clone()));
    } else {
        b.url_relative(UrlRelative::Deny);
    }
    b.clean(html).to_string()
}

/// Plain text of an HTML fragment: tags removed, entities decoded, whitespace folded. Text that
/// was escaped twice upstream (`&amp;amp;`) is decoded once more.
pub fn plain_text(html: &str) -> String {
    let stripped = Builder::empty().clean(html).to_string();
    let mut text = html_escape::decode_html_entities(&stripped).into_owned();
    if text.contains("&amp;") || text.contains("&lt;") || text.contains("&quot;") {
        text = html_escape::decode_html_entities(&text).into_owned();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_strips_markup_and_decodes_once() {
        assert_eq!(
            plain_text("<b>Amazon</b> &amp; <i>eBay</i>\n  news"),
            "Amazon & eBay news"
        );
        assert_eq!(plain_text("A &amp;amp; B"), "A & B");
        assert_eq!(plain_text("<script>x()</script>Lazada"), "Lazada");
    }

    #[test]
    fn plain_text_media_type_is_escaped_not_parsed() {
        let base = Url::parse("https://e.com/").unwrap();
        assert_eq!(
            sanitize_text("a < b", "text/plain", &base).as_deref(),
            Some("a &lt; b")
        );
        assert_eq!(sanitize_text("  ", "text/html", &base), None);
    }

    #[test]
    fn sanitize_removes_script_and_resolves_relative_urls() {
        let base = Url::parse("https://e.com/news/").unwrap();
        let out = sanitize(
            r#"<a href="x.html" onclick="evil()">x</a><iframe src="https://e.com"></iframe><a href="javascript:alert(1)">j</a>"#,
            &base,
        );
        assert!(out.contains(r#"href="https://e.com/news/x.html""#), "{out}");
        assert!(
            !out.contains("onclick") && !out.contains("iframe") && !out.contains("javascript"),
            "{out}"
        );
    }
}
