//! Parsing and normalizing any bytes as a feed never panics; every item that comes out has a
//! 32-character identity, and its HTML carries no script, frame, style, handler or script URL.
//!
//! Seeds: `cargo +nightly fuzz run parse fuzz/corpus/parse tests/fixtures/corpus` starts from
//! the fixture feeds (every format, a dozen encodings, broken documents).
#![no_main]

use std::sync::LazyLock;

use chrono::{TimeZone, Utc};
use crossfeed::normalize::{self, Context};
use crossfeed::parse::parse_feed;
use libfuzzer_sys::fuzz_target;
use regex::Regex;
use url::Url;

static ACTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<\s*(script|iframe|object|embed|style|svg|form|base|meta|link)\b|<[^>]*\son[a-z]+\s*=|<[^>]*\s(href|src|action)\s*=\s*["']?\s*(javascript|vbscript|data\s*:\s*text)"#,
    )
    .expect("the pattern compiles")
});

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
            assert!(!ACTIVE.is_match(html), "active content survived: {html}");
        }
    }
});
