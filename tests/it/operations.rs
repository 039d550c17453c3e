//! Running it: readiness follows the store (503 while Postgres refuses connections, ready again
//! without a restart when it comes back) while liveness stays up; Prometheus metrics.

use crate::common;

use std::time::Duration;

use crate::common::{Backend, TestApp, TestDb};
use diesel::{Connection, PgConnection, RunQueryDsl};

async fn status(app: &TestApp, path: &str) -> (u16, serde_json::Value) {
    let res = app.get(path).await;
    let code = res.status().as_u16();
    (
        code,
        serde_json::from_slice(&res.bytes().await.unwrap()).unwrap(),
    )
}

async fn ready_while_the_store_answers(backend: Backend) {
    let db = TestDb::new(backend);
    let up = common::Upstream::start().await;
    up.serve("/news.rss", "kuajing.rss", "application/rss+xml")
        .await;
    let sources = format!("  - id: news\n    url: {}\n", up.url("/news.rss"));
    let app = TestApp::spawn_with_token(common::config(&db, &sources), Some("s3cret")).await;
    app.wait_for_first_polls().await;
    let refresh = || {
        app.client
            .post(format!("{}/api/sources/news/refresh", app.base))
            .bearer_auth("s3cret")
            .send()
    };
    let stored = || async {
        let (code, body) = status(&app, "/api/items?limit=100").await;
        assert_eq!(code, 200, "{body}");
        body["items"].as_array().unwrap().len()
    };
    let before = stored().await;
    assert!(before > 0);
    assert_eq!(
        status(&app, "/readyz").await,
        (200, serde_json::json!({"status": "ready"}))
    );
    assert_eq!(status(&app, "/healthz").await.0, 200);

    if backend == Backend::Postgres {
        // Postgres stops accepting this database and drops its connections.
        let admin = std::env::var("CROSSFEED_TEST_POSTGRES").unwrap();
        let name = url::Url::parse(&db.url).unwrap().path()[1..].to_owned();
        let mut conn = PgConnection::establish(&admin).unwrap();
        let refuse = |conn: &mut PgConnection, allow: bool| {
            diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"))
                .execute(conn)
                .unwrap();
            if !allow {
                diesel::sql_query(format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .execute(conn)
                .unwrap();
            }
        };
        // A feed read before the outage is in the cache.
        assert_eq!(app.get("/feeds/all.rss").await.status(), 200);
        refuse(&mut conn, false);
        let (code, body) = status(&app, "/readyz").await;
        assert_eq!(code, 503, "{body}");
        assert_eq!(body["error"]["code"], "store_unavailable");
        assert_eq!(status(&app, "/healthz").await.0, 200, "liveness stays up");
        // Cached feeds are still served while the store is away (after the change check is
        // due again, which then fails).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let cached = app.get("/feeds/all.rss").await;
        assert_eq!(
            cached.status(),
            200,
            "a cached feed is served during the outage"
        );
        assert!(cached.text().await.unwrap().contains("<rss"));
        // The upstream gains items while the store is away: a poll now fails with a JSON error
        // (nothing can be recorded) and the items wait upstream for the next one.
        up.reset().await;
        up.serve("/news.rss", "kuajing-v2.rss", "application/rss+xml")
            .await;
        let failed = refresh().await.unwrap();
        assert!(failed.status().is_server_error(), "{failed:?}");
        let err: serde_json::Value =
            serde_json::from_slice(&failed.bytes().await.unwrap()).unwrap();
        assert!(err["error"]["code"].is_string(), "{err}");
        // What is not cached needs the store: a JSON error, not a hang.
        let uncached = app.get("/api/items").await;
        assert!(uncached.status().is_server_error());
        let err: serde_json::Value =
            serde_json::from_slice(&uncached.bytes().await.unwrap()).unwrap();
        assert!(err["error"]["code"].is_string(), "{err}");

        refuse(&mut conn, true);
        let mut recovered = false;
        for _ in 0..60 {
            if status(&app, "/readyz").await.0 == 200 {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(recovered, "ready again once Postgres accepts connections");
        // The same process polls again and the new items land: nothing was lost.
        assert!(refresh().await.unwrap().status().is_success());
        let mut landed = false;
        for _ in 0..100 {
            if stored().await > before {
                landed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(landed, "the items published during the outage landed");
    }
    app.stop().await;
}
on_both_backends!(ready_while_the_store_answers, ready_while_the_store_answers);

/// The value of the sample `name{labels}` in Prometheus text (labels in the exporter's order).
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_count_polls_requests_and_the_cache(backend: Backend) {
    let db = TestDb::new(backend);
    let upstream = common::Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    upstream.fail("/gone.rss", 500).await;
    let sources = format!(
        "{}  - id: broken\n    url: {}\n",
        common::fixture_sources(&upstream),
        upstream.url("/gone.rss")
    );
    let app = TestApp::spawn(common::config(&db, &sources)).await;
    app.wait_for_first_polls().await;
    let scrape = || async {
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        res.text().await.unwrap()
    };
    let before = scrape().await;
    // Other tests in this binary share the process's recorder: compare before and after.
    let feed = |t: &str, result: &str| {
        sample(
            t,
            &format!("crossfeed_feed_cache_total{{result=\"{result}\"}}"),
        )
        .unwrap_or(0.0)
    };
    for _ in 0..3 {
        assert_eq!(app.get("/feeds/tiktok.rss").await.status(), 200);
    }
    assert_eq!(app.get("/api/items?limit=0").await.status(), 400);
    // A poll is counted just after its result is stored, so the first polls may be in the
    // store a moment before they are in the metrics: scrape until the failed one shows.
    let mut after = scrape().await;
    for _ in 0..50 {
        let failed = sample(
            &after,
            "crossfeed_fetches_total{outcome=\"failed\",host=\"127.0.0.1\"}",
        );
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape().await;
    }
    assert!(feed(&after, "hit") >= feed(&before, "hit") + 2.0, "{after}");
    assert!(
        feed(&after, "miss") >= feed(&before, "miss") + 1.0,
        "{after}"
    );

    let host = "127.0.0.1";
    let fetches = |outcome: &str| {
        sample(
            &after,
            &format!("crossfeed_fetches_total{{outcome=\"{outcome}\",host=\"{host}\"}}"),
        )
        .unwrap_or(0.0)
    };
    assert!(fetches("stored") >= 3.0, "{after}");
    assert!(fetches("failed") >= 1.0, "{after}");
    assert!(
        sample(&after, "crossfeed_items_ingested_total{kind=\"new\"}").unwrap() >= 5.0,
        "{after}"
    );
    let requests = |status: &str| {
        sample(
            &after,
            &format!(
                "crossfeed_http_requests_total{{route=\"/feeds/{{name}}\",method=\"GET\",status=\"{status}\"}}"
            ),
        )
        .unwrap_or(0.0)
    };
    assert!(requests("200") >= 3.0, "{after}");
    assert!(
        sample(
            &after,
            "crossfeed_http_requests_total{route=\"/api/items\",method=\"GET\",status=\"400\"}"
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{after}"
    );
    assert!(
        after.contains(
            "crossfeed_http_request_duration_seconds_bucket{route=\"/feeds/{name}\",le=\"0.005\"}"
        ),
        "{after}"
    );
    assert!(after.contains("crossfeed_fetch_duration_seconds_bucket{outcome=\"stored\""));
    assert!(sample(&after, "crossfeed_db_pool_connections").unwrap() >= 1.0);
    assert!(sample(&after, "crossfeed_sources_due").is_some(), "{after}");
    assert!(
        sample(&after, "crossfeed_polls_in_flight").is_some(),
        "{after}"
    );
    // Paths never become labels: a hundred different item pages are one route.
    assert!(!after.contains("/items/1\""));
    app.stop().await;
}
on_both_backends!(
    metrics_count_polls_requests_and_the_cache,
    metrics_count_polls_requests_and_the_cache
);

/// A `serve` process of the built binary with `role`, listening on `port` when it serves.
fn serve(config: &crossfeed::config::Config, role: &str, port: Option<u16>) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_crossfeed"));
    cmd.args([
        "--config",
        config.path.to_str().unwrap(),
        "serve",
        "--role",
        role,
    ])
    .env("RUST_LOG", "warn")
    .env("CROSSFEED_ADMIN_TOKEN", "s3cret")
    .env_remove("DATABASE_URL")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    if let Some(port) = port {
        cmd.env("CROSSFEED_LISTEN", format!("127.0.0.1:{port}"));
    }
    cmd.spawn().unwrap()
}

/// Two distinct free ports (both held while choosing, so they cannot be the same one).
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// Two workers and two web processes on one store: each source polled once, a worker killed
/// mid-poll loses nothing and its source is taken up once the lease expires, and both web
/// processes serve a new item within seconds of its ingest.
async fn two_workers_and_two_web_processes_share_one_store(backend: Backend) {
    use crossfeed::store::sources;
    let db = TestDb::new(backend);
    let up = common::Upstream::start().await;
    let mut yaml = String::new();
    for n in 0..20 {
        let at = format!("/feeds/{n}.xml");
        up.serve(&at, "kuajing.rss", "application/rss+xml").await;
        yaml.push_str(&format!("  - id: s{n}\n    url: {}\n", up.url(&at)));
    }
    let drip = common::drip_server().await;
    yaml.push_str(&format!("  - id: slow\n    url: {drip}\n"));
    let mut config = common::config(&db, &yaml);
    let text = std::fs::read_to_string(&config.path)
        .unwrap()
        .replace("timeout: 5s", "timeout: 60s");
    std::fs::write(&config.path, text).unwrap();
    config = crossfeed::config::Config::load(&config.path).unwrap();
    let store = db.store();

    // Worker A starts alone and polls everything; the slow source stays in flight.
    let mut a = serve(&config, "worker", None);
    let a_owner = format!(":{}:", a.id());
    let mut polled = false;
    for _ in 0..300 {
        let rows = store.with_conn(sources::list).unwrap_or_default();
        let slow_leased = rows.iter().any(|r| {
            r.id == "slow"
                && r.lease_owner
                    .as_deref()
                    .is_some_and(|o| o.contains(&a_owner))
        });
        let others = rows
            .iter()
            .filter(|r| r.id != "slow" && r.last_fetch_at.is_some())
            .count();
        if slow_leased && others == 20 {
            polled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(polled, "worker A did not poll everything within 30 seconds");
    let items_before = store
        .with_conn(crossfeed::store::items::counts_by_source)
        .unwrap()
        .values()
        .sum::<i64>();
    assert!(items_before > 0);

    // The others join; then A dies mid-poll.
    let mut b = serve(&config, "worker", None);
    let (p1, p2) = free_ports();
    let mut w1 = serve(&config, "web", Some(p1));
    let mut w2 = serve(&config, "web", Some(p2));
    let client = reqwest::Client::new();
    for port in [p1, p2] {
        let mut up_now = false;
        for _ in 0..200 {
            if client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                up_now = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up_now, "web process on {port} did not come up");
    }
    a.kill().unwrap();
    a.wait().unwrap();

    // Nothing A stored is lost; its in-flight source stays leased to it until the lease ends.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let counts = store
        .with_conn(crossfeed::store::items::counts_by_source)
        .unwrap();
    assert_eq!(counts.values().sum::<i64>(), items_before);
    let slow = |store: &crossfeed::store::Store| {
        store
            .with_conn(sources::list)
            .unwrap()
            .into_iter()
            .find(|r| r.id == "slow")
            .unwrap()
    };
    assert!(slow(&store).lease_owner.unwrap().contains(&a_owner));
    // Time passes (the lease runs out): B takes the source up at its next tick.
    {
        use diesel::connection::SimpleConnection as _;
        PgOrSqlite::connect(&db.url)
            .batch_execute(
                "UPDATE sources SET lease_until = '2000-01-01 00:00:00' WHERE id = 'slow'",
            )
            .unwrap();
    }
    let b_owner = format!(":{}:", b.id());
    let mut taken = false;
    for _ in 0..100 {
        if slow(&store)
            .lease_owner
            .is_some_and(|o| o.contains(&b_owner))
        {
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        taken,
        "the dead worker's source was not taken up: {:?}",
        slow(&store)
    );

    // Each source was fetched once: A did them all, B none again (they are not due).
    let requests = up.server.received_requests().await.unwrap();
    let mut per_path = std::collections::HashMap::new();
    for r in &requests {
        *per_path.entry(r.url.path().to_owned()).or_insert(0) += 1;
    }
    assert_eq!(per_path.len(), 20);
    assert!(per_path.values().all(|n| *n == 1), "{per_path:?}");

    // A new item upstream, a refresh through one web process: both serve it within seconds.
    up.reset().await;
    for n in 0..20 {
        // (wiremock answers with the first route that matches: one route per path.)
        let version = if n == 3 {
            "kuajing-v2.rss"
        } else {
            "kuajing.rss"
        };
        up.serve(&format!("/feeds/{n}.xml"), version, "application/rss+xml")
            .await;
    }
    let fresh = common::titles(&common::fixture("kuajing-v2.rss"))
        .into_iter()
        .find(|t| !common::titles(&common::fixture("kuajing.rss")).contains(t))
        .expect("kuajing-v2.rss has an item kuajing.rss lacks");
    let refresh = client
        .post(format!("http://127.0.0.1:{p1}/api/sources/s3/refresh"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), 202);
    for port in [p1, p2] {
        let mut seen = false;
        for _ in 0..150 {
            let body = client
                .get(format!(
                    "http://127.0.0.1:{port}/feeds/all.atom?dedupe=false&limit=200"
                ))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            if common::titles(&body).contains(&fresh) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(seen, "the web process on {port} never served {fresh}");
    }
    for child in [&mut b, &mut w1, &mut w2] {
        assert!(child.try_wait().unwrap().is_none(), "a process died");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
on_both_backends!(
    two_workers_and_two_web_processes_share_one_store,
    two_workers_and_two_web_processes_share_one_store
);

/// A raw connection to either test store, for what no crossfeed API does (moving time). On
/// SQLite it waits for the write lock, as crossfeed's own connections do: the workers hold it
/// while they poll, and without a busy timeout a write here failed at once ("database is
/// locked").
enum PgOrSqlite {
    Pg(PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl PgOrSqlite {
    fn connect(url: &str) -> Self {
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let mut c = diesel::SqliteConnection::establish(path).unwrap();
                diesel::connection::SimpleConnection::batch_execute(
                    &mut c,
                    "PRAGMA busy_timeout = 30000",
                )
                .unwrap();
                PgOrSqlite::Sqlite(c)
            }
            None => PgOrSqlite::Pg(PgConnection::establish(url).unwrap()),
        }
    }
}

impl diesel::connection::SimpleConnection for PgOrSqlite {
    fn batch_execute(&mut self, query: &str) -> diesel::QueryResult<()> {
        match self {
            PgOrSqlite::Pg(c) => c.batch_execute(query),
            PgOrSqlite::Sqlite(c) => c.batch_execute(query),
        }
    }
}

/// A `serve --role worker` process answers probes and Prometheus on its `--listen` address and
/// nothing else; a second one on the same address fails at start, saying why.
async fn a_worker_answers_probes_and_metrics_only(backend: Backend) {
    let db = TestDb::new(backend);
    let up = common::Upstream::start().await;
    up.serve("/feed.xml", "kuajing.rss", "application/rss+xml")
        .await;
    let config = common::config(
        &db,
        &format!("  - id: wire\n    url: {}\n", up.url("/feed.xml")),
    );
    let (port, _) = free_ports();
    let listen = format!("127.0.0.1:{port}");
    let worker = |stderr: std::process::Stdio| {
        std::process::Command::new(env!("CARGO_BIN_EXE_crossfeed"))
            .args([
                "--config",
                config.path.to_str().unwrap(),
                "serve",
                "--role",
                "worker",
            ])
            .args(["--listen", &listen])
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("CROSSFEED_LISTEN")
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap()
    };
    let mut first = worker(std::process::Stdio::null());
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("http://{listen}{path}")).send();
    let mut metrics = String::new();
    // The worker's first poll: up to 30 s, for a debug build started while the rest of the
    // suite keeps both cores busy.
    for _ in 0..600 {
        if let Ok(r) = get("/metrics").await
            && r.status() == 200
        {
            metrics = r.text().await.unwrap();
            if metrics.contains("crossfeed_fetches_total") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(metrics.contains("crossfeed_fetches_total"), "{metrics}");
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    for path in ["/feeds/all.rss", "/api/items", "/", "/api/sources"] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }

    let second = worker(std::process::Stdio::piped());
    let out = tokio::task::spawn_blocking(move || second.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {listen}")),
        "{stderr}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
}
on_both_backends!(
    a_worker_answers_probes_and_metrics_only,
    a_worker_answers_probes_and_metrics_only
);
