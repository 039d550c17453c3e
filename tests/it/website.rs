//! The website, rendered against fixture feeds on SQLite and on Postgres: each page and what
//! matters on it (escaping, view counts, recommended reading, feeds to subscribe to, language,
//! security headers, HTML 404s for browsers).

use crate::common;

use std::time::Duration;

use crate::common::{Backend, TestApp, TestDb, Upstream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// A feed whose item title tries to inject markup (Atom `type="text"`: the title is literally
/// what it says) and whose content carries a script.
const NASTY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Nasty</title><id>urn:nasty</id>
<updated>2026-11-25T02:00:00Z</updated>
<entry><id>urn:nasty:n1</id>
<title type="text">&lt;script&gt;alert(1)&lt;/script&gt; 跨境物流新规</title>
<link href="https://nasty.example/n1"/>
<updated>2026-11-25T02:00:00Z</updated><published>2026-11-25T02:00:00Z</published>
<summary type="html">&lt;p&gt;物流 &lt;b&gt;加粗&lt;/b&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;/p&gt;</summary>
</entry></feed>
"#;

/// Start crossfeed on the fixture feeds; counted views and searches are written every `flush`.
async fn app_with(backend: Backend, flush: &str) -> (TestDb, Upstream, TestApp) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    Mock::given(method("GET"))
        .and(path("/nasty.atom"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(NASTY, "application/atom+xml"))
        .mount(&upstream.server)
        .await;
    // The sources, and (a top-level key after them) how often counts are written.
    let sources = format!(
        "{}  - id: nasty\n    url: {}\ndiscovery:\n  flush_interval: {flush}\n\
         site:\n  suggested_searches: [黑五备货]\n",
        common::fixture_sources(&upstream),
        upstream.url("/nasty.atom")
    );
    let app = TestApp::spawn(common::config(&db, &sources)).await;
    app.wait_for_first_polls().await;
    // Wait for the keyword job (search index) to have seen every item.
    for _ in 0..300 {
        let all: serde_json::Value = app.get("/api/items?limit=200").await.json_body().await;
        let n = all["items"].as_array().unwrap().len();
        let found: serde_json::Value = app
            .get("/api/search?q=%E7%89%A9%E6%B5%81&limit=100")
            .await
            .json_body()
            .await;
        if n > 0 && found["total"].as_u64().unwrap_or(0) >= 1 {
            return (db, upstream, app);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("items were not indexed within 30 seconds");
}

trait JsonBody {
    async fn json_body(self) -> serde_json::Value;
}

impl JsonBody for reqwest::Response {
    async fn json_body(self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}

/// GET as a browser: HTML accepted, a User-Agent, a client address.
async fn page(
    app: &TestApp,
    path: &str,
    address: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .header("Accept", "text/html,application/xhtml+xml")
        .header("User-Agent", BROWSER)
        .header("X-Forwarded-For", address)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Text as the templates escape it.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn item_id(app_items: &serde_json::Value, needle: &str) -> i64 {
    app_items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap_or("").contains(needle))
        .unwrap_or_else(|| panic!("no item titled {needle}"))["id"]
        .as_i64()
        .unwrap()
}

async fn app(backend: Backend) -> (TestDb, Upstream, TestApp) {
    app_with(backend, "100ms").await
}

async fn the_front_page_shows_latest_featured_hot_and_searches(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let items: serde_json::Value = app.get("/api/items?limit=200").await.json_body().await;
    let bnpl = item_id(&items, "先买后付");
    // A view and a search, so that hot reads and popular searches have something.
    page(&app, &format!("/items/{bnpl}"), "10.0.0.1").await;
    page(&app, "/search?q=%E7%89%A9%E6%B5%81", "10.0.0.1").await;
    // Wait for the counts to be written (every 100 ms here).
    let mut html = String::new();
    for _ in 0..100 {
        html = page(&app, "/", "10.0.0.2").await.2;
        if html.contains("热门阅读") && html.contains("大家都在搜") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(html.contains("热门阅读"), "{html}");

    let (status, headers, html) = page(&app, "/", "10.0.0.2").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    for text in [
        "最新文章",
        "精选专题",
        "热门阅读",
        "大家都在搜",
        "TikTok",
        "Amazon",
        "Lazada",
    ] {
        assert!(html.contains(text), "{text} missing from the front page");
    }
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert!(html.contains(r#"<form class="search" action="/search""#));
    assert!(html.contains("先买后付"), "latest articles listed");
    assert!(
        html.contains(r#"href="/search?q=%E7%89%A9%E6%B5%81""#),
        "popular search linked"
    );
    assert!(!html.contains("<script"), "no script on the page");
    // Escaping: the injected title shows as text.
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    // Every page names its stylesheet by content hash; it is cached for a year.
    let css = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        css.starts_with("/static/site.") && css.ends_with(".css"),
        "{css}"
    );
    let style = app.get(&css).await;
    assert_eq!(style.status(), 200);
    assert!(
        style.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(app.get("/static/site.0000.css").await.status(), 404);
    // Pages are compressed when the browser asks.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let gz = raw
        .get(format!("{}/", app.base))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    app.stop().await;
}
/// The sidebar of a page (everything after `<aside>`).
fn aside(html: &str) -> &str {
    html.split_once("<aside>").map_or("", |(_, a)| a)
}

/// A fresh install's boxes are full from the first minute, and say what they show: stand-in
/// stories marked with how many sources told them under "近期要闻", suggested searches under
/// "推荐搜索". Real views and searches take over as they arrive, stand-ins fill what is left,
/// a followed suggestion is never counted as a search, and the APIs give real counts only.
async fn a_fresh_install_fills_both_boxes_honestly(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let (status, _, html) = page(&app, "/", "10.0.0.1").await;
    assert_eq!(status, 200);
    let side = aside(&html);
    assert!(
        side.contains("近期要闻") && !side.contains("热门阅读"),
        "{side}"
    );
    assert!(
        side.contains("推荐搜索") && !side.contains("大家都在搜"),
        "{side}"
    );
    assert!(
        side.contains(r#"<span class="note">"#),
        "stand-ins carry a note, not views"
    );
    assert!(
        !side.contains("浏览"),
        "no view counts where there are none: {side}"
    );
    // The operator's suggestion first, then the topics' leading keywords, as searches a
    // click will not count.
    let operator = side.find("黑五备货").expect("the operator's suggestion");
    assert!(operator < side.find(">TikTok<").unwrap(), "{side}");
    for keyword in ["TikTok", "Amazon", "Lazada"] {
        assert!(
            side.contains(&format!(r#"href="/search?q={keyword}&#38;from=suggested""#)),
            "{keyword} suggested: {side}"
        );
    }
    let stand_ins = side.matches(r#"<span class="note">"#).count();
    assert!((1..=8).contains(&stand_ins), "{stand_ins} stand-ins");
    // The same on every page that has the boxes.
    let items: serde_json::Value = app.get("/api/items?limit=200").await.json_body().await;
    let bnpl = item_id(&items, "先买后付");
    for path in ["/topics/all", "/search?q=%E7%89%A9%E6%B5%81&from=suggested"] {
        let html = page(&app, path, "10.0.0.1").await.2;
        assert!(aside(&html).contains("推荐搜索"), "{path}");
        assert!(aside(&html).contains("近期要闻"), "{path}");
    }
    // Real counts only from the APIs; the followed suggestion above did not count.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let hot: serde_json::Value = app.get("/api/hot").await.json_body().await;
    assert_eq!(hot["items"], serde_json::json!([]), "{hot}");
    let trending: serde_json::Value = app.get("/api/search/trending").await.json_body().await;
    assert_eq!(trending["items"], serde_json::json!([]), "{trending}");

    // A real view and a real search take the first places.
    page(&app, &format!("/items/{bnpl}"), "10.0.0.2").await;
    page(&app, "/search?q=%E7%89%A9%E6%B5%81", "10.0.0.2").await;
    let mut side = String::new();
    for _ in 0..100 {
        side = aside(&page(&app, "/", "10.0.0.3").await.2).to_owned();
        if side.contains("热门阅读") && side.contains("大家都在搜") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        side.contains("热门阅读") && !side.contains("近期要闻"),
        "{side}"
    );
    let first = side.find("先买后付").expect("the viewed story in the box");
    let first_note = side
        .find(r#"<span class="note">"#)
        .expect("stand-ins fill the rest");
    assert!(
        first < first_note,
        "the viewed story comes before the stand-ins"
    );
    assert!(
        side.contains("1浏览"),
        "the real one shows its views: {side}"
    );
    assert!(side.matches("先买后付").count() == 1, "a story once");
    assert!(
        side.contains(r#"href="/search?q=%E7%89%A9%E6%B5%81""#),
        "{side}"
    );
    let counted = side.find("大家都在搜").unwrap();
    let suggested = side
        .find(r#"<h3 class="chips-label">推荐搜索</h3>"#)
        .expect("suggestions apart");
    assert!(counted < suggested);
    app.stop().await;
}
on_both_backends!(
    a_fresh_install_fills_both_boxes_honestly,
    a_fresh_install_fills_both_boxes_honestly
);

on_both_backends!(
    the_front_page_shows_latest_featured_hot_and_searches,
    the_front_page_shows_latest_featured_hot_and_searches
);

async fn an_item_page_counts_views_and_recommends_reading(backend: Backend) {
    // Counts stay in memory for the whole test, so the shown count is exact (a count read
    // while a flush is landing can be one short for that moment).
    let (_db, _up, app) = app_with(backend, "1h").await;
    let items: serde_json::Value = app.get("/api/items?limit=200").await.json_body().await;
    let nasty = item_id(&items, "alert(1)");
    let (status, headers, html) = page(&app, &format!("/items/{nasty}"), "10.0.0.1").await;
    assert_eq!(status, 200);
    assert!(headers.contains_key("content-security-policy"));
    // The title is text; the content is the sanitized HTML (markup kept, script gone).
    assert!(
        html.contains("<h1>&#60;script&#62;alert(1)&#60;/script&#62; 跨境物流新规</h1>"),
        "{html}"
    );
    assert!(html.contains("<b>加粗</b>"));
    assert!(!html.contains("alert(2)") && !html.contains("<script"));
    assert!(html.contains("1浏览"), "the visit itself counts");
    assert!(
        html.contains(&format!(r#"href="/go/{nasty}""#)),
        "a link to the original"
    );
    assert!(html.contains("阅读原文"));
    assert!(html.contains("推荐阅读"));
    assert!(html.contains(r#"<meta property="og:type" content="article">"#));
    assert!(html.contains(&format!(
        r#"<link rel="canonical" href="{}/items/{nasty}">"#,
        common::PUBLIC_URL
    )));
    assert!(
        html.contains(r#"<ol>"#) && html.contains("首页"),
        "breadcrumbs"
    );
    assert!(
        html.contains(r#"datetime="2026-11-25T02:00:00Z">2026-11-25 10:00</time>"#),
        "Shanghai time: {html}"
    );

    // Another reader: 2 views. The same reader again: still 2.
    let (_, _, html) = page(&app, &format!("/items/{nasty}"), "10.0.0.2").await;
    assert!(html.contains("2浏览"));
    let (_, _, html) = page(&app, &format!("/items/{nasty}"), "10.0.0.2").await;
    assert!(html.contains("2浏览"));

    // Recommended reading lists other items about the same thing.
    let logistics = item_id(&items, "先买后付");
    let (_, _, html) = page(&app, &format!("/items/{logistics}"), "10.0.0.3").await;
    let related = html.split("推荐阅读").nth(1).unwrap();
    assert!(
        related.contains("/items/"),
        "recommended reading is not empty"
    );

    // Unknown items: an HTML 404 for a browser, JSON for a program.
    let (status, headers, html) = page(&app, "/items/999999", "10.0.0.1").await;
    assert_eq!(status, 404);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(html.contains("页面不存在"));
    let (status, _, html) = page(&app, "/no/such/page", "10.0.0.1").await;
    assert_eq!(status, 404);
    assert!(html.contains("页面不存在"));
    let api = app.get("/no/such/page").await;
    assert_eq!(api.status(), 404);
    assert_eq!(api.json_body().await["error"]["code"], "not_found");
    app.stop().await;
}
on_both_backends!(
    an_item_page_counts_views_and_recommends_reading,
    an_item_page_counts_views_and_recommends_reading
);

async fn topic_tag_search_and_sources_pages(backend: Backend) {
    let (_db, _up, app) = app(backend).await;

    let (status, _, html) = page(&app, "/topics/tiktok", "10.0.0.1").await;
    assert_eq!(status, 200);
    assert!(html.contains("先买后付"));
    assert!(
        !html.contains("亚马逊美国站调整退货政策"),
        "only the topic's items"
    );
    for feed in [
        "/feeds/tiktok.rss",
        "/feeds/tiktok.atom",
        "/feeds/tiktok.json",
        "/opml",
    ] {
        assert!(
            html.contains(&format!("{}{feed}", common::PUBLIC_URL)),
            "{feed} offered"
        );
    }
    assert!(html.contains(r#"<link rel="alternate" type="application/rss+xml""#));
    assert!(
        html.contains(r#"aria-current="page">TikTok</a>"#),
        "the topic is marked in the menu"
    );
    let (status, _, _) = page(&app, "/topics/nope", "10.0.0.1").await;
    assert_eq!(status, 404);

    // Paging: a cursor (as the next link carries) shows what comes after it.
    let first: serde_json::Value = app
        .get("/api/items?limit=2&dedupe=true")
        .await
        .json_body()
        .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let newest = first["items"][0]["title"].as_str().unwrap().to_owned();
    let (_, _, html) = page(&app, "/topics/all", "10.0.0.1").await;
    assert!(
        html.contains(&html_escape::encode_text(&newest).into_owned()),
        "{newest}"
    );
    let (status, _, later) = page(&app, &format!("/topics/all?before={cursor}"), "10.0.0.1").await;
    assert_eq!(status, 200);
    // The listing, not the sidebar (whose stand-ins may show any recent story).
    let listing = later.split("<aside>").next().unwrap();
    assert!(!listing.contains(&escaped(&newest)));
    assert!(
        later.contains("/topics/all\">← 最新"),
        "a way back to the newest"
    );
    assert_eq!(
        page(&app, "/topics/all?before=soon", "10.0.0.1").await.0,
        400
    );

    // A tag page offers the tag's feeds and its recommendations.
    let (status, _, html) = page(&app, "/tags/%E4%B8%AD%E6%96%87", "10.0.0.1").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("/feeds/tags/%E4%B8%AD%E6%96%87.rss"));
    assert!(html.contains("推荐 · 中文"));
    assert_eq!(page(&app, "/tags/no-such-tag", "10.0.0.1").await.0, 404);

    // Search: highlighted snippets; a bad query is a page saying so.
    let (status, _, html) = page(&app, "/search?q=%E7%89%A9%E6%B5%81", "10.0.0.1").await;
    assert_eq!(status, 200);
    assert!(html.contains("<mark>物流</mark>"), "{html}");
    assert!(
        html.contains(r#"value="物流""#),
        "the query stays in the box"
    );
    assert!(html.contains("/feeds/search.rss?q=%E7%89%A9%E6%B5%81"));
    let long = "跨境".repeat(60);
    let (status, _, html) = page(&app, &format!("/search?q={long}"), "10.0.0.1").await;
    assert_eq!(status, 400);
    assert!(html.contains("100"));
    let (status, _, html) = page(&app, "/search?q=%3Cscript%3E", "10.0.0.1").await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("<script>") && html.contains("&#60;script&#62;"),
        "{html}"
    );

    // Sources: each with its state.
    let (status, _, html) = page(&app, "/sources", "10.0.0.1").await;
    assert_eq!(status, 200);
    for id in ["kuajing", "marketplace", "briefs", "nasty"] {
        assert!(
            html.contains(&format!("<small>{id}</small>")),
            "{id} listed"
        );
    }
    assert!(html.contains("200"), "last status shown");
    app.stop().await;
}
on_both_backends!(
    topic_tag_search_and_sources_pages,
    topic_tag_search_and_sources_pages
);

async fn english_on_request_with_links_that_keep_it(backend: Backend) {
    let (_db, _up, app) = app(backend).await;
    let (_, _, html) = page(&app, "/?lang=en", "10.0.0.1").await;
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Latest articles") && html.contains("Featured topics"));
    assert!(!html.contains("最新文章"));
    assert!(
        html.contains(r#"href="/topics/tiktok?lang=en""#),
        "links keep the language"
    );
    assert!(
        html.contains(r#"href="/?lang=zh""#),
        "a way back to Chinese"
    );
    // The browser's preference works too, without a parameter in the links.
    let response = app
        .client
        .get(format!("{}/topics/amazon", app.base))
        .header("Accept-Language", "en-US,en;q=0.9,zh;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Accept-Language")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains(">Home</a>") && html.contains(r#"aria-label="Subscribe""#));
    assert!(
        html.contains(r#"href="/topics/tiktok""#),
        "no parameter needed"
    );
    app.stop().await;
}
on_both_backends!(
    english_on_request_with_links_that_keep_it,
    english_on_request_with_links_that_keep_it
);
