//! `/`: latest articles, featured topics, hot reads, popular searches.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;
use chrono::Utc;

use crate::domain::Cursor;
use crate::domain::ItemId;
use crate::server::state::AppState;
use crate::store::items::ItemQuery;
use crate::store::{items, sources, stats};

use super::i18n::Texts;
use super::sidebar::Aside;
use super::{
    Card, Ctx, FEATURED_ITEMS, FEATURED_TOPICS, FRONT_ITEMS, Page, html, sidebar, unavailable,
};

struct Featured {
    href: String,
    title: String,
    items: Vec<Card>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    t: &'static Texts,
    page: Page,
    latest: Vec<Card>,
    more_href: String,
    featured: Vec<Featured>,
    aside: Aside,
}

/// `/`: latest articles, featured topics, hot reads, popular searches.
#[route("/", method = "GET", method = "HEAD")]
pub(super) async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let config = state.config.get();
    let topics: Vec<(String, String)> = config
        .topics
        .iter()
        .take(FEATURED_TOPICS)
        .map(|t| (t.slug.to_string(), t.title.clone()))
        .collect();
    let slugs: Vec<String> = topics.iter().map(|t| t.0.clone()).collect();
    let now = Utc::now();
    let trends = sidebar::Trends::of(&state);
    let loaded = state
        .store
        .run(move |c| {
            let latest = items::latest(
                c,
                &ItemQuery {
                    limit: FRONT_ITEMS,
                    dedupe: true,
                    ..ItemQuery::default()
                },
            )?;
            let mut featured = Vec::new();
            for slug in &slugs {
                featured.push(items::latest(
                    c,
                    &ItemQuery {
                        topic: Some(slug.clone()),
                        limit: FEATURED_ITEMS,
                        dedupe: true,
                        ..ItemQuery::default()
                    },
                )?);
            }
            let ids: Vec<ItemId> = latest.iter().map(|i| i.id).collect();
            let views = stats::views_of(c, &ids)?;
            Ok((
                latest,
                featured,
                views,
                sidebar::read(c, None, now, &trends)?,
                sources::titles(c)?,
            ))
        })
        .await;
    let (latest, featured, views, mut side, titles) = match loaded {
        Ok(v) => v,
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let more_href = ctx.href(&match latest.last() {
        Some(last) if latest.len() as i64 >= FRONT_ITEMS => {
            format!("/topics/all?before={}", Cursor::after(last))
        }
        _ => "/topics/all".to_owned(),
    });
    let mut page = ctx.page(
        &state,
        ctx.t.site_name.to_owned(),
        ctx.t.site_description.to_owned(),
        "/",
    );
    page.feeds = ctx.feeds("all", ctx.t.all_items);
    for t in &config.topics {
        page.feeds.extend(ctx.feeds(t.slug.as_str(), &t.title));
    }
    let featured = topics
        .into_iter()
        .zip(featured)
        .map(|((slug, title), items)| Featured {
            href: ctx.href(&format!("/topics/{slug}")),
            title,
            items: ctx.cards(items, &HashMap::new(), &titles),
        })
        .collect();
    let body = IndexPage {
        t: ctx.t,
        aside: ctx.aside(&mut side, &titles),
        latest: ctx.cards(latest, &views, &titles),
        more_href,
        featured,
        page,
    }
    .render();
    html(StatusCode::OK, body)
}
