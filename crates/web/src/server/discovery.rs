//! Discovery over the JSON API: latest items, hot reads, related items, per-tag
//! recommendations, search and trending searches; and `/go/{id}`, which counts a click and
//! sends the reader to the original article.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::json::{ReportRef, SourceRef, TagRef, TopicRef};
use super::params::{self, Listing, ListingDefaults, bad, item_id, limit, window};
use super::{ApiError, AppState};
use crate::discovery::{self, Scored};
use crate::domain::ItemId;
use crate::domain::{Cursor, StoredItem};
use crate::store::items;
use crate::store::search::Filter;
use crate::store::sources;
use crate::store::stats;
use crate::views::Client;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(item_list)
        .service(topic_items)
        .service(hot)
        .service(related)
        .service(recommendations)
        .service(search)
        .service(trending)
        .service(go);
}

/// `/api/items`: 50 items unless `limit` says otherwise, at most 200, every item unless
/// `dedupe=true`.
const API_LISTING: ListingDefaults = ListingDefaults {
    limit: 50,
    max_limit: 200,
    dedupe: false,
};

/// An item as the list endpoints show it.
#[derive(Serialize)]
pub(super) struct ListedItem {
    id: ItemId,
    title: Option<String>,
    url: Option<String>,
    summary: Option<String>,
    published: String,
    source: SourceRef,
    topics: Vec<TopicRef>,
    tags: Vec<TagRef>,
    views: i64,
    cluster_size: usize,
    image: Option<String>,
    also_reported_by: Vec<ReportRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score_parts: Option<BTreeMap<&'static str, f64>>,
    /// Search only: the title and a snippet with the matches in `<mark>` (escaped HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    title_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet_html: Option<String>,
}

/// Source ids to their display titles.
type Titles = HashMap<String, String>;

fn listed(state: &AppState, titles: &Titles, item: StoredItem, views: i64) -> ListedItem {
    let config = state.config.get();
    let time = crate::domain::instant::rfc3339_seconds;
    // Views counted in this process and not yet written count too.
    let views = views + i64::try_from(state.views.pending_views(item.id)).unwrap_or(0);
    ListedItem {
        id: item.id,
        cluster_size: discovery::story_sources(&item).max(item.cluster_size()),
        source: SourceRef {
            title: titles
                .get(item.source_id.as_str())
                .cloned()
                .unwrap_or_else(|| item.source_id.to_string()),
            id: item.source_id.to_string(),
        },
        topics: item
            .topics
            .iter()
            .map(|t| TopicRef::of(&config, t))
            .collect(),
        tags: item.tags.iter().map(TagRef::of).collect(),
        also_reported_by: item.also_reported_by.iter().map(ReportRef::from).collect(),
        published: time(item.sort_at),
        views,
        title: item.item.title,
        url: item.item.link,
        summary: item.item.summary,
        image: item.item.image,
        score: None,
        score_parts: None,
        title_html: None,
        snippet_html: None,
    }
}

fn scored(state: &AppState, titles: &Titles, s: Scored) -> ListedItem {
    let mut out = listed(state, titles, s.item, s.views);
    out.score = Some(s.score);
    out.score_parts = Some(s.parts);
    out
}

fn page(items: Vec<ListedItem>, next_cursor: Option<String>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": next_cursor }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    topic: Option<String>,
    tag: Option<String>,
    source: Option<String>,
    before: Option<String>,
    limit: Option<String>,
    dedupe: Option<String>,
}

/// `GET /api/items`: newest first, cursor-paginated, filtered by topic, tag and source.
#[get("/api/items")]
#[tracing::instrument(skip(state))]
async fn item_list(
    params: web::Query<ListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let topic = params.topic.clone();
    latest(&state, topic, params).await
}

/// `GET /api/topics/{slug}/items`: the same for one topic.
#[get("/api/topics/{slug}/items")]
#[tracing::instrument(skip(state))]
async fn topic_items(
    slug: web::Path<String>,
    params: web::Query<ListParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    if state.config.get().topic(&slug).is_none() {
        return Err(ApiError::NotFound(format!(
            "no topic {slug:?}; try /api/topics"
        )));
    }
    let params = params.into_inner();
    if params.topic.is_some() {
        return Err(bad("topic", "the topic is in the path"));
    }
    latest(&state, Some(slug), params).await
}

async fn latest(
    state: &AppState,
    topic: Option<String>,
    params: ListParams,
) -> Result<HttpResponse, ApiError> {
    let listing = Listing {
        topic: topic.as_deref(),
        tag: params.tag.as_deref(),
        source: params.source.as_deref(),
        before: params.before.as_deref(),
        limit: params.limit.as_deref(),
        dedupe: params.dedupe.as_deref(),
    };
    let query = listing.query(&state.config.get(), &state.rules.get(), API_LISTING)?;
    let limit = usize::try_from(query.limit).unwrap_or(0);
    let (mut found, titles, views) = state
        .store
        .run(move |c| {
            let mut found = items::latest(c, &query)?;
            if !query.dedupe {
                items::attach_cluster_members(c, &mut found)?;
            }
            let ids: Vec<ItemId> = found.iter().map(|i| i.id).collect();
            Ok((found, sources::titles(c)?, stats::views_of(c, &ids)?))
        })
        .await?;
    let next = (found.len() >= limit)
        .then(|| found.last().map(|last| Cursor::after(last).to_string()))
        .flatten();
    let out = found
        .drain(..)
        .map(|i| {
            let v = views.get(&i.id).copied().unwrap_or(0);
            listed(state, &titles, i, v)
        })
        .collect();
    Ok(page(out, next))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HotParams {
    window: Option<String>,
    topic: Option<String>,
    limit: Option<String>,
}

/// `GET /api/hot?window=24h|7d&topic=`: the most read stories, views decaying with age and
/// boosted by how many sources told the story.
#[get("/api/hot")]
#[tracing::instrument(skip(state))]
async fn hot(
    params: web::Query<HotParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let window = window(params.window.as_deref())?;
    let limit = limit(params.limit.as_deref(), 20, 100)?;
    let topic = params::topic(&state.config.get(), params.topic.as_deref())?;
    let (ranked, titles) = state
        .store
        .run(move |c| {
            let ranked = discovery::hot(c, window, topic.as_deref(), limit, Utc::now())?;
            Ok((ranked, sources::titles(c)?))
        })
        .await?;
    let out = ranked
        .into_iter()
        .map(|s| scored(&state, &titles, s))
        .collect();
    Ok(page(out, None))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitParams {
    limit: Option<String>,
}

/// `GET /api/items/{id}/related`: recommended reading for one item.
#[get("/api/items/{id}/related")]
#[tracing::instrument(skip(state))]
async fn related(
    id: web::Path<String>,
    params: web::Query<LimitParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&id.into_inner())?;
    let limit = limit(params.limit.as_deref(), 10, 50)?;
    let rules = state.rules.get();
    let (ranked, titles) = state
        .store
        .run(move |c| {
            let ranked = discovery::related(c, id, limit, Utc::now(), &rules.classifier)?;
            Ok((ranked, sources::titles(c)?))
        })
        .await?;
    let ranked = ranked.ok_or_else(|| ApiError::NotFound(format!("no item with id {id}")))?;
    let out = ranked
        .into_iter()
        .map(|s| scored(&state, &titles, s))
        .collect();
    Ok(page(out, None))
}

/// `GET /api/tags/{tag}/recommendations`: the items most worth reading for a tag, with the
/// parts of each score.
#[get("/api/tags/{tag}/recommendations")]
#[tracing::instrument(skip(state))]
async fn recommendations(
    tag: web::Path<String>,
    params: web::Query<LimitParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let raw = tag.into_inner();
    let limit = limit(params.limit.as_deref(), 20, 100)?;
    let not_found = || ApiError::NotFound(format!("no tag {raw:?}; try /api/tags"));
    let key = state.rules.get().tagger.key(&raw).ok_or_else(not_found)?;
    let config = state.config.get();
    let weights = config.discovery.recommend.clone();
    let source_weights = config.source_weights();
    let lookup = key.clone();
    let found = state
        .store
        .run(move |c| {
            if crate::store::item_tags::label(c, &lookup)?.is_none() {
                return Ok(None);
            }
            let ranked =
                discovery::recommendations(c, &lookup, limit, Utc::now(), &weights, |s| {
                    source_weights.get(s).copied().unwrap_or(1.0)
                })?;
            Ok(Some((ranked, sources::titles(c)?)))
        })
        .await?;
    let (ranked, titles) = found.ok_or_else(not_found)?;
    let out = ranked
        .into_iter()
        .map(|s| scored(&state, &titles, s))
        .collect();
    Ok(page(out, None))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchParams {
    q: Option<String>,
    topic: Option<String>,
    tag: Option<String>,
    source: Option<String>,
    since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/search?q=&topic=&tag=&source=&since=&limit=&cursor=`: items matching every word
/// of `q` (Chinese segmented), ranked by relevance and recency, with highlighted snippets.
#[get("/api/search")]
#[tracing::instrument(skip(req, state))]
async fn search(
    req: HttpRequest,
    params: web::Query<SearchParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let raw = params.q.as_deref().unwrap_or("");
    let query = crate::search::parse_query(raw).map_err(|e| bad("q", e.to_string()))?;
    let limit = limit(params.limit.as_deref(), 20, 100)?;
    let offset = match params.cursor.as_deref() {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|o| *o < discovery::SEARCH_CANDIDATES as usize)
            .ok_or_else(|| bad("cursor", format!("{c:?} is not a cursor from next_cursor")))?,
    };
    let config = state.config.get();
    let topic = params::topic(&config, params.topic.as_deref())?;
    let tag = params::tag(&state.rules.get(), params.tag.as_deref())?;
    let source = params::source(&config, params.source.as_deref())?;
    let filter = Filter {
        topic,
        tag,
        source,
        since: params.since.as_deref().map(params::since).transpose()?,
        before: None,
    };
    let q = query.clone();
    let (found, titles) = state
        .store
        .run(move |c| {
            let found = discovery::search(c, &q, &filter, offset, limit, Utc::now())?;
            Ok((found, sources::titles(c)?))
        })
        .await?;
    // A query that found something counts towards trending (once per client and window).
    if found.total > 0 && offset == 0 {
        let (address, agent) = super::client_of(&req, &state);
        let client = Client {
            address: &address,
            agent: agent.as_deref(),
        };
        state.views.search(&query.normalized, &client, Utc::now());
    }
    let items: Vec<ListedItem> = found
        .items
        .into_iter()
        .map(|f| {
            let mut out = scored(&state, &titles, f.scored);
            out.title_html = Some(f.title_html);
            out.snippet_html = Some(f.snippet_html);
            out
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items,
        "next_cursor": found.next_offset.map(|o| o.to_string()),
        "query": query.normalized,
        "total": found.total,
        "total_is_lower_bound": found.truncated,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrendingParams {
    window: Option<String>,
    limit: Option<String>,
}

/// `GET /api/search/trending?window=24h|7d`: what people search for (大家都在搜).
#[get("/api/search/trending")]
#[tracing::instrument(skip(state))]
async fn trending(
    params: web::Query<TrendingParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let window = window(params.window.as_deref())?;
    let limit = limit(params.limit.as_deref(), 10, 50)?;
    let (cache, flushes) = (
        std::sync::Arc::clone(&state.trends),
        state.views.query_flushes(),
    );
    let trends = state
        .store
        .run(move |c| {
            cache.get(window, limit, flushes, || {
                discovery::trending(c, window, limit, Utc::now())
            })
        })
        .await?;
    let base = state.config.get().server.public_url.clone();
    let items: Vec<serde_json::Value> = trends
        .into_iter()
        .map(|t| {
            let mut url = base.clone();
            url.set_path("/api/search");
            url.query_pairs_mut().append_pair("q", &t.query);
            serde_json::json!({
                "query": t.query,
                "score": t.score,
                "searches": t.searches,
                "search_url": url.to_string(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "next_cursor": null })))
}

/// `GET /go/{id}`: count a click and redirect (302) to the original article.
#[get("/go/{id}")]
#[tracing::instrument(skip(req, state))]
async fn go(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&id.into_inner())?;
    let link = state.store.run(move |c| items::link_of(c, id)).await?;
    let link = match link {
        None => return Err(ApiError::NotFound(format!("no item with id {id}"))),
        Some(None) => {
            return Err(ApiError::NotFound(format!(
                "item {id} has no link to an original article"
            )));
        }
        Some(Some(link)) => link,
    };
    let (address, agent) = super::client_of(&req, &state);
    let client = Client {
        address: &address,
        agent: agent.as_deref(),
    };
    state.views.view(id, &client, Utc::now());
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, link))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer-when-downgrade"))
        .finish())
}
