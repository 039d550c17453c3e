//! Liveness (`/healthz`: answers while the process runs, whatever the store does) and
//! readiness (`/readyz`: 503 while the store does not answer, so a load balancer sends
//! requests elsewhere).

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;

/// How long readiness waits for the store before calling it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /metrics`: Prometheus text. The pool and queue gauges are read at scrape time.
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let Some(handle) = crate::metrics::install() else {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("metrics are unavailable: another recorder was installed first\n");
    };
    let (connections, idle) = state.store.pool_state();
    crate::metrics::db_pool(connections, idle);
    let due = state
        .store
        .run(|c| crate::store::sources::count_due(c, chrono::Utc::now()))
        .await;
    match due {
        Ok(n) => crate::metrics::sources_due(n),
        Err(e) => tracing::warn!(error = %e, "cannot count due sources for /metrics"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let ping = tokio::task::spawn_blocking(move || store.ping());
    let problem = match tokio::time::timeout(READY_TIMEOUT, ping).await {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(e.to_string()),
        Ok(Err(_)) => Some("the store check was cancelled".to_owned()),
        Err(_) => Some(format!(
            "the store did not answer within {} s",
            READY_TIMEOUT.as_secs()
        )),
    };
    match problem {
        None => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Some(message) => HttpResponse::ServiceUnavailable().json(json!({
            "error": { "code": "store_unavailable", "message": message }
        })),
    }
}
