//! `/items/{id}`: one article with its topics, tags, story and recommended reading.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;
use chrono::Utc;

use crate::discovery;
use crate::domain::ItemId;
use crate::server::state::AppState;
use crate::store::{items, sources, stats};
use crate::views::Client;

use super::i18n::Texts;
use super::sidebar::Aside;
use super::{Card, Crumb, Ctx, Link, Page, cut, encode, error_page, html, sidebar, unavailable};

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    t: &'static Texts,
    page: Page,
    title: String,
    source: String,
    time: String,
    time_iso: String,
    views: i64,
    author: Option<String>,
    tags: Vec<Link>,
    topics: Vec<Link>,
    body_html: Option<String>,
    original_href: Option<String>,
    also: Vec<Link>,
    related: Vec<Card>,
    aside: Aside,
}

/// `/items/{id}`: the article, its tags and topics, the other reports of its story and
/// recommended reading. Opening it counts a view.
#[route("/items/{id}", method = "GET", method = "HEAD")]
pub(super) async fn item_page(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let raw = id.into_inner();
    let Ok(id) = raw.parse::<ItemId>() else {
        let message = format!("{} /items/{raw}", ctx.t.not_found);
        return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
    };
    let now = Utc::now();
    let loaded = match load(&state, id, now).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            let message = format!("{} /items/{id}", ctx.t.not_found);
            return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
        }
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let Loaded {
        item,
        views: stored_views,
        related,
        mut side,
        titles,
    } = loaded;
    let (address, agent) = crate::server::state::client_of(&req, &state);
    state.views.view(
        id,
        &Client {
            address: &address,
            agent: agent.as_deref(),
        },
        now,
    );
    let views = stored_views + i64::try_from(state.views.pending_views(id)).unwrap_or(0);
    let config = state.config.get();
    let source = titles
        .get(item.source_id.as_str())
        .cloned()
        .unwrap_or_else(|| item.source_id.to_string());
    let summary_text = item.item.summary_text();
    let title = item
        .item
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| cut(&summary_text, 40));
    let links = ItemLinks::of(&ctx, &config, &item, &titles);
    let page = head(&ctx, &state, &item, &title, &summary_text, &links.topics);
    let body_html = item
        .item
        .content
        .clone()
        .or_else(|| item.item.summary.clone())
        .filter(|h| !h.trim().is_empty())
        .map(|h| ctx.pictures_in(&h));
    let body = ItemPage {
        t: ctx.t,
        title,
        source,
        time: ctx.time(item.sort_at),
        time_iso: crate::domain::instant::rfc3339_seconds(item.sort_at),
        views,
        author: item.item.authors.first().cloned(),
        tags: links.tags,
        topics: links.topics,
        body_html,
        original_href: item.item.link.as_ref().map(|_| format!("/go/{id}")),
        also: links.also,
        related: ctx.scored_cards(related, &titles),
        aside: ctx.aside(&mut side, &titles),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

/// What the page shows from the store.
struct Loaded {
    item: crate::domain::StoredItem,
    views: i64,
    related: Vec<discovery::Scored>,
    side: sidebar::Sidebar,
    titles: std::collections::HashMap<String, String>,
}

/// The item, its stored views, recommended reading, the sidebar and the sources' titles; None
/// when there is no such item.
async fn load(
    state: &AppState,
    id: ItemId,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Loaded>, crate::store::StoreError> {
    let trends = sidebar::Trends::of(state);
    let rules = state.rules.get();
    state
        .store
        .run(move |c| {
            let Some(item) = items::get(c, id)? else {
                return Ok(None);
            };
            let views = stats::views_of(c, &[id])?.get(&id).copied().unwrap_or(0);
            let related = discovery::related(c, id, 6, now, &rules.classifier)?.unwrap_or_default();
            Ok(Some(Loaded {
                item,
                views,
                related,
                side: sidebar::read(c, None, now, &trends)?,
                titles: sources::titles(c)?,
            }))
        })
        .await
}

/// The item's topics, tags and the other reports of its story, as links.
struct ItemLinks {
    topics: Vec<Link>,
    tags: Vec<Link>,
    also: Vec<Link>,
}

impl ItemLinks {
    fn of(
        ctx: &Ctx,
        config: &crate::config::Config,
        item: &crate::domain::StoredItem,
        titles: &std::collections::HashMap<String, String>,
    ) -> Self {
        let topics = item
            .topics
            .iter()
            .map(|t| Link {
                href: ctx.href(&format!("/topics/{}", t.slug)),
                title: config
                    .topic(&t.slug)
                    .map_or_else(|| t.slug.clone(), |c| c.title.clone()),
                current: false,
            })
            .collect();
        let tags = item
            .tags
            .iter()
            .map(|t| Link {
                href: ctx.href(&format!("/tags/{}", encode(&t.key))),
                title: t.label.clone(),
                current: false,
            })
            .collect();
        let also = item
            .also_reported_by
            .iter()
            .map(|m| Link {
                href: ctx.href(&format!("/items/{}", m.id)),
                title: titles
                    .get(m.source_id.as_str())
                    .cloned()
                    .unwrap_or_else(|| m.source_id.to_string()),
                current: false,
            })
            .collect();
        Self { topics, tags, also }
    }
}

/// The page's head: title, description, picture, breadcrumbs (its first topic) and feeds.
fn head(
    ctx: &Ctx,
    state: &AppState,
    item: &crate::domain::StoredItem,
    title: &str,
    summary_text: &str,
    topics: &[Link],
) -> Page {
    let description = cut(summary_text, 150);
    let mut page = ctx.page(
        state,
        format!("{title} - {}", ctx.t.site_name),
        if description.is_empty() {
            title.to_owned()
        } else {
            description
        },
        &format!("/items/{}", item.id),
    );
    page.og_type = "article";
    page.image = item.item.image.clone();
    match topics.first() {
        Some(t) => page.crumbs.push(Crumb {
            href: Some(t.href.clone()),
            title: t.title.clone(),
        }),
        None => page.crumbs.push(Crumb {
            href: Some(ctx.href("/topics/all")),
            title: ctx.t.news.to_owned(),
        }),
    }
    page.crumbs.push(Crumb {
        href: None,
        title: cut(title, 30),
    });
    if let Some(t) = item.topics.first() {
        page.feeds = ctx.feeds(&t.slug, &t.slug);
    }
    page
}
