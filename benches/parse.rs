//! Parse + normalize throughput on the 200-feed bench corpus (10,000 items, about 6 MB; half
//! RSS with every tenth feed GBK-encoded, half Atom): charset decoding, feed-rs, our dates,
//! link resolution, sanitizing, plain text and language detection — everything `parse` does.
//! One core, then two (one thread per half of the feeds). `cargo bench --bench parse`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "corpus/mod.rs"]
mod corpus;

use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use url::Url;

const FEEDS: usize = 200;

fn parse_all(feeds: &[Vec<u8>]) -> usize {
    let now = Utc::now();
    let base = Url::parse("https://feeds.example.com/feed").unwrap();
    let mut items = 0;
    for bytes in feeds {
        let feed = crossfeed::parse::parse_feed(bytes, None, Tz::Asia__Shanghai, now).unwrap();
        let ctx = crossfeed::normalize::Context {
            fetch_url: &base,
            fetched_at: now,
        };
        items += crossfeed::normalize::normalize_feed(&feed, &ctx).len();
    }
    items
}

/// Passes over `feeds` for at least two seconds: (bytes per second, items per second).
fn rate(feeds: &[Vec<u8>]) -> (f64, f64) {
    let bytes: usize = feeds.iter().map(Vec::len).sum();
    let started = Instant::now();
    let (mut passes, mut items) = (0, 0);
    while started.elapsed() < Duration::from_secs(2) {
        items += parse_all(feeds);
        passes += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    ((bytes * passes) as f64 / secs, items as f64 / secs)
}

fn main() {
    let feeds: Vec<Vec<u8>> = (0..FEEDS)
        .map(|i| {
            if i.is_multiple_of(2) {
                corpus::atom(i)
            } else {
                corpus::rss(i, i % 10 == 1)
            }
        })
        .collect();
    let mb = feeds.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!("{FEEDS} feeds, {mb:.1} MB");
    let (bps, ips) = rate(&feeds);
    println!(
        "parse + normalize, 1 core:  {:>6.1} MB/s, {ips:>8.0} items/s",
        bps / 1e6
    );
    let (left, right) = feeds.split_at(feeds.len() / 2);
    let both: Vec<(f64, f64)> = std::thread::scope(|s| {
        let a = s.spawn(|| rate(left));
        let b = s.spawn(|| rate(right));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let (bps, ips) = both
        .iter()
        .fold((0.0, 0.0), |acc, (b, i)| (acc.0 + b, acc.1 + i));
    println!(
        "parse + normalize, 2 cores: {:>6.1} MB/s, {ips:>8.0} items/s",
        bps / 1e6
    );
}
