//! What feed-rs leaves out, read from the document after it: permalink guids, dcterms dates,
//! rdf:about ids, pictures and authors given only by extensions, the Dublin Core, iTunes and media
//! RSS values that stand in for an item's own, and xml:lang and xml:base on items.

use std::ops::Range;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feed_rs::model::Feed;

use super::{alternate_link, dates, markup};

/// RSS 2.0: a `<guid>` is a permalink unless it says `isPermaLink="false"`; an item without a
/// `<link>` is read at its permalink guid (feed-rs does not look at the attribute).
pub(super) fn permalink_guids(feed: &mut Feed, text: &str) {
    let items = markup::find_tags(text, "item");
    if items.len() != feed.entries.len() || !text.contains("<guid") {
        return;
    }
    let mut permalink = vec![false; items.len()];
    for tag in markup::find_tags(text, "guid") {
        if let Some(i) = item_at(&items, tag.start) {
            permalink[i] = !markup::attributes(&text[tag])
                .iter()
                .any(|a| a.name == "ispermalink" && a.value.trim().eq_ignore_ascii_case("false"));
        }
    }
    for (entry, permalink) in feed.entries.iter_mut().zip(permalink) {
        let id = entry.id.trim();
        let is_web = id.starts_with("http://") || id.starts_with("https://");
        if permalink && is_web && entry.links.is_empty() {
            entry.links.push(alternate_link(id));
        }
    }
}

/// Dublin Core terms dates, which feed-rs does not read: `dcterms:modified` is when an item
/// changed, `dcterms:issued` (else `dcterms:created`) when it was published.
pub(super) fn dcterms_dates(feed: &mut Feed, text: &str, tz: Tz, now: DateTime<Utc>) {
    if !text.contains("<dcterms:") {
        return;
    }
    let items = markup::find_tags(text, "item");
    if items.len() != feed.entries.len() {
        return;
    }
    let read = |name: &str| -> Vec<Option<DateTime<Utc>>> {
        let mut out = vec![None; items.len()];
        for tag in markup::find_tags(text, name) {
            let Some(i) = item_at(&items, tag.start) else {
                continue;
            };
            if out[i].is_none() {
                out[i] = element_text(text, &items, &tag, name)
                    .and_then(|value| dates::parse_date(&value, tz, now));
            }
        }
        out
    };
    let modified = read("dcterms:modified");
    let issued = read("dcterms:issued");
    let created = read("dcterms:created");
    for (i, entry) in feed.entries.iter_mut().enumerate() {
        // feed-rs copies an RSS 2.0 pubDate into `updated`; a real modification date wins.
        let copied = entry.updated.is_some() && entry.updated == entry.published;
        if let Some(m) = modified[i]
            && (entry.updated.is_none() || copied)
        {
            entry.updated = Some(m);
        }
        if entry.published.is_none() {
            entry.published = issued[i].or(created[i]);
        }
    }
}

/// RSS 1.0: an item's `rdf:about` is its identifier (feed-rs leaves the id empty).
pub(super) fn rdf_about_ids(feed: &mut Feed, text: &str) {
    let items = markup::find_tags(text, "item");
    if items.len() != feed.entries.len() {
        return;
    }
    for (entry, range) in feed.entries.iter_mut().zip(items) {
        if !entry.id.is_empty() {
            continue;
        }
        if let Some(about) = markup::attributes(&text[range])
            .into_iter()
            .find(|a| a.name == "rdf:about")
        {
            entry.id = html_escape::decode_html_entities(about.value.trim()).into_owned();
        }
    }
}

/// feed-rs keeps an item's `<itunes:image>`, `<itunes:author>` and `<media:thumbnail>` only
/// when the item also has a title, description or content in that namespace; feeds often give
/// just the picture and the author. Read them from the document and add them where feed-rs has
/// none. Items (`item_tag` elements) are matched by position, so nothing is added when the
/// counts disagree.
pub(super) fn supplement_media(feed: &mut Feed, text: &str, item_tag: &str) {
    use feed_rs::model::{Image, MediaObject, MediaThumbnail, Person};
    if !text.contains("<itunes:image")
        && !text.contains("<itunes:author")
        && !text.contains("<media:thumbnail")
    {
        return;
    }
    let items = markup::find_tags(text, item_tag);
    if items.len() != feed.entries.len() {
        return;
    }
    let item_of = |at: usize| item_at(&items, at);
    let mut images: Vec<Vec<(String, Option<u32>)>> = vec![Vec::new(); items.len()];
    for (name, attr) in [("media:thumbnail", "url"), ("itunes:image", "href")] {
        for tag in markup::find_tags(text, name) {
            let Some(i) = item_of(tag.start) else {
                continue;
            };
            let attrs = markup::attributes(&text[tag]);
            let value = |n: &str| {
                attrs
                    .iter()
                    .find(|a| a.name == n)
                    .map(|a| html_escape::decode_html_entities(a.value.trim()).into_owned())
            };
            if let Some(uri) = value(attr).filter(|v| !v.is_empty()) {
                images[i].push((uri, value("width").and_then(|w| w.parse().ok())));
            }
        }
    }
    let mut authors: Vec<Option<String>> = vec![None; items.len()];
    for tag in markup::find_tags(text, "itunes:author") {
        if let Some(i) = item_of(tag.start)
            && authors[i].is_none()
        {
            authors[i] = element_text(text, &items, &tag, "itunes:author");
        }
    }
    for ((entry, image), author) in feed.entries.iter_mut().zip(images).zip(authors) {
        let has_image = entry.media.iter().any(|m| !m.thumbnails.is_empty());
        if !has_image && !image.is_empty() {
            let mut media = MediaObject::default();
            for (uri, width) in image {
                media.thumbnails.push(MediaThumbnail {
                    image: Image {
                        uri,
                        title: None,
                        link: None,
                        width,
                        height: None,
                        description: None,
                    },
                    time: None,
                });
            }
            entry.media.push(media);
        }
        let has_credit = entry.media.iter().any(|m| !m.credits.is_empty());
        if let Some(name) = author.filter(|_| !has_credit)
            && !entry
                .authors
                .iter()
                .any(|p| p.name.as_deref() == Some(&name))
        {
            entry.authors.push(Person {
                name: Some(name),
                uri: None,
                email: None,
                role: None,
            });
        }
    }
}

/// Dublin Core and iTunes elements that stand in for an RSS item's own, which feed-rs ignores:
/// `dc:subject` is a category; `dc:title` (else `media:title`) is the title of an item without
/// `<title>`; `dc:description` is the summary of an item without `<description>`; and the
/// comma-separated `itunes:keywords` are the categories of an item that has none of its own.
pub(super) fn item_extension_fallbacks(feed: &mut Feed, text: &str) {
    const NAMES: [&str; 8] = [
        "<dc:subject",
        "<dc:title",
        "<media:title",
        "<dc:description",
        "<dc:author",
        "<itunes:keywords",
        "<itunes:category",
        "<media:category",
    ];
    if !NAMES.iter().any(|t| text.contains(t)) {
        return;
    }
    let items = markup::find_tags(text, "item");
    if items.len() != feed.entries.len() {
        return;
    }
    let typed = |main, sub, content| feed_rs::model::Text {
        content_type: mediatype::MediaTypeBuf::new(main, sub),
        src: None,
        content,
    };
    let entries = &mut feed.entries;
    for name in ["dc:title", "media:title"] {
        for (i, title) in texts_by_item(text, &items, name) {
            if entries[i].title.is_none() {
                let plain = typed(mediatype::names::TEXT, mediatype::names::PLAIN, title);
                entries[i].title = Some(plain);
            }
        }
    }
    for (i, summary) in texts_by_item(text, &items, "dc:description") {
        if entries[i].summary.is_none() {
            // Like RSS's own description: HTML, escaped or not.
            entries[i].summary = Some(typed(
                mediatype::names::TEXT,
                mediatype::names::HTML,
                summary,
            ));
        }
    }
    for (i, subject) in texts_by_item(text, &items, "dc:subject") {
        add_category(&mut entries[i], &subject);
    }
    // dc:author is not Dublin Core (dc:creator is), but feeds write it for the byline.
    for (i, name) in texts_by_item(text, &items, "dc:author") {
        if entries[i].authors.is_empty() {
            entries[i].authors.push(feed_rs::model::Person {
                name: Some(name),
                uri: None,
                email: None,
                role: None,
            });
        }
    }
    extension_categories(entries, text, &items);
}

/// Categories for items without their own: `itunes:category` (Apple defines it for the channel;
/// items that carry one, nested for a subcategory, mean it as theirs) and `media:category`
/// (named by its label, else its text); failing both, the comma-separated `itunes:keywords`.
fn extension_categories(entries: &mut [feed_rs::model::Entry], text: &str, items: &[Range<usize>]) {
    let own: Vec<bool> = entries.iter().map(|e| !e.categories.is_empty()).collect();
    let attr = |tag: &Range<usize>, name: &str| markup::attribute(&text[tag.clone()], name);
    let itunes = markup::find_tags(text, "itunes:category")
        .into_iter()
        .map(|tag| (attr(&tag, "text"), tag));
    let media = markup::find_tags(text, "media:category")
        .into_iter()
        .map(|tag| {
            let term =
                attr(&tag, "label").or_else(|| element_text(text, items, &tag, "media:category"));
            (term, tag)
        });
    for (term, tag) in itunes.chain(media) {
        if let (Some(i), Some(term)) = (item_at(items, tag.start), term)
            && !own[i]
        {
            add_category(&mut entries[i], &term);
        }
    }
    let own: Vec<bool> = entries.iter().map(|e| !e.categories.is_empty()).collect();
    for (i, keywords) in texts_by_item(text, items, "itunes:keywords") {
        if own[i] {
            continue;
        }
        for keyword in keywords.split([',', '，']).map(str::trim) {
            if !keyword.is_empty() {
                add_category(&mut entries[i], keyword);
            }
        }
    }
}

fn add_category(entry: &mut feed_rs::model::Entry, term: &str) {
    if !entry.categories.iter().any(|c| c.term == term) {
        entry.categories.push(feed_rs::model::Category::new(term));
    }
}

/// The text of each `name` element inside an item, with that item's position.
fn texts_by_item<'a>(
    text: &'a str,
    items: &'a [Range<usize>],
    name: &'a str,
) -> impl Iterator<Item = (usize, String)> + 'a {
    markup::find_tags(text, name)
        .into_iter()
        .filter_map(move |tag| {
            Some((
                item_at(items, tag.start)?,
                element_text(text, items, &tag, name)?,
            ))
        })
}

pub(super) fn item_at(items: &[std::ops::Range<usize>], at: usize) -> Option<usize> {
    items.partition_point(|r| r.start < at).checked_sub(1)
}

/// The text of the element whose start tag is at `tag` (CDATA unwrapped, entities decoded,
/// trimmed), or None when it is empty or not closed. Its end tag is looked for only before the
/// next item starts (`items`, as for [`item_at`]): an element left open must not send every
/// such search to the end of the document.
pub(super) fn element_text(
    text: &str,
    items: &[std::ops::Range<usize>],
    tag: &std::ops::Range<usize>,
    name: &str,
) -> Option<String> {
    if text[tag.clone()].ends_with("/>") {
        return None;
    }
    let limit = items
        .get(items.partition_point(|r| r.start < tag.start))
        .map_or(text.len(), |next| next.start)
        .max(tag.end);
    let rest = &text[tag.end..limit];
    let end = rest.find(&format!("</{name}>"))?;
    let value = rest[..end].trim();
    let value = value
        .strip_prefix("<![CDATA[")
        .and_then(|v| v.strip_suffix("]]>"))
        .unwrap_or(value);
    let value = html_escape::decode_html_entities(value.trim()).into_owned();
    (!value.is_empty()).then_some(value)
}

/// `xml:lang` and `xml:base` on an item or entry element (feed-rs reads them only on Atom
/// `<content>`): the entry's language, and the base its content's relative URLs resolve
/// against. An entry without its own base takes the root element's.
pub(super) fn entry_attributes(feed: &mut Feed, text: &str, item_tag: &str) {
    if !text.contains("xml:lang") && !text.contains("xml:base") {
        return;
    }
    let items = markup::find_tags(text, item_tag);
    if items.len() != feed.entries.len() {
        return;
    }
    let attr = |range: &Range<usize>, name: &str| markup::attribute(&text[range.clone()], name);
    let root_base = ["feed", "rss", "channel"]
        .iter()
        .filter_map(|t| markup::find_tags(text, t).into_iter().next())
        .filter(|r| items.first().is_none_or(|i| r.start < i.start))
        .find_map(|r| attr(&r, "xml:base"));
    for (entry, range) in feed.entries.iter_mut().zip(&items) {
        if let Some(lang) = attr(range, "xml:lang") {
            entry.language = Some(lang);
        }
        if entry.base.is_none() {
            entry.base = match (attr(range, "xml:base"), &root_base) {
                (Some(own), Some(root)) => Some(
                    url::Url::parse(root)
                        .and_then(|r| r.join(&own))
                        .map_or(own, String::from),
                ),
                (own, root) => own.or_else(|| root.clone()),
            };
        }
    }
}
