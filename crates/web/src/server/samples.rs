//! `/samples/{path}`: the bundled sample web pages — a portal's list page and its articles,
//! with the navigation, sidebars and footer real portals have — that the shipped configuration's
//! page source reads, so that a fresh clone shows page sources and full content with no
//! network. Served only when `site.sample_pages` names a directory, and only regular files that
//! are inside it once every symbolic link is followed, each with a strict content security policy.

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
    let file = inside(dir, &dir.join(path.as_str()))
        .await
        .ok_or_else(not_found)?;
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
        // A sample is a stranger's page in shape: it may show pictures and styles of its own
        // and nothing else — no script, no frame, no form, no plugin — on our origin.
        .insert_header((header::CONTENT_SECURITY_POLICY, SAMPLE_CSP))
        .body(body))
}

/// What a sample page may load.
const SAMPLE_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     sandbox; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `file` with every link resolved, when it is a regular file inside `dir` (itself resolved):
/// a symbolic link that leads out of the folder is refused like a missing file.
async fn inside(dir: &std::path::Path, file: &std::path::Path) -> Option<std::path::PathBuf> {
    let dir = tokio::fs::canonicalize(dir).await.ok()?;
    let file = tokio::fs::canonicalize(file).await.ok()?;
    let regular = tokio::fs::metadata(&file).await.ok()?.is_file();
    (regular && file.starts_with(&dir)).then_some(file)
}
