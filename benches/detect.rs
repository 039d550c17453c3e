//! List detection (`page: auto`) against the selector path on the same pages: for each portal
//! family of the test fixtures (tests/fixtures/portals), the time to find the main list and
//! write its selectors (`parse::detect`), next to the time to read the page with those
//! selectors (`parse::page::scrape`, what a poll does while the kept selectors match). One
//! core; the median of many rounds per page, then the median and the worst over the families.
//! Target: detection is not the slow part of a poll (a poll fetches the page, reads it and
//! normalizes and classifies its items; detection runs once, then again only when the layout
//! changes). `cargo bench --bench detect` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use crossfeed::parse::{detect, page};
use url::Url;

const FAMILIES: &[(&str, &str)] = &[
    ("dedecms", "https://www.kjzx.example.cn/news/"),
    ("empire", "https://www.kjzx.example.cn/html/news/"),
    ("wordpress", "https://blog.example.com/category/news/"),
    ("cards", "https://news.example.net/list"),
    (
        "discuz",
        "https://bbs.example.com/portal.php?mod=list&catid=2",
    ),
    ("timeline", "https://www.chuhai.example.com/kuaixun/"),
    ("ordered", "https://insight.example.org/p/"),
    ("phpcms", "https://www.phpcms-news.example.cn/html/kuajing/"),
];

const ROUNDS: usize = 200;

/// The median of `ROUNDS` runs of `f`.
fn median(mut f: impl FnMut()) -> Duration {
    for _ in 0..10 {
        f();
    }
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[ROUNDS / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/portals");
    let now = Utc::now();
    let mut detects = Vec::new();
    let mut scrapes = Vec::new();
    println!(
        "{:<10} {:>7} {:>8} {:>12} {:>12} {:>6}",
        "family", "bytes", "entries", "detect ms", "selectors ms", "ratio"
    );
    for (family, at) in FAMILIES {
        let html = std::fs::read_to_string(dir.join(format!("{family}.html"))).unwrap();
        let url = Url::parse(at).unwrap();
        let found = detect::detect(&html, &url, 1).unwrap();
        let mut spec = found.spec.compile().unwrap();
        spec.next_by_text = true;
        let d = median(|| {
            std::hint::black_box(detect::detect(&html, &url, 1).unwrap());
        });
        let s = median(|| {
            std::hint::black_box(
                page::scrape(&html, &url, &spec, Tz::Asia__Shanghai, now).unwrap(),
            );
        });
        println!(
            "{family:<10} {:>7} {:>8} {:>12.3} {:>12.3} {:>6.1}",
            html.len(),
            found.entries,
            ms(d),
            ms(s),
            d.as_secs_f64() / s.as_secs_f64()
        );
        detects.push(d);
        scrapes.push(s);
    }
    // A page of thousands of small boxes (three links each) around a main list of 20: the
    // candidates read in full are capped, so this stays near the others.
    let mut boxes = String::new();
    for b in 0..3000 {
        boxes.push_str(&format!(
            "<ul class=\"b\"><li><a href=\"/t/{b}/1\">标签{b}一</a></li><li><a href=\"/t/{b}/2\">标签{b}二</a></li><li><a href=\"/t/{b}/3\">标签{b}三</a></li></ul>"
        ));
    }
    let main: String = (0..20)
        .map(|i| format!("<li><a href=\"/news/{i}.html\">跨境电商第{i}期：平台规则调整与卖家应对</a><span>2026-12-0{}</span></li>", 1 + i % 6))
        .collect();
    let big = format!(
        "<html><body><div class=\"side\">{boxes}</div><ul class=\"main\">{main}</ul></body></html>"
    );
    let url = Url::parse("https://portal.example.cn/").unwrap();
    let found = detect::detect(&big, &url, 1).unwrap();
    assert_eq!(found.entries, 20);
    let d = median(|| {
        std::hint::black_box(detect::detect(&big, &url, 1).unwrap());
    });
    println!(
        "{:<10} {:>7} {:>8} {:>12.3}   (3,000 boxes of three links around the list)",
        "boxes",
        big.len(),
        found.entries,
        ms(d)
    );
    detects.sort_unstable();
    scrapes.sort_unstable();
    let mid = detects.len() / 2;
    println!(
        "detection: median {:.3} ms, worst {:.3} ms; selectors: median {:.3} ms, worst {:.3} ms",
        ms(detects[mid]),
        ms(detects[detects.len() - 1]),
        ms(scrapes[mid]),
        ms(scrapes[scrapes.len() - 1])
    );
}
