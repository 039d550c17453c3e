//! crossfeed: polls upstream feeds, normalizes and classifies their items, stores them in
//! Postgres or SQLite, and republishes them as topic feeds and a JSON API.
//!
//! Data flows one way: `config` → `scheduler` → `ingest` (`fetch` → `parse` → `normalize` →
//! `classify`, `tags`, `dedupe` → `store`) → `render` → `server` (feeds, API and the website,
//! `server::web`). `discovery` (what to read next, ranked by pure functions over the candidates
//! the store hands over) and `views` (the page-view and search counters) sit beside `render`
//! beneath the server; `domain` (the `crossfeed-domain` crate, the workspace's bottom layer,
//! re-exported here with its `text`) holds the types every stage shares, the stored item among
//! them. `reload` holds the configuration in force beneath the server and the scheduler. Only
//! `app` wires the modules together.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

/// mimalloc instead of the system allocator: parsing and rendering allocate many small,
/// short-lived strings (glibc's malloc and free were a large share of the parse profile;
/// BENCHMARKS.md, "Parsing"), and glibc
/// keeps a heap per thread that grows with the blocking pool and rarely shrinks. The
/// `system-alloc` feature leaves the system's malloc in place, for heap profilers such as
/// heaptrack that see only malloc (see BENCHMARKS.md, "Soak").
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod alloc;

pub mod app;
pub mod classify;
pub mod config;
pub mod dedupe;
pub mod discovery;
/// The bottom layer, a crate of its own: what every stage shares.
pub use crossfeed_domain as domain;
pub mod fetch;
pub mod fold;
pub mod ingest;
pub mod metrics;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod reclassify;
pub mod reload;
pub mod render;
pub mod rules;
pub mod scheduler;
pub mod search;
pub mod server;
pub mod store;
pub mod tags;
/// Plain text of sanitized HTML (in the domain crate).
pub use crossfeed_domain::text;
pub mod views;
pub mod websub;
