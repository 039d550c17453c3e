//! `GET /`: until the news portal lands, a plain page that lists the feeds and advertises them
//! for autodiscovery (`<link rel="alternate">` per topic and format), so pasting crossfeed's
//! address into a feed reader finds them.

use actix_web::http::header;
use actix_web::{HttpResponse, route, web};

use super::AppState;
use super::feeds::{ListedFeed, listed_feeds};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(index);
}

const FORMATS: [(&str, &str, &str); 3] = [
    ("rss", "application/rss+xml", "RSS"),
    ("atom", "application/atom+xml", "Atom"),
    ("json", "application/feed+json", "JSON Feed"),
];

#[route("/", method = "GET", method = "HEAD")]
async fn index(state: web::Data<AppState>) -> HttpResponse {
    let config = state.config.get();
    let base = config.server.public_url.as_str().trim_end_matches('/');
    let esc = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let text = |s: &str| html_escape::encode_text(s).into_owned();
    let mut links = String::new();
    let mut rows = String::new();
    for ListedFeed {
        slug,
        title,
        description,
    } in listed_feeds(&config)
    {
        let mut feeds = Vec::new();
        for (ext, media, name) in FORMATS {
            let href = format!("{base}/feeds/{slug}.{ext}");
            links.push_str(&format!(
                "<link rel=\"alternate\" type=\"{media}\" title=\"{} ({name})\" href=\"{}\">\n",
                esc(&title),
                esc(&href)
            ));
            feeds.push(format!("<a href=\"{}\">{name}</a>", esc(&href)));
        }
        rows.push_str(&format!(
            "<li><strong>{}</strong> — {} <span>{}</span></li>\n",
            text(&title),
            text(&description),
            feeds.join(" · ")
        ));
    }
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>crossfeed — 跨境电商资讯订阅</title>\n{links}</head>\n<body>\n\
         <h1>crossfeed</h1>\n<p>跨境电商资讯的专题订阅 · Topic feeds for cross-border e-commerce news. \
         <a href=\"{opml}\">OPML</a> (import every feed into a reader).</p>\n<ul>\n{rows}</ul>\n\
         </body>\n</html>\n",
        opml = esc(&format!("{base}/opml")),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(body)
}
