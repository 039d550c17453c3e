//! The JSON API: topics with their item counts and feed addresses.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::store::item_topics;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(topics);
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
