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
    let stored = db
        .store()
        .with_conn(|c| {
            items::latest(
                c,
                &ItemQuery {
                    limit: 100,
                    ..Default::default()
                },
            )
        })
        .unwrap();
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
