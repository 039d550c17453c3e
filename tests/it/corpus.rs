//! The fixture corpus: every file under `tests/fixtures/corpus` is decoded, parsed and
//! normalized exactly as a fetched upstream would be, and the result is compared with its
//! reviewed snapshot under `tests/snapshots`.
//!
//! A file name may carry what the HTTP response would have said: `name.charset-gbk.rss` is
//! served with `charset=gbk`, `name.tz-America+New_York.rss` is a source whose zone-less dates
//! are New York time (the default is Asia/Shanghai, as for most of our upstreams).
//!
//! The parse-fidelity fixtures (unescaped markup, odd text types, namespaces, extension
//! fallbacks, empty elements, lenient JSON Feed) also go the whole way, served by a local
//! upstream into each store and out through the feeds, the API and the website.
//!
//! After an intended change, `INSTA_UPDATE=always cargo test --test it -- corpus::` rewrites the
//! snapshots; review the diff before committing it.
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use crossfeed::normalize::{self, Context};
use crossfeed::parse::{self, charset, feed_links};
use serde_json::{Value, json};
use url::Url;

/// What the HTTP response would have said, taken from the file name.
struct Served {
    charset: Option<String>,
    tz: Tz,
}

fn served(name: &str) -> Served {
    let mut s = Served {
        charset: None,
        tz: chrono_tz::Asia::Shanghai,
    };
    for part in name.split('.') {
        if let Some(c) = part.strip_prefix("charset-") {
            s.charset = Some(c.to_owned());
        } else if let Some(z) = part.strip_prefix("tz-") {
            s.tz = z
                .replace('+', "/")
                .parse()
                .expect("a zone in the file name");
        }
    }
    s
}

/// The normalized output of one corpus file, as JSON for the snapshot.
fn outcome(path: &Path) -> Value {
    let name = path.file_name().unwrap().to_str().unwrap();
    let bytes = std::fs::read(path).unwrap();
    let served = served(name);
    // A fixed fetch time and URL, so first-seen dates, clamping and relative links are stable.
    let now: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    let url = Url::parse(&format!("https://feeds.example.com/corpus/{name}")).unwrap();
    let decoded = charset::to_utf8(&bytes, served.charset.as_deref());
    let decoding = json!({
        "encoding": decoded.encoding.name(),
        "evidence": format!("{:?}", decoded.evidence),
    });
    if feed_links::looks_like_html(&decoded.text) {
        let found: Vec<String> = feed_links::alternates(&decoded.text, &url)
            .into_iter()
            .map(String::from)
            .collect();
        return json!({ "decoding": decoding, "html_page": { "alternates": found } });
    }
    match parse::parse_text(&decoded.text, served.tz, now) {
        Err(e) => json!({ "decoding": decoding, "error": e.to_string() }),
        Ok(feed) => {
            let ctx = Context {
                fetch_url: &url,
                fetched_at: now,
            };
            let info = normalize::feed_info(&feed, &ctx);
            let items = normalize::normalize_feed(&feed, &ctx);
            json!({
                "decoding": decoding,
                "feed": { "title": info.title, "site_url": info.site_url },
                "items": items,
            })
        }
    }
}

#[test]
fn corpus_matches_its_reviewed_snapshots() {
    insta::glob!("..", "fixtures/corpus/*", |path| {
        insta::assert_json_snapshot!(outcome(path));
    });
}

#[test]
fn corpus_is_large_and_varied() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.len() >= 100, "only {} corpus files", names.len());
    for ext in ["rss", "atom", "rdf", "json", "html", "xml"] {
        assert!(
            names.iter().any(|n| n.ends_with(&format!(".{ext}"))),
            "no .{ext} file in the corpus"
        );
    }
}

/// The parse-fidelity fixtures, each a class of sloppy or rare feed that must lose no text.
const FIDELITY: [(&str, &str); 10] = [
    ("rss20-unescaped-markup.rss", "application/rss+xml"),
    ("atom10-unescaped-markup.atom", "application/atom+xml"),
    (
        "atom10-text-construct-odd-type.atom",
        "application/atom+xml",
    ),
    ("atom10-empty-elements.atom", "application/atom+xml"),
    ("rss090-channel-namespace.rdf", "application/rdf+xml"),
    ("rss20-namespaces-by-uri.rss", "application/rss+xml"),
    ("rss20-namespace-spellings.rss", "application/rss+xml"),
    ("rss20-extension-fallbacks.rss", "application/rss+xml"),
    ("rss20-nothing-invented.rss", "text/xml"),
    ("json-feed-lenient.json", "application/feed+json"),
];

/// Every title the corpus snapshot gives a fidelity fixture arrives whole in the store and
/// from there in the `all` topic feed (walked page by page), the API and the item's web page;
/// and text after unescaped markup reaches the page too.
async fn fidelity_fixtures_reach_feeds_api_and_website(backend: crate::common::Backend) {
    use crate::common::{self, TestApp, TestDb, Upstream};
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    let mut sources = String::new();
    let mut expected: Vec<(String, Vec<String>)> = Vec::new();
    for (n, (name, content_type)) in FIDELITY.iter().enumerate() {
        let at = format!("/corpus/{name}");
        upstream
            .serve(&at, &format!("corpus/{name}"), content_type)
            .await;
        let id = format!("fidelity-{n}");
        sources.push_str(&format!("  - id: {id}\n    url: {}\n", upstream.url(&at)));
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/corpus")
            .join(name);
        let titles: Vec<String> = outcome(&path)["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has items"))
            .iter()
            .filter_map(|i| i["title"].as_str().map(String::from))
            .collect();
        assert!(!titles.is_empty(), "{name} has titled items");
        expected.push((id, titles));
    }
    let app = TestApp::spawn(common::config(&db, &sources)).await;
    app.wait_for_first_polls().await;

    let json = |body: &[u8]| -> Value { serde_json::from_slice(body).unwrap() };
    let health = json(&app.get("/api/sources").await.bytes().await.unwrap());
    for s in health["items"].as_array().unwrap() {
        assert!(
            s["last_error"].is_null(),
            "{}: {}",
            s["id"],
            s["last_error"]
        );
    }

    // The `all` feed, every page.
    let mut in_feed: Vec<String> = Vec::new();
    let mut next = Some("/feeds/all.atom".to_owned());
    while let Some(path) = next.take() {
        let body = app.get(&path).await.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).expect("our Atom parses back");
        in_feed.extend(
            feed.entries
                .iter()
                .filter_map(|e| e.title.as_ref().map(|t| t.content.clone())),
        );
        next = feed
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some("next"))
            .and_then(|l| l.href.strip_prefix(common::PUBLIC_URL).map(String::from));
    }

    for (id, titles) in &expected {
        let api = json(
            &app.get(&format!("/api/items?source={id}&limit=200"))
                .await
                .bytes()
                .await
                .unwrap(),
        );
        let items = api["items"].as_array().unwrap();
        for title in titles {
            assert!(in_feed.contains(title), "{id}: {title:?} not in the feed");
            let item = items
                .iter()
                .find(|i| i["title"] == title.as_str())
                .unwrap_or_else(|| panic!("{id}: {title:?} not in the API: {api}"));
            let page = app
                .get(&format!("/items/{}", item["id"]))
                .await
                .text()
                .await
                .unwrap();
            // Compared as text: the template escapes in its own way.
            let text = html_escape::decode_html_entities(&page);
            assert!(
                text.contains(title.as_str()),
                "{id}: {title:?} not on its page"
            );
        }
    }

    // The description's text after an unescaped <br/> reaches the reader.
    let api = json(
        &app.get("/api/items?source=fidelity-0&limit=200")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    let temu = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with("Temu")))
        .expect("the Temu item");
    let page = app
        .get(&format!("/items/{}", temu["id"]))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("The platform keeps traffic and after-sales."));
    app.stop().await;
}

on_both_backends!(
    fidelity_fixtures_reach_feeds_api_and_website,
    fidelity_fixtures_reach_feeds_api_and_website
);
