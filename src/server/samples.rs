//! `/samples/{path}`: the bundled sample web pages — a portal's list page and its articles,
//! with the navigation, sidebars and footer real portals have — that the shipped configuration's
//! page source reads, so that a fresh clone shows page sources and full content with no
//! network. Served only when `site.sample_pages` names a directory, and only files inside it.

use actix_web::http::header;
use actix_web::{HttpResponse, route, web};

use super::{ApiError, AppState};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(sample);
}

#[route("/samples/{path:.*}", method = "GET", method = "HEAD")]
async fn sample(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("no such sample page".into());
    let config = state.config.get();
    let dir = config.site.sample_pages.as_ref().ok_or_else(not_found)?;
    // Plain names only: no `..`, no absolute parts, nothing hidden.
    let plain = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !path.split('/').all(plain) {
        return Err(not_found());
    }
    let file = dir.join(path.as_str());
    let body = tokio::fs::read(&file).await.map_err(|_| not_found())?;
    // No charset for pages: each says its own in <meta> (the samples include a GBK one).
    let content_type = match file.extension().and_then(|e| e.to_str()) {
        Some("html" | "htm") => "text/html",
        Some("xml") => "application/xml",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body))
}
