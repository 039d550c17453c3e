//! Upstreams and readers acting as an adversary would: dates no calendar of ours holds, and the
//! outputs that must keep answering whatever the store holds.

use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::sources;

use crate::common::{self, Backend, TestApp, TestDb, Upstream, fixture};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

async fn serve(up: &Upstream, at: &str, name: &str, content_type: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(name), content_type))
        .mount(&up.server)
        .await;
}

/// The calendar feed polled once by an app on a fresh store; `server` holds extra `server:`
/// lines and `adjust` changes the configuration before the app starts. Bind every field: the
/// store and the upstream live as long as the binding.
struct Calendar {
    _db: TestDb,
    _up: Upstream,
    app: TestApp,
}

async fn calendar(
    backend: Backend,
    server: &str,
    adjust: impl FnOnce(&mut crossfeed::config::Config),
) -> Calendar {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve(
        &up,
        "/calendar.rss",
        "hostile/odd-dates.rss",
        "application/rss+xml",
    )
    .await;
    let yaml = format!("  - id: calendar\n    url: {}\n", up.url("/calendar.rss"));
    let mut config = common::config_with(&db, server, &yaml);
    adjust(&mut config);
    let app = TestApp::spawn(config).await;
    app.wait_for_first_polls().await;
    Calendar {
        _db: db,
        _up: up,
        app,
    }
}

/// The tests stand in for readers behind a proxy on 127.0.0.1.
const BEHIND_A_PROXY: &str = "  trusted_proxies: [\"127.0.0.0/8\"]\n";

/// An RSS item dated year 0 (+14:00), a list page saying `9999999天前` and `10000-01-01`: each
/// such item is stored undated, its source says why, the poll loses nothing, and every feed,
/// API answer and page keeps answering.
async fn dates_outside_the_range_are_dropped_and_every_output_answers(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve(
        &up,
        "/calendar.rss",
        "hostile/odd-dates.rss",
        "application/rss+xml",
    )
    .await;
    serve(
        &up,
        "/kx/",
        "hostile/odd-dates.html",
        "text/html; charset=utf-8",
    )
    .await;
    let yaml = format!(
        "  - id: calendar\n    url: {}\n\
         \x20 - id: kx\n    url: {}\n    timezone: Asia/Shanghai\n    page:\n      \
         item: \"ul.news-list > li\"\n      title: \"h3 a\"\n      link: \"h3 a@href\"\n      \
         date: \"span.time\"\n",
        up.url("/calendar.rss"),
        up.url("/kx/")
    );
    let app = TestApp::spawn(common::config(&db, &yaml)).await;
    app.wait_for_first_polls().await;

    for id in ["calendar", "kx"] {
        let row = db
            .store()
            .with_conn(|c| sources::get(c, id))
            .unwrap()
            .unwrap();
        assert_eq!(row.last_error, None, "{id}");
        let warning = row.last_warning.unwrap_or_default();
        assert!(
            warning.contains("outside the years 1970 to 2200"),
            "{id}: {warning}"
        );
    }
    let stored = stored_items(&db);
    assert_eq!(stored.len(), 5, "every item is kept");
    let published = |start: &str| {
        stored
            .iter()
            .find(|s| s.item.title.as_deref().unwrap_or("").starts_with(start))
            .unwrap_or_else(|| panic!("no item {start}"))
            .item
            .published
    };
    for undated in ["Lazada 年中大促", "TikTok Shop 东南亚", "Shopee 巴西站"] {
        assert_eq!(published(undated), None, "{undated}");
    }
    for dated in ["Amazon Prime Day", "亚马逊日本站"] {
        assert!(published(dated).is_some(), "{dated}");
    }

    // The search index is written by a job beside polling: wait for the undated item in it.
    for _ in 0..300 {
        let found: serde_json::Value =
            serde_json::from_slice(&app.get("/api/search?q=Shopee").await.bytes().await.unwrap())
                .unwrap();
        if found["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut routes: Vec<String> = [
        "/feeds/all.rss",
        "/feeds/all.atom",
        "/feeds/all.json",
        "/feeds/lazada.rss",
        "/feeds/search.rss?q=Shopee",
        "/api/items",
        "/api/search?q=Lazada",
        "/api/hot",
        "/",
        "/topics/all",
        "/search?q=TikTok",
        "/sources",
    ]
    .map(String::from)
    .into();
    for s in &stored {
        routes.push(format!("/items/{}", s.id));
        routes.push(format!("/api/items/{}", s.id));
        routes.push(format!("/api/items/{}/related", s.id));
    }
    for route in &routes {
        let response = app.get(route).await;
        assert_eq!(response.status(), 200, "{route}");
        let body = response.bytes().await.unwrap();
        if route.starts_with("/feeds/") {
            let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{route}: {e}"));
            assert!(!feed.entries.is_empty(), "{route}");
        }
    }
    app.stop().await;
}
on_both_backends!(
    dates_outside_the_range_are_dropped,
    dates_outside_the_range_are_dropped_and_every_output_answers
);

/// The SQLite file holds source URLs with their credentials: crossfeed creates it readable by
/// its owner only, and the directory it creates for it likewise.
#[test]
fn the_sqlite_file_and_its_new_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state/crossfeed.db");
    let store = crossfeed::store::Store::open(
        &format!("sqlite://{}", file.display()),
        crossfeed::store::Limits::with_pool(1),
    )
    .unwrap();
    drop(store);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let wal = file.with_extension("db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}

/// A request behind a lock another connection holds gives up at `database.lock_timeout` with a
/// 503 that says the store is busy, rather than waiting for as long as the lock is held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_behind_a_held_lock_answers_503_at_the_lock_timeout() {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let Calendar { _db: db, app, _up } = calendar(Backend::Postgres, BEHIND_A_PROXY, |config| {
        config.database.lock_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    assert_eq!(app.get("/api/items").await.status(), 200);

    let mut holder = diesel::PgConnection::establish(&db.url).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let started = std::time::Instant::now();
    let response = app.get("/api/items?limit=7").await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "store_busy", "{body}");
    assert!(waited < std::time::Duration::from_secs(8), "{waited:?}");
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(app.get("/api/items?limit=7").await.status(), 200);
    app.stop().await;
}

/// Behind a trusted proxy, a client cannot mint readers: a `Forwarded` it writes is ignored
/// (the proxy's `X-Forwarded-For` names it), a forged first `X-Forwarded-For` line is read as
/// the left of one list, and a User-Agent changed on every request is still one reader.
async fn views_count_one_reader_per_address_behind_a_trusted_proxy(backend: Backend) {
    let Calendar { app, _db, _up } = calendar(backend, BEHIND_A_PROXY, |_| {}).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let views = || async {
        let v: serde_json::Value =
            serde_json::from_slice(&app.get("/api/items").await.bytes().await.unwrap()).unwrap();
        let item = &v["items"][0];
        let views = item["views"].as_i64();
        (
            item["id"].to_string(),
            views.unwrap_or_else(|| panic!("{v}")),
        )
    };
    let (id, before) = views().await;
    let go = |headers: Vec<(&'static str, String)>| {
        let mut request = client.get(format!("{}/go/{id}", app.base));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { assert_eq!(request.send().await.unwrap().status(), 302) }
    };
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    for n in 1..=5 {
        // The client writes Forwarded; the proxy appends the address it saw.
        go(vec![
            ("forwarded", format!("for=198.51.100.{n}")),
            ("x-forwarded-for", "203.0.113.9".into()),
            ("user-agent", FIREFOX.into()),
        ])
        .await;
    }
    for n in 1..=5 {
        // A forged line first, the proxy's line after it.
        let mut request = client
            .get(format!("{}/go/{id}", app.base))
            .header("user-agent", FIREFOX);
        request = request
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .header("x-forwarded-for", "203.0.113.10");
        assert_eq!(request.send().await.unwrap().status(), 302);
    }
    for n in 1..=5 {
        go(vec![
            ("x-forwarded-for", "203.0.113.11".into()),
            (
                "user-agent",
                format!("Mozilla/5.0 (Windows NT 10.0) Chrome/{n}20.0 Safari/537.36"),
            ),
        ])
        .await;
    }
    let (_, after) = views().await;
    assert_eq!(after - before, 3, "one view per real address");
    app.stop().await;
}
on_both_backends!(
    views_count_one_reader_per_address,
    views_count_one_reader_per_address_behind_a_trusted_proxy
);

/// Invented request methods share one `OTHER` label: `/metrics` keeps a bounded set of series
/// however many names clients make up (a 10 KB method name among them).
async fn invented_methods_share_one_metrics_label(backend: Backend) {
    let Calendar { app, _db, _up } = calendar(backend, BEHIND_A_PROXY, |_| {}).await;
    let long = "X".repeat(10 * 1024);
    let mut names: Vec<String> = (0..30).map(|n| format!("INVENTED{n}")).collect();
    names.push(long.clone());
    for name in &names {
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let response = app
            .client
            .request(method, format!("{}/feeds/all.rss", app.base))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{name:.20}: {}",
            response.status()
        );
    }
    let _ = app.get("/feeds/all.rss").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("INVENTED"), "{metrics}");
    assert!(!metrics.contains(&long[..64]));
    assert!(metrics.contains("method=\"OTHER\""), "{metrics}");
    assert!(metrics.contains("method=\"GET\""), "{metrics}");
    app.stop().await;
}
on_both_backends!(
    invented_methods_share_one_metrics_label,
    invented_methods_share_one_metrics_label
);

/// `/samples/` serves regular files inside its folder only: a symbolic link out of it (to a
/// file, or to a folder) is a 404 like a missing page; what it serves carries a strict CSP.
async fn sample_pages_never_follow_a_link_out_of_their_folder(backend: Backend) {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "database password").unwrap();
    let samples = tempfile::tempdir().unwrap();
    std::fs::write(
        samples.path().join("list.html"),
        "<html><body><p>样例</p></body></html>",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        samples.path().join("leak.html"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), samples.path().join("elsewhere")).unwrap();
    let folder = samples.path().to_owned();
    let Calendar { app, _db, _up } = calendar(backend, BEHIND_A_PROXY, |config| {
        config.site.sample_pages = Some(folder);
    })
    .await;

    let page = app.get("/samples/list.html").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    for route in [
        "/samples/leak.html",
        "/samples/elsewhere/secret.txt",
        "/samples/elsewhere",
    ] {
        let response = app.get(route).await;
        assert_eq!(response.status(), 404, "{route}");
        assert!(
            !response.text().await.unwrap().contains("password"),
            "{route}"
        );
    }
    app.stop().await;
}
on_both_backends!(
    sample_pages_never_follow_a_link_out_of_their_folder,
    sample_pages_never_follow_a_link_out_of_their_folder
);

/// The shapes that slipped past a nesting count of our own — `<div/>` repeated, `<div></x>`
/// repeated, a stray `<"` before thousands of `<div>`s — are cut by the parser's own depth in a
/// feed's HTML (kept as text, with a warning), on a list page and on an article page (errors);
/// an article link that answers with a picture is an article error, not content.
async fn nesting_past_the_parsers_depth_is_cut_in_feeds_pages_and_articles(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let shapes = [
        "<div/>".repeat(5_000),
        "<div></x>".repeat(5_000),
        format!("<p>a < \"b</p>{}", "<div>".repeat(5_000)),
    ];
    let site = up.server.uri();
    let mut items = String::new();
    for (n, shape) in shapes.iter().enumerate() {
        let escaped = html_escape::encode_text(shape);
        items.push_str(&format!(
            "<item><title>Shopee 深层 {n}</title><link>{site}/a/{n}.html</link><guid>deep-{n}</guid>\
             <description>{escaped}深处的正文{n}</description></item>"
        ));
        let article = format!(
            "<html><head><title>文章</title></head><body><article><p>{}</p>{shape}</article></body></html>",
            "跨境卖家需提前备货，平台将调整入仓规则。".repeat(20)
        );
        Mock::given(method("GET"))
            .and(path(format!("/a/{n}.html")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(article, "text/html"))
            .mount(&up.server)
            .await;
        let list = format!(
            "<html><body><ul class=\"news-list\"><li><h3><a href=\"/kx/{n}.html\">亚马逊 {n}</a></h3></li></ul>{shape}</body></html>"
        );
        Mock::given(method("GET"))
            .and(path(format!("/list/{n}.html")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(list, "text/html"))
            .mount(&up.server)
            .await;
    }
    items.push_str(&format!(
        "<item><title>Temu 图片</title><link>{site}/a/picture.html</link><guid>picture</guid>\
         <description>只有一张图片。</description></item>"
    ));
    Mock::given(method("GET"))
        .and(path("/a/picture.html"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(common::fixture("thumb.png"), "text/html; charset=utf-8"),
        )
        .mount(&up.server)
        .await;
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>深层</title><link>{site}/</link>{items}</channel></rss>"
    );
    Mock::given(method("GET"))
        .and(path("/shapes.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let mut yaml = format!(
        "  - id: shapes\n    url: {}\n    full_content: auto\n",
        up.url("/shapes.xml")
    );
    for n in 0..shapes.len() {
        yaml.push_str(&format!(
            "  - id: list-{n}\n    url: {}\n    page:\n      item: \"ul.news-list > li\"\n      \
             title: \"h3 a\"\n      link: \"h3 a@href\"\n",
            up.url(&format!("/list/{n}.html"))
        ));
    }
    let config = common::config(&db, &yaml);
    let summary = crossfeed::app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 3, "the three list pages: {summary:?}");
    assert_eq!(summary.articles_failed, 4, "{summary:?}");

    let row = |id: &str| {
        db.store()
            .with_conn(|c| sources::get(c, id))
            .unwrap()
            .unwrap()
    };
    let warning = row("shapes").last_warning.unwrap_or_default();
    assert!(
        warning.contains("3 summary or content body(ies) nested deeper than 256"),
        "{warning}"
    );
    for n in 0..shapes.len() {
        let error = row(&format!("list-{n}")).last_error.unwrap_or_default();
        assert!(
            error.contains("nested deeper than 256"),
            "list-{n}: {error}"
        );
    }
    let stored = stored_items(&db);
    for n in 0..shapes.len() {
        let item = stored
            .iter()
            .find(|s| s.item.title.as_deref() == Some(&format!("Shopee 深层 {n}")))
            .unwrap();
        let summary = item.item.summary.as_deref().unwrap_or_default();
        assert!(
            summary.contains(&format!("深处的正文{n}")),
            "the text is kept: {summary:.200}"
        );
        assert!(!summary.contains("<div"), "{summary:.200}");
    }
    let failures = db
        .store()
        .with_conn(crossfeed::store::articles::failures_by_source)
        .unwrap();
    let (failed, _) = &failures["shapes"];
    assert_eq!(*failed, 4);
    let errors: Vec<String> = db
        .store()
        .with_conn(|c| {
            use crossfeed::store::schema::items;
            use diesel::{ExpressionMethods, NullableExpressionMethods, QueryDsl, RunQueryDsl};
            items::table
                .filter(items::article_error.is_not_null())
                .select(items::article_error.assume_not_null())
                .load::<String>(c)
                .map_err(crossfeed::store::StoreError::from)
        })
        .unwrap();
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.contains("nested deeper than 256"))
            .count(),
        3,
        "{errors:?}"
    );
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.contains("not an HTML page"))
            .count(),
        1,
        "{errors:?}"
    );
}
on_both_backends!(
    nesting_past_the_parsers_depth_is_cut,
    nesting_past_the_parsers_depth_is_cut_in_feeds_pages_and_articles
);

/// Every stored item, newest first.
fn stored_items(db: &TestDb) -> Vec<crossfeed::domain::StoredItem> {
    let query = ItemQuery {
        limit: 100,
        ..Default::default()
    };
    db.store().with_conn(|c| items::latest(c, &query)).unwrap()
}

/// Articles stored so far for `source`.
fn articles_of(db: &TestDb, source: &str) -> i64 {
    let source = source.to_owned();
    db.store()
        .with_conn(move |c| {
            use crossfeed::store::schema::items;
            use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
            items::table
                .filter(items::source_id.eq(source))
                .filter(items::article.is_not_null())
                .count()
                .get_result::<i64>(c)
                .map_err(crossfeed::store::StoreError::from)
        })
        .unwrap()
}

/// A slow article host holds only its own share of the article fetches: a second source's
/// articles, on another host and due later, are fetched while the slow host's backlog is still
/// being worked through, not after it.
async fn a_slow_article_host_does_not_hold_up_other_sources(backend: Backend) {
    let db = TestDb::new(backend);
    let slow = Upstream::start().await;
    let fast = Upstream::start().await;
    let body = |n: usize| {
        format!(
            "<html><body><article><h1>第 {n} 篇</h1><p>{}</p></article></body></html>",
            "跨境卖家需提前备货，平台将调整入仓规则，海外仓与物流渠道同步更新。".repeat(8)
        )
    };
    let feed = |site: &str, prefix: &str, n: usize| {
        let items: String = (0..n)
            .map(|i| {
                format!(
                    "<item><title>{prefix} 文章 {i}</title><link>{site}/{prefix}/{i}.html</link>\
                     <guid>{prefix}-{i}</guid><description>摘要。</description></item>"
                )
            })
            .collect();
        format!(
            "<rss version=\"2.0\"><channel><title>{prefix}</title><link>{site}/</link>{items}</channel></rss>"
        )
    };
    let slow_site = slow.server.uri();
    // Everything on the fast upstream goes through the name `localhost`: another host.
    let fast_site = fast.server.uri().replace("127.0.0.1", "localhost");
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(feed(&slow_site, "slow", 30), "application/rss+xml"),
        )
        .mount(&slow.server)
        .await;
    // The fast source's items fall due after the slow one's.
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(feed(&fast_site, "fast", 3), "application/rss+xml")
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .mount(&fast.server)
        .await;
    for i in 0..30 {
        Mock::given(method("GET"))
            .and(path(format!("/slow/{i}.html")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(body(i), "text/html")
                    .set_delay(std::time::Duration::from_millis(300)),
            )
            .mount(&slow.server)
            .await;
    }
    for i in 0..3 {
        Mock::given(method("GET"))
            .and(path(format!("/fast/{i}.html")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body(i), "text/html"))
            .mount(&fast.server)
            .await;
    }
    let yaml = format!(
        "  - id: slow\n    url: {slow_site}/feed.xml\n    full_content: auto\n\
         \x20 - id: fast\n    url: {fast_site}/feed.xml\n    full_content: auto\n"
    );
    let mut config = common::config(&db, &yaml);
    config.fetch.max_articles_per_poll = 40;
    let run = tokio::spawn(async move {
        crossfeed::app::fetch_once(&config, None, |_, _| {}, |_| {})
            .await
            .unwrap()
    });
    let mut slow_when_fast_done = None;
    for _ in 0..400 {
        if articles_of(&db, "fast") == 3 {
            slow_when_fast_done = Some(articles_of(&db, "slow"));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let summary = run.await.unwrap();
    assert_eq!(summary.articles, 33, "{summary:?}");
    let slow_done = slow_when_fast_done.expect("the fast source's articles were never stored");
    assert!(
        slow_done < 5,
        "the fast source waited for {slow_done} of the slow host's 30 articles"
    );
}
on_both_backends!(
    a_slow_article_host_does_not_hold_up_other_sources,
    a_slow_article_host_does_not_hold_up_other_sources
);

/// Whatever instant a stored item carries — written before the storable range existed, years
/// before 1970 or past 9999 — every feed format, the API and the pages answer, and the feeds
/// show it inside the range. Sixteen arbitrary instants per backend (what each can hold).
async fn any_stored_instant_renders_in_feeds_the_api_and_the_pages(backend: Backend) {
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use proptest::strategy::{Strategy, ValueTree};
    let c = calendar(backend, BEHIND_A_PROXY, |_| {}).await;
    let id = stored_items(&c._db)[0].id;
    // Postgres keeps 4713 BC to 294276 AD; SQLite keeps text, so anything chrono holds.
    let years = match backend {
        Backend::Postgres => -4000..=200_000,
        Backend::Sqlite => -200_000..=200_000,
    };
    let instant = move || {
        let years = years.clone();
        (years, 1u32..=365, 0u32..86_400).prop_map(|(y, day, second)| {
            chrono::NaiveDate::from_yo_opt(y, day)
                .unwrap_or_default()
                .and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::seconds(i64::from(second))
        })
    };
    let mut fixed = vec![
        chrono::NaiveDate::from_ymd_opt(-1, 12, 31)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
        chrono::NaiveDate::from_ymd_opt(1969, 12, 31)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap(),
        chrono::NaiveDate::from_ymd_opt(10_000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
    ];
    if backend == Backend::Sqlite {
        // What `9999999天前` used to store.
        fixed.push(
            chrono::NaiveDate::from_ymd_opt(-25353, 3, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
    }
    let edges = proptest::prop_oneof![instant(), proptest::sample::select(fixed)];
    let strategy = (
        edges.clone(),
        proptest::option::of(edges.clone()),
        proptest::option::of(edges),
    );
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for case in 0..16 {
        let (sort_at, published, updated) = strategy.new_tree(&mut runner).unwrap().current();
        c._db
            .store()
            .with_conn(move |conn| {
                use crossfeed::store::schema::items;
                diesel::update(items::table.filter(items::id.eq(id.get())))
                    .set((
                        items::sort_at.eq(sort_at),
                        items::published.eq(published),
                        items::updated.eq(updated),
                    ))
                    .execute(conn)
                    .map_err(crossfeed::store::StoreError::from)
            })
            .unwrap();
        let seen = format!("{sort_at:?} {published:?} {updated:?}");
        // A new limit per case: a new cache entry, so that each case is rendered afresh.
        let limit = case + 2;
        for route in [
            format!("/feeds/all.rss?limit={limit}"),
            format!("/feeds/all.atom?limit={limit}"),
            format!("/feeds/all.json?limit={limit}"),
            format!("/api/items?limit={limit}"),
            format!("/api/items/{id}"),
            format!("/items/{id}"),
            format!("/topics/all?lang=en&x={limit}"),
            format!("/?x={limit}"),
        ] {
            let response = c.app.get(&route).await;
            assert_eq!(response.status(), 200, "{route} with {seen}");
            let body = response.bytes().await.unwrap();
            if route.starts_with("/feeds/") {
                let feed = feed_rs::parser::parse(&body[..])
                    .unwrap_or_else(|e| panic!("{route} with {seen}: {e}"));
                for entry in feed.entries {
                    for at in [entry.published, entry.updated].into_iter().flatten() {
                        assert!(
                            crossfeed::domain::instant::storable(at).is_some(),
                            "{route} with {seen} shows {at}"
                        );
                    }
                }
            }
        }
    }
}
on_both_backends!(
    any_stored_instant_renders_everywhere,
    any_stored_instant_renders_in_feeds_the_api_and_the_pages
);
