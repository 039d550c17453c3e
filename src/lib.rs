//! crossfeed: polls upstream feeds, normalizes and classifies their items, stores them in
//! Postgres or SQLite, and republishes them as topic feeds, a JSON API and a website.
//!
//! The workspace's crates are the layers, bottom first: `domain` (the types every layer
//! shares, with `text`), `config`, `metrics`, `rules` (`fold`, `classify`, `tags`, `search`,
//! `dedupe`), `store`, `ingest` (`fetch` → `parse` → `normalize` → a poll, full articles,
//! `reclassify`, `reload`, `websub`) and `web` (`render`, `server`, `discovery`, `views`). This
//! package composes them: `app` wires a process together, `scheduler` runs the background jobs,
//! `opml` imports and exports subscription lists, `alloc` tunes the allocator. The layers are
//! re-exported here under their module names.

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

pub mod add;
pub mod alloc;
pub mod app;
pub mod opml;
pub mod scheduler;

pub use crossfeed_config as config;
pub use crossfeed_domain::{self as domain, text};
pub use crossfeed_ingest::{self as ingest, fetch, normalize, parse, reclassify, reload, websub};
pub use crossfeed_metrics as metrics;
pub use crossfeed_rules::{self as rules, classify, dedupe, fold, search, tags};
pub use crossfeed_store as store;
pub use crossfeed_web::{discovery, render, server, views};
