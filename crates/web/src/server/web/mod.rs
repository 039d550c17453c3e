//! The website: a server-rendered news portal in Chinese (English with `?lang=en`) over what
//! discovery computes. Pages: `/` (latest, hot, featured topics, popular searches), `/topics/{slug}`,
//! `/tags/{tag}`, `/items/{id}` (counts a view), `/search?q=`, `/sources`. No JavaScript; one
//! stylesheet served under a content hash; a strict Content-Security-Policy on every page.
//!
//! This module holds what every page shares (the page context, cards, links, the error pages);
//! each page is a module of its own, and `sidebar` reads the hot reads and searches beside them.

mod home;
pub mod i18n;
mod item;
mod listing;
mod search;
mod sidebar;
mod source_health;

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::discovery::{self, Scored};
use crate::domain::{ItemId, StoredItem};
use crate::server::state::AppState;
use crate::store::StoreError;
use crate::text::text_of_sanitized;
use i18n::{Lang, Texts};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(stylesheet)
        .service(home::home)
        .service(listing::topic_page)
        .service(listing::tag_page)
        .service(item::item_page)
        .service(search::search_page)
        .service(source_health::sources_page);
}

/// The Content-Security-Policy of every page: nothing runs, styles and forms come from here,
/// pictures from anywhere (articles embed them from their own sites).
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; \
                       form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

static CSS: &str = include_str!("../../../static/site.css");

/// `/static/site.<first 12 hex digits of its SHA-256>.css`: a new name for every change, so it
/// can be cached for a year.
static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(CSS.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/site.{hex}.css")
});

/// The stylesheet's address (with its content hash).
pub fn stylesheet_path() -> &'static str {
    &CSS_PATH
}

#[route("/static/{name}", method = "GET", method = "HEAD")]
async fn stylesheet(
    name: web::Path<String>,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    if format!("/static/{name}") != *CSS_PATH {
        let ctx = Ctx::new(&req, &state);
        return error_page(&ctx, &state, StatusCode::NOT_FOUND, "");
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(CSS)
}

// ---- what every page carries ----

/// A link in the header, a chip or a ranked list.
pub struct Link {
    pub href: String,
    pub title: String,
    pub current: bool,
}

pub struct Crumb {
    pub href: Option<String>,
    pub title: String,
}

/// A feed offered by a page (autodiscovery and the subscribe box).
pub struct FeedLink {
    pub media_type: &'static str,
    pub title: String,
    pub href: String,
    pub label: &'static str,
}

/// The parts of the layout every page fills.
pub struct Page {
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub og_type: &'static str,
    pub image: Option<String>,
    pub feeds: Vec<FeedLink>,
    pub stylesheet: &'static str,
    pub home: String,
    pub query: String,
    pub lang_param: Option<&'static str>,
    pub other_lang_href: String,
    pub nav: Vec<Link>,
    pub crumbs: Vec<Crumb>,
    pub sources_href: String,
}

/// An article in a list.
pub struct Card {
    pub href: String,
    pub title: String,
    pub title_html: Option<String>,
    pub snippet_html: Option<String>,
    pub summary: Option<String>,
    pub image: Option<String>,
    pub source: String,
    pub time: String,
    pub time_iso: String,
    pub views: i64,
    pub cluster_size: usize,
    /// Shown instead of the views where a card stands in for a count it does not have.
    pub note: Option<String>,
}

/// The request's language and where links go.
struct Ctx {
    lang: Lang,
    /// The language was asked for with `?lang=`, so links carry it on.
    explicit: bool,
    t: &'static Texts,
    base: String,
    tz: Tz,
    path: String,
    query: Vec<(String, String)>,
    /// The image route, and this site's own address (its pictures are linked directly).
    images: Option<(std::sync::Arc<super::images::ImageProxy>, url::Url)>,
}

/// The request's path as a link on this site. `//evil.example/x` (or `/\\evil.example/x`, which
/// browsers read the same way) would be an off-site link once written into an `href`.
fn own_path(path: &str) -> String {
    format!("/{}", path.trim_start_matches(['/', '\\']))
}

impl Ctx {
    fn new(req: &HttpRequest, state: &AppState) -> Ctx {
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect();
        let param = query
            .iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.as_str());
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let (lang, explicit) = Lang::choose(param, accept);
        let config = state.config.get();
        Ctx {
            lang,
            explicit,
            t: lang.texts(),
            base: config.server.public_base().to_owned(),
            tz: config.site.timezone,
            path: own_path(req.path()),
            query,
            images: state
                .images
                .clone()
                .map(|p| (p, config.server.public_url.clone())),
        }
    }

    /// A picture's address as pages show it: through the image route when it is on.
    fn picture(&self, image: &str) -> String {
        match &self.images {
            Some((proxy, own)) => super::images::proxied(proxy, image, Some(own)),
            None => image.to_owned(),
        }
    }

    /// Content HTML with its pictures through the image route when it is on.
    fn pictures_in(&self, html: &str) -> String {
        match &self.images {
            Some((proxy, own)) => super::images::proxied_html(proxy, html, Some(own)),
            None => html.to_owned(),
        }
    }

    /// A link to `path` (which may have a query) in this language.
    fn href(&self, path: &str) -> String {
        if !self.explicit {
            return path.to_owned();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang={}", self.lang.code())
    }

    /// This page in the other language.
    fn other_lang_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query.iter().filter(|(k, _)| k != "lang") {
            q.append_pair(k, v);
        }
        q.append_pair("lang", other);
        format!("{}?{}", self.path, q.finish())
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        crate::domain::instant::shown(at)
            .with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    }

    fn page(
        &self,
        state: &AppState,
        title: String,
        description: String,
        canonical_path: &str,
    ) -> Page {
        let config = state.config.get();
        let current = self.path.strip_prefix("/topics/").unwrap_or("");
        let mut nav = vec![Link {
            href: self.href("/"),
            title: self.t.home.to_owned(),
            current: self.path == "/",
        }];
        nav.extend(config.topics.iter().map(|t| Link {
            href: self.href(&format!("/topics/{}", t.slug)),
            title: t.title.clone(),
            current: current == t.slug.as_str(),
        }));
        let canonical = if self.explicit && self.lang == Lang::En {
            let sep = if canonical_path.contains('?') {
                '&'
            } else {
                '?'
            };
            format!("{}{canonical_path}{sep}lang=en", self.base)
        } else {
            format!("{}{canonical_path}", self.base)
        };
        Page {
            title,
            description,
            canonical,
            og_type: "website",
            image: None,
            feeds: Vec::new(),
            stylesheet: stylesheet_path(),
            home: self.href("/"),
            query: String::new(),
            lang_param: self.explicit.then(|| self.lang.code()),
            other_lang_href: self.other_lang_href(),
            nav,
            crumbs: vec![Crumb {
                href: Some(self.href("/")),
                title: self.t.home.to_owned(),
            }],
            sources_href: self.href("/sources"),
        }
    }

    /// The three formats of the feed at `/feeds/{path}.{ext}`.
    fn feeds(&self, path: &str, title: &str) -> Vec<FeedLink> {
        let (path, query) = path.split_once('?').map_or((path, ""), |(p, q)| (p, q));
        let suffix = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        [
            ("application/rss+xml", "RSS", "rss"),
            ("application/atom+xml", "Atom", "atom"),
            ("application/feed+json", "JSON Feed", "json"),
        ]
        .into_iter()
        .map(|(media_type, label, ext)| FeedLink {
            media_type,
            title: format!("{title} ({label})"),
            href: format!("{}/feeds/{path}.{ext}{suffix}", self.base),
            label,
        })
        .collect()
    }

    fn card(&self, item: StoredItem, views: i64, titles: &HashMap<String, String>) -> Card {
        let summary = item
            .item
            .summary
            .as_deref()
            .or(item.item.content.as_deref())
            .map(text_of_sanitized)
            .filter(|s| !s.is_empty())
            .map(|s| cut(&s, 110));
        Card {
            href: self.href(&format!("/items/{}", item.id)),
            title: item
                .item
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| summary.clone().unwrap_or_else(|| format!("#{}", item.id))),
            title_html: None,
            snippet_html: None,
            summary,
            image: item.item.image.as_deref().map(|i| self.picture(i)),
            source: titles
                .get(item.source_id.as_str())
                .cloned()
                .unwrap_or_else(|| item.source_id.to_string()),
            time: self.time(item.sort_at),
            time_iso: crate::domain::instant::rfc3339_seconds(item.sort_at),
            cluster_size: discovery::story_sources(&item),
            views,
            note: None,
        }
    }

    fn cards(
        &self,
        items: Vec<StoredItem>,
        views: &HashMap<ItemId, i64>,
        titles: &HashMap<String, String>,
    ) -> Vec<Card> {
        items
            .into_iter()
            .map(|i| {
                let v = views.get(&i.id).copied().unwrap_or(0);
                self.card(i, v, titles)
            })
            .collect()
    }

    fn scored_cards(&self, scored: Vec<Scored>, titles: &HashMap<String, String>) -> Vec<Card> {
        scored
            .into_iter()
            .map(|s| self.card(s.item, s.views, titles))
            .collect()
    }
}

/// `s` cut to at most `n` characters, with "…" when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(n).collect();
    out.push('…');
    out
}

/// A rendered page with the headers every page carries.
fn html(status: StatusCode, body: Result<String, askama::Error>) -> HttpResponse {
    match body {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::VARY, "Accept-Language, Accept-Encoding"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a page");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("the page could not be rendered")
        }
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct ErrorPage {
    t: &'static Texts,
    page: Page,
    message: String,
}

fn error_page(ctx: &Ctx, state: &AppState, status: StatusCode, message: &str) -> HttpResponse {
    let title = if status == StatusCode::NOT_FOUND {
        ctx.t.not_found.to_owned()
    } else {
        status.canonical_reason().unwrap_or("Error").to_owned()
    };
    let mut page = ctx.page(state, title.clone(), title.clone(), &ctx.path);
    page.crumbs.push(Crumb { href: None, title });
    let body = ErrorPage {
        t: ctx.t,
        page,
        message: message.to_owned(),
    }
    .render();
    html(status, body)
}

/// The 404 page for a browser that asked for a path no route has.
pub fn not_found(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let ctx = Ctx::new(req, state);
    let message = format!("{} {}", ctx.t.not_found, req.path());
    error_page(&ctx, state, StatusCode::NOT_FOUND, &message)
}

/// A store failure as a page (503: try again later).
fn unavailable(ctx: &Ctx, state: &AppState, e: &StoreError) -> HttpResponse {
    tracing::error!(error = %e, "a page could not read the store");
    error_page(ctx, state, StatusCode::SERVICE_UNAVAILABLE, "")
}

// ---- the pages ----

#[derive(Deserialize)]
struct PageParams {
    before: Option<String>,
}

/// Items on the front page, per featured topic, and on a listing page.
const FRONT_ITEMS: i64 = 20;
const FEATURED_ITEMS: i64 = 5;
const FEATURED_TOPICS: usize = 8;
const LIST_ITEMS: i64 = 20;

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
