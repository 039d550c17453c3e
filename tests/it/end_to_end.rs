//! End to end: a real upstream on 127.0.0.1, the real app on port 0, a fresh store; every test
//! runs on SQLite and on Postgres.

use crate::common;

use crate::common::{Backend, TestApp, TestDb, Upstream, sorted, titles};
use crossfeed::app;
use crossfeed::store::sources;

fn expected_tiktok() -> Vec<String> {
    sorted(vec![
        "TikTok Shop美区上线“先买后付”，首批覆盖家居类目".into(),
        "抖音电商发布年货节招商规则".into(),
        "ＴｉｋＴｏｋ creators drive record Cyber Monday carts".into(),
        "Sellers weigh TikTok Shop against Shopee in Vietnam".into(),
    ])
}

async fn topic_feeds_hold_exactly_their_items(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;
    app.wait_for_first_polls().await;

    let atom = app.get("/feeds/tiktok.atom").await;
    assert_eq!(atom.status(), 200);
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let body = atom.bytes().await.unwrap();
    assert_eq!(sorted(titles(&body)), expected_tiktok());

    // The same items in the other two formats, newest first.
    let rss = app.get("/feeds/tiktok.rss").await;
    assert_eq!(
        rss.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let rss_titles = titles(&rss.bytes().await.unwrap());
    assert_eq!(sorted(rss_titles.clone()), expected_tiktok());
    assert_eq!(
        rss_titles[0], "TikTok Shop美区上线“先买后付”，首批覆盖家居类目",
        "newest first"
    );
    let json = app.get("/feeds/tiktok.json").await;
    assert_eq!(
        json.headers()["content-type"],
        "application/feed+json; charset=utf-8"
    );
    assert_eq!(
        sorted(titles(&json.bytes().await.unwrap())),
        expected_tiktok()
    );

    // Amazon: word boundaries keep "Amazonas" out, the exclusion keeps the river item out.
    let amazon = titles(&app.get("/feeds/amazon.rss").await.bytes().await.unwrap());
    assert_eq!(
        sorted(amazon),
        sorted(vec![
            "亚马逊美国站调整退货政策，服装类退货窗口缩短".into(),
            "Amazon opens a seller hub in Shenzhen".into(),
        ])
    );
    let all = titles(&app.get("/feeds/all.atom").await.bytes().await.unwrap());
    assert_eq!(all.len(), 9, "{all:?}");
    app.stop().await;
}
on_both_backends!(
    topic_feeds_hold_exactly_their_items,
    topic_feeds_hold_exactly_their_items
);

async fn items_link_to_the_original_article_with_absolute_urls(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;
    app.wait_for_first_polls().await;

    let body = app.get("/feeds/tiktok.rss").await.bytes().await.unwrap();
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    let first = &feed.entries[0];
    assert_eq!(first.links[0].href, "https://kx.example.cn/news/1001.html");
    // Zone-less dates were read in the source's zone (Asia/Shanghai).
    assert_eq!(
        first.published.unwrap().to_rfc3339(),
        "2026-11-25T12:42:39+00:00"
    );
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("<script>") && !text.contains("track()"),
        "sanitized: {text}"
    );
    assert!(text.contains(&format!(
        r#"<atom:link href="{}/feeds/tiktok.rss" rel="self""#,
        common::PUBLIC_URL
    )));
    app.stop().await;
}
on_both_backends!(
    items_link_to_the_original_article_with_absolute_urls,
    items_link_to_the_original_article_with_absolute_urls
);

async fn polling_again_stores_nothing_twice(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let config = common::config(&db, &common::fixture_sources(&upstream));

    let first = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (first.sources, first.new, first.updated, first.failed),
        (3, 9, 0, 0)
    );
    let second = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (second.new, second.updated, second.unchanged, second.failed),
        (0, 0, 9, 0)
    );

    let store = db.store();
    let counts: Vec<i64> = ["kuajing", "marketplace", "briefs"]
        .iter()
        .map(|id| {
            store
                .with_conn(|c| crossfeed::store::items::count_for_source(c, id))
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![4, 3, 2]);
}
on_both_backends!(
    polling_again_stores_nothing_twice,
    polling_again_stores_nothing_twice
);

async fn a_changed_upstream_item_is_updated_in_place(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    upstream
        .serve("/kuajing.rss", "kuajing.rss", "application/rss+xml")
        .await;
    let sources_yaml = format!(
        "  - id: kuajing\n    url: {}\n    timezone: Asia/Shanghai\n",
        upstream.url("/kuajing.rss")
    );
    let config = common::config(&db, &sources_yaml);
    app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();

    upstream.reset().await;
    upstream
        .serve("/kuajing.rss", "kuajing-v2.rss", "application/rss+xml")
        .await;
    let again = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((again.new, again.updated, again.unchanged), (1, 1, 1));

    let app = TestApp::spawn(config).await;
    let tiktok = titles(&app.get("/feeds/tiktok.atom").await.bytes().await.unwrap());
    assert_eq!(
        sorted(tiktok),
        sorted(vec![
            "TikTok Shop美区上线“先买后付”，首批覆盖家居与服饰类目".into(),
            "抖音电商发布年货节招商规则".into(),
        ])
    );
    let lazada = titles(&app.get("/feeds/lazada.atom").await.bytes().await.unwrap());
    assert_eq!(lazada, vec!["Lazada泰国站启动双十二大促".to_owned()]);
    app.stop().await;
}
on_both_backends!(
    a_changed_upstream_item_is_updated_in_place,
    a_changed_upstream_item_is_updated_in_place
);

async fn a_broken_upstream_is_recorded_while_the_others_land(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    upstream.fail("/down.xml", 500).await;
    upstream
        .serve("/broken.xml", "broken.xml", "application/rss+xml")
        .await;
    let sources_yaml = format!(
        "{}  - id: down\n    url: {}\n  - id: broken\n    url: {}\n",
        common::fixture_sources(&upstream),
        upstream.url("/down.xml"),
        upstream.url("/broken.xml"),
    );
    let config = common::config(&db, &sources_yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.sources, summary.new, summary.failed), (5, 9, 2));

    let rows = db.store().with_conn(sources::list).unwrap();
    let row = |id: &str| rows.iter().find(|r| r.id == id).unwrap().clone();
    let down = row("down");
    assert_eq!(down.last_status, Some(500));
    assert_eq!(down.error_count, 1);
    assert_eq!(down.last_error.as_deref(), Some("HTTP 500"));
    let broken = row("broken");
    assert_eq!(broken.error_count, 1);
    assert!(
        broken
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("not a feed"),
        "{broken:?}"
    );
    assert!(
        broken.next_fetch_at > broken.last_fetch_at.unwrap(),
        "retried later, not dropped"
    );
    let ok = row("kuajing");
    assert_eq!(
        (ok.error_count, ok.last_error.clone(), ok.last_status),
        (0, None, Some(200))
    );

    // A second failure counts up; the good sources stay untouched.
    app::fetch_once(&config, Some("down"), |_, _| {}, |_| {})
        .await
        .unwrap();
    let rows = db.store().with_conn(sources::list).unwrap();
    assert_eq!(rows.iter().find(|r| r.id == "down").unwrap().error_count, 2);
}
on_both_backends!(
    a_broken_upstream_is_recorded_while_the_others_land,
    a_broken_upstream_is_recorded_while_the_others_land
);

async fn bad_requests_get_json_errors(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;

    for (path, status, code) in [
        ("/feeds/nosuchtopic.rss", 404, "not_found"),
        ("/feeds/tiktok.xml", 404, "not_found"),
        ("/feeds/tiktok.rss?limit=0", 400, "bad_parameter"),
        ("/feeds/tiktok.rss?limit=abc", 400, "bad_parameter"),
        ("/feeds/tiktok.rss?limit=201", 400, "bad_parameter"),
        ("/feeds/tiktok.rss?colour=red", 400, "bad_parameter"),
        ("/feeds/tiktok.rss?source=nowhere", 400, "bad_parameter"),
        ("/no/such/route", 404, "not_found"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}"
        );
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}
on_both_backends!(bad_requests_get_json_errors, bad_requests_get_json_errors);

async fn feeds_answer_conditional_gets_and_filters(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;
    app.wait_for_first_polls().await;

    let first = app.get("/feeds/all.rss").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let again = app
        .client
        .get(format!("{}/feeds/all.rss", app.base))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let since = app
        .client
        .get(format!("{}/feeds/all.rss", app.base))
        .header("If-Modified-Since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), 304);
    let other = app
        .client
        .get(format!("{}/feeds/all.rss", app.base))
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);

    let limited = titles(
        &app.get("/feeds/all.json?limit=2")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(limited.len(), 2);
    let briefs = titles(
        &app.get("/feeds/all.atom?source=briefs")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(
        sorted(briefs),
        sorted(vec![
            "Sellers weigh TikTok Shop against Shopee in Vietnam".into(),
            "Amazon opens a seller hub in Shenzhen".into()
        ])
    );

    let topics: serde_json::Value =
        serde_json::from_slice(&app.get("/api/topics").await.bytes().await.unwrap()).unwrap();
    let counts: Vec<(String, i64)> = topics["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["slug"].as_str().unwrap().to_owned(),
                t["items"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("tiktok".into(), 4),
            ("amazon".into(), 2),
            ("lazada".into(), 1)
        ]
    );
    assert_eq!(
        topics["items"][0]["feeds"]["atom"],
        format!("{}/feeds/tiktok.atom", common::PUBLIC_URL)
    );
    app.stop().await;
}
on_both_backends!(
    feeds_answer_conditional_gets_and_filters,
    feeds_answer_conditional_gets_and_filters
);

async fn the_shipped_configuration_serves_the_bundled_samples_offline(backend: Backend) {
    let db = TestDb::new(backend);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/crossfeed.yaml");
    let mut config = crossfeed::config::Config::load(&path).unwrap();
    // The sample portal is a page on this server: it must answer at the public URL.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let public = format!("http://{address}");
    config
        .apply_env(|k| match k {
            "DATABASE_URL" => Some(db.url.clone()),
            "CROSSFEED_LISTEN" => Some(address.clone()),
            "CROSSFEED_PUBLIC_URL" => Some(public.clone()),
            _ => None,
        })
        .unwrap();
    let app = TestApp::spawn(config).await;
    app.wait_for_first_polls().await;

    let rows = app.running.store.run(sources::list).await.unwrap();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.last_error.is_none()), "{rows:?}");

    // The portal without a feed: both list pages read, the advert left out, every article
    // fetched by the background job (one of them a GBK page).
    let mut portal = Vec::new();
    for _ in 0..200 {
        portal = app
            .running
            .store
            .run(|c| {
                crossfeed::store::items::latest(
                    c,
                    &crossfeed::store::items::ItemQuery {
                        source: Some("kuajingyan-portal".into()),
                        limit: 50,
                        ..Default::default()
                    },
                )
            })
            .await
            .unwrap();
        if portal.len() == 5 && portal.iter().all(|i| i.item.content.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(portal.len(), 5);
    // The second portal, read with page: auto: its timeline's six entries, each dated by its
    // day header and time, none of the hot list beside it.
    let kuaixun = app
        .running
        .store
        .run(|c| {
            crossfeed::store::items::latest(
                c,
                &crossfeed::store::items::ItemQuery {
                    source: Some("chuhai-kuaixun".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
        })
        .await
        .unwrap();
    assert_eq!(kuaixun.len(), 6);
    let temu = kuaixun
        .iter()
        .find(|i| {
            i.item
                .title
                .as_deref()
                .unwrap_or_default()
                .contains("Temu半托管")
        })
        .unwrap();
    assert_eq!(
        temu.item.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-11-26T03:40:00+00:00")
    );
    // Only files inside the samples directory are served.
    for escape in [
        "/samples/portal/..%2F..%2Fcrossfeed.yaml",
        "/samples/%2E%2E/crossfeed.yaml",
        "/samples/.hidden",
        "/samples/portal/",
    ] {
        assert_eq!(app.get(escape).await.status(), 404, "{escape}");
    }
    let page = app.get("/samples/portal/news.html").await;
    assert_eq!(page.headers()["content-type"], "text/html");
    for item in &portal {
        let link = item.item.link.as_deref().unwrap();
        assert!(
            link.starts_with(&format!("{public}/samples/portal/a/")),
            "{link}"
        );
        let content = item.item.content.as_deref().unwrap_or_default();
        assert!(content.contains("<p>"), "{link}: {content}");
        assert!(
            !content.contains("推荐阅读") && !content.contains("版权所有"),
            "{content}"
        );
    }

    let feed = |slug: &'static str| {
        let app = &app;
        async move {
            sorted(titles(
                &app.get(&format!("/feeds/{slug}.rss"))
                    .await
                    .bytes()
                    .await
                    .unwrap(),
            ))
        }
    };
    assert_eq!(
        feed("tiktok").await,
        sorted(vec![
            "TikTok Shop美区黑五大促首日：家居与美妆类目订单量翻倍".into(),
            "Court schedules hearing in TikTok's U.S. ownership dispute".into(),
            "TikTok东南亚直播电商：泰国站服饰类目增长最快".into(),
            "TikTok Shop opens cross-border selling in Japan to Chinese merchants".into(),
            "TikTok Shop Malaysia hands live sellers a lower commission in December".into(),
            "TikTok Shop 美区上线“海外仓发货”标签，履约时效纳入店铺评分".into(),
            "抖音电商“全球购”新增宠物用品类目，跨境商家可申请首批白名单".into(),
            "Ep. 87: Working with TikTok affiliate creators without burning cash".into(),
        ])
    );
    assert_eq!(
        feed("amazon").await,
        sorted(vec![
            "Amazon trims referral fees on low-priced apparel for 2027".into(),
            "Amazon to open two fulfillment centers near Monterrey".into(),
            "亚马逊日本站开放中国卖家新品牌孵化计划".into(),
            "亚马逊公布2027年FBA费用调整：小号标准件配送费小幅下调".into(),
            "亚马逊欧洲站调整入仓配置费，轻小商品计划同步更新".into(),
            "What Prime Big Deal Days taught small brands about ad budgets".into(),
            "Ep. 86: Amazon PPC after the 2026 placement changes".into(),
        ]),
        "the rainforest story stays out"
    );
    assert_eq!(
        feed("lazada").await,
        sorted(vec![
            "Ep. 88: Scaling a home-goods brand on Lazada and Shopee".into(),
            "Lazada's 11.11 sale set a Philippine record for cross-border orders".into(),
            "Shopee and Lazada trade places in Indonesian electronics".into(),
            "Lazada adds a cross-border returns hub in Shenzhen".into(),
            "Lazada放宽LazMall跨境入驻门槛，新增越南、泰国本地仓选项".into(),
            "来赞达越南站年终大促报名开启，跨境卖家可享免佣".into(),
            "Lazada 越南站推出大促前备货补贴".into(),
        ])
    );
    let all = titles(
        &app.get("/feeds/all.json?limit=200")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(all.len(), 38);
    app.stop().await;
}
on_both_backends!(
    the_shipped_configuration_serves_the_bundled_samples_offline,
    the_shipped_configuration_serves_the_bundled_samples_offline
);

async fn sources_report_their_health_and_refresh_needs_the_admin_token(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    upstream.fail("/down.xml", 500).await;
    let yaml = format!(
        "{}  - id: down\n    url: {}\n",
        common::fixture_sources(&upstream),
        upstream.url("/down.xml")
    );
    let app = TestApp::spawn_with_token(common::config(&db, &yaml), Some("s3cret")).await;
    app.wait_for_first_polls().await;

    let body: serde_json::Value =
        serde_json::from_slice(&app.get("/api/sources").await.bytes().await.unwrap()).unwrap();
    let list = body["items"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    let by_id = |id: &str| list.iter().find(|s| s["id"] == id).unwrap().clone();
    let kuajing = by_id("kuajing");
    assert_eq!(kuajing["items"], 4);
    assert_eq!(kuajing["last_status"], 200);
    assert_eq!(kuajing["enabled"], true);
    assert_eq!(kuajing["tags"], serde_json::json!(["中文"]));
    assert!(kuajing["last_fetched_at"].as_str().unwrap().ends_with('Z'));
    let down = by_id("down");
    assert_eq!(
        (down["last_status"].clone(), down["error_count"].clone()),
        (500.into(), 1.into())
    );
    assert_eq!(down["last_error"], "HTTP 500");
    assert_eq!(down["items"], 0);

    let refresh = |token: Option<&'static str>, id: &'static str| {
        let mut request = app
            .client
            .post(format!("{}/api/sources/{id}/refresh", app.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    assert_eq!(refresh(None, "down").await.unwrap().status(), 401);
    assert_eq!(refresh(Some("wrong"), "down").await.unwrap().status(), 403);
    assert_eq!(
        refresh(Some("s3cret"), "nosuch").await.unwrap().status(),
        404
    );
    let accepted = refresh(Some("s3cret"), "down").await.unwrap();
    assert_eq!(accepted.status(), 202);
    // The scheduler is woken and polls the source again at once.
    let store = app.running.store.clone();
    let mut errors = 1;
    for _ in 0..100 {
        let rows = store.run(sources::list).await.unwrap();
        errors = rows.iter().find(|r| r.id == "down").unwrap().error_count;
        if errors == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(errors, 2, "refreshed source was polled again");
    app.stop().await;
}
on_both_backends!(
    sources_report_their_health_and_refresh_needs_the_admin_token,
    sources_report_their_health_and_refresh_needs_the_admin_token
);

async fn reclassify_applies_changed_topic_rules_without_refetching(backend: Backend) {
    use crossfeed::config::TopicConfig;
    use crossfeed::domain::TopicSlug;
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let mut config = common::config(&db, &common::fixture_sources(&upstream));
    app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();

    // New rules: tiktok loses its Chinese keywords, a shopee topic appears.
    config.topics[0].keywords.retain(|k| !k.contains('抖'));
    config.topics.push(TopicConfig::new(
        TopicSlug::parse("shopee").unwrap(),
        "Shopee",
        vec!["Shopee".into(), "虾皮".into()],
    ));
    let dry = app::reclassify_stored(&config, None, true).await.unwrap();
    assert_eq!((dry.items, dry.changed_items), (9, 2), "{dry:?}");
    let tiktok = &dry.topics["tiktok"];
    assert_eq!((tiktok.added, tiktok.removed), (0, 1));
    assert_eq!(
        tiktok.removed_examples,
        vec!["抖音电商发布年货节招商规则".to_owned()]
    );
    let shopee = &dry.topics["shopee"];
    assert_eq!((shopee.added, shopee.removed), (1, 0));
    assert_eq!(
        shopee.added_examples,
        vec!["Sellers weigh TikTok Shop against Shopee in Vietnam".to_owned()]
    );

    // The dry run changed nothing: running it again reports the same.
    assert_eq!(
        app::reclassify_stored(&config, None, true).await.unwrap(),
        dry
    );
    // Only one topic: the shopee change alone.
    let only = app::reclassify_stored(&config, Some("shopee"), true)
        .await
        .unwrap();
    assert_eq!((only.changed_items, only.topics.len()), (1, 1));
    assert!(
        app::reclassify_stored(&config, Some("nosuch"), true)
            .await
            .is_err()
    );

    let applied = app::reclassify_stored(&config, None, false).await.unwrap();
    assert_eq!(applied, dry);
    let after = app::reclassify_stored(&config, None, true).await.unwrap();
    assert_eq!(
        after.changed_items, 0,
        "applied once, nothing left to change"
    );
    let app = TestApp::spawn(config).await;
    let shopee_feed = titles(&app.get("/feeds/shopee.rss").await.bytes().await.unwrap());
    assert_eq!(
        shopee_feed,
        vec!["Sellers weigh TikTok Shop against Shopee in Vietnam".to_owned()]
    );
    let tiktok_feed = titles(&app.get("/feeds/tiktok.rss").await.bytes().await.unwrap());
    assert_eq!(tiktok_feed.len(), 3);
    app.stop().await;
}
on_both_backends!(
    reclassify_applies_changed_topic_rules_without_refetching,
    reclassify_applies_changed_topic_rules_without_refetching
);
