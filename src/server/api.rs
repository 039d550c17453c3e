//! The JSON API: topics with their item counts and feed addresses; sources with their health;
//! the admin refresh of a source.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDateTime, Utc};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::store::{item_topics, items, sources};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(topics)
        .service(source_list)
        .service(refresh_source);
}

#[derive(Serialize)]
struct SourceOut {
    id: String,
    title: String,
    url: String,
    /// Where it is fetched from now, when that differs from `url`.
    fetch_url: Option<String>,
    site_url: Option<String>,
    schedule: String,
    timezone: String,
    tags: Vec<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    last_status: Option<i32>,
    last_error: Option<String>,
    error_count: i32,
    last_fetched_at: Option<String>,
    last_success_at: Option<String>,
    next_fetch_at: String,
    items: i64,
}

fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Every source with its health: last fetch, status, errors, next fetch, stored items.
#[get("/api/sources")]
#[tracing::instrument(skip(state))]
async fn source_list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (rows, counts) = state
        .store
        .run(|c| Ok((sources::list(c)?, items::counts_by_source(c)?)))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(SourceOut {
            title: r.display_title().to_owned(),
            tags: r.tags()?,
            items: counts.get(&r.id).copied().unwrap_or(0),
            last_fetched_at: r.last_fetch_at.map(rfc3339),
            last_success_at: r.last_success_at.map(rfc3339),
            next_fetch_at: rfc3339(r.next_fetch_at),
            id: r.id,
            url: r.url,
            fetch_url: r.fetch_url,
            site_url: r.site_url,
            schedule: r.schedule,
            timezone: r.timezone,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            last_status: r.last_status,
            last_error: r.last_error,
            error_count: r.error_count,
        });
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": out, "next_cursor": null })))
}

/// Check the request's bearer token against the admin token, in constant time.
fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    let Some(expected) = state.admin_token.as_deref() else {
        return Err(ApiError::Forbidden(format!(
            "admin routes are disabled: no token is set in ${}",
            state.config.server.admin_token_env
        )));
    };
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("wrong admin token".into()))
    }
}

/// Poll a source now: it is made due and the scheduler woken; answers 202.
#[post("/api/sources/{id}/refresh")]
#[tracing::instrument(skip(req, state))]
async fn refresh_source(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let id = id.into_inner();
    let source = id.clone();
    let found = state
        .store
        .run(move |c| sources::make_due(c, &source, Utc::now()))
        .await?;
    if !found {
        return Err(ApiError::NotFound(format!("no source with id {id:?}")));
    }
    if let Some(nudge) = &state.nudge {
        nudge.notify_one();
    }
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "id": id, "status": "queued" })))
}

#[derive(Serialize)]
struct TopicOut<'a> {
    slug: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    keywords: &'a [String],
    items: i64,
    feeds: Feeds,
}

#[derive(Serialize)]
struct Feeds {
    rss: String,
    atom: String,
    json: String,
}

/// Every configured topic, in configuration order.
#[get("/api/topics")]
#[tracing::instrument(skip(state))]
async fn topics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let counts = state.store.run(item_topics::counts).await?;
    let base = state
        .config
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let items: Vec<TopicOut<'_>> = state
        .config
        .topics
        .iter()
        .map(|t| {
            let slug = t.slug.as_str();
            let feed = |ext: &str| format!("{base}/feeds/{slug}.{ext}");
            TopicOut {
                slug,
                title: &t.title,
                description: t.description.as_deref(),
                keywords: &t.keywords,
                items: counts.get(slug).copied().unwrap_or(0),
                feeds: Feeds {
                    rss: feed("rss"),
                    atom: feed("atom"),
                    json: feed("json"),
                },
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}
