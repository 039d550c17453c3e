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
    // The allocator as the server sets it up.
    crossfeed::alloc::configure();
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
    feedparser_peer(&feeds, mb);
}

const FEEDPARSER: &str = r#"
import os, sys, time, feedparser
paths = [os.path.join(sys.argv[1], n) for n in sorted(os.listdir(sys.argv[1]))]
blobs = [open(p, "rb").read() for p in paths]
started = time.perf_counter()
items = sum(len(feedparser.parse(b).entries) for b in blobs)
print(time.perf_counter() - started, items)
"#;

/// The same corpus through Python's feedparser on this machine, one core, as the peer.
fn feedparser_peer(feeds: &[Vec<u8>], mb: f64) {
    let dir = tempfile::tempdir().unwrap();
    for (i, bytes) in feeds.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i:03}.xml")), bytes).unwrap();
    }
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(FEEDPARSER)
        .arg(dir.path())
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        println!("feedparser: not installed (pip install feedparser), no peer figure");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let (Some(secs), Some(items)) = (
        parts.next().and_then(|s| s.parse::<f64>().ok()),
        parts.next().and_then(|s| s.parse::<f64>().ok()),
    ) else {
        println!("feedparser: unreadable output {text:?}");
        return;
    };
    println!(
        "feedparser (Python, 1 core): {:>6.2} MB/s, {:>8.0} items/s",
        mb / secs,
        items / secs
    );
}
