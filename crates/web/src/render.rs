//! Stored items as feeds: RSS 2.0 (the `rss` crate), Atom 1.0 (`atom_syndication`) and JSON
//! Feed 1.1 (serde). Items link to the original article; ids are stable UUIDs derived from the
//! source and the item's identity, so they survive a change of `public_url`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::domain::Format;
use crate::domain::{StoredItem, instant};
use crate::text::text_of_sanitized;

/// Namespace for item UUIDs (v5): fixed forever, or every reader sees every item as new.
const ITEM_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1f_3a52_8d0e_4b7a_9f21_c0ff_eefe_ed01);

/// Longest plain-text excerpt used as a title for an item that has none.
const UNTITLED_EXCERPT: usize = 80;

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// The URL the feed was requested at, query included.
    pub self_url: String,
    /// The human-readable page the feed belongs to.
    pub home_url: String,
    /// Newest change among the items (or now, for an empty feed).
    pub updated: DateTime<Utc>,
    /// The next (older) page, when there may be one (RFC 5005 paged feeds).
    pub next_url: Option<String>,
    /// The first (newest) page, on every later page.
    pub first_url: Option<String>,
    /// The WebSub hub readers may subscribe at.
    pub hub_url: Option<String>,
}

impl FeedMeta {
    /// The paging links as (rel, href).
    fn paging(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("next", &self.next_url),
            ("first", &self.first_url),
            ("hub", &self.hub_url),
        ]
        .into_iter()
        .filter_map(|(rel, url)| url.as_deref().map(|u| (rel, u)))
    }
}

/// What the feeds show about each item's source.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub title: String,
    pub url: String,
}

/// The stable public id of an item: `urn:uuid:` of a v5 UUID over source and identity.
pub fn item_urn(item: &StoredItem) -> String {
    let name = format!("{}\n{}", item.source_id, item.item.id);
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&ITEM_NAMESPACE, name.as_bytes())
    )
}

/// A title for every item: its own, else the start of its text.
fn display_title(item: &StoredItem) -> String {
    if let Some(t) = item.item.title.as_deref().filter(|t| !t.is_empty()) {
        return t.to_owned();
    }
    let text = item.item.summary_text();
    if text.is_empty() {
        return "(untitled)".to_owned();
    }
    let mut excerpt: String = text.chars().take(UNTITLED_EXCERPT).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    excerpt
}

/// The date an item is filed under: published, else updated, else first seen.
fn item_date(item: &StoredItem) -> DateTime<Utc> {
    item.item
        .published
        .or(item.item.updated)
        .unwrap_or(item.sort_at)
}

/// The item's HTML (content, else summary) followed, for a story other sources also carried,
/// by "Also reported by" with a link to each of them.
fn body_with_reports(item: &StoredItem, sources: &HashMap<String, SourceInfo>) -> Option<String> {
    let body = item
        .item
        .content
        .as_deref()
        .or(item.item.summary.as_deref());
    if item.also_reported_by.is_empty() {
        return body.map(str::to_owned);
    }
    let mut seen: Vec<&str> = Vec::new();
    let links: Vec<String> = item
        .also_reported_by
        .iter()
        .filter(|m| m.source_id != item.source_id)
        .filter(|m| {
            let fresh = !seen.contains(&m.source_id.as_str());
            seen.push(m.source_id.as_str());
            fresh
        })
        .map(|m| {
            let name = sources
                .get(m.source_id.as_str())
                .map_or(m.source_id.as_str(), |s| s.title.as_str());
            let name = html_escape::encode_text(name);
            match m.link.as_deref().filter(|l| is_web_url(l)) {
                Some(link) => format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{name}</a>",
                    html_escape::encode_double_quoted_attribute(link)
                ),
                None => name.into_owned(),
            }
        })
        .collect();
    if links.is_empty() {
        return body.map(str::to_owned);
    }
    Some(format!(
        "{}<p>Also reported by 另见: {}</p>",
        body.unwrap_or(""),
        links.join(", ")
    ))
}

fn is_web_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// Render `items` in `format`.
pub fn render(
    format: Format,
    meta: &FeedMeta,
    items: &[StoredItem],
    sources: &HashMap<String, SourceInfo>,
) -> String {
    match format {
        Format::Rss => rss(meta, items, sources),
        Format::Atom => atom(meta, items, sources),
        Format::Json => json(meta, items, sources),
    }
}

fn rss(meta: &FeedMeta, items: &[StoredItem], sources: &HashMap<String, SourceInfo>) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;

    let entries = items
        .iter()
        .map(|s| {
            let i = &s.item;
            let enclosure = i.enclosures.first().map(|e| rss::Enclosure {
                url: e.url.clone(),
                length: e.length.unwrap_or(0).to_string(),
                mime_type: e
                    .mime_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
            });
            let source = sources
                .get(s.source_id.as_str())
                .filter(|src| is_web_url(&src.url))
                .map(|src| rss::Source {
                    url: src.url.clone(),
                    title: Some(src.title.clone()),
                });
            rss::Item {
                title: Some(display_title(s)),
                link: i.link.clone(),
                description: i.summary.clone().or_else(|| i.content.clone()),
                content: body_with_reports(s, sources),
                guid: Some(rss::Guid {
                    value: item_urn(s),
                    permalink: false,
                }),
                pub_date: Some(instant::rfc2822(item_date(s))),
                categories: i
                    .categories
                    .iter()
                    .map(|c| rss::Category {
                        name: c.clone(),
                        domain: None,
                    })
                    .collect(),
                enclosure,
                source,
                dublin_core_ext: (!i.authors.is_empty()).then(|| DublinCoreExtension {
                    creators: i.authors.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.home_url.clone(),
        description: meta.description.clone(),
        language: main_language(items),
        last_build_date: Some(instant::rfc2822(meta.updated)),
        generator: Some(generator()),
        atom_ext: Some(AtomExtension {
            links: std::iter::once(Link {
                href: meta.self_url.clone(),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            })
            .chain(meta.paging().map(|(rel, href)| Link {
                href: href.to_owned(),
                rel: rel.into(),
                mime_type: (rel != "hub").then(|| "application/rss+xml".into()),
                ..Default::default()
            }))
            .collect(),
        }),
        items: entries,
        ..Default::default()
    };
    channel.to_string()
}

fn atom(meta: &FeedMeta, items: &[StoredItem], sources: &HashMap<String, SourceInfo>) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text};

    let link = |href: &str, rel: &str, mime: Option<&str>| Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    };
    let mut used_updated = std::collections::HashSet::new();
    let entries = items
        .iter()
        .map(|s| {
            let i = &s.item;
            let mut links: Vec<Link> = i.link.iter().map(|l| link(l, "alternate", None)).collect();
            links.extend(i.enclosures.iter().map(|e| Link {
                length: e.length.map(|l| l.to_string()),
                ..link(&e.url, "enclosure", e.mime_type.as_deref())
            }));
            let mut updated = instant::shown(i.updated.or(i.published).unwrap_or(s.sort_at));
            // Two entries with the same atom:updated make validators warn; stories from
            // different sites often carry the same minute. A millisecond apart says the same.
            while !used_updated.insert(updated) {
                updated -= chrono::Duration::milliseconds(1);
            }
            // atom:source names where the entry came from; its id must be a full URL.
            let source = sources
                .get(s.source_id.as_str())
                .filter(|src| is_web_url(&src.url))
                .map(|src| atom_syndication::Source {
                    title: Text::plain(src.title.clone()),
                    id: src.url.clone(),
                    updated: updated.fixed_offset(),
                    links: vec![link(&src.url, "self", None)],
                    ..Default::default()
                });
            Entry {
                title: Text::plain(display_title(s)),
                id: item_urn(s),
                updated: updated.fixed_offset(),
                published: i.published.map(|d| instant::shown(d).fixed_offset()),
                authors: i
                    .authors
                    .iter()
                    .map(|a| Person {
                        name: a.clone(),
                        ..Default::default()
                    })
                    .collect(),
                links,
                summary: i.summary.clone().map(Text::html),
                content: body_with_reports(s, sources).map(|c| Content {
                    value: Some(c),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                categories: i
                    .categories
                    .iter()
                    .map(|c| Category {
                        term: c.clone(),
                        ..Default::default()
                    })
                    .collect(),
                source,
                ..Default::default()
            }
        })
        .collect();
    let feed =
        Feed {
            title: Text::plain(meta.title.clone()),
            id: meta
                .self_url
                .split('?')
                .next()
                .unwrap_or(&meta.self_url)
                .to_owned(),
            updated: instant::shown(meta.updated).fixed_offset(),
            subtitle: Some(Text::plain(meta.description.clone())),
            // Atom wants an author on every entry; the feed's stands in for entries without one.
            authors: vec![Person {
                name: "crossfeed".into(),
                ..Default::default()
            }],
            links: [
                link(&meta.self_url, "self", Some("application/atom+xml")),
                link(&meta.home_url, "alternate", Some("text/html")),
            ]
            .into_iter()
            .chain(meta.paging().map(|(rel, href)| {
                link(href, rel, (rel != "hub").then_some("application/atom+xml"))
            }))
            .collect(),
            generator: Some(Generator {
                value: "crossfeed".into(),
                uri: Some(env!("CARGO_PKG_REPOSITORY").into()),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            entries,
            ..Default::default()
        };
    feed.to_string()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<JsonHub<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonHub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
    /// Our extension (JSON Feed allows keys starting with `_`).
    _crossfeed: JsonExtension<'a>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct JsonExtension<'a> {
    about: &'static str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_title: Option<&'a str>,
    topics: Vec<&'a str>,
    /// How many items tell this story, and where the others are.
    cluster_size: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    also_reported_by: Vec<JsonReport<'a>>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

fn json(meta: &FeedMeta, items: &[StoredItem], sources: &HashMap<String, SourceInfo>) -> String {
    let items = items
        .iter()
        .map(|s| {
            let i = &s.item;
            JsonItem {
                id: item_urn(s),
                url: i.link.as_deref(),
                title: display_title(s),
                // JSON Feed requires content_html or content_text; the summary stands in.
                content_html: body_with_reports(s, sources),
                summary: i.summary.as_deref().map(text_of_sanitized),
                date_published: instant::rfc3339(item_date(s)),
                date_modified: i.updated.map(instant::rfc3339),
                authors: i.authors.iter().map(|a| JsonAuthor { name: a }).collect(),
                tags: i.categories.iter().map(String::as_str).collect(),
                language: i.language.as_deref(),
                image: i.image.as_deref(),
                attachments: i
                    .enclosures
                    .iter()
                    .map(|e| JsonAttachment {
                        url: &e.url,
                        mime_type: e.mime_type.as_deref().unwrap_or("application/octet-stream"),
                        size_in_bytes: e.length,
                    })
                    .collect(),
                _crossfeed: JsonExtension {
                    about: env!("CARGO_PKG_REPOSITORY"),
                    source: s.source_id.as_str(),
                    source_title: sources
                        .get(s.source_id.as_str())
                        .map(|src| src.title.as_str()),
                    topics: s.topics.iter().map(|t| t.slug.as_str()).collect(),
                    cluster_size: s.cluster_size(),
                    also_reported_by: s
                        .also_reported_by
                        .iter()
                        .map(|m| JsonReport {
                            source: m.source_id.as_str(),
                            url: m.link.as_deref(),
                            title: m.title.as_deref(),
                        })
                        .collect(),
                },
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.home_url,
        feed_url: &meta.self_url,
        description: &meta.description,
        next_url: meta.next_url.as_deref(),
        hubs: meta
            .hub_url
            .iter()
            .map(|url| JsonHub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items,
    };
    serde_json::to_string_pretty(&feed).unwrap_or_else(|_| "{}".to_owned())
}

/// The language most of the items are in (their primary subtag: "zh" for zh-CN and zh-TW
/// alike), for a channel's `<language>`; None when no item says.
fn main_language(items: &[StoredItem]) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for lang in items.iter().filter_map(|s| s.item.language.as_deref()) {
        let primary = lang
            .split(['-', '_'])
            .next()
            .unwrap_or(lang)
            .to_ascii_lowercase();
        if primary.is_empty() || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        match counts.iter_mut().find(|(l, _)| *l == primary) {
            Some((_, n)) => *n += 1,
            None => counts.push((primary, 1)),
        }
    }
    // Most items wins; on a tie, the language of the newest item.
    counts
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(l, _)| l)
}

fn generator() -> String {
    format!("crossfeed {}", env!("CARGO_PKG_VERSION"))
}
