//! Any query string (and any path segment) on any route: the answer is never a server error
//! and never a panic; a refused parameter is a 400 with the JSON error body.
//!
//! The routes are the real ones (`crossfeed::server::routes`), mounted in-process over a
//! SQLite store that holds the bundled sample feeds, so parameters reach the handlers and the
//! store exactly as over HTTP.
#![no_main]

use std::sync::{Arc, OnceLock};

use actix_web::http::{StatusCode, Uri, header};
use actix_web::{App, test, web};
use crossfeed::config::Config;
use crossfeed::reload::Reloader;
use crossfeed::rules::Rules;
use crossfeed::server::{AppState, FeedCache, routes};
use libfuzzer_sys::fuzz_target;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// `{}` is where the fuzzed path segment goes.
const ROUTES: &[&str] = &[
    "/api/items",
    "/api/items/{}",
    "/api/items/{}/related",
    "/api/topics",
    "/api/topics/{}/items",
    "/api/tags",
    "/api/tags/{}/recommendations",
    "/api/sources",
    "/api/hot",
    "/api/search",
    "/api/search/trending",
    "/go/{}",
    "/opml",
    "/feeds/{}",
    "/feeds/tiktok.rss",
    "/feeds/search.json",
    "/feeds/tags/{}",
    "/feeds/tags/{}/latest.atom",
    "/",
    "/topics/{}",
    "/tags/{}",
    "/items/{}",
    "/search",
    "/sources",
    "/healthz",
    "/readyz",
];

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

thread_local! {
    static SYSTEM: actix_web::rt::SystemRunner = actix_web::rt::System::new();
}

/// The shipped configuration over a fresh SQLite store, with the bundled samples ingested.
async fn fixture() -> Fixture {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/crossfeed.yaml");
    let mut config = Config::load(&path).expect("the shipped configuration loads");
    let dir = tempfile::tempdir().expect("a temporary directory");
    config.database.url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
    // The sample portal is served by a running crossfeed, which this in-process fixture is not:
    // only the sample feeds read from files are ingested.
    config.sources.retain(|s| !s.on_this_server);
    let summary = crossfeed::app::fetch_once(&config, None, |_, _| {}, |_| {})
        .await
        .expect("the samples are ingested");
    assert!(summary.failed == 0, "a sample feed failed: {summary:?}");
    let store = crossfeed::app::open_store(&config)
        .await
        .expect("the store opens");
    let rules = Rules::new(&config).expect("the shipped rules compile");
    let feed_cache = Arc::new(FeedCache::new(
        config.server.feed_cache,
        config.server.change_poll,
    ));
    let reloader = Reloader::new(config, rules, store.clone());
    let state = AppState {
        store,
        config: Arc::clone(&reloader.config),
        rules: Arc::clone(&reloader.rules),
        reloader,
        feed_cache,
        admin_token: Some("fuzz-token".into()),
        nudge: None,
        views: Arc::new(crossfeed::views::Counter::new()),
        trends: Arc::default(),
        images: None,
    };
    Fixture { _dir: dir, state }
}

fuzz_target!(
    |input: (u8, String, Vec<(String, String)>, Option<String>, bool)| {
        let (route, segment, pairs, raw, browser) = input;
        let route = ROUTES[usize::from(route) % ROUTES.len()];
        let path = route.replace(
            "{}",
            &utf8_percent_encode(&segment, NON_ALPHANUMERIC).to_string(),
        );
        let query = match raw {
            // A query string as it comes, when it is one a client could send at all.
            Some(raw) => raw,
            None => url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish(),
        };
        let uri = format!("{path}?{query}");
        if uri.parse::<Uri>().is_err() {
            return;
        }
        SYSTEM.with(|system| {
            system.block_on(async {
                if FIXTURE.get().is_none() {
                    let made = fixture().await;
                    let _ = FIXTURE.set(made);
                }
                let state = FIXTURE.get().expect("set above").state.clone();
                let app =
                    test::init_service(App::new().configure(routes(web::Data::new(state)))).await;
                let mut request = test::TestRequest::get().uri(&uri);
                if browser {
                    request = request.insert_header((header::ACCEPT, "text/html"));
                }
                let response = test::call_service(&app, request.to_request()).await;
                let status = response.status();
                let body = test::read_body(response).await;
                assert!(
                    !status.is_server_error(),
                    "{uri} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
                if status == StatusCode::BAD_REQUEST && !browser {
                    let json: serde_json::Value =
                        serde_json::from_slice(&body).unwrap_or_else(|e| {
                            panic!("{uri}: a 400 that is not JSON ({e}): {body:?}")
                        });
                    assert!(
                        json["error"]["code"].is_string() && json["error"]["message"].is_string(),
                        "{uri}: a 400 without the error object: {json}"
                    );
                }
            });
        });
    }
);
