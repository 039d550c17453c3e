//! A real browser over the website: the system's headless Chromium, driven by playwright-core
//! (tests/browser/check.mjs), loads the front page, a topic page, an item page and a search
//! page of a running crossfeed at desktop and phone widths. No console errors or warnings, no
//! Content-Security-Policy violations, no failed requests, no script, no sideways scrolling;
//! screenshots are saved under `target/tmp/website-screenshots/`.
//!
//! Needs Chromium (`apt install chromium`) and `npm ci` in tests/browser (scripts/test does both).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{Backend, TestApp, TestDb, Upstream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

/// A feed with pictures (served by the test's upstream on 127.0.0.1).
fn pictured(upstream: &Upstream) -> String {
    let img = upstream.url("/img/thumb.png");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>跨境视界</title><link>https://shijie.example/</link><description>图文快讯</description>
<item><guid isPermaLink="false">p1</guid><title>Shopee 9.9 大促：跨境卖家物流时效提升两天</title>
<link>https://shijie.example/p1</link><pubDate>Wed, 25 Nov 2026 09:30:00 +0800</pubDate>
<media:thumbnail url="{img}" width="240" height="160"/>
<description>&lt;p&gt;Shopee 公布 9.9 大促数据，跨境物流平均时效缩短两天，东南亚多个站点订单增长。&lt;/p&gt;&lt;p&gt;&lt;img src="{img}" alt="数据图"&gt;&lt;/p&gt;</description></item>
<item><guid isPermaLink="false">p2</guid><title>Lazada 调整跨境物流费用，部分类目下调 5%</title>
<link>https://shijie.example/p2</link><pubDate>Tue, 24 Nov 2026 18:00:00 +0800</pubDate>
<media:thumbnail url="{img}" width="240" height="160"/>
<description>Lazada 宣布下调部分类目的跨境物流费用，新规下月生效。</description></item>
</channel></rss>
"#
    )
}

fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn require_tools() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is needed for this test: apt install chromium (scripts/test does)"
    );
    assert!(
        node_modules().join("node_modules/playwright-core").exists(),
        "playwright-core is needed for this test: (cd tests/browser && npm ci) (scripts/test does)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_shows_every_page_without_errors_on_desktop_and_phone() {
    require_tools();
    let db = TestDb::new(Backend::Sqlite);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    Mock::given(method("GET"))
        .and(path("/pictured.rss"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(pictured(&upstream), "application/rss+xml"),
        )
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/img/thumb.png"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(common::fixture("thumb.png"), "image/png"),
        )
        .mount(&upstream.server)
        .await;
    let sources = format!(
        "{}  - id: shijie\n    url: {}\n    tags: [跨境电商]\ndiscovery:\n  flush_interval: 100ms\n",
        common::fixture_sources(&upstream),
        upstream.url("/pictured.rss")
    );
    let app = TestApp::spawn(common::config(&db, &sources)).await;
    app.wait_for_first_polls().await;

    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("website-screenshots");
    let _ = std::fs::remove_dir_all(&out);

    // A fresh install, before anyone has read or searched: both sidebar boxes are filled with
    // their labelled stand-ins.
    let fresh = check_pages(&app.base, &out.join("fresh-install"), vec!["/".to_owned()]).await;
    assert_eq!(fresh["pages"].as_array().unwrap().len(), 2, "{fresh}");
    let home = reqwest::Client::new()
        .get(format!("{}/", app.base))
        .header("User-Agent", BROWSER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("近期要闻") && home.contains("推荐搜索"),
        "{home}"
    );

    // Something in every part of the pages: indexed items, a view (hot reads), a search
    // (popular searches).
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{}{path}", app.base))
            .header("User-Agent", BROWSER)
            .send()
    };
    let mut item = None;
    for _ in 0..300 {
        let found: serde_json::Value = serde_json::from_slice(
            &get("/api/search?q=%E7%89%A9%E6%B5%81".into())
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        if let Some(id) = found["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["image"].is_string()))
            .and_then(|i| i["id"].as_i64())
        {
            item = Some(id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let item = item.expect("the pictured items were indexed within 30 seconds");
    get(format!("/items/{item}")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let pages = [
        "/".to_owned(),
        "/topics/tiktok".to_owned(),
        format!("/items/{item}"),
        "/search?q=%E7%89%A9%E6%B5%81".to_owned(),
    ];
    let report = check_pages(&app.base, &out, pages.to_vec()).await;
    assert_eq!(report["pages"].as_array().unwrap().len(), 8, "{report}");
    println!("screenshots in {}", out.display());
    app.stop().await;
}

/// Chromium loads each page at desktop and phone widths (tests/browser/check.mjs); nothing may
/// go wrong, and each screenshot saved under `out` must be a real picture. The report.
async fn check_pages(base: &str, out: &std::path::Path, pages: Vec<String>) -> serde_json::Value {
    let script = node_modules().join("check.mjs");
    let (base, out_arg) = (base.to_owned(), out.to_owned());
    let result = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(base)
            .arg(out_arg)
            .args(pages)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "the browser found problems:\n{report}\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(report["problems"].as_array().unwrap().is_empty());
    for page in report["pages"].as_array().unwrap() {
        assert_eq!(page["status"], 200, "{page}");
        let shot = out.join(page["screenshot"].as_str().unwrap());
        let bytes = std::fs::read(&shot).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{} is not a real screenshot",
            shot.display()
        );
    }
    report
}
