//! The JSON API: topics and tags with their item counts and feed addresses; one item with
//! why it is in its topics; sources with their health; the admin refresh and reload.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::json::{ReportRef, SourceRef, TagRef, TopicRef};
use super::{ApiError, AppState, params};
use crate::domain::Enclosure;
use crate::domain::ItemId;
use crate::domain::redact::redact;
use crate::store::{item_tags, item_topics, items, sources, stats};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(topics)
        .service(tags)
        .service(item)
        .service(source_list)
        .service(refresh_source)
        .service(reload);
}

/// Tags listed unless `limit` says otherwise, and the most it may ask for.
const TAGS_DEFAULT_LIMIT: i64 = 100;
const TAGS_MAX_LIMIT: i64 = 1000;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TagParams {
    limit: Option<String>,
    min_count: Option<String>,
}

#[derive(Serialize)]
struct TagOut {
    tag: String,
    label: String,
    items: i64,
    feeds: Feeds,
}

/// Tags with their item counts, most used first.
#[get("/api/tags")]
#[tracing::instrument(skip(state))]
async fn tags(
    params: web::Query<TagParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = params::int(
        "limit",
        params.limit.as_deref(),
        TAGS_DEFAULT_LIMIT,
        TAGS_MAX_LIMIT,
    )?;
    let min_count = params::int("min_count", params.min_count.as_deref(), 1, i64::MAX)?;
    let counts = state
        .store
        .run(move |c| item_tags::counts(c, min_count, limit))
        .await?;
    let base = state.config.get().server.public_base().to_owned();
    let items: Vec<TagOut> = counts
        .into_iter()
        .map(|t| {
            let encoded = url::form_urlencoded::byte_serialize(t.key.as_bytes())
                .collect::<String>()
                .replace('+', "%20");
            let feed = |ext: &str| format!("{base}/feeds/tags/{encoded}.{ext}");
            TagOut {
                feeds: Feeds {
                    rss: feed("rss"),
                    atom: feed("atom"),
                    json: feed("json"),
                },
                tag: t.key,
                label: t.label,
                items: t.count,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

#[derive(Serialize)]
struct ItemOut {
    id: ItemId,
    guid: Option<String>,
    title: Option<String>,
    url: Option<String>,
    summary: Option<String>,
    content: Option<String>,
    /// The upstream's date (published, else updated), else when crossfeed first saw it.
    published: String,
    updated: Option<String>,
    /// True when the item carried no date and `published` is when crossfeed first saw it.
    date_is_first_seen: bool,
    first_seen: String,
    authors: Vec<String>,
    categories: Vec<String>,
    language: Option<String>,
    enclosures: Vec<Enclosure>,
    source: SourceRef,
    topics: Vec<TopicRef>,
    tags: Vec<TagRef>,
    image: Option<String>,
    /// Page views: stored counts plus those not yet flushed, as the lists and the item page say.
    views: i64,
    /// The story: the id of its first-seen item, how many items tell it, and the others.
    cluster_id: Option<ItemId>,
    cluster_size: usize,
    also_reported_by: Vec<ReportRef>,
}

/// One item, with its topics and what matched for each, and its tags.
#[get("/api/items/{id}")]
#[tracing::instrument(skip(state))]
async fn item(id: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let raw = id.into_inner();
    let id = params::item_id(&raw)?;
    let (found, source, stored_views) = state
        .store
        .run(move |c| {
            let found = items::get(c, id)?;
            let source = match &found {
                Some(i) => sources::get(c, i.source_id.as_str())?,
                None => None,
            };
            let views = stats::views_of(c, &[id])?.get(&id).copied().unwrap_or(0);
            Ok((found, source, views))
        })
        .await?;
    let views = stored_views + i64::try_from(state.views.pending_views(id)).unwrap_or(0);
    let stored = found.ok_or_else(|| ApiError::NotFound(format!("no item with id {id}")))?;
    let config = state.config.get();
    let time = crate::domain::instant::rfc3339_seconds;
    let cluster_size = stored.cluster_size();
    let also_reported_by = stored
        .also_reported_by
        .iter()
        .map(ReportRef::from)
        .collect();
    let i = stored.item;
    let out = ItemOut {
        image: i.image.clone(),
        views,
        cluster_id: stored.cluster_id,
        cluster_size,
        also_reported_by,
        id: stored.id,
        guid: i.guid,
        title: i.title,
        url: i.link,
        summary: i.summary,
        content: i.content,
        published: time(stored.sort_at),
        updated: i.updated.map(time),
        date_is_first_seen: stored.date_is_first_seen,
        first_seen: time(stored.first_seen_at),
        authors: i.authors,
        categories: i.categories,
        language: i.language,
        enclosures: i.enclosures,
        source: SourceRef {
            title: source.as_ref().map_or_else(
                || stored.source_id.to_string(),
                |s| s.display_title().to_owned(),
            ),
            id: stored.source_id.to_string(),
        },
        topics: stored
            .topics
            .into_iter()
            .map(|t| TopicRef::with_evidence(&config, t))
            .collect(),
        tags: stored.tags.into_iter().map(TagRef::with_kind).collect(),
    };
    Ok(HttpResponse::Ok().json(out))
}

/// Re-read the configuration file: sources, topics and tag rules take effect, stored items
/// are reclassified if the rules changed. A bad file is refused (422, with file, line and
/// column) and the running configuration stays.
#[post("/api/reload")]
#[tracing::instrument(skip(req, state))]
async fn reload(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    match state.reloader.reload().await {
        Ok(report) => Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": "reloaded",
            "sources": {
                "added": report.sources_added,
                "updated": report.sources_updated,
                "disabled": report.sources_disabled,
            },
            "reclassified": report.reclassified.map(|r| serde_json::json!({
                "items": r.items,
                "changed": r.changed_items,
                "retagged": r.retagged_items,
            })),
            "restart_needed": report.restart_needed,
        }))),
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(error = %message, "reload refused; the previous configuration stays in force");
            Err(ApiError::BadConfig(message))
        }
    }
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
    /// What the last successful poll had to cut short (a title too long, HTML nested too deep).
    last_warning: Option<String>,
    last_fetched_at: Option<String>,
    last_success_at: Option<String>,
    next_fetch_at: String,
    items: i64,
    /// `feed`, or `page` for a list page read through CSS selectors.
    kind: &'static str,
    /// What went partly wrong without failing a poll: parts cut short, articles that could not
    /// be fetched or extracted.
    warnings: Vec<String>,
}

fn rfc3339(t: NaiveDateTime) -> String {
    crate::domain::instant::rfc3339_seconds(t.and_utc())
}

/// Every source with its health: last fetch, status, errors, next fetch, stored items.
#[get("/api/sources")]
#[tracing::instrument(skip(state))]
async fn source_list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (rows, counts, article_failures) = state
        .store
        .run(|c| {
            Ok((
                sources::list(c)?,
                items::counts_by_source(c)?,
                crate::store::articles::failures_by_source(c)?,
            ))
        })
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut warnings: Vec<String> = r.last_warning.iter().cloned().collect();
        if let Some((n, last)) = article_failures.get(&r.id) {
            warnings.push(format!(
                "{n} article(s) could not be fetched or extracted; the items keep their \
                 summaries (last: {last})"
            ));
        }
        out.push(SourceOut {
            warnings,
            title: r.display_title().to_owned(),
            tags: r.tags()?,
            kind: if r.page.is_some() { "page" } else { "feed" },
            items: counts.get(&r.id).copied().unwrap_or(0),
            last_fetched_at: r.last_fetch_at.map(rfc3339),
            last_success_at: r.last_success_at.map(rfc3339),
            next_fetch_at: rfc3339(r.next_fetch_at),
            id: r.id,
            url: redact(&r.url),
            fetch_url: r.fetch_url.as_deref().map(redact),
            site_url: r.site_url,
            schedule: r.schedule,
            timezone: r.timezone,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            last_status: r.last_status,
            last_error: r.last_error,
            error_count: r.error_count,
            last_warning: r.last_warning,
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
            state.config.get().server.admin_token_env
        )));
    };
    // Compare digests: equal lengths, so that not even the token's length leaks through timing
    // (ct_eq on the raw bytes returns at once when the lengths differ).
    let digest = |s: &str| Sha256::digest(s.as_bytes());
    if bool::from(digest(given).as_slice().ct_eq(digest(expected).as_slice())) {
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
    let base = state.config.get().server.public_base().to_owned();
    let config = state.config.get();
    let items: Vec<TopicOut<'_>> = config
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
