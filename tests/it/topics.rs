//! Topics and tags through the whole stack: what matched is stored and shown, tags get lists
//! and feeds, changed rules are applied to stored items at start and on reload, and a bad file
//! on reload changes nothing. Every test runs on SQLite and on Postgres.

use crate::common;

use std::path::Path;

use crate::common::{Backend, TestApp, TestDb, Upstream, titles};
use crossfeed::app;
use crossfeed::config::Config;
use crossfeed::store::items::{self, ItemQuery};

/// Tag settings the tests use on top of the common configuration.
const TAGS_YAML: &str = "
tags:
  max_per_item: 6
  extract: 2
  synonyms:
    Amazon: [亚马逊, amazon.com]
";

/// The common test configuration plus `extra` YAML, written to the db's directory.
fn config_with(db: &TestDb, upstream: &Upstream, extra: &str) -> Config {
    let base = common::config(db, &common::fixture_sources(upstream));
    rewrite(&base.path, extra)
}

/// Append `extra` to the configuration file at `path` (its sources and topics stay) and load.
fn rewrite(path: &Path, extra: &str) -> Config {
    let text = std::fs::read_to_string(path).unwrap();
    let base = text.split("\n# extra\n").next().unwrap().to_owned();
    std::fs::write(path, format!("{base}\n# extra\n{extra}")).unwrap();
    Config::load(path).unwrap()
}

async fn item_id(app: &TestApp, title: &str) -> i64 {
    let all = app
        .running
        .store
        .run(|c| {
            items::latest(
                c,
                &ItemQuery {
                    limit: 100,
                    ..ItemQuery::default()
                },
            )
        })
        .await
        .unwrap();
    all.iter()
        .find(|i| i.item.title.as_deref() == Some(title))
        .unwrap_or_else(|| panic!("no stored item titled {title:?}"))
        .id
        .get()
}

async fn json(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

async fn an_item_shows_why_it_is_in_its_topics_and_its_tags(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = config_with(&db, &upstream, TAGS_YAML);
    let app = TestApp::spawn(config).await;
    app.wait_for_first_polls().await;

    let id = item_id(&app, "亚马逊美国站调整退货政策，服装类退货窗口缩短").await;
    let (status, item) = json(&app, &format!("/api/items/{id}")).await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["id"], id);
    assert_eq!(item["url"], "https://kx.example.cn/news/1002.html");
    assert_eq!(item["source"]["id"], "kuajing");
    let topics = item["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 1, "{item}");
    assert_eq!(topics[0]["slug"], "amazon");
    assert_eq!(topics[0]["title"], "Amazon");
    let matched = topics[0]["matched"].as_array().unwrap();
    assert!(
        matched
            .contains(&serde_json::json!({"term": "亚马逊", "rule": "keyword", "field": "title"})),
        "{matched:?}"
    );
    // 亞馬遜 (Traditional) in the categories folds to the keyword too.
    assert!(
        matched.contains(
            &serde_json::json!({"term": "亚马逊", "rule": "keyword", "field": "categories"})
        ),
        "{matched:?}"
    );

    // Tags: the category through the synonym map, the other category, the source's tag,
    // then extracted keywords, at most 6.
    let tags = item["tags"].as_array().unwrap();
    let keys: Vec<&str> = tags.iter().map(|t| t["tag"].as_str().unwrap()).collect();
    assert_eq!(&keys[..3], &["amazon", "退货政策", "中文"], "{tags:?}");
    assert_eq!(tags[0]["label"], "Amazon");
    assert_eq!(tags[0]["kind"], "category");
    assert_eq!(tags[2]["kind"], "source");
    assert!(tags.len() <= 5, "{tags:?}");
    assert!(tags[3..].iter().all(|t| t["kind"] == "keyword"), "{tags:?}");

    // Keywords are extracted beside polling, by the keyword job: they arrive shortly.
    let mut keywords: Vec<String> = Vec::new();
    for _ in 0..200 {
        let (_, item) = json(&app, &format!("/api/items/{id}")).await;
        keywords = item["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["kind"] == "keyword")
            .map(|t| t["tag"].as_str().unwrap().to_owned())
            .collect();
        if !keywords.is_empty() {
            let all = item["tags"].as_array().unwrap();
            assert!(
                all.len() <= 5,
                "category, category, source, 2 keywords: {all:?}"
            );
            let keys: Vec<&str> = all.iter().map(|t| t["tag"].as_str().unwrap()).collect();
            assert_eq!(&keys[..3], &["amazon", "退货政策", "中文"], "{all:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        keywords
            .iter()
            .any(|k| ["退货", "服装", "服装类", "退货窗口", "美国站", "窗口"].contains(&k.as_str())),
        "extracted keywords: {keywords:?}"
    );

    let (status, missing) = json(&app, "/api/items/999999").await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, bad) = json(&app, "/api/items/abc").await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("bad_parameter"))
    );
    app.stop().await;
}
on_both_backends!(
    an_item_shows_why_it_is_in_its_topics_and_its_tags,
    an_item_shows_why_it_is_in_its_topics_and_its_tags
);

async fn tags_are_listed_by_use_and_have_feeds(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = config_with(&db, &upstream, TAGS_YAML);
    let app = TestApp::spawn(config).await;
    app.wait_for_first_polls().await;

    let (status, list) = json(&app, "/api/tags").await;
    assert_eq!(status, 200);
    let tags = list["items"].as_array().unwrap();
    assert_eq!(
        tags[0]["tag"], "中文",
        "the source tag is on all four kuajing items: {list}"
    );
    assert_eq!(tags[0]["items"], 4);
    let counts: Vec<i64> = tags.iter().map(|t| t["items"].as_i64().unwrap()).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most used first: {counts:?}"
    );
    assert_eq!(
        tags[0]["feeds"]["rss"],
        "http://crossfeed.test/feeds/tags/%E4%B8%AD%E6%96%87.rss"
    );
    let (_, rare) = json(&app, "/api/tags?min_count=4&limit=5").await;
    assert_eq!(rare["items"].as_array().unwrap().len(), 1, "{rare}");
    let (status, _) = json(&app, "/api/tags?limit=0").await;
    assert_eq!(status, 400);

    // A Chinese tag, percent-encoded; a synonym or another spelling reaches the same feed.
    let r = app.get("/feeds/tags/%E4%B8%AD%E6%96%87.rss").await;
    assert_eq!(r.status(), 200);
    assert_eq!(titles(&r.bytes().await.unwrap()).len(), 4);
    for spelling in [
        "amazon",
        "AMAZON",
        "%E4%BA%9A%E9%A9%AC%E9%80%8A",
        "%E4%BA%9E%E9%A6%AC%E9%81%9C",
    ] {
        let r = app.get(&format!("/feeds/tags/{spelling}.atom")).await;
        assert_eq!(r.status(), 200, "{spelling}");
        assert_eq!(
            titles(&r.bytes().await.unwrap()),
            vec!["亚马逊美国站调整退货政策，服装类退货窗口缩短".to_owned()],
            "{spelling}"
        );
    }
    // The tag parameter narrows a topic feed.
    let r = app.get("/feeds/amazon.rss?tag=Amazon").await;
    assert_eq!(titles(&r.bytes().await.unwrap()).len(), 1);
    let r = app.get("/feeds/all.rss?tag=%E4%B8%AD%E6%96%87").await;
    assert_eq!(titles(&r.bytes().await.unwrap()).len(), 4);

    let (status, e) = json(&app, "/feeds/tags/nosuchtag.rss").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, e) = json(&app, "/feeds/tags/x.rss").await;
    assert_eq!(status, 404, "a junk tag has no feed: {e}");
    let (status, e) = json(&app, "/feeds/all.rss?tag=1").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("bad_parameter"))
    );
    app.stop().await;
}
on_both_backends!(
    tags_are_listed_by_use_and_have_feeds,
    tags_are_listed_by_use_and_have_feeds
);

async fn changed_rules_are_applied_to_stored_items_at_start(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = config_with(&db, &upstream, "");
    app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();

    // The upstreams go away: whatever changes now comes from the stored items alone.
    upstream.reset().await;
    let changed = rewrite(
        &config.path,
        "  - slug: freight\n    title: 海运\n    keywords: [海运, 运价]\n",
    );
    assert_eq!(changed.topics.len(), 4);
    let mut app = TestApp::spawn(changed).await;
    app.running.rules_applied().await;
    let r = app.get("/feeds/freight.rss").await;
    assert_eq!(
        titles(&r.bytes().await.unwrap()),
        vec!["海运价格指数本周小幅上涨".to_owned()]
    );
    app.stop().await;

    // Started again with the same rules, nothing is redone.
    let same = Config::load(&config.path).unwrap();
    let rules = crossfeed::rules::Rules::new(&same).unwrap();
    let store = db.store();
    let again = store
        .run(move |c| crossfeed::reclassify::apply_if_changed(c, &rules))
        .await
        .unwrap();
    assert!(again.is_none(), "{again:?}");
}
on_both_backends!(
    changed_rules_are_applied_to_stored_items_at_start,
    changed_rules_are_applied_to_stored_items_at_start
);

async fn reload_applies_a_good_file_and_refuses_a_bad_one(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = config_with(&db, &upstream, "");
    let path = config.path.clone();
    let app = TestApp::spawn_with_token(config, Some("s3cret")).await;
    app.wait_for_first_polls().await;
    let reload = || {
        app.client
            .post(format!("{}/api/reload", app.base))
            .bearer_auth("s3cret")
            .send()
    };
    let unauthorized = app
        .client
        .post(format!("{}/api/reload", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);

    rewrite(
        &path,
        "  - slug: freight\n    title: 海运\n    keywords: [海运, 运价]\n",
    );
    let r = reload().await.unwrap();
    assert_eq!(r.status(), 200);
    let report: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(report["reclassified"]["changed"], 1, "{report}");
    let (_, topics) = json(&app, "/api/topics").await;
    let slugs: Vec<&str> = topics["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, vec!["tiktok", "amazon", "lazada", "freight"]);
    let r = app.get("/feeds/freight.rss").await;
    assert_eq!(titles(&r.bytes().await.unwrap()).len(), 1);

    // A broken file: refused with its place, and the running rules stay.
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        good.replace("keywords: [海运, 运价]", "keywords: [海运, 运价"),
    )
    .unwrap();
    let r = reload().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(e["error"]["code"], "bad_config");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("crossfeed.yaml:"), "{message}");
    assert!(
        message
            .split(':')
            .nth(1)
            .is_some_and(|l| l.parse::<u32>().is_ok()),
        "line number: {message}"
    );
    // A valid file with a semantic error is refused the same way.
    std::fs::write(&path, good.replace("slug: freight", "slug: Freight!")).unwrap();
    assert_eq!(reload().await.unwrap().status(), 422);
    let r = app.get("/feeds/freight.rss").await;
    assert_eq!(r.status(), 200, "the old configuration is still in force");
    assert_eq!(titles(&r.bytes().await.unwrap()).len(), 1);
    app.stop().await;
}
on_both_backends!(
    reload_applies_a_good_file_and_refuses_a_bad_one,
    reload_applies_a_good_file_and_refuses_a_bad_one
);
