//! Topic and tag feeds: `/feeds/{topic|all}.{rss,atom,json}` and
//! `/feeds/tags/{tag}.{rss,atom,json}`, newest first, with `ETag` and `Last-Modified` so
//! readers poll with conditional GET.

use std::collections::HashMap;
use std::time::SystemTime;

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::render::{self, FeedMeta, Format, SourceInfo};
use crate::store::items::{self, ItemQuery};
use crate::store::{item_tags, sources};

/// Items in a feed unless `limit` says otherwise, and the most it may ask for.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// How long shared caches and readers may reuse a feed without asking again.
const CACHE_CONTROL: &str = "public, max-age=60";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(topic_feed).service(tag_feed);
}

/// Feed parameters; unknown ones are refused rather than silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedParams {
    limit: Option<String>,
    source: Option<String>,
    tag: Option<String>,
    dedupe: Option<String>,
}

/// `dedupe`: one item per story (the default) or every item.
fn parse_dedupe(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ApiError::BadParameter {
            name: "dedupe".into(),
            message: format!("must be true or false, got {other:?}"),
        }),
    }
}

fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::BadParameter {
            name: "limit".into(),
            message: format!("must be an integer from 1 to {MAX_LIMIT}, got {raw:?}"),
        }),
    }
}

/// What a feed lists, and how it names itself.
struct Selection {
    topic: Option<String>,
    tag: Option<String>,
    title: String,
    description: String,
}

#[get("/feeds/{name}")]
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
    let (topic, title, description) = if slug == "all" {
        (
            None,
            "crossfeed: all items".to_owned(),
            "Every item crossfeed holds".to_owned(),
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
    };
    serve_feed(&req, &state, format, selection, &params).await
}

/// Items carrying one tag. The tag may be written in any spelling that folds to it (case,
/// width, Traditional/Simplified, a configured synonym); percent-encoded Chinese works.
#[get("/feeds/tags/{name}")]
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
    };
    serve_feed(&req, &state, format, selection, &params).await
}

async fn serve_feed(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    selection: Selection,
    params: &FeedParams,
) -> Result<HttpResponse, ApiError> {
    let limit = parse_limit(params.limit.as_deref())?;
    let config = state.config.get();
    let rules = state.rules.get();
    let tag = match (&selection.tag, &params.tag) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(raw)) => Some(
            rules
                .tagger
                .key(raw)
                .ok_or_else(|| ApiError::BadParameter {
                    name: "tag".into(),
                    message: format!("{raw:?} is not a tag"),
                })?,
        ),
        (None, None) => None,
    };
    if let Some(source) = &params.source
        && !config.sources.iter().any(|s| s.id.as_str() == source)
    {
        return Err(ApiError::BadParameter {
            name: "source".into(),
            message: format!("no source with id {source:?}"),
        });
    }

    let query = ItemQuery {
        topic: selection.topic,
        tag,
        source: params.source.clone(),
        limit,
        dedupe: parse_dedupe(params.dedupe.as_deref())?,
    };
    let (items, source_rows) = state
        .store
        .run(move |conn| Ok((items::latest(conn, &query)?, sources::list(conn)?)))
        .await?;
    let sources: HashMap<String, SourceInfo> = source_rows
        .into_iter()
        .map(|s| {
            let info = SourceInfo {
                title: s.display_title().to_owned(),
                url: s.url.clone(),
            };
            (s.id, info)
        })
        .collect();

    let base = config.server.public_url.as_str().trim_end_matches('/');
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    let updated = items
        .iter()
        .map(|i| i.changed_at)
        .max()
        .unwrap_or_else(Utc::now);
    let meta = FeedMeta {
        title: selection.title,
        description: selection.description,
        self_url: format!("{base}{path_and_query}"),
        home_url: format!("{base}/"),
        updated,
    };
    let body = render::render(format, &meta, &items, &sources);
    Ok(conditional(
        req,
        body,
        format.media_type(),
        (!items.is_empty()).then_some(updated),
    ))
}

/// Answer 304 when the reader already has these bytes, else the body with its validators.
fn conditional(
    req: &HttpRequest,
    body: String,
    media_type: &str,
    last_modified: Option<DateTime<Utc>>,
) -> HttpResponse {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    // HTTP dates have whole seconds; compare at that precision or a client echoing our own
    // Last-Modified would never get a 304.
    let last_modified = last_modified
        .and_then(|t| DateTime::from_timestamp(t.timestamp(), 0))
        .map(|t| HttpDate::from(SystemTime::from(t)));

    let headers = req.headers();
    let not_modified = if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        inm.to_str().is_ok_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
        })
    } else if let (Some(ims), Some(lm)) = (headers.get(header::IF_MODIFIED_SINCE), last_modified) {
        ims.to_str()
            .ok()
            .and_then(|v| v.parse::<HttpDate>().ok())
            .is_some_and(|since| SystemTime::from(lm) <= SystemTime::from(since))
    } else {
        false
    };

    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(lm) = last_modified {
        response.insert_header((header::LAST_MODIFIED, lm));
    }
    if not_modified {
        response.finish()
    } else {
        response.content_type(media_type).body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_and_is_bounded() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("200")).unwrap(), 200);
        for bad in ["0", "201", "-1", "ten", ""] {
            assert!(
                matches!(parse_limit(Some(bad)), Err(ApiError::BadParameter { .. })),
                "{bad}"
            );
        }
    }
}
