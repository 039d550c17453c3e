//! Discovery over HTTP, on SQLite and on Postgres: latest items with cursors, search (short
//! Chinese, mixed and English queries, filters, snippets, the search feed), trending searches,
//! views and clicks (bots and repeats ignored, counts surviving a restart), hot reads, related
//! items and per-tag recommendations, each against upstream feeds whose expected order is
//! known.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use crate::common::{Backend, PUBLIC_URL, TOPICS_YAML, TestApp, TestDb, Upstream};
use chrono::Utc;
use crossfeed::config::Config;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

/// One upstream item; dates are relative to now so that recency means the same whenever the
/// test runs.
pub(crate) struct Entry {
    pub(crate) guid: &'static str,
    pub(crate) title: &'static str,
    pub(crate) body: &'static str,
    pub(crate) hours_ago: i64,
    pub(crate) link: &'static str,
}

pub(crate) fn rss(title: &str, entries: &[Entry]) -> String {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{}</title><link>https://example.com/</link><description>test</description>\n",
        esc(title)
    );
    for e in entries {
        let at = (Utc::now() - chrono::Duration::hours(e.hours_ago)).to_rfc2822();
        out.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{}</guid><title>{}</title><link>{}</link>\
             <description>{}</description><pubDate>{at}</pubDate></item>\n",
            e.guid,
            esc(e.title),
            esc(e.link),
            esc(e.body)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// Source `wire` (weight 1): the bulk of the items.
fn wire_entries() -> Vec<Entry> {
    vec![
        Entry {
            guid: "w1",
            title: "TikTok Shop美区开放跨境物流服务",
            body: "TikTok Shop 宣布在美区为跨境卖家提供官方物流服务，覆盖尾程配送。",
            hours_ago: 1,
            link: "https://wire.example/w1",
        },
        Entry {
            guid: "w2",
            title: "亚马逊物流费用下月上调",
            body: "亚马逊美国站通知卖家，FBA 配送费将在下月调整。",
            hours_ago: 30,
            link: "https://wire.example/w2",
        },
        Entry {
            guid: "w3",
            title: "Shopee 跨境卖家迎来大促季",
            body: "Shopee 公布年末大促日程，跨境卖家可报名参加。",
            hours_ago: 3,
            link: "https://wire.example/w3",
        },
        Entry {
            guid: "w4",
            title: "Amazon expands FBA capacity for the holidays",
            body: "Amazon said sellers will get more inbound capacity before the holiday peak.",
            hours_ago: 5,
            link: "https://wire.example/w4",
        },
        Entry {
            guid: "w5",
            title: "东南亚电商周报",
            body: "本周东南亚市场动态：Lazada 调整佣金，多家平台加码直播，海外仓与物流成本上行。",
            hours_ago: 2,
            link: "https://wire.example/w5",
        },
        Entry {
            guid: "w6",
            title: "亚马逊FBA入仓配置费新规解读",
            body: "亚马逊物流入仓配置费新规生效，卖家需要重新规划 FBA 补货节奏与入仓费用。",
            hours_ago: 8,
            link: "https://news.example/fba-inbound?utm_source=wire",
        },
        Entry {
            guid: "w7",
            title: "亚马逊FBA入仓费用再调整，卖家如何应对",
            body: "亚马逊宣布 FBA 入仓配置费用再次调整，卖家补货需提前规划。",
            hours_ago: 20,
            link: "https://wire.example/w7",
        },
    ]
}

/// Source `daily` (weight 3): fewer items, one of them the same story as w6.
fn daily_entries() -> Vec<Entry> {
    vec![
        Entry {
            guid: "d1",
            title: "亚马逊FBA入仓配置费新规来了",
            body: "亚马逊物流入仓配置费新规今日生效，卖家 FBA 补货成本或将上升。",
            hours_ago: 7,
            link: "https://news.example/fba-inbound?utm_source=daily",
        },
        Entry {
            guid: "d2",
            title: "亚马逊FBA入仓费新规下的补货策略",
            body: "面对亚马逊入仓配置费新规，卖家可分批补货、优化 FBA 入仓节奏。",
            hours_ago: 10,
            link: "https://daily.example/d2",
        },
        Entry {
            guid: "d3",
            title: "Lazada 推出新卖家佣金减免",
            body: "Lazada 面向新入驻的跨境卖家推出三个月佣金减免。",
            hours_ago: 4,
            link: "https://daily.example/d3",
        },
    ]
}

pub(crate) async fn serve(upstream: &Upstream, at: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(body.into_bytes(), "application/rss+xml"),
        )
        .mount(&upstream.server)
        .await;
}

pub(crate) fn config(db: &TestDb, upstream: &Upstream, flush: &str) -> Config {
    let yaml = format!(
        "server:\n  listen: \"127.0.0.1:0\"\n  public_url: \"{PUBLIC_URL}\"\n\
         \x20 trusted_proxies: [\"127.0.0.1\"]\n\
         database:\n  url: \"{}\"\n  pool_size: 4\n\
         discovery:\n  flush_interval: {flush}\n\
         sources:\n\
         \x20 - id: wire\n    url: {}\n    timezone: Asia/Shanghai\n    tags: [跨境电商]\n\
         \x20 - id: daily\n    url: {}\n    timezone: Asia/Shanghai\n    tags: [跨境电商]\n    weight: 3\n\
         {TOPICS_YAML}",
        db.url,
        upstream.url("/wire.rss"),
        upstream.url("/daily.rss"),
    );
    let path = db.dir().join("crossfeed.yaml");
    std::fs::write(&path, &yaml).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("test config is invalid: {e}\n{yaml}"))
}

struct Setup {
    db: TestDb,
    _upstream: Upstream,
    app: TestApp,
    /// Item ids by guid.
    ids: HashMap<String, i64>,
}

/// Start crossfeed on the two sources and wait until every item is indexed for search and the
/// two reports of the FBA story are one cluster.
async fn setup(backend: Backend, flush: &str) -> Setup {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    serve(&upstream, "/wire.rss", rss("Wire", &wire_entries())).await;
    serve(&upstream, "/daily.rss", rss("Daily", &daily_entries())).await;
    let app = TestApp::spawn(config(&db, &upstream, flush)).await;
    app.wait_for_first_polls().await;
    let ids = wait_until_enriched(&app).await;
    Setup {
        db,
        _upstream: upstream,
        app,
        ids,
    }
}

pub(crate) async fn json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    let status = response.status();
    let body = response.bytes().await.unwrap();
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// Wait for the keyword job (which also indexes for search) and clustering; return ids by
/// guid (read back from the links of the listing).
async fn wait_until_enriched(app: &TestApp) -> HashMap<String, i64> {
    for _ in 0..300 {
        let all = json(app, "/api/items?limit=200").await;
        let items = all["items"].as_array().unwrap();
        let searchable = json(app, "/api/search?q=%E5%8D%96%E5%AE%B6&limit=100").await; // 卖家
        let clustered = items.iter().any(|i| i["cluster_size"] == 2);
        if items.len() == 10 && searchable["total"] == 8 && clustered {
            let guid_of = |url: &str| {
                wire_entries()
                    .into_iter()
                    .chain(daily_entries())
                    .find(|e| e.link == url)
                    .map(|e| e.guid.to_owned())
                    .unwrap()
            };
            return items
                .iter()
                .map(|i| {
                    (
                        guid_of(i["url"].as_str().unwrap()),
                        i["id"].as_i64().unwrap(),
                    )
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("items were not indexed and clustered within 30 seconds");
}

fn guids(v: &Value, ids: &HashMap<String, i64>) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let id = i["id"].as_i64().unwrap();
            ids.iter()
                .find(|(_, v)| **v == id)
                .map(|(g, _)| g.clone())
                .unwrap()
        })
        .collect()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn latest_items_page_by_cursor_and_filter(backend: Backend) {
    let s = setup(backend, "1h").await;
    let app = &s.app;
    // Every item once, newest first, two at a time.
    let mut seen = Vec::new();
    let mut next = Some("/api/items?limit=3".to_owned());
    while let Some(p) = next {
        let page = json(app, &p).await;
        for item in page["items"].as_array().unwrap() {
            for field in [
                "id",
                "title",
                "url",
                "summary",
                "published",
                "source",
                "topics",
                "tags",
                "views",
                "cluster_size",
            ] {
                assert!(item.get(field).is_some(), "{field} missing from {item}");
            }
        }
        seen.extend(guids(&page, &s.ids));
        next = page["next_cursor"]
            .as_str()
            .map(|c| format!("/api/items?limit=3&before={c}"));
    }
    assert_eq!(
        seen,
        ["w1", "w5", "w3", "d3", "w4", "d1", "w6", "d2", "w7", "w2"],
        "newest first across both sources"
    );

    let tiktok = json(app, "/api/topics/tiktok/items").await;
    assert_eq!(guids(&tiktok, &s.ids), ["w1"]);
    assert_eq!(tiktok["items"][0]["topics"][0]["slug"], "tiktok");
    let daily = json(app, "/api/items?source=daily").await;
    assert_eq!(guids(&daily, &s.ids), ["d3", "d1", "d2"]);
    assert_eq!(daily["items"][0]["source"]["id"], "daily");
    let folded = json(app, "/api/items?dedupe=true&limit=200").await;
    assert_eq!(
        folded["items"].as_array().unwrap().len(),
        9,
        "one FBA story"
    );

    for (bad, param) in [
        ("/api/items?limit=0", "limit"),
        ("/api/items?before=yesterday", "before"),
        ("/api/items?topic=nope", "topic"),
        ("/api/items?source=nope", "source"),
        ("/api/items?colour=red", "query"),
    ] {
        let response = app.get(bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        let err: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(err["error"]["code"], "bad_parameter", "{bad}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(param),
            "{bad}: {err}"
        );
    }
    assert_eq!(app.get("/api/topics/nope/items").await.status(), 404);
    s.app.stop().await;
}
on_both_backends!(
    latest_items_page_by_cursor_and_filter,
    latest_items_page_by_cursor_and_filter
);

async fn search(app: &TestApp, q: &str) -> Value {
    json(app, &format!("/api/search?q={}&limit=100", enc(q))).await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn search_finds_chinese_mixed_and_english_queries(backend: Backend) {
    let s = setup(backend, "1h").await;
    let app = &s.app;
    let ids = &s.ids;

    // Two characters: every item that has them, in the title or the body.
    let logistics = search(app, "物流").await;
    assert_eq!(
        sorted(guids(&logistics, ids)),
        ["d1", "w1", "w2", "w5", "w6"],
        "{logistics}"
    );
    // A title match outranks a newer body-only match (w5 is the newest but says 物流 only in
    // passing), and the snippet marks the word.
    let order = guids(&logistics, ids);
    assert!(
        order.iter().position(|g| g == "w2") < order.iter().position(|g| g == "w5"),
        "{order:?}"
    );
    let w5 = &logistics["items"].as_array().unwrap()[order.iter().position(|g| g == "w5").unwrap()];
    assert!(
        w5["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>物流</mark>"),
        "{w5}"
    );
    assert!(w5["score_parts"]["relevance"].as_f64().unwrap() > 0.0);

    assert_eq!(
        sorted(guids(&search(app, "跨境").await, ids)),
        ["d3", "w1", "w3"]
    );
    // One character.
    assert_eq!(sorted(guids(&search(app, "佣").await, ids)), ["d3", "w5"]);
    // Mixed Chinese and English, in any width and case.
    assert_eq!(guids(&search(app, "TikTok Shop 美区").await, ids), ["w1"]);
    assert_eq!(
        guids(&search(app, "ｔｉｋｔｏｋ　ｓｈｏｐ").await, ids),
        ["w1"]
    );
    // A Latin word matches whole: "shop" is not in "Shopee".
    assert_eq!(guids(&search(app, "shop").await, ids), ["w1"]);
    assert_eq!(guids(&search(app, "holiday peak").await, ids), ["w4"]);
    // A longer Chinese word matches where its characters appear together.
    assert_eq!(
        sorted(guids(&search(app, "入仓配置费").await, ids)),
        ["d1", "d2", "w6", "w7"]
    );
    assert!(
        search(app, "拼多多").await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Filters.
    let tiktok = json(app, &format!("/api/search?q={}&topic=tiktok", enc("跨境"))).await;
    assert_eq!(guids(&tiktok, ids), ["w1"]);
    let daily = json(app, &format!("/api/search?q={}&source=daily", enc("物流"))).await;
    assert_eq!(guids(&daily, ids), ["d1"]);
    let future = json(
        app,
        &format!("/api/search?q={}&since=2200-01-01", enc("物流")),
    )
    .await;
    assert_eq!(future["total"], 0);
    // Paging by cursor.
    let first = json(app, &format!("/api/search?q={}&limit=2", enc("物流"))).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = json(
        app,
        &format!("/api/search?q={}&limit=2&cursor={cursor}", enc("物流")),
    )
    .await;
    let mut both = guids(&first, ids);
    both.extend(guids(&second, ids));
    assert_eq!(both, order[..4]);

    for bad in [
        "/api/search".to_owned(),
        "/api/search?q=%20%20".to_owned(),
        format!("/api/search?q={}", enc(&"跨境".repeat(51))),
        "/api/search?q=%3F%3F%3F".to_owned(),
        format!("/api/search?q={}&since=last-week", enc("物流")),
        format!("/api/search?q={}&cursor=x", enc("物流")),
    ] {
        let response = app.get(&bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        let err: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(err["error"]["code"], "bad_parameter", "{bad}: {err}");
    }

    // The saved search as a feed: the newest matches, and `q` narrows any feed.
    let feed = app
        .get(&format!("/feeds/search.atom?q={}", enc("物流")))
        .await;
    assert_eq!(feed.status(), 200);
    let titles = common::titles(&feed.bytes().await.unwrap());
    assert_eq!(titles.len(), 5);
    assert_eq!(titles[0], "TikTok Shop美区开放跨境物流服务", "newest first");
    let narrowed = common::titles(
        &app.get(&format!("/feeds/amazon.rss?q={}", enc("物流")))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(
        narrowed,
        [
            "亚马逊FBA入仓配置费新规来了",
            "亚马逊FBA入仓配置费新规解读",
            "亚马逊物流费用下月上调"
        ]
    );
    assert_eq!(app.get("/feeds/search.rss").await.status(), 400);
    s.app.stop().await;
}
on_both_backends!(
    search_finds_chinese_mixed_and_english_queries,
    search_finds_chinese_mixed_and_english_queries
);

/// A GET as a given client (address via X-Forwarded-For) and browser.
async fn get_as(app: &TestApp, path: &str, address: &str, agent: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", app.base))
        .header("X-Forwarded-For", address)
        .header("User-Agent", agent)
        .send()
        .await
        .unwrap()
}

async fn trending_counts_people_not_robots_or_repeats(backend: Backend) {
    let s = setup(backend, "100ms").await;
    let app = &s.app;
    for (q, address, agent) in [
        ("物流", "10.0.0.1", BROWSER),
        ("物流", "10.0.0.2", BROWSER),
        ("物流", "10.0.0.3", BROWSER),
        ("  Ｓhopee ", "10.0.0.1", BROWSER),
        ("shopee", "10.0.0.2", BROWSER),
        ("跨境", "10.0.0.1", BROWSER),
        // Repeats, robots and searches that found nothing do not count.
        ("跨境", "10.0.0.1", BROWSER),
        ("跨境", "10.0.0.1", BROWSER),
        ("lazada", "10.0.0.9", "curl/8.5.0"),
        (
            "lazada",
            "10.0.0.9",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
        ),
        ("拼多多", "10.0.0.1", BROWSER),
    ] {
        let r = get_as(app, &format!("/api/search?q={}", enc(q)), address, agent).await;
        assert_eq!(r.status(), 200);
    }
    let mut trending = Value::Null;
    for _ in 0..100 {
        trending = json(app, "/api/search/trending?window=24h").await;
        if trending["items"].as_array().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let queries: Vec<(&str, i64)> = trending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["query"].as_str().unwrap(),
                t["searches"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        queries,
        [("物流", 3), ("shopee", 2), ("跨境", 1)],
        "{trending}"
    );
    assert!(
        trending["items"][0]["search_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{PUBLIC_URL}/api/search?q="))
    );
    let week = json(app, "/api/search/trending?window=7d&limit=1").await;
    assert_eq!(week["items"][0]["query"], "物流");
    assert_eq!(
        app.get("/api/search/trending?window=1y").await.status(),
        400
    );
    s.app.stop().await;
}
on_both_backends!(
    trending_counts_people_not_robots_or_repeats,
    trending_counts_people_not_robots_or_repeats
);

async fn clicks_count_survive_a_restart_and_rank_hot_reads(backend: Backend) {
    // A flush interval far beyond the test: counts reach the store only at shutdown.
    let s = setup(backend, "1h").await;
    let (w3, w4, d1, w6) = (s.ids["w3"], s.ids["w4"], s.ids["d1"], s.ids["w6"]);
    // w3: three readers; w4: two readers; the FBA story: two readers on each of its two
    // reports (d1, w6) from two sources.
    let clicks = [
        (w3, "10.0.0.1"),
        (w3, "10.0.0.2"),
        (w3, "10.0.0.3"),
        (w4, "10.0.0.1"),
        (w4, "10.0.0.2"),
        (d1, "10.0.0.4"),
        (d1, "10.0.0.5"),
        (w6, "10.0.0.6"),
        (w6, "10.0.0.7"),
    ];
    for (id, address) in clicks {
        let r = get_as(&s.app, &format!("/go/{id}"), address, BROWSER).await;
        assert_eq!(r.status(), 302);
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    let to = get_as(&s.app, &format!("/go/{w3}"), "10.0.0.1", BROWSER).await;
    assert_eq!(to.headers()["location"], "https://wire.example/w3");
    // Not counted: that repeat, a robot, a client without a User-Agent.
    get_as(&s.app, &format!("/go/{w4}"), "10.0.0.8", "Googlebot/2.1").await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = anonymous
        .get(format!("{}/go/{w4}", s.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(s.app.get("/go/999999").await.status(), 404);
    assert_eq!(s.app.get("/go/abc").await.status(), 400);

    // Counted in memory and shown at once; written at shutdown.
    let listed = json(&s.app, "/api/items?limit=200").await;
    let views_of = |v: &Value, id: i64| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["views"].as_i64().unwrap())
            .unwrap()
    };
    assert_eq!(views_of(&listed, w3), 3);
    // One item says the same number, pending counts included.
    let one = json(&s.app, &format!("/api/items/{w3}")).await;
    assert_eq!(one["views"], 3, "{one}");
    let Setup {
        db,
        _upstream,
        app,
        ids,
    } = s;
    app.stop().await;

    // A new process on the same store sees the counts.
    let upstream = Upstream::start().await;
    serve(&upstream, "/wire.rss", rss("Wire", &wire_entries())).await;
    serve(&upstream, "/daily.rss", rss("Daily", &daily_entries())).await;
    let app = TestApp::spawn(config(&db, &upstream, "1h")).await;
    let listed = json(&app, "/api/items?limit=200").await;
    assert_eq!(
        [w3, w4, d1, w6].map(|id| views_of(&listed, id)),
        [3, 2, 2, 2]
    );
    assert_eq!(views_of(&listed, ids["w1"]), 0);
    for id in [w3, w4, ids["w1"]] {
        let one = json(&app, &format!("/api/items/{id}")).await;
        assert_eq!(one["views"].as_i64(), Some(views_of(&listed, id)), "{one}");
    }

    // Hot: the FBA story (4 views, 2 sources) beats w3 (3 views, 1 source), which beats w4;
    // one entry per story; never-viewed items are absent.
    let hot = json(&app, "/api/hot?window=24h").await;
    let order = guids(&hot, &ids);
    assert_eq!(order.len(), 3, "{hot}");
    assert!(order[0] == "d1" || order[0] == "w6", "{order:?}");
    assert_eq!(order[1..], ["w3", "w4"]);
    let top = &hot["items"][0];
    assert_eq!(top["score_parts"]["sources"], 2.0);
    assert!((top["score_parts"]["views_decayed"].as_f64().unwrap() - 4.0).abs() < 0.1);
    let week = json(&app, "/api/hot?window=7d&topic=amazon").await;
    let week = guids(&week, &ids);
    assert!(week.len() == 2 && week[1] == "w4", "{week:?}");
    assert_eq!(app.get("/api/hot?window=forever").await.status(), 400);
    assert_eq!(app.get("/api/hot?topic=nope").await.status(), 400);
    app.stop().await;
}
on_both_backends!(
    clicks_count_survive_a_restart_and_rank_hot_reads,
    clicks_count_survive_a_restart_and_rank_hot_reads
);

async fn related_reading_is_similar_recent_and_never_the_same_story(backend: Backend) {
    let s = setup(backend, "1h").await;
    let ids = &s.ids;
    let w6 = ids["w6"];
    let related = json(&s.app, &format!("/api/items/{w6}/related?limit=4")).await;
    let order = guids(&related, ids);
    // Never the item or its other report (d1).
    assert!(
        !order.contains(&"w6".to_owned()) && !order.contains(&"d1".to_owned()),
        "{order:?}"
    );
    // The two other pieces on the FBA inbound fee come first, one from each source.
    let mut top = order[..2].to_vec();
    top.sort();
    assert_eq!(top, ["d2", "w7"], "{related}");
    let first = &related["items"][0];
    let last = &related["items"][3];
    assert!(
        first["score_parts"]["similarity"].as_f64().unwrap() > 0.2,
        "{first}"
    );
    assert!(
        first["score_parts"]["similarity"].as_f64().unwrap()
            > last["score_parts"]["similarity"].as_f64().unwrap(),
        "{related}"
    );
    assert!(first["score_parts"].get("recency").is_some());

    assert_eq!(s.app.get("/api/items/999999/related").await.status(), 404);
    assert_eq!(s.app.get("/api/items/0/related").await.status(), 400);
    assert_eq!(
        s.app
            .get(&format!("/api/items/{w6}/related?limit=500"))
            .await
            .status(),
        400
    );
    s.app.stop().await;
}
on_both_backends!(
    related_reading_is_similar_recent_and_never_the_same_story,
    related_reading_is_similar_recent_and_never_the_same_story
);

async fn recommendations_blend_views_story_size_recency_and_source_weight(backend: Backend) {
    let s = setup(backend, "100ms").await;
    let ids = &s.ids;
    // Views for w3 only.
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        get_as(&s.app, &format!("/go/{}", ids["w3"]), address, BROWSER).await;
    }
    let tag = enc("跨境电商");
    let mut recs = Value::Null;
    for _ in 0..100 {
        recs = json(&s.app, &format!("/api/tags/{tag}/recommendations")).await;
        // Until the flush has written the views the ranking reads.
        if recs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["score_parts"]["views"].as_f64().unwrap() > 0.0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let items = recs["items"].as_array().unwrap();
    assert_eq!(items.len(), 9, "one per story: {recs}");
    let d = crossfeed::config::RecommendWeights::default();
    for item in items {
        let p = &item["score_parts"];
        let blend = d.views * p["views"].as_f64().unwrap()
            + d.cluster * p["cluster"].as_f64().unwrap()
            + d.recency * p["recency"].as_f64().unwrap();
        let expected = blend * p["source_weight"].as_f64().unwrap();
        assert!(
            (item["score"].as_f64().unwrap() - expected).abs() < 1e-9,
            "the score is its parts: {item}"
        );
        let weight = if item["source"]["id"] == "daily" {
            3.0
        } else {
            1.0
        };
        assert_eq!(p["source_weight"].as_f64().unwrap(), weight);
    }
    let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    let order = guids(&recs, ids);
    // The weighted source's items lead; w3 (the only viewed item) leads the rest.
    assert_eq!(order[..3], ["d1", "d3", "d2"], "{recs}");
    assert_eq!(order[3], "w3", "{recs}");
    assert_eq!(
        items[0]["score_parts"]["cluster"], 1.0,
        "d1's story has two sources"
    );
    assert_eq!(
        items[3]["score_parts"]["views"], 1.0,
        "w3 is the most viewed"
    );

    // The same list as a feed.
    let feed = s
        .app
        .get(&format!("/feeds/tags/{tag}/recommended.atom"))
        .await;
    assert_eq!(feed.status(), 200);
    let titles = common::titles(&feed.bytes().await.unwrap());
    let expected: Vec<String> = items
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, expected);
    assert_eq!(
        s.app
            .get(&format!("/feeds/tags/{tag}/recommended.rss?before=1.1"))
            .await
            .status(),
        400
    );
    assert_eq!(
        s.app
            .get("/api/tags/nothing-here/recommendations")
            .await
            .status(),
        404
    );
    assert_eq!(
        s.app
            .get(&format!("/feeds/tags/{tag}/popular.rss"))
            .await
            .status(),
        404
    );
    s.app.stop().await;
    drop(s.db);
}
on_both_backends!(
    recommendations_blend_views_story_size_recency_and_source_weight,
    recommendations_blend_views_story_size_recency_and_source_weight
);
