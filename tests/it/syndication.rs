//! Serving feeds to readers: paging (RFC 5005), HEAD, gzip, the in-memory feed cache and its
//! invalidation, and the OPML list, each on SQLite and on Postgres.

use crate::common;

use std::io::Read;
use std::time::Duration;

use crate::common::{Backend, TestApp, TestDb, Upstream, titles};

async fn app(backend: Backend) -> (TestDb, Upstream, TestApp) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;
    app.wait_for_first_polls().await;
    (db, upstream, app)
}

/// The path of one of our own absolute URLs, to request it from the test server.
fn local(url: &str) -> String {
    url.strip_prefix(common::PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is not under {}", common::PUBLIC_URL))
        .to_owned()
}

fn link(feed: &feed_rs::model::Feed, rel: &str) -> Option<String> {
    feed.links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .map(|l| l.href.clone())
}

async fn a_reader_walks_back_through_every_page(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let everything = titles(
        &app.get("/feeds/all.atom?limit=200&dedupe=false")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(everything.len() >= 5, "{everything:?}");

    let mut walked: Vec<String> = Vec::new();
    let mut next = Some("/feeds/all.atom?limit=2&dedupe=false".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let body = app.get(&path).await.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        let own_self = link(&feed, "self").unwrap();
        assert_eq!(local(&own_self), path, "the self link is the requested URL");
        if pages == 0 {
            assert!(link(&feed, "first").is_none());
        } else {
            assert_eq!(
                local(&link(&feed, "first").unwrap()),
                "/feeds/all.atom?limit=2&dedupe=false"
            );
        }
        walked.extend(
            feed.entries
                .iter()
                .map(|e| e.title.clone().unwrap().content),
        );
        next = link(&feed, "next").map(|u| local(&u));
        pages += 1;
        assert!(pages <= everything.len(), "paging does not end");
    }
    assert_eq!(
        walked, everything,
        "pages hold every item once, newest first"
    );
    assert_eq!(
        pages,
        everything.len().div_ceil(2) + usize::from(everything.len().is_multiple_of(2))
    );

    // RSS and JSON Feed carry the same link.
    let rss = app
        .get("/feeds/all.rss?limit=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(rss.contains(r#"rel="next""#), "{rss}");
    let json: serde_json::Value = serde_json::from_slice(
        &app.get("/feeds/all.json?limit=2")
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(json["next_url"].as_str().unwrap().contains("before="));

    let bad = app.get("/feeds/all.rss?before=yesterday").await;
    assert_eq!(bad.status(), 400);
    let err: serde_json::Value = serde_json::from_slice(&bad.bytes().await.unwrap()).unwrap();
    assert_eq!(err["error"]["code"], "bad_parameter", "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("before"),
        "{err}"
    );
    app.stop().await;
}
on_both_backends!(
    a_reader_walks_back_through_every_page,
    a_reader_walks_back_through_every_page
);

async fn feeds_answer_head_and_gzip_and_come_from_the_cache(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = format!("{}/feeds/tiktok.rss", app.base);

    let plain = raw
        .get(&url)
        .header("Accept-Encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(
        plain.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    assert_eq!(plain.headers()["cache-control"], "public, max-age=60");
    let etag = plain.headers()["etag"].clone();
    let plain = plain.bytes().await.unwrap();

    let zipped = raw
        .get(&url)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["vary"], "Accept-Encoding");
    assert_eq!(zipped.headers()["etag"], etag);
    let compressed = zipped.bytes().await.unwrap();
    assert!(compressed.len() < plain.len());
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, plain);

    let head = raw.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], etag);
    assert!(head.bytes().await.unwrap().is_empty());

    // The requests after the first were cache hits; a change in the store drops the cache
    // within `server.change_poll` (1 s by default).
    let cache = std::sync::Arc::clone(app.running.feed_cache());
    let before = cache.stats();
    assert!(before.hits >= 2, "{before:?}");
    let _ = raw.get(&url).send().await.unwrap();
    assert_eq!(cache.stats().hits, before.hits + 1);
    app.running
        .store
        .run(crossfeed::store::meta::touch_items)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let _ = raw.get(&url).send().await.unwrap();
    let after = cache.stats();
    assert_eq!(after.hits, before.hits + 1, "{after:?}");
    assert_eq!(after.misses, before.misses + 1, "{after:?}");
    app.stop().await;
}
on_both_backends!(
    feeds_answer_head_and_gzip_and_come_from_the_cache,
    feeds_answer_head_and_gzip_and_come_from_the_cache
);

async fn opml_lists_every_topic_feed(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let res = app.get("/opml").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/x-opml")
    );
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<?xml"));
    assert!(body.contains(r#"<opml version="2.0">"#));
    let urls: Vec<String> = body
        .split("xmlUrl=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    for slug in ["all", "tiktok", "amazon", "lazada"] {
        assert!(
            urls.contains(&format!("{}/feeds/{slug}.rss", common::PUBLIC_URL)),
            "{slug} missing from {urls:?}"
        );
    }
    for url in &urls {
        let feed = app.get(&local(url)).await;
        assert_eq!(feed.status(), 200, "{url}");
    }
    app.stop().await;
}
on_both_backends!(opml_lists_every_topic_feed, opml_lists_every_topic_feed);

/// Every format, parsed back with feed-rs, says the same about every item, and follows the
/// rules the W3C Feed Validator checks that we can check here.
async fn the_three_formats_agree_field_by_field(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let mut parsed = Vec::new();
    for ext in ["rss", "atom", "json"] {
        let path = format!("/feeds/all.{ext}?dedupe=false");
        let res = app.get(&path).await;
        let media = res.headers()["content-type"].to_str().unwrap().to_owned();
        let body = res.bytes().await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap();
        assert!(media.ends_with("; charset=utf-8"), "{media}");
        if ext != "json" {
            let own_self = link(&feed, "self").unwrap_or_else(|| panic!("{ext}: no self link"));
            assert_eq!(local(&own_self), path);
        }
        // No relative URL anywhere: every href and src is absolute.
        let unescaped = text.replace("&quot;", "\"").replace("\\\"", "\"");
        for attr in ["href=\"", "src=\""] {
            for rest in unescaped.split(attr).skip(1) {
                let url = rest.split('"').next().unwrap();
                assert!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "{ext}: relative URL {url:?}"
                );
            }
        }
        if ext == "rss" {
            for date in text.split("<pubDate>").skip(1) {
                let date = date.split("</pubDate>").next().unwrap();
                chrono::DateTime::parse_from_rfc2822(date)
                    .unwrap_or_else(|e| panic!("pubDate {date:?} is not RFC 822: {e}"));
            }
        }
        let ids: std::collections::HashSet<&str> =
            feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), feed.entries.len(), "{ext}: ids are unique");
        if ext == "atom" {
            let updated: std::collections::HashSet<_> =
                feed.entries.iter().map(|e| e.updated.unwrap()).collect();
            assert_eq!(
                updated.len(),
                feed.entries.len(),
                "atom:updated values are unique"
            );
        }
        parsed.push(feed);
    }
    let [rss, atom, json] = <[_; 3]>::try_from(parsed).unwrap();
    // The channel's language is the one most items are in.
    let mut langs: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let doc: serde_json::Value = serde_json::from_slice(
        &app.get("/feeds/all.json?dedupe=false")
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    for l in doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["language"].as_str())
    {
        *langs
            .entry(l.split('-').next().unwrap().to_owned())
            .or_default() += 1;
    }
    let most = langs.values().max().copied().unwrap();
    let channel = rss
        .language
        .clone()
        .expect("the RSS channel names a language");
    assert_eq!(langs.get(&channel), Some(&most), "{channel} vs {langs:?}");
    assert!(rss.entries.len() >= 5);
    assert_eq!(rss.entries.len(), atom.entries.len());
    assert_eq!(rss.entries.len(), json.entries.len());
    for ((r, a), j) in rss.entries.iter().zip(&atom.entries).zip(&json.entries) {
        let title = |e: &feed_rs::model::Entry| e.title.as_ref().map(|t| t.content.clone());
        assert_eq!(title(r), title(a));
        assert_eq!(title(r), title(j));
        assert_eq!(r.id, a.id, "the same urn:uuid in every format");
        assert_eq!(r.id, j.id);
        assert!(r.id.starts_with("urn:uuid:"));
        let href = |e: &feed_rs::model::Entry| {
            e.links
                .iter()
                .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
                .map(|l| l.href.clone())
        };
        assert_eq!(href(r), href(a), "{:?}", title(r));
        assert_eq!(href(r), href(j));
        // RSS dates have whole seconds; the others may carry more.
        let secs = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.timestamp());
        assert_eq!(secs(r.published), secs(j.published), "{:?}", title(r));
        let authors = |e: &feed_rs::model::Entry| {
            let mut v: Vec<String> = e.authors.iter().filter_map(|p| p.name.clone()).collect();
            v.retain(|n| n != "crossfeed");
            v
        };
        assert_eq!(authors(r), authors(j), "{:?}", title(r));
        let terms = |e: &feed_rs::model::Entry| {
            e.categories
                .iter()
                .map(|c| c.term.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(terms(r), terms(a));
        assert_eq!(terms(r), terms(j));
        let summary = |e: &feed_rs::model::Entry| e.summary.is_some() || e.content.is_some();
        assert!(summary(r) && summary(a) && summary(j), "{:?}", title(r));
    }
    app.stop().await;
}
on_both_backends!(
    the_three_formats_agree_field_by_field,
    the_three_formats_agree_field_by_field
);

/// A WebSub hub on 127.0.0.1: feeds name it, and a poll that stores new items tells it which
/// feeds changed; a poll that changes nothing does not.
async fn websub_hub_is_named_and_notified_of_changes(backend: Backend) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let hub = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hub"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&hub)
        .await;
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = common::config(&db, &common::fixture_sources(&upstream));
    let yaml = std::fs::read_to_string(&config.path).unwrap()
        + &format!("websub:\n  hub: \"{}/hub\"\n", hub.uri());
    std::fs::write(&config.path, yaml).unwrap();
    let config = crossfeed::config::Config::load(&config.path).unwrap();
    let app = TestApp::spawn_with_token(config, Some("s3cret")).await;
    app.wait_for_first_polls().await;

    // Feeds name the hub.
    let atom =
        feed_rs::parser::parse(&app.get("/feeds/tiktok.atom").await.bytes().await.unwrap()[..])
            .unwrap();
    assert_eq!(link(&atom, "hub").unwrap(), format!("{}/hub", hub.uri()));
    let rss = app.get("/feeds/tiktok.rss").await.text().await.unwrap();
    assert!(
        rss.contains(&format!(
            r#"<atom:link href="{}/hub" rel="hub"/>"#,
            hub.uri()
        )),
        "{rss}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&app.get("/feeds/tiktok.json").await.bytes().await.unwrap())
            .unwrap();
    assert_eq!(json["hubs"][0]["type"], "WebSub");

    // Each first poll stored items: one notification per source, naming its topics' feeds.
    let mut received = Vec::new();
    for _ in 0..100 {
        received = hub.received_requests().await.unwrap();
        if received.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        received.len(),
        3,
        "one publish per source that stored items"
    );
    let announced: Vec<String> = received
        .iter()
        .flat_map(|r| {
            let pairs: Vec<(String, String)> =
                url::form_urlencoded::parse(&r.body).into_owned().collect();
            assert!(pairs.contains(&("hub.mode".into(), "publish".into())));
            assert_eq!(
                r.headers["content-type"],
                "application/x-www-form-urlencoded"
            );
            pairs
                .into_iter()
                .filter(|(k, _)| k == "hub.url")
                .map(|(_, v)| v)
        })
        .collect();
    for feed in [
        "all.rss",
        "all.atom",
        "all.json",
        "tiktok.rss",
        "lazada.atom",
    ] {
        let url = format!("{}/feeds/{feed}", common::PUBLIC_URL);
        assert!(announced.contains(&url), "{url} not in {announced:?}");
    }

    // A poll that finds nothing new announces nothing.
    let store = app.running.store.clone();
    let polled_at = |store: crossfeed::store::Store| async move {
        store
            .run(crossfeed::store::sources::list)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.id == "briefs")
            .unwrap()
            .last_fetch_at
    };
    let first = polled_at(store.clone()).await;
    let res = app
        .client
        .post(format!("{}/api/sources/briefs/refresh", app.base))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    for _ in 0..100 {
        if polled_at(store.clone()).await != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(
        polled_at(store.clone()).await,
        first,
        "briefs was polled again"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hub.received_requests().await.unwrap().len(), 3);
    app.stop().await;
}
on_both_backends!(
    websub_hub_is_named_and_notified_of_changes,
    websub_hub_is_named_and_notified_of_changes
);

/// The front page advertises every topic feed in every format for autodiscovery, the way
/// crossfeed's own fetcher finds feeds on a page.
async fn the_front_page_advertises_the_feeds(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let html = res.text().await.unwrap();
    let page = url::Url::parse(common::PUBLIC_URL).unwrap();
    let found: Vec<String> = crossfeed::parse::feed_links::alternates(&html, &page)
        .into_iter()
        .map(String::from)
        .collect();
    for slug in ["all", "tiktok", "amazon", "lazada"] {
        for ext in ["rss", "atom", "json"] {
            let url = format!("{}/feeds/{slug}.{ext}", common::PUBLIC_URL);
            assert!(found.contains(&url), "{url} not advertised: {found:?}");
        }
    }
    for url in &found {
        assert_eq!(app.get(&local(url)).await.status(), 200, "{url}");
    }
    app.stop().await;
}
on_both_backends!(
    the_front_page_advertises_the_feeds,
    the_front_page_advertises_the_feeds
);
