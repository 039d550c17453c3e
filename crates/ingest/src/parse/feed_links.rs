//! The feed links of a page (what readers call feed autodiscovery): when an upstream answers
//! with an HTML page instead of a feed, find the feeds it advertises with `<link rel="alternate" type="application/rss+xml|atom+xml|
//! feed+json" href="…">`, in document order.

use url::Url;

use super::markup;

/// Media types that name a feed.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
];

/// Whether `text` is an HTML page rather than a feed.
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || {
        // Pages that open with a comment or an XML declaration before <html>.
        !head.contains("<rss")
            && !head.contains("<feed")
            && !head.contains("<rdf")
            && head.contains("<html")
    }
}

/// The feed URLs an HTML page advertises, made absolute against `page`.
pub fn alternates(html: &str, page: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for range in markup::find_tags(html, "link") {
        let (mut rel, mut kind, mut href) = (None, None, None);
        for a in markup::attributes(&html[range]) {
            match a.name.as_str() {
                "rel" => rel = Some(a.value.to_ascii_lowercase()),
                "type" => kind = Some(a.value.trim().to_ascii_lowercase()),
                "href" => href = Some(html_escape::decode_html_entities(&a.value).into_owned()),
                _ => {}
            }
        }
        let is_alternate = rel.is_some_and(|r| r.split_whitespace().any(|w| w == "alternate"));
        let is_feed = kind.is_some_and(|k| FEED_TYPES.iter().any(|t| k.starts_with(t)));
        if is_alternate
            && is_feed
            && let Some(url) = href.and_then(|h| page.join(h.trim()).ok())
            && matches!(url.scheme(), "http" | "https")
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_advertised_feeds_in_order_and_resolves_them() {
        let page = Url::parse("https://news.example.cn/zixun/index.html").unwrap();
        let html = r#"<!DOCTYPE html><html><head>
            <link rel="stylesheet" href="/a.css">
            <LINK REL="alternate" TYPE="application/rss+xml" TITLE="资讯" HREF="/rss.xml?cat=1&amp;x=2">
            <link href='feed.atom' type='application/atom+xml' rel='alternate'>
            <link rel="alternate" type="text/html" href="/m/">
            <link rel="alternate" type="application/feed+json" href="https://news.example.cn/feed.json">
            </head><body></body></html>"#;
        let found: Vec<String> = alternates(html, &page)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            found,
            vec![
                "https://news.example.cn/rss.xml?cat=1&x=2",
                "https://news.example.cn/zixun/feed.atom",
                "https://news.example.cn/feed.json",
            ]
        );
        assert!(looks_like_html(html));
    }

    #[test]
    fn a_page_without_alternates_yields_nothing_and_feeds_are_not_html() {
        let page = Url::parse("https://e.com/").unwrap();
        assert!(alternates("<html><head><title>x</title></head></html>", &page).is_empty());
        assert!(!looks_like_html(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>"
        ));
        assert!(!looks_like_html(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"html\">&lt;html&gt;</content></feed>"
        ));
        assert!(looks_like_html("<!-- hi --><html lang=\"zh\"></html>"));
    }
}
