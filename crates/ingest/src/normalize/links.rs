//! Addresses in an entry: its article link, enclosures and picture, made absolute against the
//! entry's base, script URLs refused, feed-rs's placeholder base undone.

use feed_rs::model::Entry;
use url::Url;

use super::html;
use crate::domain::Enclosure;
use crate::parse::PLACEHOLDER_BASE;

/// The entry's or feed's page: an `alternate` (or rel-less) link, made absolute against `base`,
/// never a `javascript:` one.
pub(super) fn alternate_link(links: &[feed_rs::model::Link], base: &Url) -> Option<Url> {
    links
        .iter()
        .filter(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        // RSS <comments> (and wfw:comment) is where to comment, not the article.
        .filter(|l| l.target.is_none())
        .filter(|l| !l.media_type.as_deref().is_some_and(is_feed_type))
        .find_map(|l| resolve(&l.href, base))
}

pub(super) fn is_feed_type(mime: &str) -> bool {
    mime.contains("rss") || mime.contains("atom") || mime.contains("feed+json")
}

/// Resolve `href` against `base`, accepting protocol-relative URLs and refusing script URLs.
/// An href that feed-rs resolved against the placeholder base is rebased onto `base`.
pub(super) fn resolve(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match unplaceholder(href) {
        // An empty reference (`<enclosure url=""/>`, which feed-rs resolved to its placeholder
        // base) points at nothing, not at the feed's own page.
        Some(relative) if relative.is_empty() => return None,
        Some(relative) => base.join(&relative).ok()?,
        None => base.join(href).ok()?,
    };
    match url.scheme() {
        "http" | "https" | "file" => Some(url),
        _ => None,
    }
}

/// The relative reference that feed-rs resolved against [`PLACEHOLDER_BASE`], if `href` is one.
pub(super) fn unplaceholder(href: &str) -> Option<String> {
    static PLACEHOLDER: std::sync::LazyLock<Option<Url>> =
        std::sync::LazyLock::new(|| Url::parse(PLACEHOLDER_BASE).ok());
    // Most links are not (every link of every item passes here): no parse for them.
    if !href
        .as_bytes()
        .windows(b"crossfeed".len())
        .any(|w| w.eq_ignore_ascii_case(b"crossfeed"))
    {
        return None;
    }
    let placeholder = PLACEHOLDER.as_ref()?;
    let url = Url::parse(href).ok()?;
    if url.host_str() != placeholder.host_str() {
        return None;
    }
    if url.path().starts_with("/__crossfeed__/") {
        placeholder.make_relative(&url)
    } else {
        // An absolute-path reference ("/news/1.html"): keep path, query and fragment.
        Some(url[url::Position::BeforePath..].to_owned())
    }
}

pub(super) fn enclosures(e: &Entry, base: &Url) -> Vec<Enclosure> {
    // Atom `<link rel="enclosure">` and JSON Feed attachments, then RSS enclosures and
    // media:content (feed-rs gives both as media content).
    let links = e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| {
            (
                l.href.as_str(),
                l.media_type.clone().filter(|t| !t.trim().is_empty()),
                l.length.filter(|n| *n > 0),
            )
        });
    let media = e
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| {
            let url = c.url.as_ref()?;
            Some((
                url.as_str(),
                c.content_type.as_ref().map(|t| t.to_string()),
                c.size,
            ))
        });
    let mut out: Vec<Enclosure> = Vec::new();
    for (href, mime_type, length) in links.chain(media) {
        let Some(url) = resolve(href, base).filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        if !out.iter().any(|o| o.url == url.as_str()) {
            out.push(Enclosure {
                url: url.into(),
                mime_type,
                length,
            });
        }
    }
    out
}

/// The item's picture: the widest media:thumbnail (itunes:image counts as one), else an image
/// among the media contents, else the first `<img>` of the (sanitized, absolute) HTML.
pub(super) fn image(e: &Entry, base: &Url, html: Option<&str>) -> Option<String> {
    let web = |raw: &str| {
        resolve(raw.trim(), base)
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    };
    let thumbnail = e
        .media
        .iter()
        .flat_map(|m| m.thumbnails.iter())
        .filter_map(|t| web(&t.image.uri).map(|u| (t.image.width.unwrap_or(0), u)))
        .enumerate()
        // Widest first; among equals, the first given.
        .max_by_key(|(i, (w, _))| (*w, std::cmp::Reverse(*i)))
        .map(|(_, (_, u))| u);
    let is_image = |c: &feed_rs::model::MediaContent| {
        c.content_type.as_ref().is_some_and(|t| t.ty() == "image")
            || c.url.as_ref().is_some_and(|u| {
                let path = u.path().to_ascii_lowercase();
                [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
                    .iter()
                    .any(|ext| path.ends_with(ext))
            })
    };
    thumbnail
        .or_else(|| {
            e.media
                .iter()
                .flat_map(|m| m.content.iter())
                .filter(|c| is_image(c))
                .find_map(|c| c.url.as_ref().and_then(|u| web(u.as_str())))
        })
        .or_else(|| html.and_then(html::first_image))
}
