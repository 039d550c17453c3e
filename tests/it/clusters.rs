//! The same story from several sources: folded into one cluster by canonical link or by
//! similar text (a reworded headline, a summary-only repost of a full article), shown once in feeds with the other reports listed, every report with
//! `dedupe=false`. Both stores.

use crate::common;

use crate::common::{Backend, TestApp, TestDb, Upstream, titles};
use crossfeed::app;
use crossfeed::store::items::{self, ItemQuery};

async fn json(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

async fn reposts_fold_into_one_story(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    upstream
        .serve("/wire.rss", "repost-wire.rss", "application/rss+xml")
        .await;
    upstream
        .serve("/mirror.atom", "repost-mirror.atom", "application/atom+xml")
        .await;
    let sources = format!(
        "  - id: wire\n    title: 出海通讯社\n    url: {}\n  - id: mirror\n    title: 跨境镜报\n    url: {}\n",
        upstream.url("/wire.rss"),
        upstream.url("/mirror.atom")
    );
    let config = common::config(&db, &sources);
    // The wire reports first: its items are the heads of their stories.
    app::fetch_once(&config, Some("wire"), |_, _| {}, |_| {})
        .await
        .unwrap();
    let summary = app::fetch_once(&config, Some("mirror"), |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.new, 4);

    let app = TestApp::spawn(config).await;
    // Polls store items unclustered; the background job folds them a moment later.
    let mut all = Vec::new();
    for _ in 0..200 {
        all = app
            .running
            .store
            .run(|c| {
                items::latest(
                    c,
                    &ItemQuery {
                        limit: 50,
                        ..ItemQuery::default()
                    },
                )
            })
            .await
            .unwrap();
        if all.iter().all(|i| i.cluster_id.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(all.len(), 7);
    let id_of = |title: &str| {
        all.iter()
            .find(|i| i.item.title.as_deref() == Some(title))
            .unwrap()
            .id
    };
    let cluster_of = |title: &str| {
        all.iter()
            .find(|i| i.item.title.as_deref() == Some(title))
            .unwrap()
            .cluster_id
    };
    // Similar text (a reworded headline over the same report): the wire's item is the head.
    assert_eq!(
        cluster_of("希音秘密递表伦敦交易所"),
        Some(id_of("SHEIN提交伦敦上市申请"))
    );
    // The same link with tracking parameters, http and www.: a sure match, whatever the text.
    assert_eq!(
        cluster_of("转载：Temu英国本地仓上线"),
        Some(id_of("Temu在英国启用本地仓"))
    );
    // A summary-only repost: the article's opening under another headline.
    assert_eq!(
        cluster_of("亚马逊欧洲：未提交税号将暂停销售"),
        Some(id_of("亚马逊欧洲站要求卖家3月前补齐增值税号"))
    );
    // Another SHEIN story from the same desk stands alone.
    let brazil = id_of("SHEIN在巴西建设本地供应链");
    assert_eq!(cluster_of("SHEIN在巴西建设本地供应链"), Some(brazil));

    // Feeds: one item per story by default, every item with dedupe=false.
    let deduped = titles(&app.get("/feeds/all.rss").await.bytes().await.unwrap());
    assert_eq!(deduped.len(), 4, "{deduped:?}");
    let every = titles(
        &app.get("/feeds/all.rss?dedupe=false")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(every.len(), 7, "{every:?}");
    let (status, e) = json(&app, "/feeds/all.rss?dedupe=maybe").await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("bad_parameter"))
    );

    // The story shows the other reports, in the content and in the JSON Feed extension.
    let (_, feed) = json(&app, "/feeds/all.json").await;
    let items = feed["items"].as_array().unwrap();
    let shein = items
        .iter()
        .find(|i| i["title"] == "希音秘密递表伦敦交易所" || i["title"] == "SHEIN提交伦敦上市申请")
        .unwrap();
    assert_eq!(shein["_crossfeed"]["cluster_size"], 2, "{shein}");
    let html = shein["content_html"].as_str().unwrap();
    assert!(html.contains("Also reported by"), "{html}");
    let other = &shein["_crossfeed"]["also_reported_by"][0];
    assert_ne!(other["source"], shein["_crossfeed"]["source"]);
    let rss = String::from_utf8(
        app.get("/feeds/all.rss")
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(rss.contains("Also reported by"), "{rss}");

    let head = id_of("SHEIN提交伦敦上市申请").get();
    let (status, item) = json(
        &app,
        &format!("/api/items/{}", id_of("希音秘密递表伦敦交易所")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(item["cluster_id"], head);
    assert_eq!(item["cluster_size"], 2);
    assert_eq!(item["also_reported_by"][0]["id"], head);
    assert_eq!(item["also_reported_by"][0]["source"], "wire");
    let (_, alone) = json(&app, &format!("/api/items/{brazil}")).await;
    assert_eq!(alone["cluster_size"], 1);
    app.stop().await;
}
on_both_backends!(reposts_fold_into_one_story, reposts_fold_into_one_story);
