//! Parsing and normalizing any bytes as a feed never panics; every item that comes out has a
//! 32-character identity, and its HTML carries no script, frame, style, handler or script URL.
//!
//! Seeds: `cargo +nightly fuzz run parse fuzz/corpus/parse tests/fixtures/corpus` starts from
//! the fixture feeds (every format, a dozen encodings, broken documents).
#![no_main]

use chrono::{TimeZone, Utc};
use crossfeed::normalize::{self, Context};
use crossfeed::parse::parse_feed;
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Elements that must never come out of the sanitizer.
const FORBIDDEN: &[&str] = &[
    "script", "iframe", "frame", "object", "embed", "style", "svg", "math", "form", "base", "meta",
    "link", "template",
];

/// Walk sanitized HTML as html5ever serializes it (text `<` escaped, attribute values in
/// double quotes) and fail on a forbidden element, an event handler or a script URL. Reading
/// the markup rather than matching a pattern: `onerror=` inside a quoted attribute value is
/// harmless text.
fn assert_clean(html: &str) {
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let tag = rest.trim_start_matches('/');
        let name_len = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        let name = tag[..name_len].to_ascii_lowercase();
        assert!(
            !FORBIDDEN.contains(&name.as_str()),
            "<{name}> survived: {html}"
        );
        let mut attrs = &tag[name_len..];
        if closing {
            rest = attrs;
            continue;
        }
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() || attrs.starts_with('>') || attrs.starts_with("/>") {
                break;
            }
            let attr_len = attrs
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .unwrap_or(attrs.len())
                .max(1);
            let attr = attrs[..attr_len].to_ascii_lowercase();
            attrs = attrs[attr_len..].trim_start();
            assert!(!attr.starts_with("on"), "handler {attr} survived: {html}");
            let Some(value) = attrs.strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let (value, after) = match value.strip_prefix('"') {
                Some(quoted) => {
                    let end = quoted.find('"').unwrap_or(quoted.len());
                    (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
                }
                None => {
                    let end = value
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(value.len());
                    (&value[..end], &value[end..])
                }
            };
            attrs = after;
            if matches!(
                attr.as_str(),
                "href" | "src" | "action" | "formaction" | "poster" | "cite"
            ) {
                let url: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:text"] {
                    assert!(!url.starts_with(scheme), "{attr}={value} survived: {html}");
                }
            }
        }
        rest = attrs;
    }
}

fuzz_target!(|bytes: &[u8]| {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 27, 4, 0, 0)
        .single()
        .expect("a valid time");
    let Ok(feed) = parse_feed(bytes, None, chrono_tz::Asia::Shanghai, now) else {
        return;
    };
    let base = Url::parse("https://news.example.com/feed.xml").expect("a valid URL");
    let items = normalize::normalize_feed(
        &feed,
        &Context {
            fetch_url: &base,
            fetched_at: now,
        },
    );
    for item in &items {
        assert_eq!(item.id.len(), 32, "identity {:?}", item.id);
        for html in [&item.summary, &item.content].into_iter().flatten() {
            assert_clean(html);
        }
    }
});
