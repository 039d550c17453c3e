//! Running it: readiness follows the store (503 while Postgres refuses connections, ready again
//! without a restart when it comes back) while liveness stays up.

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
