//! The fetcher against misbehaving upstreams (real servers on 127.0.0.1), conditional GET,
//! redirects, feed discovery, backoff, and leases shared by several processes.

use crate::common;

use std::time::Duration;

use crate::common::{Backend, TestDb, Upstream};
use crossfeed::app;
use crossfeed::store::{fetch_log, sources};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

const GOOD_RSS: &str = "kuajing.rss";

fn source_yaml(id: &str, url: &str) -> String {
    format!("  - id: {id}\n    url: {url}\n    timezone: Asia/Shanghai\n")
}

fn rows(db: &TestDb) -> Vec<sources::SourceRow> {
    db.store().with_conn(sources::list).unwrap()
}

fn row(db: &TestDb, id: &str) -> sources::SourceRow {
    rows(db).into_iter().find(|r| r.id == id).unwrap()
}

/// Every kind of bad upstream ends as a clear error on its source; the good one lands.
async fn misbehaving_upstreams_fail_cleanly_and_the_rest_land(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.serve("/good.xml", GOOD_RSS, "application/rss+xml").await;
    let respond = |at: &'static str, template: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(template)
    };
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><rss version="2.0"><channel><title>&lol4;</title><item><title>&lol4;</title></item></channel></rss>"#;
    respond(
        "/laughs.xml",
        ResponseTemplate::new(200).set_body_raw(laughs, "application/rss+xml"),
    )
    .mount(&up.server)
    .await;
    respond(
        "/bomb.xml",
        ResponseTemplate::new(200)
            .insert_header("Content-Encoding", "gzip")
            .set_body_raw(common::gzip_bomb(256 << 20), "application/rss+xml"),
    )
    .mount(&up.server)
    .await;
    respond(
        "/huge.xml",
        ResponseTemplate::new(200).set_body_raw(vec![b' '; 60 << 20], "application/rss+xml"),
    )
    .mount(&up.server)
    .await;
    respond(
        "/loop-a",
        ResponseTemplate::new(302).insert_header("Location", "/loop-b"),
    )
    .mount(&up.server)
    .await;
    respond(
        "/loop-b",
        ResponseTemplate::new(302).insert_header("Location", "/loop-a"),
    )
    .mount(&up.server)
    .await;
    respond("/error.xml", ResponseTemplate::new(500))
        .mount(&up.server)
        .await;
    respond(
        "/busy.xml",
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
    )
    .mount(&up.server)
    .await;
    respond("/gone.xml", ResponseTemplate::new(410))
        .mount(&up.server)
        .await;
    respond(
        "/empty.xml",
        ResponseTemplate::new(200).set_body_raw("", "application/rss+xml"),
    )
    .mount(&up.server)
    .await;
    respond(
        "/junk.bin",
        ResponseTemplate::new(200).set_body_raw(
            (0..=255u8).cycle().take(5000).collect::<Vec<u8>>(),
            "application/octet-stream",
        ),
    )
    .mount(&up.server)
    .await;
    respond(
        "/plain.html",
        ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><head><title>新闻</title></head><body>无订阅</body></html>",
            "text/html",
        ),
    )
    .mount(&up.server)
    .await;
    let drip = common::drip_server().await;

    let mut yaml = source_yaml("good", &up.url("/good.xml"));
    for (id, at) in [
        ("laughs", "/laughs.xml"),
        ("bomb", "/bomb.xml"),
        ("huge", "/huge.xml"),
        ("loop", "/loop-a"),
        ("error", "/error.xml"),
        ("busy", "/busy.xml"),
        ("gone", "/gone.xml"),
        ("empty", "/empty.xml"),
        ("junk", "/junk.bin"),
        ("plain", "/plain.html"),
    ] {
        yaml.push_str(&source_yaml(id, &up.url(at)));
    }
    yaml.push_str(&source_yaml("drip", &drip));
    // A short total timeout so the drip is cut off quickly.
    let mut config = common::config(&db, &yaml);
    config.fetch.timeout = Duration::from_secs(3);
    config.fetch.max_body = 8 << 20;

    let started = std::time::Instant::now();
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // Four items from the good feed and one from the billion-laughs feed (unexpanded).
    assert_eq!(
        (summary.sources, summary.failed, summary.new),
        (12, 10, 5),
        "{summary:?}"
    );

    let error = |id: &str| row(&db, id).last_error.unwrap_or_default();
    assert_eq!(row(&db, "good").last_error, None);
    // Entities are not expanded: the document parses, with the references left unexpanded.
    assert_eq!(row(&db, "laughs").last_error, None, "{}", error("laughs"));
    assert!(
        error("bomb").contains("larger than the limit"),
        "{}",
        error("bomb")
    );
    assert!(
        error("huge").contains("larger than the limit"),
        "{}",
        error("huge")
    );
    assert!(error("loop").contains("redirect loop"), "{}", error("loop"));
    assert_eq!(error("error"), "HTTP 500");
    assert_eq!(error("busy"), "HTTP 429 (retry after 3600s)");
    let busy = row(&db, "busy");
    let wait = busy.next_fetch_at - busy.last_fetch_at.unwrap();
    assert!(
        wait >= chrono::Duration::seconds(3599) && wait <= chrono::Duration::seconds(3601),
        "{wait}"
    );
    let gone = row(&db, "gone");
    assert!(!gone.enabled);
    assert!(gone.disabled_reason.unwrap().contains("410"));
    assert!(
        error("empty").contains("empty document"),
        "{}",
        error("empty")
    );
    assert!(error("junk").contains("not a feed"), "{}", error("junk"));
    assert!(
        error("plain").contains("advertises no feed"),
        "{}",
        error("plain")
    );
    assert!(error("drip").contains("timed out"), "{}", error("drip"));
    // Each failure is in the fetch log too.
    let log = db
        .store()
        .with_conn(|c| fetch_log::recent(c, "error", 5))
        .unwrap();
    assert_eq!(
        (log.len(), log[0].outcome.as_str(), log[0].status),
        (1, "failed", Some(500))
    );
}
on_both_backends!(
    misbehaving_upstreams_fail_cleanly_and_the_rest_land,
    misbehaving_upstreams_fail_cleanly_and_the_rest_land
);

async fn an_unchanged_feed_costs_a_304_and_no_writes(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .and(header("If-None-Match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("ETag", "\"v1\""))
        .with_priority(1)
        .mount(&up.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"v1\"")
                .insert_header("Last-Modified", "Wed, 25 Nov 2026 12:00:00 GMT")
                .insert_header("Cache-Control", "max-age=7200")
                .set_body_raw(common::fixture(GOOD_RSS), "application/rss+xml"),
        )
        .with_priority(2)
        .mount(&up.server)
        .await;
    let config = common::config(&db, &source_yaml("s", &up.url("/feed.xml")));
    let first = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(first.new, 4);
    let after_first = row(&db, "s");
    assert_eq!(after_first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        after_first.last_modified.as_deref(),
        Some("Wed, 25 Nov 2026 12:00:00 GMT")
    );
    // max-age=7200 stretches the 15-minute default schedule to two hours.
    let wait = after_first.next_fetch_at - after_first.last_fetch_at.unwrap();
    assert!(wait >= chrono::Duration::hours(2), "{wait}");

    let second = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (
            second.not_modified,
            second.new,
            second.unchanged,
            second.failed
        ),
        (1, 0, 0, 0)
    );
    assert_eq!(row(&db, "s").last_status, Some(304));
    let log = db
        .store()
        .with_conn(|c| fetch_log::recent(c, "s", 5))
        .unwrap();
    let outcomes: Vec<&str> = log.iter().map(|l| l.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["not_modified", "stored"]);
    let requests = up.server.received_requests().await.unwrap();
    assert_eq!(
        requests[1].headers.get("if-modified-since").unwrap(),
        "Wed, 25 Nov 2026 12:00:00 GMT"
    );
}
on_both_backends!(
    an_unchanged_feed_costs_a_304_and_no_writes,
    an_unchanged_feed_costs_a_304_and_no_writes
);

async fn a_permanent_redirect_moves_the_source_and_a_page_leads_to_its_feed(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path("/old.xml"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/new.xml"))
        .expect(1)
        .mount(&up.server)
        .await;
    up.serve("/new.xml", GOOD_RSS, "application/rss+xml").await;
    Mock::given(method("GET"))
        .and(path("/temp.xml"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/new.xml"))
        .expect(2)
        .mount(&up.server)
        .await;
    let page = r#"<!DOCTYPE html><html><head><link rel="alternate" type="application/atom+xml" href="/feeds/news.atom"></head><body>新闻</body></html>"#;
    Mock::given(method("GET"))
        .and(path("/news/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8"))
        .expect(1)
        .mount(&up.server)
        .await;
    up.serve(
        "/feeds/news.atom",
        "marketplace.atom",
        "application/atom+xml",
    )
    .await;
    let yaml = format!(
        "{}{}{}",
        source_yaml("moved", &up.url("/old.xml")),
        source_yaml("temp", &up.url("/temp.xml")),
        source_yaml("page", &up.url("/news/"))
    );
    let config = common::config(&db, &yaml);
    let first = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((first.failed, first.new), (0, 4 + 4 + 3));
    assert_eq!(row(&db, "moved").fetch_url, Some(up.url("/new.xml")));
    assert_eq!(
        row(&db, "temp").fetch_url,
        None,
        "a temporary redirect moves nothing"
    );
    assert_eq!(row(&db, "page").fetch_url, Some(up.url("/feeds/news.atom")));
    // The second poll goes straight to the new addresses (the mocks' expect() counts check it).
    let second = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((second.failed, second.new), (0, 0));
    // The configured URL stays as written; changing it in the file forgets the learned one.
    assert_eq!(row(&db, "moved").url, up.url("/old.xml"));
}
on_both_backends!(
    a_permanent_redirect_moves_the_source_and_a_page_leads_to_its_feed,
    a_permanent_redirect_moves_the_source_and_a_page_leads_to_its_feed
);

async fn failures_back_off_exponentially(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.fail("/down.xml", 503).await;
    let mut config = common::config(&db, &source_yaml("down", &up.url("/down.xml")));
    config.sources[0].schedule = crossfeed::domain::Schedule::parse("every 1m").unwrap();
    config.timing.jitter = Duration::ZERO;
    let mut waits = Vec::new();
    for _ in 0..4 {
        app::fetch_once(&config, None, |_, _| {}, |_| {})
            .await
            .unwrap();
        let r = row(&db, "down");
        waits.push((r.next_fetch_at - r.last_fetch_at.unwrap()).num_minutes());
    }
    assert_eq!(waits, vec![1, 2, 4, 8]);
    assert_eq!(row(&db, "down").error_count, 4);
}
on_both_backends!(
    failures_back_off_exponentially,
    failures_back_off_exponentially
);

/// Two worker processes share one store: every source is polled exactly once, by one of them.
async fn two_worker_processes_poll_each_source_exactly_once(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let mut yaml = String::new();
    for n in 0..50 {
        let at = format!("/feeds/{n}.xml");
        up.serve(&at, GOOD_RSS, "application/rss+xml").await;
        yaml.push_str(&source_yaml(&format!("s{n}"), &up.url(&at)));
    }
    let config = common::config(&db, &yaml);
    // Both processes start on an empty database: they migrate and load sources together.
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_crossfeed"))
            .args([
                "--config",
                config.path.to_str().unwrap(),
                "serve",
                "--role",
                "worker",
            ])
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut workers = [spawn(), spawn()];

    let store = db.store();
    let mut done = false;
    for _ in 0..300 {
        let rows = store.with_conn(sources::list).unwrap();
        if rows.len() == 50 && rows.iter().all(|r| r.last_fetch_at.is_some()) {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give a double poll, if there were to be one, time to happen before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for w in &mut workers {
        assert!(
            w.try_wait().unwrap().is_none(),
            "a worker died: {:?}",
            w.try_wait()
        );
        w.kill().unwrap();
        w.wait().unwrap();
    }
    assert!(done, "not every source was polled within 30 seconds");
    let requests = up.server.received_requests().await.unwrap();
    let mut per_path = std::collections::HashMap::new();
    for r in &requests {
        *per_path.entry(r.url.path().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(per_path.len(), 50);
    assert!(per_path.values().all(|n| *n == 1), "{per_path:?}");
    let logged: usize = (0..50)
        .map(|n| {
            store
                .with_conn(|c| fetch_log::recent(c, &format!("s{n}"), 10))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(logged, 50);
    let leases = store.with_conn(sources::list).unwrap();
    assert!(
        leases.iter().all(|r| r.lease_owner.is_none()),
        "leases released"
    );
}
on_both_backends!(
    two_worker_processes_poll_each_source_exactly_once,
    two_worker_processes_poll_each_source_exactly_once
);

/// A configuration like `common::config`'s, with more `fetch:` settings.
fn config_with_fetch(db: &TestDb, fetch: &str, sources: &str) -> crossfeed::config::Config {
    let yaml = format!(
        "database:\n  url: \"{}\"\n  pool_size: 4\nfetch:\n  timeout: 5s\n{fetch}\nsources:\n{sources}",
        db.url
    );
    let path = db.dir().join("crossfeed.yaml");
    std::fs::write(&path, &yaml).unwrap();
    crossfeed::config::Config::load(&path).unwrap()
}

/// An upstream on 127.0.0.1 tries to steer the fetcher to another host on a private address
/// (127.0.0.2 stands in for the private network, `localhost` for a name that resolves into it):
/// by a temporary and a permanent redirect, a feed link on an HTML page and a remembered
/// `fetch_url`. Each is refused with a clear error and the private host sees no request, while
/// a source configured on the private host itself, and a redirect to another port of the same
/// host, are fetched; `fetch.allow_private_targets` lets the redirect through.
async fn an_upstream_cannot_steer_the_fetcher_into_a_private_network(backend: Backend) {
    let db = TestDb::new(backend);
    let private = wiremock::MockServer::builder()
        .listener(std::net::TcpListener::bind("127.0.0.2:0").unwrap())
        .start()
        .await;
    let secret = format!("{}/secret.xml", private.uri());
    for at in ["/secret.xml", "/direct.xml"] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(common::fixture(GOOD_RSS), "application/rss+xml"),
            )
            .mount(&private)
            .await;
    }
    let up = Upstream::start().await;
    let other_port = Upstream::start().await;
    other_port
        .serve("/feed.xml", GOOD_RSS, "application/rss+xml")
        .await;
    up.serve("/named-secret.xml", GOOD_RSS, "application/rss+xml")
        .await;
    let named = up
        .url("/named-secret.xml")
        .replace("127.0.0.1", "localhost");
    let redirect = |at: &'static str, status: u16, to: &str| {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status).insert_header("Location", to))
    };
    redirect("/temporary", 302, &secret).mount(&up.server).await;
    redirect("/permanent", 301, &secret).mount(&up.server).await;
    redirect("/by-name", 302, &named).mount(&up.server).await;
    redirect("/same-host", 302, &other_port.url("/feed.xml"))
        .mount(&up.server)
        .await;
    let page = format!(
        r#"<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="{secret}"></head><body>新闻</body></html>"#
    );
    Mock::given(method("GET"))
        .and(path("/page/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&up.server)
        .await;
    up.serve("/remembered.xml", GOOD_RSS, "application/rss+xml")
        .await;

    let steered = ["temporary", "permanent", "by-name", "page"];
    let mut yaml: String = steered
        .iter()
        .map(|id| {
            let at = if *id == "page" {
                "/page/".to_owned()
            } else {
                format!("/{id}")
            };
            source_yaml(id, &up.url(&at))
        })
        .collect();
    yaml += &source_yaml("same-host", &up.url("/same-host"));
    yaml += &source_yaml("direct", &format!("{}/direct.xml", private.uri()));
    yaml += &source_yaml("remembered", &up.url("/remembered.xml"));
    let config = config_with_fetch(&db, "", &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 4, "{summary:?}");
    for id in steered {
        let r = row(&db, id);
        let error = r.last_error.unwrap_or_default();
        assert!(
            error.contains("refused") && error.contains("allow_private_targets"),
            "{id}: {error}"
        );
        assert_eq!(r.fetch_url, None, "{id} learned a private URL");
    }
    // The error is shown on public pages: it names the host, never what an internal name
    // resolves to.
    let by_name = row(&db, "by-name").last_error.unwrap_or_default();
    assert!(
        by_name.contains("localhost resolves to a non-public address"),
        "{by_name}"
    );
    assert!(!by_name.contains("127.0.0.1"), "{by_name}");
    assert_eq!(row(&db, "same-host").last_error, None);
    assert_eq!(row(&db, "direct").last_error, None);

    // A fetch_url learned before the rule existed, pointing into the private network.
    let remembered = secret.clone();
    db.store()
        .with_conn(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "UPDATE sources SET fetch_url = '{remembered}' WHERE id = 'remembered'"
            ))
            .execute(conn)
            .map_err(crossfeed::store::StoreError::from)
        })
        .unwrap();
    app::fetch_once(&config, Some("remembered"), |_, _| {}, |_| {})
        .await
        .unwrap();
    let error = row(&db, "remembered").last_error.unwrap_or_default();
    assert!(error.contains("refused"), "remembered: {error}");

    let requests = private.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        ["/direct.xml"],
        "only the configured private source is fetched"
    );

    // The operator may allow it (a private network of feeds).
    let allowed = config_with_fetch(&db, "  allow_private_targets: true", &yaml);
    app::fetch_once(&allowed, Some("temporary"), |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(row(&db, "temporary").last_error, None);
}
on_both_backends!(
    an_upstream_cannot_steer_the_fetcher_into_a_private_network,
    an_upstream_cannot_steer_the_fetcher_into_a_private_network
);

/// A body that does not parse is described on its source without quoting it: the error is shown
/// to anyone on `/api/sources` and `/sources`.
async fn an_unparsable_body_is_not_quoted_into_the_error(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let respond = |at: &'static str, body: String, kind: &'static str| {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, kind))
    };
    const SECRET: &str = "internal-token-5d1e";
    respond(
        "/feed.json",
        format!(r#"{{"version": "https://jsonfeed.org/version/1.1", "title": {{"x": "{SECRET}"}}, "items": []}}"#),
        "application/feed+json",
    )
    .mount(&up.server)
    .await;
    respond(
        "/feed.xml",
        format!("<rss version=\"2.0\"><channel><title>{SECRET}</{SECRET}-{SECRET}-{SECRET}></channel></rss>"),
        "application/rss+xml",
    )
    .mount(&up.server)
    .await;
    let yaml =
        source_yaml("json", &up.url("/feed.json")) + &source_yaml("xml", &up.url("/feed.xml"));
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 2);
    for id in ["json", "xml"] {
        let error = row(&db, id).last_error.unwrap_or_default();
        assert!(error.starts_with("not a feed"), "{id}: {error}");
        assert!(!error.contains(SECRET), "{id}: {error}");
    }
}
on_both_backends!(
    an_unparsable_body_is_not_quoted_into_the_error,
    an_unparsable_body_is_not_quoted_into_the_error
);

/// A document that takes longer than `fetch.parse_budget` to parse, normalize and classify fails
/// its poll with an error saying so, instead of holding a parse slot; with the default budget
/// the same document lands.
async fn a_poll_past_its_parse_budget_fails_clearly(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let items: String = (0..3000)
        .map(|n| {
            format!(
                "<item><title>TikTok Shop 商家公告 {n}</title><link>https://news.example.cn/a/{n}</link>\
                 <description>&lt;p&gt;东南亚站点第 {n} 期运营提示：Lazada 与 Shopee 大促备货&lt;/p&gt;</description></item>"
            )
        })
        .collect();
    let feed = format!("<rss version=\"2.0\"><channel><title>公告</title>{items}</channel></rss>");
    Mock::given(method("GET"))
        .and(path("/big.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let yaml = source_yaml("big", &up.url("/big.xml"));
    let tight = config_with_fetch(&db, "  parse_budget: 10ms", &yaml);
    let summary = app::fetch_once(&tight, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 1);
    let error = row(&db, "big").last_error.unwrap_or_default();
    assert!(error.contains("fetch.parse_budget"), "{error}");

    let roomy = config_with_fetch(&db, "", &yaml);
    let summary = app::fetch_once(&roomy, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.failed, summary.new), (0, 3000));
}
on_both_backends!(
    a_poll_past_its_parse_budget_fails_clearly,
    a_poll_past_its_parse_budget_fails_clearly
);

/// A title of 60,000 characters and a body nested 5,000 elements deep are cut to the caps
/// (1,000 characters; 256 levels, text kept) and the source says so in `last_warning`; an
/// ordinary feed has no warning.
async fn oversized_parts_are_capped_and_the_source_warned(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let title = "超长标题TikTok".repeat(6_000);
    let deep = format!(
        "{}深处的正文{}",
        "&lt;div&gt;".repeat(5_000),
        "&lt;/div&gt;".repeat(5_000)
    );
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>大</title>\
         <item><title>{title}</title><link>https://news.example.cn/a/1</link></item>\
         <item><title>Lazada 深层</title><link>https://news.example.cn/a/2</link><description>{deep}</description></item>\
         </channel></rss>"
    );
    Mock::given(method("GET"))
        .and(path("/odd.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&up.server)
        .await;
    up.serve("/good.xml", GOOD_RSS, "application/rss+xml").await;
    let yaml = source_yaml("odd", &up.url("/odd.xml")) + &source_yaml("good", &up.url("/good.xml"));
    let config = common::config(&db, &yaml);
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(summary.failed, 0);
    let warning = row(&db, "odd").last_warning.unwrap_or_default();
    assert!(warning.contains("1 title(s) longer than 1000"), "{warning}");
    assert!(warning.contains("nested deeper than 256"), "{warning}");
    assert_eq!(row(&db, "good").last_warning, None);

    let store = db.store();
    let items = store
        .with_conn(|c| {
            let query = crossfeed::store::items::ItemQuery {
                limit: 100,
                ..Default::default()
            };
            crossfeed::store::items::latest(c, &query)
        })
        .unwrap();
    let long = items
        .iter()
        .find(|i| {
            i.item
                .title
                .as_deref()
                .unwrap_or_default()
                .starts_with("超长标题")
        })
        .unwrap();
    assert_eq!(
        long.item.title.as_deref().unwrap().chars().count(),
        1001,
        "1,000 characters and the ellipsis"
    );
    assert!(long.item.title.as_deref().unwrap().ends_with('…'));
    let nested = items
        .iter()
        .find(|i| i.item.title.as_deref() == Some("Lazada 深层"))
        .unwrap();
    let summary = nested.item.summary.as_deref().unwrap_or_default();
    assert!(summary.contains("深处的正文"), "the text is kept");
    assert!(
        summary.matches("<div>").count() <= 256,
        "{} levels",
        summary.matches("<div>").count()
    );
}
on_both_backends!(
    oversized_parts_are_capped_and_the_source_warned,
    oversized_parts_are_capped_and_the_source_warned
);

/// `fetch --force` reads a source whole even when the upstream would answer 304: an upstream
/// that kept its ETag while its items changed (as a feed does to a newer crossfeed that reads it
/// differently) updates the stored items only when forced.
async fn a_forced_fetch_ignores_validators_and_updates_items(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let serve = |body: Vec<u8>| {
        let server = &up.server;
        async move {
            server.reset().await;
            Mock::given(method("GET"))
                .and(path("/feed.xml"))
                .and(header("If-None-Match", "\"v1\""))
                .respond_with(ResponseTemplate::new(304).insert_header("ETag", "\"v1\""))
                .with_priority(1)
                .mount(server)
                .await;
            Mock::given(method("GET"))
                .and(path("/feed.xml"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("ETag", "\"v1\"")
                        .set_body_raw(body, "application/rss+xml"),
                )
                .with_priority(2)
                .mount(server)
                .await;
        }
    };
    let original = common::fixture(GOOD_RSS);
    serve(original.clone()).await;
    let config = common::config(&db, &source_yaml("s", &up.url("/feed.xml")));
    let first = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(first.new, 4);

    let changed = String::from_utf8(original)
        .unwrap()
        .replacen("<title>", "<title>[更正] ", 2)
        .into_bytes();
    serve(changed).await;
    let polite = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((polite.not_modified, polite.updated), (1, 0), "{polite:?}");
    let forced = app::fetch_with(&config, (Some("s"), true), |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (forced.not_modified, forced.updated, forced.new),
        (0, 1, 0),
        "{forced:?}"
    );
    let requests = up.server.received_requests().await.unwrap();
    assert!(
        requests
            .last()
            .unwrap()
            .headers
            .get("if-none-match")
            .is_none()
    );
}
on_both_backends!(
    a_forced_fetch_ignores_validators_and_updates_items,
    a_forced_fetch_ignores_validators_and_updates_items
);

/// A JSON Feed with a bare `"version": "1.1"`, no title and an attachment without a
/// `mime_type` loses nothing but that attachment: both items are stored, the good attachment
/// kept, and the source's warning says what was repaired.
async fn a_sloppy_json_feed_is_read_and_the_repairs_noted(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    up.serve(
        "/feed.json",
        "corpus/json-feed-lenient.json",
        "application/feed+json",
    )
    .await;
    let config = common::config(&db, &source_yaml("pod", &up.url("/feed.json")));
    let summary = app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .unwrap();
    assert_eq!((summary.new, summary.failed), (2, 0), "{summary:?}");
    let warning = row(&db, "pod").last_warning.unwrap_or_default();
    assert!(
        warning.contains("\"version\": \"1.1\" read as"),
        "{warning}"
    );
    assert!(warning.contains("no \"title\""), "{warning}");
    assert!(warning.contains("1 attachment(s)"), "{warning}");
    let items = db
        .store()
        .with_conn(|c| {
            crossfeed::store::items::latest(
                c,
                &crossfeed::store::items::ItemQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let ep90 = items
        .iter()
        .find(|i| i.item.title.as_deref().unwrap_or("").starts_with("Ep. 90"))
        .unwrap();
    let urls: Vec<&str> = ep90
        .item
        .enclosures
        .iter()
        .map(|e| e.url.as_str())
        .collect();
    assert_eq!(
        urls,
        ["https://podcast-crossborder.example.com/audio/90.m4a"]
    );
}
on_both_backends!(
    a_sloppy_json_feed_is_read_and_the_repairs_noted,
    a_sloppy_json_feed_is_read_and_the_repairs_noted
);
