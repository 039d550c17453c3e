//! Hostile documents against a benign one of the same size: each shape an upstream could send to
//! pin a core (a keyword repeated tens of thousands of times, HTML nested deep, a huge title,
//! prefixed self-closing elements, a namespace string repeated, many entity declarations), run
//! through everything a poll does with a document — parse, normalize (sanitize, plain text,
//! language), classify with the shipped rules — at a size and at twice that size. Targets: each
//! hostile shape within 3× the benign document's time, and doubling the input at most about
//! doubling the time. `cargo bench --bench hostile` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use crossfeed::classify::SourceCtx;
use crossfeed::config::Config;
use crossfeed::fold::Folded;
use crossfeed::rules::Rules;
use url::Url;

/// The smaller size; each shape also runs at twice this.
const SIZE: usize = 256 * 1024;

/// A document of about `size` bytes, by shape.
type Shape = fn(usize) -> String;

fn rss(items: &str, extra_ns: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {extra_ns}><channel><title>跨境快讯</title><link>https://news.example.cn/</link>{items}</channel></rss>"#
    )
}

fn item(n: usize, title: &str, description: &str) -> String {
    format!(
        "<item><title>{title}</title><link>https://news.example.cn/a/{n}</link><guid>a-{n}</guid>\
         <pubDate>Wed, 25 Nov 2026 09:00:00 +0800</pubDate><description>{description}</description></item>"
    )
}

/// Ordinary news: many items of a few hundred bytes, escaped HTML bodies.
fn benign(size: usize) -> String {
    let mut items = String::new();
    let mut n = 0;
    while items.len() < size {
        items.push_str(&item(
            n,
            &format!("TikTok Shop 东南亚站第 {n} 期大促备货指南"),
            "&lt;p&gt;Lazada 与 Shopee 同步开启年终大促，卖家需提前两周完成备货入仓。\
             Amazon FBA 的入库配额也在调整，建议分批发货。&lt;/p&gt;",
        ));
        n += 1;
    }
    rss(&items, "")
}

fn repeated_keyword(size: usize) -> String {
    rss(
        &item(0, "重复", &"TikTok 亚马逊雨林 Amazon ".repeat(size / 30)),
        "",
    )
}

fn deep_nesting(size: usize) -> String {
    let depth = size / 11;
    let body = format!(
        "{}x{}",
        "&lt;div&gt;".repeat(depth / 2),
        "&lt;/div&gt;".repeat(depth / 2)
    );
    rss(&item(0, "嵌套", &body), "")
}

fn huge_title(size: usize) -> String {
    rss(&item(0, &"超长标题TikTok".repeat(size / 17), "正文"), "")
}

fn self_closing_prefixed(size: usize) -> String {
    let junk = "<dc:x/>".repeat(size / 7);
    rss(
        &format!("<item><title>t</title>{junk}<link>https://news.example.cn/a/1</link></item>"),
        r#"xmlns:dc="http://purl.org/dc/elements/1.1/""#,
    )
}

fn repeated_namespace(size: usize) -> String {
    let ns = "\"http://backend.userland.com/rss2\" ".repeat(size / 35);
    rss(&item(0, "命名空间", &ns), "")
}

fn many_entities(size: usize) -> String {
    let decls: String = (0..size / 24)
        .map(|i| format!("<!ENTITY e{i} \"v{i}\">"))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{decls}]>{}",
        rss(&item(0, "实体", "正文"), "")
    )
}

/// Everything a poll does with the text, as ingest does it.
fn pipeline(text: &str, rules: &Rules) -> usize {
    let now = Utc::now();
    let base = Url::parse("https://news.example.cn/feed").unwrap();
    let Ok(feed) = crossfeed::parse::parse_text(text, Tz::Asia__Shanghai, now) else {
        return 0;
    };
    let ctx = crossfeed::normalize::Context {
        fetch_url: &base,
        fetched_at: now,
    };
    let tags: Vec<String> = Vec::new();
    crossfeed::normalize::normalize_feed_with_text(&feed, &ctx)
        .into_iter()
        .map(|(item, plain)| {
            let folded = Folded::of(&item, &plain, rules.classifier.folder());
            let source = SourceCtx {
                id: "bench",
                tags: &tags,
            };
            rules.apply(&item, &folded, source).0.len()
        })
        .sum()
}

/// The median of three runs (one when a run takes over ten seconds).
fn time(text: &str, rules: &Rules) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        std::hint::black_box(pipeline(text, rules));
        let took = started.elapsed();
        runs.push(took);
        if took > Duration::from_secs(10) {
            return took;
        }
    }
    runs.sort();
    runs[1]
}

fn main() {
    crossfeed::alloc::configure();
    let config = Config::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/crossfeed.yaml"
    )))
    .unwrap();
    let rules = Rules::new(&config).unwrap();
    let shapes: [(&str, Shape); 7] = [
        ("benign", benign),
        ("repeated keyword", repeated_keyword),
        ("deep nesting", deep_nesting),
        ("huge title", huge_title),
        ("self-closing prefixed", self_closing_prefixed),
        ("repeated namespace", repeated_namespace),
        ("many entities", many_entities),
    ];
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>12} {:>8}",
        "shape", "KiB", "at 1x", "at 2x", "vs benign", "2x/1x"
    );
    let mut benign_1x = Duration::ZERO;
    for (name, shape) in shapes {
        let small = shape(SIZE);
        let large = shape(2 * SIZE);
        let t1 = time(&small, &rules);
        let t2 = time(&large, &rules);
        if name == "benign" {
            benign_1x = t1;
        }
        println!(
            "{name:<22} {:>10} {:>8.1}ms {:>8.1}ms {:>11.1}x {:>7.1}x",
            small.len() / 1024,
            t1.as_secs_f64() * 1e3,
            t2.as_secs_f64() * 1e3,
            t1.as_secs_f64() / benign_1x.as_secs_f64(),
            t2.as_secs_f64() / t1.as_secs_f64(),
        );
    }
}
