//! The HTTP server: topic feeds, the JSON API (with discovery) and health checks. It reads the store and
//! renders; it never fetches or parses upstream feeds.

mod api;
mod cache;
mod discovery;
mod error;
mod feeds;
mod health;
pub mod images;
mod json;
mod params;
mod samples;
pub mod state;
pub mod trends;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::web::{Data, PathConfig, QueryConfig, ServiceConfig};
use actix_web::{App, HttpServer, middleware};

pub use cache::{FeedCache, Rendered};
pub use error::ApiError;
pub use state::{AppState, client_of};

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
    let data = Data::new(state);
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
                let method = crate::metrics::method_label(req.method().as_str());
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
pub fn routes(data: Data<AppState>) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        cfg.app_data(data)
            .app_data(QueryConfig::default().error_handler(|err, _req| {
                ApiError::BadParameter {
                    name: "query".into(),
                    message: err.to_string(),
                }
                .into()
            }))
            .app_data(PathConfig::default().error_handler(|err, _req| {
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
            .service(images::serve_image)
            .configure(web::config)
            .default_service(actix_web::web::to(
                |req: actix_web::HttpRequest| async move {
                    // A browser gets a page; a program gets the JSON error.
                    let browser = req
                        .headers()
                        .get(actix_web::http::header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|a| a.contains("text/html"));
                    match req.app_data::<Data<AppState>>() {
                        Some(state) if browser => Ok(web::not_found(&req, state)),
                        _ => Err::<actix_web::HttpResponse, _>(ApiError::NotFound(format!(
                            "no route for {}",
                            req.path()
                        ))),
                    }
                },
            ));
    }
}

/// The operations routes alone, and a JSON 404 for everything else: what a worker serves.
pub fn operations_routes(data: Data<AppState>) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        cfg.app_data(data)
            .configure(health::config)
            .default_service(actix_web::web::to(
                |req: actix_web::HttpRequest| async move {
                    Err::<actix_web::HttpResponse, _>(ApiError::NotFound(format!(
                        "{} is not served by a worker (serve --role worker answers /healthz, \
                     /readyz and /metrics)",
                        req.path()
                    )))
                },
            ));
    }
}
