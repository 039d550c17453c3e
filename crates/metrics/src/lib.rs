//! Prometheus metrics (`GET /metrics`): the `metrics` facade with the Prometheus exporter's
//! recorder, installed once per process; the text is rendered on each scrape. Labels are kept
//! to bounded sets (outcome, upstream host, route pattern, status), never item ids or queries.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Bucket bounds for durations, in seconds: from a cached feed (sub-millisecond) to a slow
/// upstream (tens of seconds).
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the recorder (once; later calls reuse it). None when another recorder was installed
/// first, in which case `/metrics` says so.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            spawn_upkeep(handle.clone());
            Some(handle)
        })
        .as_ref()
}

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The recorder keeps every histogram sample (each HTTP request's latency, each poll's
/// duration) until something folds them into buckets; a scrape does, but a process nobody
/// scrapes would hold them all, growing with every request. A thread of its own, not a task:
/// the recorder can be installed before or outside the runtime.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms are folded only when scraped");
    }
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "crossfeed_fetches_total",
        "Polls of upstream feeds, by outcome and host"
    );
    describe_histogram!(
        "crossfeed_fetch_duration_seconds",
        "How long a poll took (fetch, parse, store), by outcome"
    );
    describe_counter!(
        "crossfeed_fetch_bytes_total",
        "Bytes fetched from upstreams"
    );
    describe_counter!(
        "crossfeed_items_ingested_total",
        "Items stored, by kind (new, updated)"
    );
    describe_gauge!("crossfeed_polls_in_flight", "Polls running in this process");
    describe_gauge!(
        "crossfeed_sources_due",
        "Enabled sources due for a poll and not claimed by any process (the queue)"
    );
    describe_counter!(
        "crossfeed_feed_cache_total",
        "Feed requests by cache result (hit, miss)"
    );
    describe_counter!(
        "crossfeed_http_requests_total",
        "HTTP requests by route, method and status"
    );
    describe_histogram!(
        "crossfeed_http_request_duration_seconds",
        "HTTP request latency by route"
    );
    describe_gauge!(
        "crossfeed_db_pool_connections",
        "Open store connections in this process"
    );
    describe_gauge!(
        "crossfeed_db_pool_idle",
        "Idle store connections in this process"
    );
    describe_counter!(
        "crossfeed_articles_total",
        "Articles fetched for full content, by outcome (stored, retry, gave_up)"
    );
    describe_counter!(
        "crossfeed_views_total",
        "Views and clicks counted (robots and repeats not)"
    );
}

/// One poll ended: `outcome` is stored, not_modified or failed.
pub fn poll(
    outcome: &'static str,
    host: &str,
    took: Duration,
    bytes: usize,
    new: usize,
    updated: usize,
) {
    counter!("crossfeed_fetches_total", "outcome" => outcome, "host" => host.to_owned())
        .increment(1);
    histogram!("crossfeed_fetch_duration_seconds", "outcome" => outcome).record(took.as_secs_f64());
    counter!("crossfeed_fetch_bytes_total").increment(bytes as u64);
    counter!("crossfeed_items_ingested_total", "kind" => "new").increment(new as u64);
    counter!("crossfeed_items_ingested_total", "kind" => "updated").increment(updated as u64);
}

/// One article fetch for full content ended: stored, retry (failed, tried again later) or
/// gave_up (failed for the last time; the item keeps its summary).
pub fn article(outcome: &'static str) {
    counter!("crossfeed_articles_total", "outcome" => outcome).increment(1);
}

pub fn polls_in_flight(n: usize) {
    gauge!("crossfeed_polls_in_flight").set(n as f64);
}

pub fn sources_due(n: i64) {
    gauge!("crossfeed_sources_due").set(n as f64);
}

pub fn feed_cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    counter!("crossfeed_feed_cache_total", "result" => result).increment(1);
}

/// A request method as a label: the standard methods by name, anything else `OTHER`. A client
/// may send any token as a method (actix takes tens of kilobytes of one), and each distinct
/// label would be a series kept for the life of the process.
pub fn method_label(method: &str) -> &'static str {
    const STANDARD: &[&str] = &[
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("OTHER")
}

/// One HTTP request answered; `route` is the matched pattern (`/feeds/{name}`), never the path.
pub fn http_request(route: String, method: &'static str, status: u16, took: Duration) {
    counter!(
        "crossfeed_http_requests_total",
        "route" => route.clone(),
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    histogram!("crossfeed_http_request_duration_seconds", "route" => route)
        .record(took.as_secs_f64());
}

pub fn db_pool(connections: u32, idle: u32) {
    gauge!("crossfeed_db_pool_connections").set(f64::from(connections));
    gauge!("crossfeed_db_pool_idle").set(f64::from(idle));
}

pub fn view_counted() {
    counter!("crossfeed_views_total").increment(1);
}
