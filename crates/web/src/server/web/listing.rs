//! `/topics/{slug}` and `/tags/{tag}`: a topic's or tag's articles, one per story, paged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;
use chrono::Utc;

use crate::discovery;
use crate::domain::Cursor;
use crate::domain::ItemId;
use crate::server::state::AppState;
use crate::store::items::ItemQuery;
use crate::store::{items, sources, stats};

use super::i18n::Texts;
use super::sidebar::Aside;
use super::{
    Card, Crumb, Ctx, FeedLink, LIST_ITEMS, Page, PageParams, encode, error_page, html, sidebar,
    unavailable,
};

#[derive(Template)]
#[template(path = "listing.html")]
pub(super) struct ListingPage {
    pub(super) t: &'static Texts,
    pub(super) page: Page,
    pub(super) heading: String,
    pub(super) lede: Option<String>,
    pub(super) subscribe: Vec<FeedLink>,
    pub(super) items: Vec<Card>,
    pub(super) empty: String,
    pub(super) first_href: Option<String>,
    pub(super) next_href: Option<String>,
    pub(super) side_heading: String,
    pub(super) side: Vec<Card>,
    pub(super) aside: Aside,
}

/// What a listing page lists.
enum Listing {
    Topic(Option<String>),
    Tag(String),
}

async fn listing(
    state: &AppState,
    ctx: Ctx,
    listing: Listing,
    heading: String,
    lede: Option<String>,
    before: Option<&str>,
) -> HttpResponse {
    let before = match before.map(str::parse::<Cursor>).transpose() {
        Ok(b) => b,
        Err(message) => return error_page(&ctx, state, StatusCode::BAD_REQUEST, &message),
    };
    let (topic, tag) = match &listing {
        Listing::Topic(t) => (t.clone(), None),
        Listing::Tag(t) => (None, Some(t.clone())),
    };
    let config = state.config.get();
    let weights = config.discovery.recommend.clone();
    let source_weights = config.source_weights();
    let now = Utc::now();
    let query = ItemQuery {
        topic: topic.clone(),
        tag: tag.clone(),
        limit: LIST_ITEMS,
        dedupe: true,
        before,
        ..ItemQuery::default()
    };
    let trends = sidebar::Trends::of(state);
    let loaded = state
        .store
        .run(move |c| {
            let found = items::latest(c, &query)?;
            let ids: Vec<ItemId> = found.iter().map(|i| i.id).collect();
            let views = stats::views_of(c, &ids)?;
            let side = match &tag {
                Some(tag) => discovery::recommendations(c, tag, 6, now, &weights, |s| {
                    source_weights.get(s).copied().unwrap_or(1.0)
                })?,
                None => Vec::new(),
            };
            Ok((
                found,
                views,
                side,
                sidebar::read(c, topic.as_deref(), now, &trends)?,
                sources::titles(c)?,
            ))
        })
        .await;
    let (found, views, side, mut bar, titles) = match loaded {
        Ok(v) => v,
        Err(e) => return unavailable(&ctx, state, &e),
    };
    let next_href = (found.len() as i64 >= LIST_ITEMS)
        .then(|| found.last())
        .flatten()
        .map(|last| ctx.href(&format!("{}?before={}", ctx.path, Cursor::after(last))));
    let first_href = before.map(|_| ctx.href(&ctx.path));
    let (feed_path, crumb_title, side_heading) = match &listing {
        Listing::Topic(Some(slug)) => (slug.clone(), heading.clone(), ctx.t.hot.to_owned()),
        Listing::Topic(None) => ("all".to_owned(), heading.clone(), ctx.t.hot.to_owned()),
        Listing::Tag(key) => (
            format!("tags/{}", encode(key)),
            format!("#{heading}"),
            format!("{} · {heading}", ctx.t.recommended),
        ),
    };
    let description = lede
        .clone()
        .unwrap_or_else(|| format!("{heading} — {}", ctx.t.site_name));
    let mut page = ctx.page(
        state,
        format!("{heading} - {}", ctx.t.site_name),
        description,
        &ctx.path,
    );
    page.feeds = ctx.feeds(&feed_path, &heading);
    let mut subscribe = ctx.feeds(&feed_path, &heading);
    if let Listing::Tag(key) = &listing {
        let recommended = ctx.feeds(
            &format!("tags/{}/recommended", encode(key)),
            &format!("{} · {heading}", ctx.t.recommended),
        );
        page.feeds.extend(recommended.into_iter().take(1));
    }
    subscribe.push(FeedLink {
        media_type: "text/x-opml",
        title: "OPML".to_owned(),
        href: format!("{}/opml", ctx.base),
        label: "OPML",
    });
    page.crumbs.push(Crumb {
        href: Some(ctx.href("/topics/all")),
        title: ctx.t.news.to_owned(),
    });
    if !matches!(listing, Listing::Topic(None)) {
        page.crumbs.push(Crumb {
            href: None,
            title: crumb_title,
        });
    }
    let body = ListingPage {
        t: ctx.t,
        heading,
        lede,
        subscribe,
        items: ctx.cards(found, &views, &titles),
        empty: ctx.t.nothing_yet.to_owned(),
        first_href,
        next_href,
        side_heading,
        side: ctx.scored_cards(side, &titles),
        aside: ctx.aside(&mut bar, &titles),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

/// `/topics/{slug}` (and `/topics/all`): a topic's articles, newest first, paged.
#[route("/topics/{slug}", method = "GET", method = "HEAD")]
pub(super) async fn topic_page(
    req: HttpRequest,
    slug: web::Path<String>,
    params: web::Query<PageParams>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let slug = slug.into_inner();
    let config = state.config.get();
    if slug == "all" {
        let heading = ctx.t.all_items.to_owned();
        return listing(
            &state,
            ctx,
            Listing::Topic(None),
            heading,
            None,
            params.before.as_deref(),
        )
        .await;
    }
    let Some(topic) = config.topic(&slug) else {
        let message = format!("{} /topics/{slug}", ctx.t.not_found);
        return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
    };
    let heading = topic.title.clone();
    let lede = topic.description.clone();
    listing(
        &state,
        ctx,
        Listing::Topic(Some(slug)),
        heading,
        lede,
        params.before.as_deref(),
    )
    .await
}

/// `/tags/{tag}`: articles with a tag, newest first, with the tag's recommendations beside.
#[route("/tags/{tag}", method = "GET", method = "HEAD")]
pub(super) async fn tag_page(
    req: HttpRequest,
    tag: web::Path<String>,
    params: web::Query<PageParams>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let raw = tag.into_inner();
    let key = state.rules.get().tagger.key(&raw);
    let lookup = key.clone();
    let label = match lookup {
        Some(k) => {
            state
                .store
                .run(move |c| crate::store::item_tags::label(c, &k))
                .await
        }
        None => Ok(None),
    };
    let (key, label) = match (key, label) {
        (Some(k), Ok(Some(l))) => (k, l),
        (_, Err(e)) => return unavailable(&ctx, &state, &e),
        _ => {
            let message = format!("{} #{raw}", ctx.t.not_found);
            return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
        }
    };
    let lede = Some(format!("{}: {label}", ctx.t.tagged));
    listing(
        &state,
        ctx,
        Listing::Tag(key),
        label,
        lede,
        params.before.as_deref(),
    )
    .await
}
