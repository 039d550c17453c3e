//! Running it: readiness follows the store (503 while Postgres refuses connections, ready again
//! without a restart when it comes back) while liveness stays up; Prometheus metrics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Backend, TestApp, TestDb};
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
    let app = TestApp::spawn(common::config(&db, "  []\n")).await;
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
        refuse(&mut conn, false);
        let (code, body) = status(&app, "/readyz").await;
        assert_eq!(code, 503, "{body}");
        assert_eq!(body["error"]["code"], "store_unavailable");
        assert_eq!(status(&app, "/healthz").await.0, 200, "liveness stays up");

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
    let after = scrape().await;
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
