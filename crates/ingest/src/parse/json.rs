//! JSON Feed before and after feed-rs: numeric ids, the leniency that keeps a feed with one
//! malformed part, and item pictures and attachments.

use std::borrow::Cow;

use feed_rs::model::Feed;

/// Why a document that feed-rs refused is not a feed, in words an operator can act on: the
/// root element it has instead ("an OPML subscription list"), or that it is not XML at all.
/// JSON Feed, before feed-rs reads it: item ids that are numbers become strings (the spec tells
/// readers to coerce them; feed-rs refuses the whole feed), and each item's `image` (else
/// `banner_image`), which feed-rs ignores, is returned by position.
pub(super) fn prepare_json<'a>(
    text: &'a str,
    repairs: &mut Vec<String>,
) -> (Cow<'a, str>, Vec<Option<String>>) {
    if !text.trim_start().starts_with('{') {
        return (Cow::Borrowed(text), Vec::new());
    }
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return (Cow::Borrowed(text), Vec::new());
    };
    let mut changed = json_feed_leniency(&mut doc, repairs);
    let Some(items) = doc.get_mut("items").and_then(|i| i.as_array_mut()) else {
        return (Cow::Borrowed(text), Vec::new());
    };
    let mut images = Vec::with_capacity(items.len());
    for item in items.iter_mut() {
        images.push(["image", "banner_image"].iter().find_map(|k| {
            item.get(*k)
                .and_then(|v| v.as_str())
                .filter(|v| !v.trim().is_empty())
                .map(str::to_owned)
        }));
        if let Some(id) = item.get_mut("id")
            && !id.is_string()
            && !id.is_null()
        {
            let coerced = match &*id {
                serde_json::Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            *id = serde_json::Value::String(coerced);
            changed = true;
        }
    }
    let text = if changed {
        serde_json::to_string(&doc).map_or(Cow::Borrowed(text), Cow::Owned)
    } else {
        Cow::Borrowed(text)
    };
    (text, images)
}

/// Where JSON Feed readers are lenient, so is crossfeed: one malformed part must not lose the
/// whole feed. A bare version ("1", "1.0", "1.1") is read as jsonfeed.org's, a missing title
/// as an empty one, and an attachment without a `url` or `mime_type` (both required) is
/// dropped with its item kept; each repair is noted for the source's warnings. A document
/// without any `version` or without an `items` list is no JSON Feed and stays refused.
pub(super) fn json_feed_leniency(doc: &mut serde_json::Value, repairs: &mut Vec<String>) -> bool {
    use serde_json::Value;
    let Some(feed) = doc.as_object_mut() else {
        return false;
    };
    if !feed.get("items").is_some_and(Value::is_array) {
        return false;
    }
    let mut changed = false;
    if let Some(Value::String(version)) = feed.get_mut("version") {
        let bare = version.trim().trim_start_matches(['v', 'V']);
        if matches!(bare, "1" | "1.0" | "1.1") {
            let full = if bare == "1.1" {
                "https://jsonfeed.org/version/1.1"
            } else {
                "https://jsonfeed.org/version/1"
            };
            repairs.push(format!("JSON Feed: \"version\": \"{bare}\" read as {full}"));
            *version = full.to_owned();
            changed = true;
        }
    }
    if feed.get("title").is_none_or(Value::is_null) {
        repairs.push("JSON Feed: no \"title\"; read as empty".to_owned());
        feed.insert("title".into(), Value::String(String::new()));
        changed = true;
    }
    let mut dropped = 0;
    if let Some(Value::Array(items)) = feed.get_mut("items") {
        for item in items.iter_mut() {
            let Some(Value::Array(attachments)) = item.get_mut("attachments") else {
                continue;
            };
            let before = attachments.len();
            attachments.retain(|a| {
                a.get("url").is_some_and(Value::is_string)
                    && a.get("mime_type").is_some_and(Value::is_string)
            });
            dropped += before - attachments.len();
        }
    }
    if dropped > 0 {
        repairs.push(format!(
            "JSON Feed: {dropped} attachment(s) without \"url\" or \"mime_type\" dropped (their items kept)"
        ));
        changed = true;
    }
    changed
}

/// JSON Feed after feed-rs: attachments (which feed-rs lists among the links, with a media
/// type, where the item's `url` has none) are marked as enclosures, and item images become
/// thumbnails.
pub(super) fn json_media(feed: &mut Feed, images: Vec<Option<String>>) {
    use feed_rs::model::{Image, MediaObject, MediaThumbnail};
    for e in &mut feed.entries {
        for link in e.links.iter_mut().filter(|l| l.media_type.is_some()) {
            link.rel = Some("enclosure".to_owned());
        }
    }
    if images.len() != feed.entries.len() {
        return;
    }
    for (e, image) in feed.entries.iter_mut().zip(images) {
        if let Some(uri) = image {
            let mut media = MediaObject::default();
            media.thumbnails.push(MediaThumbnail {
                image: Image {
                    uri,
                    title: None,
                    link: None,
                    width: None,
                    height: None,
                    description: None,
                },
                time: None,
            });
            e.media.push(media);
        }
    }
}
