//! The HTTP server: topic feeds, the JSON API (with discovery) and health checks. It reads the store and
//! renders; it never fetches or parses upstream feeds.

mod api;
mod cache;
mod discovery;
mod error;
mod feeds;
mod health;
mod samples;
pub mod trends;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};

pub use cache::{FeedCache, Rendered};
pub use error::ApiError;

use crate::app::Reloader;
use crate::config::Config;
use crate::rules::{Live, Rules};
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The configuration in force (replaced on reload).
    pub config: Arc<Live<Config>>,
    /// The topic and tag rules in force.
    pub rules: Arc<Live<Rules>>,
    pub reloader: Reloader,
    /// The admin bearer token (from the variable `server.admin_token_env` names); admin routes
    /// refuse every request when it is unset.
    pub admin_token: Option<String>,
    /// Wakes this process's scheduler after a refresh request (None in the web role: a worker
    /// picks the source up at its next tick).
    pub nudge: Option<Arc<tokio::sync::Notify>>,
    /// Views, clicks and searches counted in memory, written in batches.
    pub views: Arc<crate::views::Counter>,
    /// Trending searches, computed once per flush of the search counts.
    pub trends: Arc<trends::TrendCache>,
}

/// What a process answers over HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Feeds, the API, the website and the operations routes (`serve --role all|web`).
    Everything,
    /// `/healthz`, `/readyz` and `/metrics` only (`serve --role worker`): probes and Prometheus
    /// reach a worker, readers do not.
    Operations,
}

/// Serve `surface` on `listener` until the returned server is stopped.
pub fn run(listener: TcpListener, state: AppState, surface: Surface) -> std::io::Result<Server> {
    // Each worker runs its handlers' store work on blocking threads of its own.
    let blocking = crate::store::blocking_threads(state.config.get().database.pool_size);
    let data = web::Data::new(state);
    crate::metrics::install();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware::Compress::default())
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service as _;
                let started = std::time::Instant::now();
                // The route's pattern (`/feeds/{name}`), so that labels stay a bounded set.
                let route = req
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".to_owned());
                let method = req.method().to_string();
                // One span per request: what the handlers and the store log nests under it.
                let span = tracing::info_span!(
                    "request",
                    method = %method,
                    path = %req.path(),
                    route = %route
                );
                let fut = {
                    let _entered = span.enter();
                    srv.call(req)
                };
                tracing::Instrument::instrument(
                    async move {
                        let res = fut.await;
                        let status = match &res {
                            Ok(r) => r.status().as_u16(),
                            Err(e) => e.as_response_error().status_code().as_u16(),
                        };
                        crate::metrics::http_request(route, method, status, started.elapsed());
                        res
                    },
                    span,
                )
            })
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin")),
            )
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(|cfg| match surface {
                Surface::Everything => routes(data.clone())(cfg),
                Surface::Operations => operations_routes(data.clone())(cfg),
            })
    })
    // Send each write at once: a compressed page goes out in several writes, and with Nagle's
    // algorithm the last one waited for the client's delayed ACK (40 ms on Linux) — most of the
    // time a page took.
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .worker_max_blocking_threads(blocking)
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

/// Every route, the parameter error handlers and the fallback, without the middleware: what
/// [`run`] serves, and what a test or fuzz target can mount in-process
/// (`App::new().configure(routes(data))`).
pub fn routes(data: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(data)
            .app_data(web::QueryConfig::default().error_handler(|err, _req| {
                ApiError::BadParameter {
                    name: "query".into(),
                    message: err.to_string(),
                }
                .into()
            }))
            .app_data(web::PathConfig::default().error_handler(|err, _req| {
                ApiError::BadParameter {
                    name: "path".into(),
                    message: err.to_string(),
                }
                .into()
            }))
            .configure(feeds::config)
            .configure(discovery::config)
            .configure(api::config)
            .configure(health::config)
            .configure(samples::config)
            .configure(crate::web::config)
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                // A browser gets a page; a program gets the JSON error.
                let browser = req
                    .headers()
                    .get(actix_web::http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|a| a.contains("text/html"));
                match req.app_data::<web::Data<AppState>>() {
                    Some(state) if browser => Ok(crate::web::not_found(&req, state)),
                    _ => Err::<actix_web::HttpResponse, _>(ApiError::NotFound(format!(
                        "no route for {}",
                        req.path()
                    ))),
                }
            }));
    }
}

/// The operations routes alone, and a JSON 404 for everything else: what a worker serves.
pub fn operations_routes(data: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(data)
            .configure(health::config)
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound(format!(
                    "{} is not served by a worker (serve --role worker answers /healthz, \
                     /readyz and /metrics)",
                    req.path()
                )))
            }));
    }
}

/// Who is asking, for counting: the client address and the User-Agent. The forwarding headers
/// name the client only when the peer is one of `server.trusted_proxies` (see
/// `domain::proxies`); from any other peer they are ignored, and said so once in the log, so
/// that a proxy the operator forgot to list shows.
pub fn client_of(req: &actix_web::HttpRequest, state: &AppState) -> (String, Option<String>) {
    use actix_web::http::header;
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARNED: AtomicBool = AtomicBool::new(false);

    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let hops = crate::domain::proxies::forwarded_hops(
        text(header::FORWARDED),
        text(header::HeaderName::from_static("x-forwarded-for")),
    );
    let address = match req.peer_addr().map(|a| a.ip()) {
        Some(peer) => {
            let config = state.config.get();
            let trusted = &config.server.trusted_proxies;
            if !hops.is_empty() && !trusted.contains(peer) && !WARNED.swap(true, Ordering::Relaxed)
            {
                tracing::warn!(
                    peer = %peer,
                    "forwarding headers from a peer that is not in server.trusted_proxies are \
                     ignored; list the proxy there if crossfeed runs behind one"
                );
            }
            trusted.client(peer, &hops).to_string()
        }
        None => String::new(),
    };
    let agent = text(header::USER_AGENT).map(str::to_owned);
    (address, agent)
}
