//! Topic and tag feeds: `/feeds/{topic|all}.{rss,atom,json}` and
//! `/feeds/tags/{tag}.{rss,atom,json}`, newest first; saved searches
//! (`/feeds/search.{…}?q=`, or `q` on any feed); per-tag recommendations
//! (`/feeds/tags/{tag}/recommended.{…}`). All with `ETag` and `Last-Modified`, so readers poll
//! with conditional GET.

use std::collections::HashMap;
use std::time::SystemTime;

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, route, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::params::{Listing, ListingDefaults, bad};
use super::{ApiError, AppState, Rendered};
use crate::discovery;
use crate::domain::{Cursor, ItemId, instant};
use crate::render::{self, FeedMeta, Format, SourceInfo};
use crate::store::items::{self, ItemQuery};
use crate::store::search::{self as search_index, Filter};
use crate::store::{item_tags, meta, sources};

/// How long a feed request waits for the store's change marker before serving from the cache.
const MARKER_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// Items in a feed unless `limit` says otherwise, the most it may ask for, and one item per
/// story unless `dedupe=false`.
const FEED_LISTING: ListingDefaults = ListingDefaults {
    limit: 50,
    max_limit: 200,
    dedupe: true,
};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(topic_feed)
        .service(tag_feed)
        .service(recommended_feed)
        .service(opml);
}

/// A feed the front page and the OPML list: `all`, then every topic.
pub(super) struct ListedFeed {
    pub slug: String,
    pub title: String,
    pub description: String,
}

pub(super) fn listed_feeds(config: &crate::config::Config) -> Vec<ListedFeed> {
    std::iter::once(ListedFeed {
        slug: "all".to_owned(),
        title: "All items 全部".to_owned(),
        description: ALL_DESCRIPTION.to_owned(),
    })
    .chain(config.topics.iter().map(|t| ListedFeed {
        slug: t.slug.to_string(),
        title: t.title.clone(),
        description: t.description.clone().unwrap_or_default(),
    }))
    .collect()
}

const ALL_DESCRIPTION: &str = "Every item crossfeed holds";

/// Tags get their own outline in the OPML once this many items carry them, up to this many.
const OPML_TAG_MIN_ITEMS: i64 = 10;
const OPML_TAGS: i64 = 100;

/// `GET /opml`: OPML 2.0 listing every topic feed (and the busiest tag feeds), for one-click
/// subscription in a feed reader.
#[route("/opml", method = "GET", method = "HEAD")]
async fn opml(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let config = state.config.get();
    let tags = state
        .store
        .run(|c| item_tags::counts(c, OPML_TAG_MIN_ITEMS, OPML_TAGS))
        .await?;
    let base = &config.server.public_url;
    let feed_url = |segments: &[&str]| {
        let mut u = base.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        u.to_string()
    };
    let attr = |v: &str| html_escape::encode_double_quoted_attribute(v).into_owned();
    let home = feed_url(&[""]);
    let mut body =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    body.push_str(&format!(
        "  <head>\n    <title>crossfeed feeds</title>\n    <dateCreated>{}</dateCreated>\n    <docs>http://opml.org/spec2.opml</docs>\n  </head>\n  <body>\n",
        instant::rfc2822(Utc::now())
    ));
    body.push_str("    <outline text=\"Topics 专题\" title=\"Topics 专题\">\n");
    for ListedFeed {
        slug,
        title,
        description,
    } in listed_feeds(&config)
    {
        body.push_str(&format!(
            "      <outline type=\"rss\" text=\"{t}\" title=\"{t}\" description=\"{d}\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"/>\n",
            t = attr(&title),
            d = attr(&description),
            x = attr(&feed_url(&["feeds", &format!("{slug}.rss")])),
            h = attr(&home),
        ));
    }
    body.push_str("    </outline>\n");
    if !tags.is_empty() {
        body.push_str("    <outline text=\"Tags 标签\" title=\"Tags 标签\">\n");
        for t in &tags {
            body.push_str(&format!(
                "      <outline type=\"rss\" text=\"{l}\" title=\"{l}\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"/>\n",
                l = attr(&t.label),
                x = attr(&feed_url(&["feeds", "tags", &format!("{}.rss", t.key)])),
                h = attr(&home),
            ));
        }
        body.push_str("    </outline>\n");
    }
    body.push_str("  </body>\n</opml>\n");
    Ok(HttpResponse::Ok()
        .content_type("text/x-opml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "inline; filename=\"crossfeed.opml\"",
        ))
        .body(body))
}

/// Feed parameters; unknown ones are refused rather than silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedParams {
    limit: Option<String>,
    source: Option<String>,
    tag: Option<String>,
    dedupe: Option<String>,
    /// The cursor of a `next` link: items after that one.
    before: Option<String>,
    /// Only items matching this search (newest first).
    q: Option<String>,
}

/// What a feed lists, and how it names itself.
struct Selection {
    topic: Option<String>,
    tag: Option<String>,
    title: String,
    description: String,
    kind: Kind,
}

/// How a feed chooses its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Newest first (with `q`: the newest matching the search).
    Latest,
    /// `/feeds/search.{…}`: `q` is required.
    Search,
    /// Per-tag recommendations, best first.
    Recommended,
}

#[route("/feeds/{name}", method = "GET", method = "HEAD")]
#[tracing::instrument(skip(req, state))]
async fn topic_feed(
    req: HttpRequest,
    name: web::Path<String>,
    params: web::Query<FeedParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let not_found = || ApiError::NotFound(format!("no feed {name:?}; try /api/topics"));
    let (slug, ext) = name.rsplit_once('.').ok_or_else(not_found)?;
    let format = Format::from_extension(ext).ok_or_else(not_found)?;
    let config = state.config.get();
    if slug == "search" {
        let q = params.q.as_deref().unwrap_or("").trim();
        let selection = Selection {
            topic: None,
            tag: None,
            title: format!("crossfeed: search “{q}”"),
            description: format!("The newest items matching “{q}”"),
            kind: Kind::Search,
        };
        return serve_feed(&req, &state, format, selection, &params).await;
    }
    let (topic, title, description) = if slug == "all" {
        (
            None,
            "crossfeed: all items".to_owned(),
            ALL_DESCRIPTION.to_owned(),
        )
    } else {
        let t = config.topic(slug).ok_or_else(not_found)?;
        let description = t
            .description
            .clone()
            .unwrap_or_else(|| format!("{} news gathered by crossfeed", t.title));
        (Some(slug.to_owned()), t.title.clone(), description)
    };
    let selection = Selection {
        topic,
        tag: None,
        title,
        description,
        kind: Kind::Latest,
    };
    serve_feed(&req, &state, format, selection, &params).await
}

/// Items carrying one tag. The tag may be written in any spelling that folds to it (case,
/// width, Traditional/Simplified, a configured synonym); percent-encoded Chinese works.
#[route("/feeds/tags/{name}", method = "GET", method = "HEAD")]
#[tracing::instrument(skip(req, state))]
async fn tag_feed(
    req: HttpRequest,
    name: web::Path<String>,
    params: web::Query<FeedParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let not_found = || ApiError::NotFound(format!("no tag feed {name:?}; try /api/tags"));
    let (raw, ext) = name.rsplit_once('.').ok_or_else(not_found)?;
    let format = Format::from_extension(ext).ok_or_else(not_found)?;
    let key = state.rules.get().tagger.key(raw).ok_or_else(not_found)?;
    let lookup = key.clone();
    let label = state
        .store
        .run(move |c| item_tags::label(c, &lookup))
        .await?
        .ok_or_else(not_found)?;
    let selection = Selection {
        topic: None,
        tag: Some(key),
        title: format!("crossfeed: {label}"),
        description: format!("Items tagged {label}"),
        kind: Kind::Latest,
    };
    serve_feed(&req, &state, format, selection, &params).await
}

/// The items most worth reading for a tag (see `/api/tags/{tag}/recommendations`), best first.
#[route("/feeds/tags/{tag}/{name}", method = "GET", method = "HEAD")]
#[tracing::instrument(skip(req, state))]
async fn recommended_feed(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: web::Query<FeedParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (raw, name) = path.into_inner();
    let not_found = || ApiError::NotFound(format!("no feed {name:?} for the tag {raw:?}"));
    let ext = name.strip_prefix("recommended.").ok_or_else(not_found)?;
    let format = Format::from_extension(ext).ok_or_else(not_found)?;
    let key = state.rules.get().tagger.key(&raw).ok_or_else(not_found)?;
    let lookup = key.clone();
    let label = state
        .store
        .run(move |c| item_tags::label(c, &lookup))
        .await?
        .ok_or_else(not_found)?;
    for (name, given) in [
        ("before", params.before.is_some()),
        ("q", params.q.is_some()),
        ("tag", params.tag.is_some()),
    ] {
        if given {
            return Err(bad(
                name,
                "a recommendation feed is one ranked list; it takes limit and source",
            ));
        }
    }
    let selection = Selection {
        topic: None,
        tag: Some(key),
        title: format!("crossfeed: recommended reading for {label}"),
        description: format!("The items most worth reading about {label}"),
        kind: Kind::Recommended,
    };
    serve_feed(&req, &state, format, selection, &params).await
}

/// The request's path and query with `q` in its normalized form: a search feed is cached, and
/// links to itself, once per query however it is spelled (`TikTok%20%20Shop`, `tiktok+shop`), so
/// that spellings of one search cannot each cost a query and a cache entry.
fn with_normalized_query(req: &HttpRequest, normalized: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if name == "q" {
            query.append_pair("q", normalized);
        } else {
            query.append_pair(&name, &value);
        }
    }
    format!("{}?{}", req.path(), query.finish())
}

/// A feed request's parameters, checked: what [`serve_feed`] reads from the store.
struct FeedRequest {
    query: ItemQuery,
    /// Only items matching this search.
    search: Option<crate::search::Query>,
}

impl FeedRequest {
    /// Check the parameters against the configuration and rules in force: a bad one is a 400
    /// naming it.
    fn parse(
        config: &crate::config::Config,
        rules: &crate::rules::Rules,
        selection: &Selection,
        params: &FeedParams,
    ) -> Result<Self, ApiError> {
        let listing = Listing {
            topic: selection.topic.as_deref(),
            // A tag feed's tag is its path's; a `tag` parameter narrows the others.
            tag: selection
                .tag
                .is_none()
                .then_some(params.tag.as_deref())
                .flatten(),
            source: params.source.as_deref(),
            before: params.before.as_deref(),
            limit: params.limit.as_deref(),
            dedupe: params.dedupe.as_deref(),
        };
        let mut query = listing.query(config, rules, FEED_LISTING)?;
        if selection.tag.is_some() {
            query.tag.clone_from(&selection.tag);
        }
        let search = match params.q.as_deref() {
            Some(raw) => {
                Some(crate::search::parse_query(raw).map_err(|e| bad("q", e.to_string()))?)
            }
            None if selection.kind == Kind::Search => {
                return Err(bad(
                    "q",
                    "a search feed needs a query: /feeds/search.rss?q=…",
                ));
            }
            None => None,
        };
        Ok(Self { query, search })
    }
}

async fn serve_feed(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    selection: Selection,
    params: &FeedParams,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.get();
    let request = FeedRequest::parse(&config, &state.rules.get(), &selection, params)?;
    let max_age = config.server.feed_max_age.as_secs();

    // The parameters are valid: answer from the cache when it holds this exact feed.
    let path_and_query = match &request.search {
        Some(query) => with_normalized_query(req, &query.normalized),
        None => req
            .uri()
            .path_and_query()
            .map_or(req.path(), |p| p.as_str())
            .to_owned(),
    };
    if let Some(hit) = cached(state, &path_and_query).await {
        crate::metrics::feed_cache(true);
        return Ok(respond(req, &hit, max_age));
    }
    crate::metrics::feed_cache(false);

    let kind = selection.kind;
    let before = request.query.before;
    let limit = request.query.limit;
    let (mut items, sources) = load(state, &config, kind, request).await?;
    if let (true, Some(proxy)) = (config.site.image_proxy_in_feeds, state.images.as_ref()) {
        for item in &mut items {
            super::images::in_feed(
                proxy,
                item,
                config.server.public_base(),
                &config.server.public_url,
            );
        }
    }
    let updated = items
        .iter()
        .map(|i| i.changed_at)
        .max()
        .unwrap_or_else(Utc::now);
    let pages = Pages {
        base: config.server.public_base(),
        req,
        params,
    };
    // A full page may have older items after it; a shorter one is the last.
    let full_page = i64::try_from(items.len()).unwrap_or(i64::MAX) >= limit;
    let meta = FeedMeta {
        title: selection.title,
        description: selection.description,
        self_url: format!("{}{path_and_query}", pages.base),
        home_url: format!("{}/", pages.base),
        updated,
        next_url: items
            .last()
            .filter(|_| full_page && kind != Kind::Recommended)
            .map(|last| pages.url(Some(Cursor::after(last)))),
        first_url: before.map(|_| pages.url(None)),
        hub_url: config.websub.hub.as_ref().map(ToString::to_string),
    };
    let body = render::render(format, &meta, &items, &sources);
    // HTTP dates have whole seconds; compare at that precision or a client echoing our own
    // Last-Modified would never get a 304.
    let last_modified = (!items.is_empty())
        .then_some(updated)
        .and_then(|t| DateTime::from_timestamp(instant::shown(t).timestamp(), 0))
        .map(instant::system_time);
    let rendered = Rendered::new(body, format.media_type(), last_modified);
    let response = respond(req, &rendered, max_age);
    // A recommendation feed moves with views, which do not invalidate the cache.
    if kind != Kind::Recommended {
        state.feed_cache.put(path_and_query, rendered);
    }
    Ok(response)
}

/// The cached feed for this path and query, once the cache has followed a reload and, when due,
/// the store's change marker.
async fn cached(state: &AppState, path_and_query: &str) -> Option<Rendered> {
    let cache = &state.feed_cache;
    cache.follow(state.reloader.generation());
    if cache.needs_check() {
        // While the store is down, cached feeds are still served (at most as old as the
        // outage); the check waits briefly rather than for the pool's connection timeout.
        let marker = tokio::time::timeout(
            MARKER_TIMEOUT,
            state.store.run(|c| meta::get(c, meta::ITEMS_CHANGED)),
        )
        .await;
        match marker {
            Ok(Ok(marker)) => cache.observe(marker),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot ask the store for changes; serving cached feeds");
                cache.check_failed();
            }
            Err(_) => {
                tracing::warn!("the store did not answer in time; serving cached feeds");
                cache.check_failed();
            }
        }
    }
    cache.get(path_and_query)
}

/// The feed's items, as its kind chooses them, and the sources they come from.
async fn load(
    state: &AppState,
    config: &crate::config::Config,
    kind: Kind,
    FeedRequest { query, search }: FeedRequest,
) -> Result<(Vec<crate::domain::StoredItem>, HashMap<String, SourceInfo>), ApiError> {
    let weights = config.discovery.recommend.clone();
    let source_weights = config.source_weights();
    let limit = query.limit;
    let (items, source_rows) = state
        .store
        .run(move |conn| {
            let items = match (kind, search) {
                (Kind::Recommended, _) => {
                    let tag = query.tag.clone().unwrap_or_default();
                    discovery::recommendations(
                        conn,
                        &tag,
                        usize::try_from(limit).unwrap_or(usize::MAX),
                        Utc::now(),
                        &weights,
                        |s| source_weights.get(s).copied().unwrap_or(1.0),
                    )?
                    .into_iter()
                    .filter(|s| {
                        query
                            .source
                            .as_ref()
                            .is_none_or(|w| w == s.item.source_id.as_str())
                    })
                    .map(|s| s.item)
                    .collect()
                }
                (_, Some(q)) => {
                    let filter = Filter {
                        topic: query.topic.clone(),
                        tag: query.tag.clone(),
                        source: query.source.clone(),
                        since: None,
                        before: query.before,
                    };
                    let hits = search_index::matches(conn, &q, &filter, limit)?;
                    let ids: Vec<ItemId> = hits.iter().map(|h| h.id).collect();
                    items::by_ids(conn, &ids)?
                }
                (_, None) => items::latest(conn, &query)?,
            };
            Ok((items, sources::list(conn)?))
        })
        .await?;
    let sources = source_rows
        .into_iter()
        .map(|s| {
            let info = SourceInfo {
                title: s.display_title().to_owned(),
                url: crate::domain::redact::redact(&s.url),
            };
            (s.id, info)
        })
        .collect();
    Ok((items, sources))
}

/// Links to other pages of the same feed, with the request's parameters.
struct Pages<'a> {
    base: &'a str,
    req: &'a HttpRequest,
    params: &'a FeedParams,
}

impl Pages<'_> {
    /// The page of items after `before`, or the first page.
    fn url(&self, before: Option<Cursor>) -> String {
        let params = self.params;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("limit", params.limit.as_deref()),
            ("source", params.source.as_deref()),
            ("tag", params.tag.as_deref()),
            ("dedupe", params.dedupe.as_deref()),
            ("q", params.q.as_deref()),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        if let Some(c) = before {
            q.append_pair("before", &c.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            format!("{}{}", self.base, self.req.path())
        } else {
            format!("{}{}?{q}", self.base, self.req.path())
        }
    }
}

/// Answer 304 when the reader already has these bytes, else the body (gzip-compressed when the
/// reader takes it) with its validators.
fn respond(req: &HttpRequest, feed: &Rendered, max_age: u64) -> HttpResponse {
    let headers = req.headers();
    let not_modified = if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        inm.to_str().is_ok_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == feed.etag)
        })
    } else if let (Some(ims), Some(lm)) =
        (headers.get(header::IF_MODIFIED_SINCE), feed.last_modified)
    {
        ims.to_str()
            .ok()
            .and_then(|v| v.parse::<HttpDate>().ok())
            .is_some_and(|since| lm <= SystemTime::from(since))
    } else {
        false
    };

    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, feed.etag.clone()))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(lm) = feed.last_modified {
        response.insert_header((header::LAST_MODIFIED, HttpDate::from(lm)));
    }
    if not_modified {
        return response.finish();
    }
    response.content_type(feed.media_type);
    match &feed.gzip {
        Some(gz) if accepts_gzip(req) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(gz.clone()),
        _ => response.body(feed.body.clone()),
    }
}

/// Whether the request's Accept-Encoding allows gzip (with a non-zero quality).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !zero
        })
}
