//! What an upstream or a reader must not be able to do: learn the secrets in a source's URL.
//! (Steering the fetcher into private networks and echoing bodies into errors are in
//! `fetching`.)

use crate::common::{self, Backend, TestApp, TestDb, Upstream};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const PASSWORD: &str = "pw-71c2";
const API_KEY: &str = "key-0e9b";

const FEED: &str = r##"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>会员资讯</title>
<item>
  <title>TikTok Shop 东南亚商家入驻门槛调整</title>
  <guid isPermaLink="false">member-1</guid>
  <link>https://news.example.cn/members/1.html</link>
  <description><![CDATA[<p><a href="#top">回到顶部</a> 与 <a href="?page=2">下一页</a></p>]]></description>
  <pubDate>Wed, 25 Nov 2026 09:00:00 GMT</pubDate>
</item>
</channel></rss>"##;

/// Where `/go/{id}` sends a reader (its `Location`), without following it.
async fn go_location(app: &TestApp, id: &str) -> String {
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let go = no_redirect
        .get(format!("{}/go/{id}", app.base))
        .send()
        .await
        .unwrap();
    go.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A source URL with `user:password@` and an `api_key` parameter: the upstream receives them, and
/// no output shows them — not the API, the sources page, the feeds, the items' links, nor the
/// click-through redirect. A `file:` source shows its file name only.
async fn secrets_in_a_source_url_are_used_for_fetching_only(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    // Basic auth for member:pw-71c2.
    Mock::given(method("GET"))
        .and(path("/members/feed.xml"))
        .and(header("authorization", "Basic bWVtYmVyOnB3LTcxYzI="))
        .respond_with(ResponseTemplate::new(200).set_body_raw(FEED, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let secret_url = up
        .url(&format!("/members/feed.xml?api_key={API_KEY}&lang=zh"))
        .replace("http://", &format!("http://member:{PASSWORD}@"));
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/samples/kuajing-kuaixun.xml");
    let file_url = url::Url::from_file_path(&sample).unwrap();
    let yaml = format!(
        "  - id: members\n    url: \"{secret_url}\"\n  - id: local\n    url: \"{file_url}\"\n"
    );
    let app = TestApp::spawn(common::config(&db, &yaml)).await;
    app.wait_for_first_polls().await;

    let api = app.get("/api/sources").await.text().await.unwrap();
    assert!(api.contains("\"members\""), "{api}");
    assert!(
        api.contains("lang=zh"),
        "the rest of the URL is shown: {api}"
    );
    let mut outputs = vec![
        ("/api/sources", api),
        ("/sources", app.get("/sources").await.text().await.unwrap()),
    ];
    for route in [
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all.json",
        "/api/topics/tiktok/items",
        "/",
    ] {
        outputs.push((route, app.get(route).await.text().await.unwrap()));
    }
    let items: serde_json::Value = serde_json::from_slice(
        &app.get("/api/topics/tiktok/items")
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let id = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("入驻门槛"))
        .unwrap_or_else(|| panic!("no item: {items}"))["id"]
        .to_string();
    outputs.push((
        "/items/{id}",
        app.get(&format!("/items/{id}")).await.text().await.unwrap(),
    ));
    outputs.push((
        "/api/items/{id}",
        app.get(&format!("/api/items/{id}"))
            .await
            .text()
            .await
            .unwrap(),
    ));
    outputs.push(("/go/{id} Location", go_location(&app, &id).await));

    let home = sample.parent().unwrap().to_string_lossy().into_owned();
    for (route, body) in &outputs {
        for secret in [PASSWORD, API_KEY, "member:", home.as_str()] {
            assert!(!body.contains(secret), "{route} shows {secret:?}: {body}");
        }
    }
    let item = &outputs
        .iter()
        .find(|(r, _)| *r == "/api/items/{id}")
        .unwrap()
        .1;
    assert!(
        item.contains("/members/feed.xml?lang=zh#top"),
        "relative links resolve against the URL without its secrets: {item}"
    );
    app.stop().await;
}
on_both_backends!(
    secrets_in_a_source_url_are_used_for_fetching_only,
    secrets_in_a_source_url_are_used_for_fetching_only
);

/// A page source behind a password and an `api_key`: both list pages are fetched with them (the
/// next page is on the source's own origin), and no output shows them, though the page's links
/// are relative (`kx/7001.html`, `#7002`, `?page=2`, pictures) and resolve against its URL.
async fn secrets_in_a_page_source_url_are_used_for_fetching_only(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    for (at, name) in [
        ("/members/list.html", "hostile/members-list.html"),
        ("/members/list_2.html", "hostile/members-list_2.html"),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .and(header("authorization", "Basic bWVtYmVyOnB3LTcxYzI="))
            .and(query_param("api_key", API_KEY))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(common::fixture(name), "text/html; charset=utf-8"),
            )
            .mount(&up.server)
            .await;
    }
    let secret_url = up
        .url(&format!("/members/list.html?api_key={API_KEY}&lang=zh"))
        .replace("http://", &format!("http://member:{PASSWORD}@"));
    let yaml = format!(
        "  - id: members\n    url: \"{secret_url}\"\n    page:\n      item: \"ul.news-list > li\"\n      \
         title: \"h3 a\"\n      link: \"h3 a@href\"\n      summary: \"p.desc\"\n      \
         image: \"img@src\"\n      next: \"a.next@href\"\n      max_pages: 2\n"
    );
    let app = TestApp::spawn(common::config(&db, &yaml)).await;
    app.wait_for_first_polls().await;

    let api = app.get("/api/sources").await.text().await.unwrap();
    let listed: serde_json::Value =
        serde_json::from_slice(&app.get("/api/items").await.bytes().await.unwrap()).unwrap();
    let items = listed["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(
        titles.iter().any(|t| t.starts_with("TikTok Shop 英国站")),
        "{api}\n{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("速卖通")),
        "the second page is fetched with the secrets: {api}\n{titles:?}"
    );
    let mut outputs = vec![
        ("/api/sources".to_owned(), api),
        ("/api/items".to_owned(), listed.to_string()),
    ];
    for route in [
        "/sources",
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all.json",
        "/",
    ] {
        outputs.push((route.to_owned(), app.get(route).await.text().await.unwrap()));
    }
    for item in items {
        let id = item["id"].to_string();
        for route in [format!("/items/{id}"), format!("/api/items/{id}")] {
            let body = app.get(&route).await.text().await.unwrap();
            outputs.push((route, body));
        }
        let location = go_location(&app, &id).await;
        assert!(location.starts_with("http"), "/go/{id}: {location:?}");
        outputs.push((format!("/go/{id} Location"), location));
    }
    for (route, body) in &outputs {
        for secret in [PASSWORD, API_KEY, "member:"] {
            assert!(!body.contains(secret), "{route} shows {secret:?}: {body}");
        }
    }
    let all = outputs.iter().map(|(_, b)| b.as_str()).collect::<String>();
    assert!(
        all.contains("/members/kx/7001.html"),
        "relative links still resolve: {all}"
    );
    app.stop().await;
}
on_both_backends!(
    secrets_in_a_page_source_url_are_used_for_fetching_only,
    secrets_in_a_page_source_url_are_used_for_fetching_only
);

/// Small doors: a date no store can hold is a 400, not a 500; the 404 page for `//host/…` links
/// nowhere off the site; a feed's `file:` link is not shown as its site.
async fn odd_requests_and_links_stay_on_the_site(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let feed = r#"<rss version="2.0"><channel><title>本地</title><link>file:///etc/passwd</link>
<item><title>Lazada 大促备货指南</title><link>https://news.example.cn/a/1</link></item></channel></rss>"#;
    Mock::given(method("GET"))
        .and(path("/local.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let yaml = format!("  - id: local\n    url: {}\n", up.url("/local.xml"));
    let app = TestApp::spawn(common::config(&db, &yaml)).await;
    app.wait_for_first_polls().await;

    for since in [
        "-9999-01-01",
        "+99999-01-01T00:00:00Z",
        "0001-01-01",
        "10000-01-01",
    ] {
        let response = app
            .get(&format!("/api/search?q=Lazada&since={since}"))
            .await;
        assert_eq!(response.status(), 400, "since={since}");
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(
            body["error"]["code"], "bad_parameter",
            "since={since}: {body}"
        );
    }
    let fine = app.get("/api/search?q=Lazada&since=2020-01-01").await;
    assert_eq!(fine.status(), 200);

    for target in ["//evil.example/x", "/\\evil.example/x", "///evil.example/x"] {
        let response = app
            .client
            .get(format!("{}{target}", app.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{target}");
        let page = response.text().await.unwrap();
        for off_site in ["href=\"//", "href=\"/\\", "href=\"\\"] {
            assert!(!page.contains(off_site), "{target}: {page}");
        }
        assert!(
            page.contains("href=\"/evil.example/x?lang="),
            "{target}: {page}"
        );
    }

    let sources = app.get("/api/sources").await.text().await.unwrap();
    assert!(sources.contains("\"site_url\":null"), "{sources}");
    assert!(!sources.contains("file:"), "{sources}");
    app.stop().await;
}
on_both_backends!(
    odd_requests_and_links_stay_on_the_site,
    odd_requests_and_links_stay_on_the_site
);

/// `X-Forwarded-For` from a peer that is not a trusted proxy mints no readers: five "different"
/// clients through one untrusted connection count as one view; listed as a proxy, the same peer
/// is believed.
async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36";
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(FEED, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let yaml = format!("  - id: members\n    url: {}\n", up.url("/feed.xml"));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (server, expected) in [("", 1), ("  trusted_proxies: [\"127.0.0.0/8\"]\n", 5)] {
        let app = TestApp::spawn(common::config_with(&db, server, &yaml)).await;
        app.wait_for_first_polls().await;
        let listed = |body: &[u8]| -> (String, i64) {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            let item = &v["items"][0];
            (item["id"].to_string(), item["views"].as_i64().unwrap())
        };
        let (id, before) = listed(&app.get("/api/items").await.bytes().await.unwrap());
        for n in 1..=5 {
            let r = client
                .get(format!("{}/go/{id}", app.base))
                .header("X-Forwarded-For", format!("198.51.100.{n}"))
                .header("User-Agent", BROWSER)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 302);
        }
        let (_, after) = listed(&app.get("/api/items").await.bytes().await.unwrap());
        assert_eq!(after - before, expected, "trusted_proxies: {server:?}");
        app.stop().await;
    }
}
on_both_backends!(
    forwarded_addresses_count_only_from_trusted_proxies,
    forwarded_addresses_count_only_from_trusted_proxies
);

/// Spellings of one search share one cached feed: the feed links to itself with the query in
/// its normalized form, so they get the same bytes, and a new spelling costs no new entry.
async fn spellings_of_a_search_feed_share_one_cached_feed(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(FEED, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let yaml = format!("  - id: members\n    url: {}\n", up.url("/feed.xml"));
    let app = TestApp::spawn(common::config(&db, &yaml)).await;
    app.wait_for_first_polls().await;
    let mut seen = Vec::new();
    for spelling in ["TikTok%20%20Shop", "tiktok+shop", "%EF%BC%B4ikTok%20SHOP"] {
        let response = app
            .get(&format!("/feeds/search.rss?q={spelling}&limit=5"))
            .await;
        assert_eq!(response.status(), 200, "{spelling}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        assert!(
            body.contains("/feeds/search.rss?q=tiktok+shop&amp;limit=5"),
            "{spelling}: {body}"
        );
        seen.push((etag, body));
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "one feed for every spelling"
    );
    app.stop().await;
}
on_both_backends!(
    spellings_of_a_search_feed_share_one_cached_feed,
    spellings_of_a_search_feed_share_one_cached_feed
);
