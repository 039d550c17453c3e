//! Page sources: sites that publish no feed, read through CSS selectors from list pages served
//! on 127.0.0.1 in the manner of a Chinese portal (navigation, sidebar boxes, a pager, lazy
//! images, relative links, GBK declared only by `<meta>`).

use chrono::{Duration, Utc};
use crossfeed::app;
use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::sources::{self, SourceRow};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{self, Backend, TestDb, Upstream};

const PORTAL_PAGE: &str = "
    page:
      item: \"ul.news-list > li\"
      title: \"h3 a\"
      link: \"h3 a@href\"
      date: \"span.time\"
      summary: \"p.desc\"
      image: \"img@src\"
      next: \"a.next@href\"
      max_pages: 2
";

fn portal_source(upstream: &Upstream) -> String {
    format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n{PORTAL_PAGE}",
        upstream.url("/news/")
    )
}

async fn serve_html(upstream: &Upstream, at: &str, body: Vec<u8>, content_type: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .mount(&upstream.server)
        .await;
}

fn row(db: &TestDb, id: &str) -> SourceRow {
    db.store()
        .with_conn(|c| sources::get(c, id))
        .unwrap()
        .unwrap()
}

fn stored(db: &TestDb) -> Vec<crossfeed::domain::Item> {
    db.store()
        .with_conn(|c| {
            items::latest(
                c,
                &ItemQuery {
                    limit: 100,
                    ..Default::default()
                },
            )
        })
        .unwrap()
        .into_iter()
        .map(|s| s.item)
        .collect()
}

fn by_title<'a>(items: &'a [crossfeed::domain::Item], start: &str) -> &'a crossfeed::domain::Item {
    items
        .iter()
        .find(|i| i.title.as_deref().unwrap_or_default().starts_with(start))
        .unwrap_or_else(|| panic!("no item titled {start}…"))
}

/// Two list pages through the `next` link: every item with an absolute link, its date (a
/// relative one against the fetch time), its summary and its real picture (not the lazy
/// placeholder); the advert with a script link and the sidebar's links are not items; an
/// article listed on both pages, once with tracking parameters, is stored once.
async fn a_page_source_yields_the_items_of_its_list_pages(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let html = "text/html; charset=utf-8";
    serve_html(
        &up,
        "/news/",
        common::fixture("pages/portal-list.html"),
        html,
    )
    .await;
    serve_html(
        &up,
        "/news/list_2.html",
        common::fixture("pages/portal-list_2.html"),
        html,
    )
    .await;
    let config = common::config(&db, &portal_source(&up));
    let before = Utc::now();
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.failed, summary.new), (0, 4), "{summary:?}");

    let items = stored(&db);
    assert_eq!(items.len(), 4);
    let tiktok = by_title(&items, "TikTok Shop 美区上线");
    assert_eq!(
        tiktok.title.as_deref(),
        Some("TikTok Shop 美区上线“海外仓发货”标签， 履约时效纳入店铺评分")
    );
    assert_eq!(
        tiktok.link.as_deref(),
        Some(
            up.url("/news/2026/1204/3391.html?from=list&utm_source=home")
                .as_str()
        )
    );
    assert_eq!(
        tiktok.image.as_deref(),
        Some(up.url("/uploads/2026/12/3391.jpg").as_str())
    );
    assert!(
        tiktok
            .summary
            .as_deref()
            .unwrap_or_default()
            .contains("带标签的商品在搜索结果中"),
        "{:?}",
        tiktok.summary
    );
    let published = tiktok.published.unwrap();
    let three_hours = before - Duration::hours(3);
    assert!(
        published >= three_hours - Duration::seconds(5)
            && published <= Utc::now() - Duration::hours(3),
        "{published}"
    );
    let lazada = by_title(&items, "Lazada 越南站");
    assert_eq!(
        lazada.link.as_deref(),
        Some(up.url("/news/2026/1202/3380.html").as_str())
    );
    assert_eq!(
        lazada.published.unwrap().to_rfc3339(),
        "2026-12-02T08:05:00+00:00"
    );
    let shopee = by_title(&items, "Shopee 马来站");
    assert_eq!(
        shopee.link.as_deref(),
        Some("https://www.kuajingyan.example/news/2026/1203/3388.html")
    );
    assert!(
        items
            .iter()
            .all(|i| !i.title.as_deref().unwrap().contains("广告"))
    );
    assert!(
        items
            .iter()
            .all(|i| !i.title.as_deref().unwrap().contains("黑五备货"))
    );
    // The topics see page items like any others.
    let topics = db
        .store()
        .with_conn(crossfeed::store::item_topics::counts)
        .unwrap();
    assert!(topics.get("tiktok").is_some_and(|n| *n >= 1), "{topics:?}");
    let source = row(&db, "portal");
    assert_eq!(source.feed_title.as_deref(), Some("最新资讯 - 跨境眼"));
    assert_eq!(source.last_error, None);
    assert_eq!(source.last_warning, None);

    let app = common::TestApp::spawn(config).await;
    let body = app.get("/api/sources").await.bytes().await.unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(listed["items"][0]["kind"], "page");
    // Without site.sample_pages there are no sample pages to serve.
    assert_eq!(app.get("/samples/portal/news.html").await.status(), 404);
    assert_eq!(listed["items"][0]["items"], 4);
    app.stop().await;
}
on_both_backends!(
    a_page_source_yields_the_items_of_its_list_pages,
    a_page_source_yields_the_items_of_its_list_pages
);

/// The list changes between polls: a new article on top, the relative dates an hour on. The
/// new article is new; the others are unchanged and keep the dates they were first stored
/// with, so that "3小时前" read an hour later does not move them or count as an update.
async fn a_changed_list_adds_its_new_items_and_keeps_first_dates(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let html = "text/html; charset=utf-8";
    let first = String::from_utf8(common::fixture("pages/portal-list.html")).unwrap();
    serve_html(&up, "/news/", first.clone().into_bytes(), html).await;
    let one_page = PORTAL_PAGE.replace("max_pages: 2", "max_pages: 1");
    let yaml = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n{one_page}",
        up.url("/news/")
    );
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.new, 3, "{summary:?}");
    let dates_before: Vec<_> = stored(&db)
        .iter()
        .map(|i| (i.id.clone(), i.published))
        .collect();

    let newer = r#"<li class="item">
      <h3><a href="/news/2026/1204/3395.html">速卖通“自运营”商家可申请海外托管仓</a></h3>
      <p class="desc">平台将在西班牙和法国开放托管仓，商家自主定价。</p>
      <div class="meta"><span class="time">刚刚</span></div>
    </li>"#;
    let second = first
        .replace(
            "<ul class=\"news-list\">",
            &format!("<ul class=\"news-list\">{newer}"),
        )
        .replace("3小时前", "4小时前")
        .replace("昨天 18:20", "昨天 18:21");
    up.reset().await;
    serve_html(&up, "/news/", second.into_bytes(), html).await;
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (
            summary.new,
            summary.updated,
            summary.unchanged,
            summary.failed
        ),
        (1, 0, 3, 0),
        "{summary:?}"
    );
    let after = stored(&db);
    for (id, published) in dates_before {
        let now = after.iter().find(|i| i.id == id).unwrap();
        assert_eq!(now.published, published, "{:?}", now.title);
    }
    assert!(by_title(&after, "速卖通").published.is_some());
}
on_both_backends!(
    a_changed_list_adds_its_new_items_and_keeps_first_dates,
    a_changed_list_adds_its_new_items_and_keeps_first_dates
);

/// A GBK page that declares its charset only in `<meta http-equiv>` (the HTTP header says
/// nothing), with dates in brackets and no year.
async fn a_gbk_page_declared_by_meta_reads_cleanly(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve_html(
        &up,
        "/wuliu/",
        common::fixture("pages/gbk-list.html"),
        "text/html",
    )
    .await;
    let yaml = format!(
        "  - id: wuliu\n    url: {}\n    timezone: Asia/Shanghai\n    page:\n      item: \"table.list tr\"\n      title: \"td.t a\"\n      link: \"td.t a@href\"\n      date: \"td.d\"\n",
        up.url("/wuliu/")
    );
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.new, summary.failed), (3, 0), "{summary:?}");
    let items = stored(&db);
    let customs = by_title(&items, "美国海关收紧小额包裹免税政策");
    assert_eq!(
        customs.link.as_deref(),
        Some(up.url("/wuliu/20261204/8812.shtml").as_str())
    );
    let published = customs.published.unwrap();
    assert_eq!(published.format("%m-%d %H:%M").to_string(), "12-04 00:15");
    by_title(&items, "中欧班列新增跨境电商专列");
}
on_both_backends!(
    a_gbk_page_declared_by_meta_reads_cleanly,
    a_gbk_page_declared_by_meta_reads_cleanly
);

/// The site changes its layout: the item selector matches nothing, and that is an error on the
/// source (never a quiet empty success); the items already stored stay, and other sources
/// go on.
async fn a_page_whose_selector_stops_matching_is_an_error_on_its_source(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let html = "text/html; charset=utf-8";
    let page = String::from_utf8(common::fixture("pages/portal-list.html")).unwrap();
    serve_html(&up, "/news/", page.clone().into_bytes(), html).await;
    up.serve("/feed.xml", "kuajing.rss", "application/rss+xml")
        .await;
    let one_page = PORTAL_PAGE.replace("max_pages: 2", "max_pages: 1");
    let yaml = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n{one_page}  - id: feed\n    url: {}\n",
        up.url("/news/"),
        up.url("/feed.xml")
    );
    let config = common::config(&db, &yaml);
    let first = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(first.failed, 0);
    let kept = stored(&db).len();

    up.reset().await;
    let redesigned = page.replace("news-list", "article-feed");
    serve_html(&up, "/news/", redesigned.into_bytes(), html).await;
    let second = app::fetch_once(&config, Some("portal"), |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(second.failed, 1, "{second:?}");
    let source = row(&db, "portal");
    let error = source.last_error.unwrap_or_default();
    assert!(error.contains("matched nothing"), "{error}");
    assert_eq!(source.error_count, 1);
    assert_eq!(stored(&db).len(), kept);
}
on_both_backends!(
    a_page_whose_selector_stops_matching_is_an_error_on_its_source,
    a_page_whose_selector_stops_matching_is_an_error_on_its_source
);

/// A `next` link to another host on a private address is refused like a redirect there: the
/// first page's items are stored, the source carries a warning, and the other host is never
/// asked.
async fn a_next_link_into_a_private_network_is_not_followed(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let private = wiremock::MockServer::builder()
        .listener(std::net::TcpListener::bind("127.0.0.2:0").unwrap())
        .start()
        .await;
    let html = "text/html; charset=utf-8";
    let page = String::from_utf8(common::fixture("pages/portal-list.html"))
        .unwrap()
        .replace(
            "<a class=\"next\" href=\"list_2.html\">",
            &format!(
                "<a class=\"next\" href=\"{}/news/list_2.html\">",
                private.uri()
            ),
        );
    serve_html(&up, "/news/", page.into_bytes(), html).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(common::fixture("pages/portal-list_2.html"), "text/html"),
        )
        .mount(&private)
        .await;
    let config = common::config(&db, &portal_source(&up));
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.new, summary.failed), (3, 0), "{summary:?}");
    let warning = row(&db, "portal").last_warning.unwrap_or_default();
    assert!(warning.contains("list page 2"), "{warning}");
    assert!(warning.contains("non-public"), "{warning}");
    assert!(private.received_requests().await.unwrap().is_empty());
}
on_both_backends!(
    a_next_link_into_a_private_network_is_not_followed,
    a_next_link_into_a_private_network_is_not_followed
);

/// A summary-only RSS feed whose items link to portal article pages.
fn summary_feed(upstream: &Upstream) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>跨境眼 快讯</title><link>{site}/</link>
<item><title>TikTok Shop 美区上线“海外仓发货”标签</title><link>{site}/news/2026/1204/3391.html</link>
<guid>{site}/news/2026/1204/3391.html</guid><pubDate>Fri, 04 Dec 2026 03:20:00 GMT</pubDate>
<description>美区卖家可申请新标签。</description></item>
<item><title>欧洲站调整入仓配置费</title><link>{site}/news/2026/1203/3390.html</link>
<guid>{site}/news/2026/1203/3390.html</guid><pubDate>Thu, 03 Dec 2026 12:42:00 GMT</pubDate>
<description>费用调整详见正文。</description></item>
<item><title>Lazada 越南站大促补贴细则</title><link>{site}/news/2026/1202/3380.html</link>
<guid>{site}/news/2026/1202/3380.html</guid><pubDate>Wed, 02 Dec 2026 08:05:00 GMT</pubDate>
<description>补贴面向新入驻的跨境卖家。</description></item>
</channel></rss>"#,
        site = upstream.server.uri()
    )
}

async fn serve_articles(up: &Upstream) {
    serve_html(
        up,
        "/news/2026/1204/3391.html",
        common::fixture("pages/article-3391.html"),
        "text/html; charset=utf-8",
    )
    .await;
    // GBK, declared only in <meta>.
    serve_html(
        up,
        "/news/2026/1203/3390.html",
        common::fixture("pages/article-3390.html"),
        "text/html",
    )
    .await;
    // 3380 is gone: 404.
    up.fail("/news/2026/1202/3380.html", 404).await;
}

/// `full_content: auto` on a summary-only feed: each item's article is fetched from its link
/// and becomes its content — the body, with its lazy picture made real and its relative links
/// absolute, without the page's navigation, 推荐阅读/热门阅读 boxes or footer; the summary stays
/// the summary; topics see the full text (the Amazon article names 亚马逊 only in its body).
/// An article that 404s leaves its item with the summary and a warning on the source. The next
/// summary-only poll neither overwrites the articles nor counts as an update.
async fn full_content_brings_each_article_behind_a_summary(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve_html(
        &up,
        "/feed.xml",
        summary_feed(&up).into_bytes(),
        "application/rss+xml",
    )
    .await;
    serve_articles(&up).await;
    let yaml = format!(
        "  - id: kuajingyan\n    url: {}\n    timezone: Asia/Shanghai\n    full_content: auto\n",
        up.url("/feed.xml")
    );
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.new, summary.failed), (3, 0), "{summary:?}");
    assert_eq!(
        (summary.articles, summary.articles_failed),
        (2, 1),
        "{summary:?}"
    );

    let items = stored(&db);
    let tiktok = by_title(&items, "TikTok Shop 美区上线");
    let content = tiktok.content.as_deref().unwrap_or_default();
    for kept in ["12月4日消息", "两个工作日内发出", "第三方海外仓服务商"] {
        assert!(content.contains(kept), "{kept} missing: {content}");
    }
    for dropped in [
        "推荐阅读",
        "热门阅读",
        "大家都在搜",
        "版权所有",
        "stat.js",
        "<script",
    ] {
        assert!(!content.contains(dropped), "{dropped} kept: {content}");
    }
    assert!(
        content.contains(&format!(
            "src=\"{}\"",
            up.url("/uploads/2026/12/3391-1.jpg")
        )),
        "{content}"
    );
    assert!(
        content.contains(&format!("href=\"{}\"", up.url("/news/2026/1203/3390.html"))),
        "{content}"
    );
    assert_eq!(tiktok.summary.as_deref(), Some("美区卖家可申请新标签。"));
    // The article's arrival is the item's last update.
    assert!(
        tiktok
            .updated
            .is_some_and(|u| u > tiktok.published.unwrap()),
        "{:?}",
        tiktok.updated
    );

    let amazon = by_title(&items, "欧洲站调整入仓配置费");
    let content = amazon.content.as_deref().unwrap_or_default();
    assert!(
        content.contains("轻小商品计划的价格上限同步上调"),
        "{content}"
    );
    let topics = db
        .store()
        .with_conn(|c| {
            let ids: Vec<_> = items::latest(
                c,
                &ItemQuery {
                    limit: 10,
                    ..Default::default()
                },
            )?
            .into_iter()
            .filter(|s| s.item.title.as_deref() == Some("欧洲站调整入仓配置费"))
            .map(|s| s.id)
            .collect();
            Ok(items::by_ids(c, &ids)?.remove(0).topics)
        })
        .unwrap();
    assert!(topics.iter().any(|t| t.slug == "amazon"), "{topics:?}");

    let lazada = by_title(&items, "Lazada 越南站");
    assert_eq!(lazada.content, None);
    assert_eq!(
        lazada.summary.as_deref(),
        Some("补贴面向新入驻的跨境卖家。")
    );

    let app = common::TestApp::spawn(config.clone()).await;
    let body = app.get("/api/sources").await.bytes().await.unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let warnings = listed["items"][0]["warnings"].to_string();
    assert!(
        warnings.contains("1 article(s) could not be fetched"),
        "{warnings}"
    );
    assert!(warnings.contains("404"), "{warnings}");
    app.stop().await;

    let again = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.new, again.updated, again.unchanged, again.articles),
        (0, 0, 3, 0),
        "{again:?}"
    );
    let tiktok_again = by_title(&stored(&db), "TikTok Shop 美区上线").clone();
    assert_eq!(tiktok_again.content, tiktok.content);
}
on_both_backends!(
    full_content_brings_each_article_behind_a_summary,
    full_content_brings_each_article_behind_a_summary
);

/// A page source whose articles are read with a CSS selector; and a feed that already carries
/// its full text is left alone by `auto` (no article request at all).
async fn full_content_by_selector_and_not_when_the_feed_is_full(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve_html(
        &up,
        "/news/",
        common::fixture("pages/portal-list.html"),
        "text/html; charset=utf-8",
    )
    .await;
    serve_articles(&up).await;
    let long = "卖家需要在卖家中心完成海外仓认证，并保证订单在两个工作日内发出。".repeat(20);
    let full = format!(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>全文</title>
<item><title>全文条目</title><link>{}</link><description>摘要一句。</description>
<content:encoded><![CDATA[<p>{long}</p>]]></content:encoded></item></channel></rss>"#,
        up.url("/full/1.html")
    );
    serve_html(&up, "/full.xml", full.into_bytes(), "application/rss+xml").await;
    let one_page = PORTAL_PAGE.replace("max_pages: 2", "max_pages: 1");
    let yaml = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n{one_page}    full_content: \"div.article-content\"\n\
         \x20 - id: full\n    url: {}\n    full_content: auto\n",
        up.url("/news/"),
        up.url("/full.xml")
    );
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 0, "{summary:?}");
    let items = stored(&db);
    let tiktok = by_title(&items, "TikTok Shop 美区上线");
    let content = tiktok.content.as_deref().unwrap_or_default();
    assert!(content.contains("12月4日消息"), "{content}");
    assert!(!content.contains("声明"), "{content}");
    let requests = up.server.received_requests().await.unwrap();
    assert!(
        !requests.iter().any(|r| r.url.path() == "/full/1.html"),
        "a full feed's article was fetched"
    );
    assert!(
        by_title(&items, "全文条目")
            .content
            .as_deref()
            .unwrap()
            .contains("海外仓认证")
    );
}
on_both_backends!(
    full_content_by_selector_and_not_when_the_feed_is_full,
    full_content_by_selector_and_not_when_the_feed_is_full
);

/// Duplicate folding reads the article: a teaser item whose article is the body another source
/// carries in full, under another headline, folds into one story with it once the article
/// arrives (its teaser alone shares nothing with the other item's text). The running server's
/// background jobs do the fetching and folding.
async fn a_teaser_folds_with_the_full_repost_once_its_article_arrives(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let site = up.server.uri();
    let teaser = format!(
        r#"<rss version="2.0"><channel><title>跨境眼</title>
<item><title>美区新标签：海外仓发货</title><link>{site}/news/2026/1204/3391.html</link>
<description>点击阅读全文。</description></item></channel></rss>"#
    );
    let body: String = String::from_utf8(common::fixture("pages/article-3391.html"))
        .unwrap()
        .split("<div class=\"article-content\">")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap()
        .to_owned();
    let wire = format!(
        r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>出海通讯社</title>
<item><title>TikTok Shop 美国站推出本地仓标识，评分看时效</title><link>https://wire.example.com/a/77</link>
<description>TikTok Shop 美国站推出本地仓标识。</description>
<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>"#
    );
    serve_html(
        &up,
        "/teaser.xml",
        teaser.into_bytes(),
        "application/rss+xml",
    )
    .await;
    serve_html(&up, "/wire.xml", wire.into_bytes(), "application/rss+xml").await;
    serve_articles(&up).await;
    let yaml = format!(
        "  - id: teaser\n    url: {}\n    full_content: auto\n  - id: wire\n    url: {}\n",
        up.url("/teaser.xml"),
        up.url("/wire.xml")
    );
    let app = common::TestApp::spawn(common::config(&db, &yaml)).await;
    let mut clusters = Vec::new();
    for _ in 0..300 {
        clusters = app
            .running
            .store
            .run(|c| {
                items::latest(
                    c,
                    &ItemQuery {
                        limit: 10,
                        ..ItemQuery::default()
                    },
                )
            })
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.item.content.is_some(), s.cluster_id))
            .collect::<Vec<_>>();
        if clusters.len() == 2
            && clusters.iter().all(|(full, c)| *full && c.is_some())
            && clusters[0].1 == clusters[1].1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(clusters.len(), 2, "{clusters:?}");
    assert!(clusters.iter().all(|(full, _)| *full), "{clusters:?}");
    assert_eq!(clusters[0].1, clusters[1].1, "not folded: {clusters:?}");
    app.stop().await;
}
on_both_backends!(
    a_teaser_folds_with_the_full_repost_once_its_article_arrives,
    a_teaser_folds_with_the_full_repost_once_its_article_arrives
);
