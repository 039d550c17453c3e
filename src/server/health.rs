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
    cfg.service(healthz).service(readyz);
}

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
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
