//! `/search?q=`: results with the matches highlighted, paged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::discovery;
use crate::server::state::AppState;
use crate::store::search::Filter;
use crate::store::sources;
use crate::views::Client;

use super::i18n::Lang;
use super::listing::ListingPage;
use super::{Crumb, Ctx, LIST_ITEMS, encode, error_page, html, sidebar, unavailable};

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    cursor: Option<String>,
    /// `suggested` when the search is a suggestion followed: not counted for trending.
    from: Option<String>,
}

/// `/search?q=`: results with highlighted snippets, paged; popular searches beside.
#[route("/search", method = "GET", method = "HEAD")]
pub(super) async fn search_page(
    req: HttpRequest,
    params: web::Query<SearchParams>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let raw = params.q.clone().unwrap_or_default();
    let suggested = params.from.as_deref() == Some(sidebar::SUGGESTED);
    let now = Utc::now();
    let offset = match params
        .cursor
        .as_deref()
        .map(str::parse::<usize>)
        .transpose()
    {
        Ok(o) => o.unwrap_or(0),
        Err(_) => return error_page(&ctx, &state, StatusCode::BAD_REQUEST, ctx.t.bad_query),
    };
    let query = if raw.trim().is_empty() {
        None
    } else {
        match crate::search::parse_query(&raw) {
            Ok(q) => Some(q),
            Err(_) => return error_page(&ctx, &state, StatusCode::BAD_REQUEST, ctx.t.bad_query),
        }
    };
    let loaded = load(&state, query.clone(), offset, now).await;
    let (found, mut side, titles) = match loaded {
        Ok(v) => v,
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let shown = query
        .as_ref()
        .map_or_else(String::new, |q| q.normalized.clone());
    let (items, next_href, total) = match (found, &query) {
        (Some(found), Some(q)) => {
            // A search counts for trending when it found something, on its first page, and
            // was typed rather than a suggestion followed.
            if found.total > 0 && offset == 0 && !suggested {
                let (address, agent) = crate::server::state::client_of(&req, &state);
                state.views.search(
                    &q.normalized,
                    &Client {
                        address: &address,
                        agent: agent.as_deref(),
                    },
                    now,
                );
            }
            results(&ctx, found, &shown, &titles)
        }
        _ => (Vec::new(), None, 0),
    };
    let heading = if shown.is_empty() {
        ctx.t.search.to_owned()
    } else {
        match ctx.lang {
            Lang::Zh => format!("“{shown}”{}", ctx.t.results_for),
            Lang::En => format!("{} {} “{shown}”", total, ctx.t.results_for),
        }
    };
    let lede = (!shown.is_empty() && ctx.lang == Lang::Zh)
        .then(|| format!("{total} {}", ctx.t.results_more));
    let canonical = if shown.is_empty() {
        "/search".to_owned()
    } else {
        format!("/search?q={}", encode(&shown))
    };
    let mut page = ctx.page(
        &state,
        format!("{heading} - {}", ctx.t.site_name),
        heading.clone(),
        &canonical,
    );
    page.query = shown.clone();
    if !shown.is_empty() {
        page.feeds = ctx.feeds(&format!("search?q={}", encode(&shown)), &heading);
    }
    page.crumbs.push(Crumb {
        href: None,
        title: ctx.t.search_results.to_owned(),
    });
    let subscribe = if shown.is_empty() {
        Vec::new()
    } else {
        ctx.feeds(&format!("search?q={}", encode(&shown)), &heading)
    };
    let first_href = (offset > 0).then(|| ctx.href(&format!("/search?q={}", encode(&shown))));
    let body = ListingPage {
        t: ctx.t,
        heading,
        lede,
        subscribe,
        items,
        empty: if shown.is_empty() {
            ctx.t.bad_query.to_owned()
        } else {
            ctx.t.no_results.to_owned()
        },
        first_href,
        next_href,
        side_heading: String::new(),
        side: Vec::new(),
        aside: ctx.aside(&mut side, &titles),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

type Loaded = (
    Option<discovery::SearchPage>,
    sidebar::Sidebar,
    std::collections::HashMap<String, String>,
);

/// The page of results (None without a query), the sidebar and the sources' titles.
async fn load(
    state: &AppState,
    query: Option<crate::search::Query>,
    offset: usize,
    now: chrono::DateTime<Utc>,
) -> Result<Loaded, crate::store::StoreError> {
    let limit = usize::try_from(LIST_ITEMS).unwrap_or(20);
    let trends = sidebar::Trends::of(state);
    state
        .store
        .run(move |c| {
            let found = match &query {
                Some(q) => Some(discovery::search(
                    c,
                    q,
                    &Filter::default(),
                    offset,
                    limit,
                    now,
                )?),
                None => None,
            };
            Ok((
                found,
                sidebar::read(c, None, now, &trends)?,
                sources::titles(c)?,
            ))
        })
        .await
}

/// The results as cards with their highlighted title and snippet, the next page's link, and the
/// number of matches.
fn results(
    ctx: &Ctx,
    found: discovery::SearchPage,
    shown: &str,
    titles: &std::collections::HashMap<String, String>,
) -> (Vec<super::Card>, Option<String>, usize) {
    let next = found
        .next_offset
        .map(|o| ctx.href(&format!("/search?q={}&cursor={o}", encode(shown))));
    let cards = found
        .items
        .into_iter()
        .map(|f| {
            let mut card = ctx.card(f.scored.item, f.scored.views, titles);
            card.title_html = Some(f.title_html);
            card.snippet_html = Some(f.snippet_html);
            card
        })
        .collect();
    (cards, next, found.total)
}
