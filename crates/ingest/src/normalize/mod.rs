//! From feed-rs's model to our [`Item`]: stable identity, absolute links, dates in UTC (future
//! ones clamped to the fetch time), plain-text titles, and HTML sanitized as the very last step.

pub mod html;
mod language;
mod links;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed};
use sha2::{Digest, Sha256};
use url::Url;

use crate::domain::{Item, PlainText, instant};

/// Where and when a feed was fetched.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The URL the bytes came from (after redirects).
    pub fetch_url: &'a Url,
    pub fetched_at: DateTime<Utc>,
}

/// Titles are cut to this many characters (with "…"): real headlines run to a few hundred, and
/// every page shows an item's title several times over.
pub const MAX_TITLE_CHARS: usize = 1000;

/// Raw title markup read at most before its text is worked out.
const MAX_TITLE_BYTES: usize = 16 * 1024;

/// One sanitizer per base URL (entries rarely have a base of their own), and the titles cut and
/// dates dropped so far in the document.
#[derive(Default)]
struct Cleaners {
    by_base: HashMap<Url, html::Sanitizer>,
    titles_cut: usize,
    dates_dropped: usize,
}

/// What normalizing cut short in one document, for the warning on its source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cuts {
    /// Titles longer than [`MAX_TITLE_CHARS`].
    pub titles: usize,
    /// Summaries and contents kept as their text: nested deeper than [`html::MAX_NESTING`] as
    /// the HTML parser builds them (or past the parse deadline).
    pub nesting: usize,
    /// Dates outside [`instant`]'s range, dropped (the item is kept, undated there).
    pub dates: usize,
}

impl Cuts {
    /// The warning to record on the source, when anything was cut.
    pub fn warning(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.titles > 0 {
            parts.push(format!(
                "{} title(s) longer than {MAX_TITLE_CHARS} characters cut short",
                self.titles
            ));
        }
        if self.nesting > 0 {
            parts.push(format!(
                "{} summary or content body(ies) nested deeper than {} elements kept as their \
                 text (markup dropped)",
                self.nesting,
                html::MAX_NESTING
            ));
        }
        if self.dates > 0 {
            parts.push(format!(
                "{} date(s) outside the years {} to {} dropped (the items are kept)",
                self.dates,
                instant::FIRST_YEAR,
                instant::LAST_YEAR
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Facts about the feed itself that the source row keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedInfo {
    pub title: Option<String>,
    pub site_url: Option<String>,
}

/// The feed's title and home page.
pub fn feed_info(feed: &Feed, ctx: &Context<'_>) -> FeedInfo {
    FeedInfo {
        title: feed
            .title
            .as_ref()
            .map(|t| title_text(t, feed.feed_type == feed_rs::model::FeedType::Atom).0)
            .filter(|t| !t.is_empty()),
        // Only a web address is a site to link to (a `file:` link would point into our disk).
        site_url: links::alternate_link(&feed.links, ctx.fetch_url)
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from),
    }
}

/// Normalize every entry of `feed`.
pub fn normalize_feed(feed: &Feed, ctx: &Context<'_>) -> Vec<Item> {
    normalize_feed_with_text(feed, ctx)
        .into_iter()
        .map(|(item, _)| item)
        .collect()
}

/// Normalize every entry of `feed`, each with the plain text of its summary and content
/// (worked out anyway to tell an item's language; classification needs it next).
pub fn normalize_feed_with_text(feed: &Feed, ctx: &Context<'_>) -> Vec<(Item, PlainText)> {
    normalize_feed_noting_cuts(feed, ctx).0
}

/// [`normalize_feed_with_text`], with what had to be cut short to keep the work bounded.
pub fn normalize_feed_noting_cuts(
    feed: &Feed,
    ctx: &Context<'_>,
) -> (Vec<(Item, PlainText)>, Cuts) {
    let feed_base = links::alternate_link(&feed.links, ctx.fetch_url)
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| ctx.fetch_url.clone());
    // A feed that gives several entries the same guid cannot be trusted with guids alone.
    let mut guid_uses: HashMap<&str, usize> = HashMap::new();
    for e in &feed.entries {
        if !e.id.is_empty() {
            *guid_uses.entry(e.id.as_str()).or_default() += 1;
        }
    }
    let feed_language = feed.language.as_deref();
    // feed-rs copies an RSS 2.0 pubDate into `updated`; an upstream that never said when an
    // item changed must not look as if it had.
    let copies_published = feed.feed_type == feed_rs::model::FeedType::RSS2;
    let atom = feed.feed_type == feed_rs::model::FeedType::Atom;
    let mut cleaners = Cleaners::default();
    let items = feed
        .entries
        .iter()
        .map(|e| {
            let repeated = guid_uses.get(e.id.as_str()).is_some_and(|n| *n > 1);
            let (mut item, plain) = normalize_entry(
                e,
                &feed_base,
                feed_language,
                repeated,
                atom,
                ctx,
                &mut cleaners,
            );
            if copies_published && item.updated == item.published {
                item.updated = None;
            }
            (item, plain)
        })
        .collect();
    let cuts = Cuts {
        titles: cleaners.titles_cut,
        nesting: cleaners.by_base.values().map(html::Sanitizer::capped).sum(),
        dates: cleaners.dates_dropped,
    };
    (items, cuts)
}

fn normalize_entry(
    e: &Entry,
    feed_base: &Url,
    feed_language: Option<&str>,
    guid_repeated: bool,
    atom: bool,
    ctx: &Context<'_>,
    cleaners: &mut Cleaners,
) -> (Item, PlainText) {
    // xml:base on the entry wins over the feed's link for resolving relative URLs.
    let base = e
        .base
        .as_deref()
        .and_then(|b| links::resolve(b, feed_base))
        .unwrap_or_else(|| feed_base.clone());
    let guid = Some(e.id.trim())
        .filter(|g| !g.is_empty())
        .map(String::from);
    let link = entry_link(e, &base);
    // Without a title of its own, an entry's media:title names it.
    let title = e
        .title
        .as_ref()
        .or_else(|| e.media.iter().find_map(|m| m.title.as_ref()))
        .map(|t| {
            let (title, cut) = title_text(t, atom);
            cleaners.titles_cut += usize::from(cut);
            title
        })
        .filter(|t| !t.is_empty());
    // A date outside the storable range is dropped, the item kept; a future one is clamped.
    let mut date = |d: Option<DateTime<Utc>>| {
        let d = d?;
        let kept = instant::storable(d);
        cleaners.dates_dropped += usize::from(kept.is_none());
        kept.map(|d| d.min(ctx.fetched_at))
    };
    let published = date(e.published);
    let updated = date(e.updated);

    let sanitizer = cleaners
        .by_base
        .entry(base.clone())
        .or_insert_with(|| html::Sanitizer::new(&base));
    let summary = e
        .summary
        .as_ref()
        .or_else(|| {
            // A video feed's text (YouTube's among them) is its media:description.
            (e.content.is_none())
                .then(|| e.media.iter().find_map(|m| m.description.as_ref()))
                .flatten()
        })
        .and_then(|t| {
            sanitizer.clean_typed(&t.content, t.content_type.essence().to_string().as_str())
        });
    let content = e.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?;
        sanitizer.clean_typed(body, c.content_type.essence().to_string().as_str())
    });

    let identity_key = identity_key(
        guid.as_deref(),
        link.as_deref(),
        guid_repeated,
        title.as_deref(),
        published.or(updated),
        content.as_deref().or(summary.as_deref()),
    );
    // An item with none of those (no guid, link, title, date or text) is told apart by what it
    // has (authors, categories, enclosures), or items that differ only there would merge. Only
    // then, so that every other item keeps the identity it is stored under.
    let bare = identity_key == "hash\n\n\n";

    let declared = e
        .language
        .as_deref()
        .or(feed_language)
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty());

    let mut item = Item {
        id: String::new(),
        guid,
        title,
        link,
        published,
        updated,
        authors: authors(e),
        image: links::image(e, &base, content.as_deref().or(summary.as_deref())),
        summary,
        content,
        categories: dedupe(e.categories.iter().map(|c| {
            html::plain_text(
                c.label
                    .as_deref()
                    .filter(|l| !l.trim().is_empty())
                    .unwrap_or(&c.term),
            )
        })),
        language: None,
        enclosures: links::enclosures(e, &base),
    };
    item.id = if bare {
        let urls: Vec<&str> = item.enclosures.iter().map(|e| e.url.as_str()).collect();
        identity(&format!(
            "{identity_key}{}\n{}\n{}",
            item.authors.join("\u{1f}"),
            item.categories.join("\u{1f}"),
            urls.join("\u{1f}")
        ))
    } else {
        identity(&identity_key)
    };
    let plain = PlainText::of(&item);
    item.language = declared.or_else(|| {
        language::detect_language(
            item.title.as_deref(),
            plain.summary.as_deref().or(plain.content.as_deref()),
        )
    });
    (item, plain)
}

/// An entry's link: its alternate link, or else the page its out-of-line HTML content points
/// to (`<content type="text/html" src=…>`), when that is all it has; http(s) only.
fn entry_link(e: &Entry, base: &Url) -> Option<String> {
    links::alternate_link(&e.links, base)
        .or_else(|| {
            // The type as written: feed-rs calls out-of-line content without one HTML.
            let src = e.content.as_ref()?.src.as_ref()?;
            let written = src.media_type.as_deref()?.trim().to_ascii_lowercase();
            matches!(
                written.as_str(),
                "html" | "xhtml" | "text/html" | "application/xhtml+xml"
            )
            .then(|| links::resolve(&src.href, base))
            .flatten()
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from)
}

/// What an item's identity is made from: its guid (with its link when the feed repeats
/// guids), else its link, else its title, date and text.
fn identity_key(
    guid: Option<&str>,
    link: Option<&str>,
    guid_repeated: bool,
    title: Option<&str>,
    dated: Option<DateTime<Utc>>,
    text: Option<&str>,
) -> String {
    match (guid, link) {
        (Some(g), Some(l)) if guid_repeated => format!("guid+link\n{g}\n{l}"),
        (Some(g), _) => format!("guid\n{g}"),
        (None, Some(l)) => format!("link\n{l}"),
        (None, None) => format!(
            "hash\n{}\n{}\n{}",
            title.unwrap_or(""),
            dated.map(|d| d.to_rfc3339()).unwrap_or_default(),
            text.unwrap_or("")
        ),
    }
}

/// A title as plain text. Atom says what its text constructs are: `type="text"` is literal
/// (`<` is a character, not a tag), so only whitespace is folded. Other formats' titles are
/// HTML often enough that markup is stripped.
/// A title's plain text, at most [`MAX_TITLE_CHARS`] characters; true when it was cut.
fn title_text(t: &feed_rs::model::Text, atom: bool) -> (String, bool) {
    let mut raw = t.content.as_str();
    if raw.len() > MAX_TITLE_BYTES {
        let mut end = MAX_TITLE_BYTES;
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        raw = &raw[..end];
    }
    let text = if atom && t.content_type.essence().to_string() == "text/plain" {
        crate::text::fold_whitespace(&crate::text::strip_controls(raw))
    } else {
        html::plain_text(raw)
    };
    match text.char_indices().nth(MAX_TITLE_CHARS) {
        Some((at, _)) => (format!("{}…", text[..at].trim_end()), true),
        None => (text, raw.len() < t.content.len()),
    }
}

/// A person's display name: RSS `<author>` is "e-mail (Name)", which readers show as the name,
/// and a byline written the other way round ("Name (e-mail)") shows the name too; an e-mail
/// alone is kept.
fn person_name<'a>(name: Option<&'a str>, email: Option<&'a str>) -> Option<&'a str> {
    let raw = name.or(email)?.trim();
    let split = raw.rsplit_once('(');
    let named = split
        .filter(|(head, _)| head.is_empty() || head.contains('@'))
        .and_then(|(_, tail)| tail.strip_suffix(')'))
        .or_else(|| {
            split
                .filter(|(head, tail)| !head.contains('@') && tail.contains('@'))
                .map(|(head, _)| head)
        })
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match named {
        Some(n) => Some(n),
        None if raw.is_empty() => email.map(str::trim).filter(|e| !e.is_empty()),
        None => Some(raw),
    }
}

/// A 32-hex-digit digest of an identity key: short, URL-safe and stable.
fn identity(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The item's authors; media credits (`itunes:author`, `media:credit`) only stand in for an item
/// that names none of its own.
fn authors(e: &Entry) -> Vec<String> {
    let own = dedupe(
        e.authors
            .iter()
            .filter_map(|p| person_name(p.name.as_deref(), p.email.as_deref()))
            .map(html::plain_text),
    );
    if !own.is_empty() {
        return own;
    }
    dedupe(
        e.media
            .iter()
            .flat_map(|m| m.credits.iter().map(|c| html::plain_text(&c.entity))),
    )
}

fn dedupe(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::language::looks_english;
    use super::*;
    use crate::parse::parse_feed;
    use chrono::TimeZone;
    use chrono_tz::Tz;

    #[test]
    fn person_names_read_either_byline_order() {
        let cases = [
            ((Some("editor@x.cn (周编辑)"), None), Some("周编辑")),
            ((Some("周编辑 (editor@x.cn)"), None), Some("周编辑")),
            ((Some("Lee (Jordan)"), None), Some("Lee (Jordan)")),
            ((Some("  "), Some("desk@x.cn")), Some("desk@x.cn")),
            ((None, Some("desk@x.cn")), Some("desk@x.cn")),
            ((None, None), None),
        ];
        for ((name, email), want) in cases {
            assert_eq!(person_name(name, email), want, "{name:?} {email:?}");
        }
    }

    fn items(xml: &str) -> Vec<Item> {
        let base = Url::parse("https://news.example.com/feed.xml").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap();
        let feed = parse_feed(xml.as_bytes(), None, Tz::Asia__Shanghai, now).unwrap();
        normalize_feed(
            &feed,
            &Context {
                fetch_url: &base,
                fetched_at: now,
            },
        )
    }

    const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Demo</title><link>https://news.example.com/</link><description>d</description>
<item><title>TikTok Shop &amp;amp; sellers</title><link>/a/1.html</link><guid isPermaLink="false">n-1</guid>
<pubDate>2026-11-20 20:42:39</pubDate><dc:creator>王小明</dc:creator><category>跨境</category>
<description><![CDATA[<p onclick="x()">Hi <script>alert(1)</script><a href="/b">b</a><img src="//img.example.com/x.png"></p>]]></description>
<enclosure url="/m.mp3" type="audio/mpeg" length="123"/></item>
<item><title>No guid</title><link>javascript:alert(1)</link><description>plain</description></item>
<item><title>Future</title><link>https://news.example.com/f</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
</channel></rss>"#;

    #[test]
    fn an_rss_item_is_normalized_completely() {
        let all = items(RSS);
        let a = &all[0];
        assert_eq!(a.guid.as_deref(), Some("n-1"));
        assert_eq!(a.title.as_deref(), Some("TikTok Shop & sellers"));
        assert_eq!(a.link.as_deref(), Some("https://news.example.com/a/1.html"));
        assert_eq!(
            a.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-20T12:42:39+00:00")
        );
        assert_eq!(a.updated, None, "updated is not copied from published");
        assert_eq!(a.authors, vec!["王小明".to_owned()]);
        assert_eq!(a.categories, vec!["跨境".to_owned()]);
        let summary = a.summary.as_deref().unwrap();
        assert!(
            !summary.contains("script") && !summary.contains("onclick"),
            "{summary}"
        );
        assert!(
            summary.contains(r#"href="https://news.example.com/b""#),
            "{summary}"
        );
        assert!(
            summary.contains(r#"src="https://img.example.com/x.png""#),
            "{summary}"
        );
        assert!(summary.contains("noopener noreferrer"), "{summary}");
        assert_eq!(a.enclosures[0].url, "https://news.example.com/m.mp3");
        assert_eq!(a.enclosures[0].length, Some(123));
        assert_eq!(a.id.len(), 32);
    }

    #[test]
    fn identity_is_stable_and_script_links_are_dropped() {
        let first = items(RSS);
        let second = items(RSS);
        assert_eq!(
            first.iter().map(|i| &i.id).collect::<Vec<_>>(),
            second.iter().map(|i| &i.id).collect::<Vec<_>>()
        );
        assert_eq!(first[1].guid, None);
        assert_eq!(first[1].link, None);
        assert_ne!(first[1].id, first[2].id);
    }

    #[test]
    fn future_dates_are_clamped_to_the_fetch_time() {
        let f = &items(RSS)[2];
        assert_eq!(
            f.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-26T04:00:00+00:00")
        );
    }

    #[test]
    fn relative_urls_resolve_against_xml_base_then_the_feed_link() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/zh/">
<title>t</title><id>urn:x</id><updated>2026-11-20T00:00:00Z</updated>
<link href="https://blog.example.org/"/>
<entry><id>e1</id><title>1</title><updated>2026-11-20T00:00:00Z</updated><link href="posts/1"/></entry>
<entry xml:base="/en/"><id>e2</id><title>2</title><updated>2026-11-20T00:00:00Z</updated><link href="../posts/2?a=1#c"/>
<link rel="enclosure" href="audio.mp3" type="audio/mpeg" length="10"/></entry>
</feed>"#;
        let all = items(xml);
        assert_eq!(
            all[0].link.as_deref(),
            Some("https://blog.example.org/zh/posts/1")
        );
        assert_eq!(
            all[1].link.as_deref(),
            Some("https://blog.example.org/posts/2?a=1#c")
        );
    }

    #[test]
    fn protocol_relative_and_chinese_iri_links_become_absolute_uris() {
        let xml = r#"<rss version="2.0"><channel><title>t</title><link>https://news.example.com/</link><description>d</description>
<item><title>a</title><guid>a</guid><link>//cdn.example.cn/news/1.html</link>
<description><![CDATA[<a href="//m.example.cn/x">m</a><img src="//img.example.cn/p.png">]]></description></item>
<item><title>b</title><guid>b</guid><link>https://例子.中国/新闻/跨境电商?标签=亚马逊</link></item>
<item><title>c</title><guid>c</guid><link>/资讯/2026/亚马逊.html</link></item>
</channel></rss>"#;
        let all = items(xml);
        assert_eq!(
            all[0].link.as_deref(),
            Some("https://cdn.example.cn/news/1.html")
        );
        let summary = all[0].summary.as_deref().unwrap();
        assert!(
            summary.contains("href=\"https://m.example.cn/x\""),
            "{summary}"
        );
        assert!(
            summary.contains("src=\"https://img.example.cn/p.png\""),
            "{summary}"
        );
        // An IRI becomes a URI readers can fetch: punycode host, percent-encoded path and query.
        assert_eq!(
            all[1].link.as_deref(),
            Some(
                "https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB/%E8%B7%A8%E5%A2%83%E7%94%B5%E5%95%86?%E6%A0%87%E7%AD%BE=%E4%BA%9A%E9%A9%AC%E9%80%8A"
            )
        );
        assert_eq!(
            all[2].link.as_deref(),
            Some(
                "https://news.example.com/%E8%B5%84%E8%AE%AF/2026/%E4%BA%9A%E9%A9%AC%E9%80%8A.html"
            )
        );
    }

    #[test]
    fn data_urls_are_dropped_and_lazy_placeholders_give_way_to_the_real_image() {
        // Policy: data: URLs are dropped everywhere (a data:image in an <img> is either a
        // lazy-loading placeholder, replaced by its data-src, or an inline blob readers do not
        // need); script URLs never survive.
        let xml = r#"<rss version="2.0"><channel><title>t</title><link>https://news.example.com/</link><description>d</description>
<item><title>a</title><guid>a</guid><description><![CDATA[<img src="data:image/png;base64,iVBOR" alt="inline"><img src="data:image/gif;base64,R0l" data-original="/real.jpg"><a href="data:text/html,x">d</a>]]></description></item>
</channel></rss>"#;
        let summary = items(xml)[0].summary.clone().unwrap();
        assert!(!summary.contains("data:"), "{summary}");
        assert!(
            summary.contains("https://news.example.com/real.jpg"),
            "{summary}"
        );
    }

    #[test]
    fn permalink_guids_rdf_about_and_dcterms_dates_are_read() {
        let rss = r#"<rss version="2.0"><channel><title>t</title><link>https://news.example.com/</link><description>d</description>
<item><title>a</title><guid>https://news.example.com/a</guid></item>
<item><title>b</title><guid isPermaLink="false">https://news.example.com/b</guid></item>
<item><title>c</title><guid>kx-3</guid></item>
</channel></rss>"#;
        let got = items(rss);
        assert_eq!(got[0].link.as_deref(), Some("https://news.example.com/a"));
        assert_eq!(got[1].link, None, "isPermaLink=false: not a link");
        assert_eq!(got[2].link, None);
        let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://rdf.example.com/index.rdf"><title>t</title><link>https://rdf.example.com/</link><description>d</description></channel>
<item rdf:about="https://rdf.example.com/1"><title>x</title><link>https://rdf.example.com/1.html</link></item></rdf:RDF>"#;
        let got = items(rdf);
        assert_eq!(got[0].guid.as_deref(), Some("https://rdf.example.com/1"));
        let dc = r#"<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/"><channel><title>t</title><link>https://n.example.com/</link><description>d</description>
<item><title>a</title><guid>a1</guid><pubDate>Tue, 24 Nov 2026 02:00:00 GMT</pubDate><dcterms:modified>2026-11-25T10:00:00Z</dcterms:modified></item>
<item><title>b</title><guid>b1</guid><dcterms:issued>2026-11-23T08:00:00+08:00</dcterms:issued></item>
</channel></rss>"#;
        let dated = items(dc);
        let rfc = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339());
        assert_eq!(
            rfc(dated[0].updated).as_deref(),
            Some("2026-11-25T10:00:00+00:00")
        );
        assert_eq!(
            rfc(dated[0].published).as_deref(),
            Some("2026-11-24T02:00:00+00:00")
        );
        assert_eq!(
            rfc(dated[1].published).as_deref(),
            Some("2026-11-23T00:00:00+00:00")
        );
        assert_eq!(
            got[0].link.as_deref(),
            Some("https://rdf.example.com/1.html")
        );
    }

    #[test]
    fn older_formats_parse_to_the_same_fields() {
        let atom03 = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>
<link rel="alternate" type="text/html" href="https://old.example.com/"/><modified>2026-11-20T10:00:00Z</modified>
<entry><title>亚马逊旺季备货</title><link rel="alternate" type="text/html" href="https://old.example.com/e/1"/>
<id>tag:old.example.com,2026:1</id><issued>2026-11-20T08:00:00+08:00</issued><modified>2026-11-20T09:00:00Z</modified>
<author><name>编辑部</name></author><content type="text/html" mode="escaped">&lt;p&gt;正文&lt;/p&gt;</content></entry></feed>"#;
        let rss091 = r#"<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old RSS</title><link>https://rss.example.com/</link><description>d</description><language>zh-cn</language>
<item><title>Lazada 大促</title><link>https://rss.example.com/1</link><description>0.91 item</description></item></channel></rss>"#;
        let rss090 = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>RSS 0.90</title><link>https://rdf.example.com/</link><description>d</description></channel>
<item><title>Shopee news</title><link>https://rdf.example.com/1</link></item></rdf:RDF>"#;
        let json10 = r#"{"version": "https://jsonfeed.org/version/1", "title": "JSON 1.0", "home_page_url": "https://j.example.com/",
"items": [{"id": "j1", "url": "https://j.example.com/1", "title": "Temu 新政", "content_html": "<p>x</p>",
"date_published": "2026-11-20T08:00:00+08:00", "author": {"name": "小王"}, "tags": ["跨境"]}]}"#;

        let a = &items(atom03)[0];
        assert_eq!(a.title.as_deref(), Some("亚马逊旺季备货"));
        assert_eq!(a.link.as_deref(), Some("https://old.example.com/e/1"));
        assert_eq!(a.guid.as_deref(), Some("tag:old.example.com,2026:1"));
        assert_eq!(
            a.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-20T00:00:00+00:00")
        );
        assert_eq!(a.authors, vec!["编辑部".to_owned()]);
        assert!(
            a.content
                .as_deref()
                .or(a.summary.as_deref())
                .unwrap_or("")
                .contains("正文")
        );

        let r = &items(rss091)[0];
        assert_eq!(r.title.as_deref(), Some("Lazada 大促"));
        assert_eq!(r.link.as_deref(), Some("https://rss.example.com/1"));
        assert_eq!(r.language.as_deref(), Some("zh-cn"));

        let o = &items(rss090)[0];
        assert_eq!(o.title.as_deref(), Some("Shopee news"));
        assert_eq!(o.link.as_deref(), Some("https://rdf.example.com/1"));

        let j = &items(json10)[0];
        assert_eq!(j.guid.as_deref(), Some("j1"));
        assert_eq!(j.title.as_deref(), Some("Temu 新政"));
        assert_eq!(j.authors, vec!["小王".to_owned()]);
        assert_eq!(j.categories, vec!["跨境".to_owned()]);
        assert_eq!(
            j.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-11-20T00:00:00+00:00")
        );
    }

    #[test]
    fn language_comes_from_the_feed_else_from_the_text() {
        let feed = |lang: &str, title: &str, body: &str| {
            format!(
                r#"<rss version="2.0"><channel><title>t</title><link>https://e.com/</link><description>d</description>{lang}<item><title>{title}</title><link>https://e.com/1</link><description>{body}</description></item></channel></rss>"#
            )
        };
        let declared = items(&feed("<language>zh-CN</language>", "Amazon", "sellers"));
        assert_eq!(declared[0].language.as_deref(), Some("zh-cn"));
        let chinese = items(&feed(
            "",
            "亚马逊发布旺季备货指南",
            "卖家需要提前规划库存，避免在黑色星期五期间断货，同时关注物流时效的变化。",
        ));
        assert_eq!(chinese[0].language.as_deref(), Some("zh"));
        let english = items(&feed(
            "",
            "Amazon trims referral fees",
            "Clothing listed under fifteen dollars will pay a lower referral fee from January, the company told sellers.",
        ));
        assert_eq!(english[0].language.as_deref(), Some("en"));
        let unsure = items(&feed("", "OK", ""));
        assert_eq!(unsure[0].language, None, "too little text: no guess");
        // The text is read, not the first bytes of markup: 5 KB of empty paragraphs before it
        // hide nothing.
        let padded = items(&feed(
            "",
            "OK",
            &format!(
                "<![CDATA[{}<p>卖家需要提前规划库存，避免在旺季断货。</p>]]>",
                "<p></p>".repeat(750)
            ),
        ));
        assert_eq!(padded[0].language.as_deref(), Some("zh"));
    }

    #[test]
    fn the_plain_text_given_with_an_item_is_its_sanitized_text() {
        let xml = r#"<rss version="2.0"><channel><title>t</title><link>https://e.com/</link><description>d</description>
<item><title>a</title><guid>1</guid><description><![CDATA[<p>Tik<b>Tok</b> Shop</p><p>美区 &amp; 东南亚</p>]]></description></item>
<item><title>b</title><guid>2</guid></item></channel></rss>"#;
        let url = Url::parse("https://e.com/feed").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap();
        let feed = parse_feed(xml.as_bytes(), None, Tz::Asia__Shanghai, now).unwrap();
        let ctx = Context {
            fetch_url: &url,
            fetched_at: now,
        };
        let got = normalize_feed_with_text(&feed, &ctx);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].1.summary.as_deref(),
            Some("TikTok Shop 美区 & 东南亚")
        );
        assert_eq!(got[1].1.summary, None);
        for (item, plain) in &got {
            assert_eq!(plain, &PlainText::of(item));
        }
        let items: Vec<Item> = got.into_iter().map(|(item, _)| item).collect();
        assert_eq!(items, normalize_feed(&feed, &ctx));
    }

    #[test]
    fn english_is_told_by_its_function_words_and_others_are_not_taken_for_it() {
        assert!(looks_english(
            "Amazon said the new fees will apply to sellers in the US"
        ));
        // ASCII, but Indonesian and Spanish without accents: not English.
        assert!(!looks_english(
            "Shopee Indonesia memperluas layanan gratis ongkir untuk penjual di Jakarta"
        ));
        assert!(!looks_english(
            "Shopee amplia los envios gratis en Mexico para vendedores"
        ));
        // German shares "in", "was" and "will", but never "the" or "and".
        assert!(!looks_english(
            "Was Amazon in Europa will, ist ein neues Lager in Polen"
        ));
        // A Chinese name in English text does not hide the English.
        assert!(looks_english("Sellers said the fees of 亚马逊 are rising"));
    }

    #[test]
    fn images_and_itunes_authors_are_picked_up() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>Pod</title><link>https://pod.example.com/</link><description>d</description>
<item><title>Ep 1</title><guid>e1</guid><itunes:author>跨境播客 &amp; 朋友</itunes:author>
<itunes:image href="/art/e1.jpg"/><enclosure url="https://pod.example.com/e1.mp3" type="audio/mpeg" length="9"/></item>
<item><title>Ep 2</title><guid>e2</guid>
<media:thumbnail url="https://cdn.example.com/small.jpg" width="120"/>
<media:thumbnail url="https://cdn.example.com/large.jpg" width="640"/></item>
<item><title>Ep 3</title><guid>e3</guid><description><![CDATA[<p>x <img data-src="/lazy.png" src="data:image/gif;base64,R0l"></p>]]></description></item>
<item><title>Ep 4</title><guid>e4</guid><description>no picture</description></item>
</channel></rss>"#;
        let got = items(xml);
        assert_eq!(
            got[0].image.as_deref(),
            Some("https://pod.example.com/art/e1.jpg")
        );
        assert_eq!(got[0].authors, vec!["跨境播客 & 朋友".to_owned()]);
        assert_eq!(
            got[1].image.as_deref(),
            Some("https://cdn.example.com/large.jpg")
        );
        assert_eq!(
            got[2].image.as_deref(),
            Some("https://pod.example.com/lazy.png")
        );
        assert_eq!(got[3].image, None);
    }

    #[test]
    fn repeated_guids_are_told_apart_by_link() {
        let xml = r#"<rss version="2.0"><channel><title>t</title><link>https://e.com/</link><description>d</description>
<item><guid>same</guid><link>https://e.com/1</link><title>1</title></item>
<item><guid>same</guid><link>https://e.com/2</link><title>2</title></item></channel></rss>"#;
        let all = items(xml);
        assert_ne!(all[0].id, all[1].id);
        assert_eq!(all[0].guid.as_deref(), Some("same"));
    }
}
