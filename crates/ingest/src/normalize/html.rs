//! HTML handling: sanitizing item HTML with ammonia (the last step of normalization) and
//! deriving plain text for titles, matching and summaries.

use ammonia::{Builder, UrlRelative};

use crate::parse::{budget, markup};
use crate::text::{decode_twice_escaped, fold_whitespace, strip_controls};
use url::Url;

pub use crate::parse::budget::MAX_NESTING;

/// A configured ammonia cleaner for one base URL; build it once per feed, not per item
/// (building one allocates its tag and attribute tables).
pub struct Sanitizer {
    builder: Builder<'static>,
    /// How many documents it cleaned had their nesting capped.
    capped: std::cell::Cell<usize>,
}

impl Sanitizer {
    /// Remove everything unsafe (scripts, styles, frames, event handlers, script URLs), make
    /// relative URLs absolute against `base`, and mark links `noopener noreferrer`.
    pub fn new(base: &Url) -> Self {
        let mut builder = Builder::default();
        builder.link_rel(Some("noopener noreferrer"));
        if matches!(base.scheme(), "http" | "https") {
            builder.url_relative(UrlRelative::RewriteWithBase(base.clone()));
        } else {
            builder.url_relative(UrlRelative::Deny);
        }
        Self {
            builder,
            capped: std::cell::Cell::new(0),
        }
    }

    pub fn clean(&self, html: &str) -> String {
        // ammonia's parse cannot be stopped: what it reads is first parsed within the budget,
        // and kept as its text when that parse is cut.
        let (html, cut) = budget::bounded(html);
        if cut.is_some() {
            self.capped.set(self.capped.get() + 1);
        }
        self.builder
            .clean(&strip_controls(&unlazy_images(&html)))
            .to_string()
    }

    /// How many documents were kept as their text (nested deeper than [`MAX_NESTING`], or past
    /// the parse deadline).
    pub fn capped(&self) -> usize {
        self.capped.get()
    }

    /// Sanitize HTML or escape plain text, per its media type; `None` when nothing is left.
    pub fn clean_typed(&self, body: &str, media_type: &str) -> Option<String> {
        let html = if media_type == "text/plain" {
            html_escape::encode_text(body).into_owned()
        } else {
            self.clean(body)
        };
        let trimmed = html.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }
}

/// Attributes lazy-loading scripts keep the real image address in, most common first.
const LAZY_SOURCES: &[&str] = &[
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-actualsrc",
    "data-echo",
];

/// The `src` of the first `<img>` in sanitized HTML, when it is an absolute http(s) URL.
pub fn first_image(html: &str) -> Option<String> {
    // Sanitized HTML writes its tags in lowercase.
    if !html.contains("<img") {
        return None;
    }
    crate::parse::markup::find_tags(html, "img")
        .into_iter()
        .find_map(|r| {
            let src = crate::parse::markup::attributes(&html[r])
                .into_iter()
                .find(|a| a.name == "src")?;
            let value = html_escape::decode_html_entities(src.value.trim()).into_owned();
            let url = url::Url::parse(&value).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| url.to_string())
        })
}

/// Give `<img>` tags whose real address sits in a lazy-loading attribute (`data-src`,
/// `data-original`, …) that address as `src`: without the site's script, the placeholder
/// (or nothing) would show. Runs before sanitizing, which then checks the URL like any other.
pub fn unlazy_images(html: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !html.contains("data-") {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for range in markup::find_tags(html, "img") {
        let tag = &html[range.clone()];
        let attrs = markup::attributes(tag);
        let Some(real) = LAZY_SOURCES.iter().find_map(|name| {
            attrs
                .iter()
                .find(|a| a.name == *name && !a.value.trim().is_empty())
        }) else {
            continue;
        };
        let src = attrs.iter().find(|a| a.name == "src");
        out.push_str(&html[last..range.start]);
        match src.and_then(|s| s.value_at.clone()) {
            // Replace the placeholder's address (a 1×1 GIF, "loading.png", empty).
            Some(at) => {
                out.push_str(&tag[..at.start]);
                out.push_str(&real.value);
                out.push_str(&tag[at.end..]);
            }
            None => {
                out.push_str("<img src=\"");
                out.push_str(&real.value.replace('"', "&quot;"));
                out.push('"');
                out.push_str(&tag["<img".len()..]);
            }
        }
        last = range.end;
    }
    if last == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[last..]);
    Cow::Owned(out)
}

/// Sanitize `html` against `base` (one-off, for tests; the pipeline uses [`Sanitizer`]).
#[cfg(test)]
fn sanitize(html: &str, base: &Url) -> String {
    Sanitizer::new(base).clean(html)
}

/// Plain text of an untrusted HTML fragment (a title, an author): tags removed (with the
/// content of scripts and styles), entities decoded, whitespace folded. Text that was escaped
/// twice upstream (`&amp;amp;`) is decoded once more.
pub fn plain_text(html: &str) -> String {
    let html = strip_controls(html);
    if !html.contains(['<', '&']) {
        return fold_whitespace(&html);
    }
    let (bounded, _) = budget::bounded(&html);
    let stripped = Builder::empty().clean(&bounded).to_string();
    decode_twice_escaped(html_escape::decode_html_entities(&stripped).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::text_of_sanitized;

    #[test]
    fn plain_text_strips_markup_and_decodes_once() {
        assert_eq!(
            plain_text("<b>Amazon</b> &amp; <i>eBay</i>\n  news"),
            "Amazon & eBay news"
        );
        assert_eq!(plain_text("A &amp;amp; B"), "A & B");
        assert_eq!(plain_text("<script>x()</script>Lazada"), "Lazada");
        assert_eq!(plain_text("Lazada\u{8} fees\u{1f}\u{7f}"), "Lazada fees");
    }

    #[test]
    fn plain_text_media_type_is_escaped_not_parsed() {
        let s = Sanitizer::new(&Url::parse("https://e.com/").unwrap());
        assert_eq!(
            s.clean_typed("a < b", "text/plain").as_deref(),
            Some("a &lt; b")
        );
        assert_eq!(s.clean_typed("  ", "text/html"), None);
    }

    #[test]
    fn lazy_images_get_their_real_address() {
        let base = Url::parse("https://news.example.cn/a/").unwrap();
        let out = sanitize(
            r#"<img src="data:image/gif;base64,R0lGOD" data-src="/img/1.jpg" alt="图"><img data-original='//cdn.example.cn/2.png'><img src="3.png">"#,
            &base,
        );
        assert!(
            out.contains(r#"src="https://news.example.cn/img/1.jpg""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://cdn.example.cn/2.png""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://news.example.cn/a/3.png""#),
            "{out}"
        );
        assert!(
            !out.contains("data:image") && !out.contains("data-src"),
            "{out}"
        );
    }

    #[test]
    fn blocks_separate_words_and_inline_tags_do_not() {
        assert_eq!(text_of_sanitized("<p>一段</p><p>二段</p>"), "一段 二段");
        assert_eq!(
            text_of_sanitized("Tik<b>Tok</b> Shop<br>美区"),
            "TikTok Shop 美区"
        );
    }

    #[test]
    fn text_of_sanitized_html_matches_a_full_parse() {
        let base = Url::parse("https://e.com/").unwrap();
        for html in [
            "<p>TikTok&nbsp;Shop <b>美区</b> &amp; more</p>",
            r#"<a href="/x?a=1&amp;b=2" title="a > b">link</a> text<img src="x.png" alt="pic">"#,
            "plain words\n  with  spaces",
        ] {
            let clean = sanitize(html, &base);
            assert_eq!(text_of_sanitized(&clean), plain_text(&clean), "{clean}");
        }
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
