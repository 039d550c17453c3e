//! `page: auto` sources on both stores: a portal list page served on 127.0.0.1 with no
//! selectors configured yields its main list and nothing from its sidebar; what detection found
//! is kept with the source and reused while it matches, even when the sidebar grows to look
//! more like a list than the main one; a changed layout is found again, with a warning; every
//! portal family of the fixtures stores its main list; a damaged GB2312 page reads in its
//! charset; an undated list takes its dates from the article pages.

use crossfeed::app;
use crossfeed::domain::page::PageSpec;
use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::sources::{self, SourceRow};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{self, Backend, TestDb, Upstream};
use crate::page_detection::renamed;

const HTML: &str = "text/html; charset=utf-8";

async fn serve_page(up: &Upstream, body: String) {
    up.reset().await;
    Mock::given(method("GET"))
        .and(path("/news/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.into_bytes(), HTML))
        .mount(&up.server)
        .await;
}

fn dedecms() -> String {
    String::from_utf8(common::fixture("portals/dedecms.html")).unwrap()
}

/// The titles of the main list, as an editor reads them.
fn main_titles() -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&common::fixture("portals/dedecms.expected.json")).unwrap();
    let mut titles: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

fn stored_titles(db: &TestDb) -> Vec<String> {
    let mut titles: Vec<String> = db
        .store()
        .with_conn(|c| {
            items::latest(
                c,
                &ItemQuery {
                    limit: 200,
                    ..Default::default()
                },
            )
        })
        .unwrap()
        .into_iter()
        .filter_map(|s| s.item.title)
        .collect();
    titles.sort();
    titles
}

fn row(db: &TestDb) -> SourceRow {
    db.store()
        .with_conn(|c| sources::get(c, "portal"))
        .unwrap()
        .unwrap()
}

fn kept(db: &TestDb) -> PageSpec {
    row(db)
        .detected_spec()
        .expect("detection kept with the source")
}

async fn fetch(config: &crossfeed::config::Config) -> crossfeed::ingest::Summary {
    app::fetch_once(config, None, |_, _| {}, |_| {})
        .await
        .unwrap()
}

async fn an_auto_page_keeps_its_list_and_finds_it_again_when_the_layout_changes(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve_page(&up, dedecms()).await;
    let source = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page: auto\n",
        up.url("/news/")
    );
    let config = common::config(&db, &source);

    // First poll: the main list, every entry dated, none of the sidebar's or carousel's.
    let summary = fetch(&config).await;
    assert_eq!((summary.failed, summary.new), (0, 10), "{summary:?}");
    assert_eq!(stored_titles(&db), main_titles());
    let first = kept(&db);
    assert_eq!(row(&db).last_warning, None);

    // The sidebar grows dates and summaries and more entries than the main list: the kept
    // selectors still read the page, so the list does not flip to the sidebar.
    let tempting = dedecms().replace(
        "</a></li><li><a href=\"/news/2026/1130/",
        "</a><span>2026-12-06 09:00</span><p>侧栏条目也带上了摘要，看起来和主列表一样长，一样像文章列表。</p></li><li><a href=\"/news/2026/1130/",
    );
    assert_ne!(tempting, dedecms());
    serve_page(&up, tempting).await;
    let summary = fetch(&config).await;
    assert_eq!((summary.failed, summary.new), (0, 0), "{summary:?}");
    assert_eq!(kept(&db), first);
    assert_eq!(stored_titles(&db), main_titles());

    // Every class renamed: the kept selectors match nothing, so the list is found again,
    // the source says why, and the new selectors are kept.
    serve_page(&up, renamed(&dedecms(), 5)).await;
    let summary = fetch(&config).await;
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(stored_titles(&db), main_titles());
    assert_ne!(kept(&db), first);
    let warning = row(&db).last_warning.unwrap_or_default();
    assert!(warning.contains("layout changed"), "{warning}");
}
on_both_backends!(
    an_auto_page_keeps_its_list,
    an_auto_page_keeps_its_list_and_finds_it_again_when_the_layout_changes
);

/// Pinned selectors win over detection; a page with no list at all fails the poll with a
/// message that says what to do, and is recorded on the source.
async fn pinned_selectors_win_and_a_page_without_a_list_fails_clearly(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve_page(&up, dedecms()).await;
    let source = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page: {{ auto: true, title: \"p.intro\" }}\n",
        up.url("/news/")
    );
    let config = common::config(&db, &source);
    let summary = fetch(&config).await;
    assert_eq!((summary.failed, summary.new), (0, 10), "{summary:?}");
    // The summaries stand in as titles, as pinned.
    assert!(
        stored_titles(&db)
            .iter()
            .any(|t| t.starts_with("平台表示，新服务面向美区跨境卖家开放")),
        "{:?}",
        stored_titles(&db)
    );

    serve_page(
        &up,
        "<html><body><p>维护中，请稍后访问。</p><a href=\"/\">首页</a></body></html>".into(),
    )
    .await;
    let db2 = TestDb::new(backend);
    let config = common::config(&db2, &source);
    let summary = fetch(&config).await;
    assert_eq!(summary.failed, 1, "{summary:?}");
    let error = db2
        .store()
        .with_conn(|c| sources::get(c, "portal"))
        .unwrap()
        .unwrap()
        .last_error
        .unwrap_or_default();
    assert!(error.contains("no list of articles"), "{error}");
}
on_both_backends!(
    pinned_selectors_win,
    pinned_selectors_win_and_a_page_without_a_list_fails_clearly
);

/// An EmpireCMS-era portal page in GB2312 (declared only by `<meta http-equiv>`) with a stray
/// byte and a character cut in half at its end: read in its charset, its main list whole.
async fn a_damaged_gbk_page_reads_in_its_charset(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.reset().await;
    Mock::given(method("GET"))
        .and(path("/news/"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(common::fixture("portals/empire-gbk.html"), "text/html"),
        )
        .mount(&up.server)
        .await;
    let source = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page: auto\n",
        up.url("/news/")
    );
    let config = common::config(&db, &source);
    let summary = fetch(&config).await;
    assert_eq!((summary.failed, summary.new), (0, 12), "{summary:?}");
    let v: serde_json::Value =
        serde_json::from_slice(&common::fixture("portals/empire.expected.json")).unwrap();
    let mut want: Vec<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect();
    want.sort();
    assert_eq!(stored_titles(&db), want);
}
on_both_backends!(a_damaged_gbk_page, a_damaged_gbk_page_reads_in_its_charset);

/// A list that shows no dates: an item has none (`published` null, never the fetch time)
/// until its article page says when it was published, with full content on; an article page
/// that says nothing leaves it undated.
async fn an_undated_list_takes_its_dates_from_the_article_pages(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.reset().await;
    let entry = |n: u32, title: &str| {
        format!(
            "<li><h3><a href=\"/a/{n}.html\">{title}</a></h3><p>这是一段足够长的摘要文字，用来说明这条资讯讲的是什么内容。</p></li>"
        )
    };
    let list = format!(
        "<html lang=\"zh-CN\"><body><ul class=\"list\">{}{}{}</ul></body></html>",
        entry(1, "亚马逊欧洲站调整入仓配置费标准"),
        entry(2, "Shopee巴西站开放跨境卖家自注册"),
        entry(3, "海外仓旺季仓租上涨约一成左右")
    );
    let article = |meta: &str, n: u32| {
        format!(
            "<html><head>{meta}</head><body><article><h1>资讯 {n}</h1><p>平台发布通知，卖家需要在规定时间内完成相关设置，逾期未完成的店铺将受到流量限制。业内人士建议卖家尽早核对后台信息，避免影响旺季销售。</p><p>平台还表示，将在未来几周内陆续推出配套工具，帮助卖家降低运营成本。</p></article></body></html>"
        )
    };
    for (at, body) in [
        ("/news/", list),
        (
            "/a/1.html",
            article(
                "<meta property=\"article:published_time\" content=\"2026-11-26T11:40:00+08:00\">",
                1,
            ),
        ),
        (
            "/a/2.html",
            article("", 2).replace("<h1>", "<div>发布时间：2026-11-25 09:30</div><h1>"),
        ),
        ("/a/3.html", article("", 3)),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body.into_bytes(), HTML))
            .mount(&up.server)
            .await;
    }
    let source = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page: auto\n    full_content: auto\n",
        up.url("/news/")
    );
    let config = common::config(&db, &source);
    let summary = fetch(&config).await;
    assert_eq!((summary.failed, summary.new), (0, 3), "{summary:?}");
    let dated = |start: &str| {
        db.store()
            .with_conn(|c| {
                items::latest(
                    c,
                    &ItemQuery {
                        limit: 10,
                        ..Default::default()
                    },
                )
            })
            .unwrap()
            .into_iter()
            .find(|s| {
                s.item
                    .title
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with(start)
            })
            .map(|s| (s.item.published, s.item.content.is_some()))
            .unwrap()
    };
    let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
    assert_eq!(dated("亚马逊"), (at("2026-11-26T11:40:00+08:00"), true));
    assert_eq!(dated("Shopee"), (at("2026-11-25T09:30:00+08:00"), true));
    assert_eq!(dated("海外仓"), (None, true));
}
on_both_backends!(
    an_undated_list,
    an_undated_list_takes_its_dates_from_the_article_pages
);

/// Every portal family of the fixtures as a `page: auto` source on one store, served on
/// 127.0.0.1 (their example hosts rewritten to the upstream's address): each source stores its
/// main list and nothing beside it.
async fn every_family_stores_its_main_list(backend: Backend) {
    // Each family's host, and the page's path and query there (relative links resolve
    // against it).
    const FAMILIES: &[(&str, &str, &str)] = &[
        ("dedecms", "https://www.kjzx.example.cn", "/news/"),
        ("empire", "https://www.kjzx.example.cn", "/html/news/"),
        ("wordpress", "https://blog.example.com", "/category/news/"),
        ("cards", "https://news.example.net", "/list"),
        (
            "discuz",
            "https://bbs.example.com",
            "/portal.php?mod=list&catid=2",
        ),
        ("timeline", "https://www.chuhai.example.com", "/kuaixun/"),
        ("ordered", "https://insight.example.org", "/p/"),
        (
            "phpcms",
            "https://www.phpcms-news.example.cn",
            "/html/kuajing/",
        ),
    ];
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.reset().await;
    let mut sources = String::new();
    let mut want: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (family, host, at) in FAMILIES {
        let page = String::from_utf8(common::fixture(&format!("portals/{family}.html")))
            .unwrap()
            .replace(host, &up.url(""));
        Mock::given(method("GET"))
            .and(path(at.split('?').next().unwrap()))
            .respond_with(ResponseTemplate::new(200).set_body_raw(page.into_bytes(), HTML))
            .mount(&up.server)
            .await;
        sources.push_str(&format!(
            "  - id: {family}\n    url: \"{}\"\n    timezone: Asia/Shanghai\n    page: auto\n",
            up.url(at)
        ));
        let v: serde_json::Value =
            serde_json::from_slice(&common::fixture(&format!("portals/{family}.expected.json")))
                .unwrap();
        let mut entries: Vec<(String, String)> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["title"].as_str().unwrap().to_owned(),
                    e["link"].as_str().unwrap().replace(host, &up.url("")),
                )
            })
            .collect();
        entries.sort();
        want.push(((*family).to_owned(), entries));
    }
    let config = common::config(&db, &sources);
    let summary = fetch(&config).await;
    assert_eq!(summary.failed, 0, "{summary:?}");
    for (family, entries) in want {
        let mut got: Vec<(String, String)> = db
            .store()
            .with_conn(|c| {
                items::latest(
                    c,
                    &ItemQuery {
                        source: Some(family.clone()),
                        limit: 100,
                        ..Default::default()
                    },
                )
            })
            .unwrap()
            .into_iter()
            .map(|s| {
                (
                    s.item.title.unwrap_or_default(),
                    s.item.link.unwrap_or_default(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, entries, "{family}");
    }
}
on_both_backends!(every_family_stores, every_family_stores_its_main_list);
