//! `/sources`: each source's health, for the operator.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, route, web};
use askama::Template;

use crate::domain::redact::without_secrets;
use crate::server::state::AppState;
use crate::store::{items, sources};

use super::i18n::Texts;
use super::{Crumb, Ctx, Page, html, unavailable};

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
pub(super) async fn sources_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
