//! The integration tests, one module per area, in one test binary: `tests/it/common` (a fresh
//! store per test on both backends, a real upstream on 127.0.0.1, the app on port 0) compiles
//! once, and one binary links instead of one per file. `cargo test --test it store::` runs one
//! area. `tests/alloc.rs` stays a binary of its own: it must configure SQLite's allocator before
//! anything in its process opens a store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod add_source;
mod auto_pages;
mod browser;
mod cli;
mod clusters;
mod corpus;
mod discovery;
mod end_to_end;
mod fetching;
mod hardening;
mod images;
mod near_duplicates;
mod operations;
mod page_detection;
mod pages;
mod properties;
mod readers;
mod related_reading;
mod security;
mod shipped_topics;
mod store;
mod store_writers;
mod syndication;
mod topics;
mod website;
