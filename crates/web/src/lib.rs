//! The web layer: topic feeds (`render`), the HTTP server with its JSON API and website
//! (`server`), ranking what to read next (`discovery`) and the page-view and search counters
//! (`views`). It reads the store and renders; it never fetches or parses upstream feeds.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

pub mod discovery;
pub mod render;
pub mod server;
pub mod views;

// The crates beneath this one, under the names its modules use for them.
use crossfeed_config as config;
use crossfeed_domain::{self as domain, text};
use crossfeed_ingest::{fetch, reload};
use crossfeed_metrics as metrics;
use crossfeed_rules::{self as rules, classify, search};
use crossfeed_store as store;
