//! The state every handler of the HTTP layer reaches (feeds, API, website), and who is asking.

use std::sync::Arc;

use super::FeedCache;
use super::trends;
use crate::config::Config;
use crate::reload::Reloader;
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
    /// Rendered feeds; dropped when items change or a reload moves the generation.
    pub feed_cache: Arc<FeedCache>,
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
    /// The image route (None when `site.image_proxy` is off).
    pub images: Option<Arc<super::images::ImageProxy>>,
}

/// Who is asking, for counting: the client address and the User-Agent. The forwarding headers
/// name the client only when the peer is one of `server.trusted_proxies` (see
/// `domain::proxies`), and `Forwarded` only with `server.trust_forwarded`: a proxy appends to
/// `X-Forwarded-For` but passes on a `Forwarded` the client wrote. From any other peer they are
/// ignored, and said so once in the log, so that a proxy the operator forgot to list shows.
pub fn client_of(req: &actix_web::HttpRequest, state: &AppState) -> (String, Option<String>) {
    use actix_web::http::header;
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARNED: AtomicBool = AtomicBool::new(false);

    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    // Every line of a header, in order, as one list.
    let all_lines = |name| {
        let lines: Vec<&str> = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!lines.is_empty()).then(|| lines.join(","))
    };
    let config = state.config.get();
    let forwarded = config
        .server
        .trust_forwarded
        .then(|| all_lines(header::FORWARDED))
        .flatten();
    let hops = crate::domain::proxies::forwarded_hops(
        forwarded.as_deref(),
        all_lines(header::HeaderName::from_static("x-forwarded-for")).as_deref(),
    );
    let address = match req.peer_addr().map(|a| a.ip()) {
        Some(peer) => {
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
