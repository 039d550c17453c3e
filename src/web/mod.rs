//! The website: a server-rendered news portal in Chinese (English with `?lang=en`) over what
//! discovery computes. Pages: `/` (latest, hot, featured topics, popular searches), `/topics/{slug}`,
//! `/tags/{tag}`, `/items/{id}` (counts a view), `/search?q=`, `/sources`. No JavaScript; one
//! stylesheet served under a content hash; a strict Content-Security-Policy on every page.

pub mod i18n;

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
use crate::domain::redact::without_secrets;
use crate::server::AppState;
use crate::store::items::{self, Cursor, ItemQuery, StoredItem};
use crate::store::search::Filter;
use crate::store::stats::{self, Window};
use crate::store::{DbConn, StoreError, sources};
use crate::text::text_of_sanitized;
use crate::views::Client;
use i18n::{Lang, Texts};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(stylesheet)
        .service(home)
        .service(topic_page)
        .service(tag_page)
        .service(item_page)
        .service(search_page)
        .service(sources_page);
}

/// The Content-Security-Policy of every page: nothing runs, styles and forms come from here,
/// pictures from anywhere (articles embed them from their own sites).
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; \
                       form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

static CSS: &str = include_str!("../../static/site.css");

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
            base: config
                .server
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            tz: config.site.timezone,
            path: own_path(req.path()),
            query,
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
        at.with_timezone(&self.tz)
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
            image: item.item.image.clone(),
            source: titles
                .get(&item.source_id)
                .cloned()
                .unwrap_or_else(|| item.source_id.clone()),
            time: self.time(item.sort_at),
            time_iso: item
                .sort_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cluster_size: discovery::story_sources(&item),
            views,
        }
    }

    fn cards(
        &self,
        items: Vec<StoredItem>,
        views: &HashMap<i64, i64>,
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

/// The sidebar's hot reads and popular searches.
struct Sidebar {
    hot: Vec<Scored>,
    trending: Vec<discovery::Trend>,
}

/// Where a page reads trending searches: the process's cache, and its counts' flushes so far.
struct Trends {
    cache: std::sync::Arc<crate::server::trends::TrendCache>,
    flushes: u64,
}

impl Trends {
    fn of(state: &AppState) -> Self {
        Trends {
            cache: std::sync::Arc::clone(&state.trends),
            flushes: state.views.query_flushes(),
        }
    }

    fn get(
        &self,
        c: &mut DbConn,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Vec<discovery::Trend>, StoreError> {
        self.cache.get(window, 12, self.flushes, || {
            discovery::trending(c, window, 12, now)
        })
    }
}

fn sidebar(
    c: &mut DbConn,
    topic: Option<&str>,
    now: DateTime<Utc>,
    trends: &Trends,
) -> Result<Sidebar, StoreError> {
    let mut hot = discovery::hot(c, Window::Day, topic, 8, now)?;
    if hot.len() < 8 {
        hot = discovery::hot(c, Window::Week, topic, 8, now)?;
    }
    let mut trending = trends.get(c, Window::Day, now)?;
    if trending.len() < 6 {
        trending = trends.get(c, Window::Week, now)?;
    }
    Ok(Sidebar { hot, trending })
}

impl Ctx {
    fn hot_cards(&self, side: &mut Sidebar, titles: &HashMap<String, String>) -> Vec<Card> {
        self.scored_cards(std::mem::take(&mut side.hot), titles)
    }

    fn trending_links(&self, side: &Sidebar) -> Vec<Link> {
        side.trending
            .iter()
            .map(|t| Link {
                href: self.href(&format!(
                    "/search?q={}",
                    url::form_urlencoded::byte_serialize(t.query.as_bytes()).collect::<String>()
                )),
                title: t.query.clone(),
                current: false,
            })
            .collect()
    }
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
    hot: Vec<Card>,
    trending: Vec<Link>,
}

/// Items on the front page, per featured topic, and on a listing page.
const FRONT_ITEMS: i64 = 20;
const FEATURED_ITEMS: i64 = 5;
const FEATURED_TOPICS: usize = 8;
const LIST_ITEMS: i64 = 20;

/// `/`: latest articles, featured topics, hot reads, popular searches.
#[route("/", method = "GET", method = "HEAD")]
async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
    let trends = Trends::of(&state);
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
            let ids: Vec<i64> = latest.iter().map(|i| i.id).collect();
            let views = stats::views_of(c, &ids)?;
            Ok((
                latest,
                featured,
                views,
                sidebar(c, None, now, &trends)?,
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
        hot: ctx.hot_cards(&mut side, &titles),
        trending: ctx.trending_links(&side),
        latest: ctx.cards(latest, &views, &titles),
        more_href,
        featured,
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    t: &'static Texts,
    page: Page,
    heading: String,
    lede: Option<String>,
    subscribe: Vec<FeedLink>,
    items: Vec<Card>,
    empty: String,
    first_href: Option<String>,
    next_href: Option<String>,
    side_heading: String,
    side: Vec<Card>,
    hot: Vec<Card>,
    trending: Vec<Link>,
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
    let trends = Trends::of(state);
    let loaded = state
        .store
        .run(move |c| {
            let found = items::latest(c, &query)?;
            let ids: Vec<i64> = found.iter().map(|i| i.id).collect();
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
                sidebar(c, topic.as_deref(), now, &trends)?,
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
        hot: ctx.hot_cards(&mut bar, &titles),
        trending: ctx.trending_links(&bar),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `/topics/{slug}` (and `/topics/all`): a topic's articles, newest first, paged.
#[route("/topics/{slug}", method = "GET", method = "HEAD")]
async fn topic_page(
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
async fn tag_page(
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
    hot: Vec<Card>,
    trending: Vec<Link>,
}

/// `/items/{id}`: the article, its tags and topics, the other reports of its story and
/// recommended reading. Opening it counts a view.
#[route("/items/{id}", method = "GET", method = "HEAD")]
async fn item_page(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let raw = id.into_inner();
    let Some(id) = raw.parse::<i64>().ok().filter(|n| *n > 0) else {
        let message = format!("{} /items/{raw}", ctx.t.not_found);
        return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
    };
    let now = Utc::now();
    let trends = Trends::of(&state);
    let loaded = state
        .store
        .run(move |c| {
            let Some(item) = items::get(c, id)? else {
                return Ok(None);
            };
            let views = stats::views_of(c, &[id])?.get(&id).copied().unwrap_or(0);
            let related = discovery::related(c, id, 6, now)?.unwrap_or_default();
            Ok(Some((
                item,
                views,
                related,
                sidebar(c, None, now, &trends)?,
                sources::titles(c)?,
            )))
        })
        .await;
    let (item, stored_views, related, mut side, titles) = match loaded {
        Ok(Some(v)) => v,
        Ok(None) => {
            let message = format!("{} /items/{id}", ctx.t.not_found);
            return error_page(&ctx, &state, StatusCode::NOT_FOUND, &message);
        }
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let (address, agent) = crate::server::client_of(&req, &state);
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
        .get(&item.source_id)
        .cloned()
        .unwrap_or_else(|| item.source_id.clone());
    let summary_text = item.item.summary_text();
    let title = item
        .item
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| cut(&summary_text, 40));
    let topics: Vec<Link> = item
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
                .get(&m.source_id)
                .cloned()
                .unwrap_or_else(|| m.source_id.clone()),
            current: false,
        })
        .collect();
    let description = cut(&summary_text, 150);
    let mut page = ctx.page(
        &state,
        format!("{title} - {}", ctx.t.site_name),
        if description.is_empty() {
            title.clone()
        } else {
            description
        },
        &format!("/items/{id}"),
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
        title: cut(&title, 30),
    });
    if let Some(t) = item.topics.first() {
        page.feeds = ctx.feeds(&t.slug, &t.slug);
    }
    let body_html = item
        .item
        .content
        .clone()
        .or_else(|| item.item.summary.clone())
        .filter(|h| !h.trim().is_empty());
    let body = ItemPage {
        t: ctx.t,
        title,
        source,
        time: ctx.time(item.sort_at),
        time_iso: item
            .sort_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        views,
        author: item.item.authors.first().cloned(),
        tags,
        topics,
        body_html,
        original_href: item.item.link.as_ref().map(|_| format!("/go/{id}")),
        also,
        related: ctx.scored_cards(related, &titles),
        hot: ctx.hot_cards(&mut side, &titles),
        trending: ctx.trending_links(&side),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    cursor: Option<String>,
}

/// `/search?q=`: results with highlighted snippets, paged; popular searches beside.
#[route("/search", method = "GET", method = "HEAD")]
async fn search_page(
    req: HttpRequest,
    params: web::Query<SearchParams>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let raw = params.q.clone().unwrap_or_default();
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
    let q = query.clone();
    let limit = usize::try_from(LIST_ITEMS).unwrap_or(20);
    let trends = Trends::of(&state);
    let loaded = state
        .store
        .run(move |c| {
            let found = match &q {
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
            Ok((found, sidebar(c, None, now, &trends)?, sources::titles(c)?))
        })
        .await;
    let (found, mut side, titles) = match loaded {
        Ok(v) => v,
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let shown = query
        .as_ref()
        .map_or_else(String::new, |q| q.normalized.clone());
    let (items, next_href, total) = match (found, &query) {
        (Some(found), Some(q)) => {
            if found.total > 0 && offset == 0 {
                let (address, agent) = crate::server::client_of(&req, &state);
                state.views.search(
                    &q.normalized,
                    &Client {
                        address: &address,
                        agent: agent.as_deref(),
                    },
                    now,
                );
            }
            let next = found
                .next_offset
                .map(|o| ctx.href(&format!("/search?q={}&cursor={o}", encode(&shown))));
            let cards = found
                .items
                .into_iter()
                .map(|f| {
                    let mut card = ctx.card(f.scored.item, f.scored.views, &titles);
                    card.title_html = Some(f.title_html);
                    card.snippet_html = Some(f.snippet_html);
                    card
                })
                .collect();
            (cards, next, found.total)
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
        hot: ctx.hot_cards(&mut side, &titles),
        trending: ctx.trending_links(&side),
        page,
    }
    .render();
    html(StatusCode::OK, body)
}

/// Where a source's name links on `/sources`: its site, else its feed without secrets; only web
/// addresses (a `file:` source links nowhere).
fn source_link(site_url: Option<&str>, url: &str) -> Option<String> {
    let web = |u: &url::Url| matches!(u.scheme(), "http" | "https");
    site_url
        .and_then(|s| url::Url::parse(s).ok())
        .filter(web)
        .or_else(|| {
            url::Url::parse(url)
                .ok()
                .filter(web)
                .map(|u| without_secrets(&u))
        })
        .map(String::from)
}

struct SourceRow {
    href: Option<String>,
    title: String,
    id: String,
    failing: bool,
    status: String,
    error: Option<String>,
    last_fetch: String,
    next_fetch: String,
    items: i64,
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    t: &'static Texts,
    page: Page,
    rows: Vec<SourceRow>,
}

/// `/sources`: each source's health, for the operator.
#[route("/sources", method = "GET", method = "HEAD")]
async fn sources_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let ctx = Ctx::new(&req, &state);
    let loaded = state
        .store
        .run(|c| Ok((sources::list(c)?, items::counts_by_source(c)?)))
        .await;
    let (rows, counts) = match loaded {
        Ok(v) => v,
        Err(e) => return unavailable(&ctx, &state, &e),
    };
    let at = |t: Option<chrono::NaiveDateTime>| {
        t.map_or_else(|| ctx.t.never.to_owned(), |t| ctx.time(t.and_utc()))
    };
    let rows = rows
        .into_iter()
        .map(|r| SourceRow {
            href: source_link(r.site_url.as_deref(), &r.url),
            title: r.display_title().to_owned(),
            failing: !r.enabled || r.error_count > 0,
            status: if r.enabled {
                r.last_status
                    .map_or_else(|| "—".to_owned(), |s| s.to_string())
            } else {
                ctx.t.disabled.to_owned()
            },
            error: r
                .disabled_reason
                .clone()
                .or_else(|| r.last_error.clone())
                .or_else(|| r.last_warning.clone()),
            last_fetch: at(r.last_fetch_at),
            next_fetch: if r.enabled {
                at(Some(r.next_fetch_at))
            } else {
                "—".to_owned()
            },
            items: counts.get(&r.id).copied().unwrap_or(0),
            id: r.id,
        })
        .collect();
    let mut page = ctx.page(
        &state,
        format!("{} - {}", ctx.t.sources, ctx.t.site_name),
        ctx.t.sources.to_owned(),
        "/sources",
    );
    page.crumbs.push(Crumb {
        href: None,
        title: ctx.t.sources.to_owned(),
    });
    html(
        StatusCode::OK,
        SourcesPage {
            t: ctx.t,
            page,
            rows,
        }
        .render(),
    )
}
