//! Full content: what fetching the article behind every item costs.
//!
//! 1. Extraction throughput, one core: generated portal article pages (navigation, a sidebar
//!    with 推荐阅读 and 热门阅读 boxes, share buttons, a footer; 8 to 20 body paragraphs) through
//!    crossfeed's extraction and sanitizing, next to dom_smoothie alone on the same pages.
//! 2. A cold `crossfeed fetch` of N summary-only feeds × 50 items (SQLite) whose items link to
//!    those pages on a local server, without `full_content` and with `full_content: auto`
//!    (every article fetched, extracted, stored and its item reclassified).
//!
//! `cargo build --release && cargo bench --bench articles` (`CROSSFEED_BENCH_FEEDS`, default
//! 200; `CROSSFEED_BENCH_ROUNDS`, default 3). Figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use crossfeed::domain::page::FullContent;
use url::Url;

const ITEMS: usize = 50;

const PARAGRAPHS: &[&str] = &[
    "平台表示，新规则将在下月起分批生效，首批覆盖家居、美妆和小家电类目，卖家需要在卖家中心完成资质认证。",
    "业内人士认为，这一变化将进一步推动卖家布局海外仓，第三方物流服务商的订单量有望在旺季前继续增长。",
    "Sellers who ship from local warehouses will see an estimated delivery date on the product page, which the platform says lifts conversion.",
    "据了解，平台会根据履约时效对店铺进行评分，时效较差的店铺可能失去流量扶持，严重时会被限制参加大促活动。",
    "多位卖家表示，费用调整后，分仓入库的成本优势更加明显，部分卖家计划改用第三方物流集中备货。",
    "The change follows a year in which cross-border parcels doubled, and customs brokers warn that paperwork will grow with it.",
    "分析人士指出，半托管模式降低了平台的履约成本，也让拥有海外仓的卖家获得了更大的定价空间。",
    "此外，平台还将上线新的广告工具，帮助中小卖家在搜索结果中获得曝光，首月广告费用可享受八折优惠。",
];

/// One article page: `n` picks its title and body.
fn article(feed: usize, n: usize) -> String {
    let count = 8 + (feed * 7 + n * 3) % 13;
    let body: String = (0..count)
        .map(|i| format!("<p>{}</p>\n", PARAGRAPHS[(feed + n + i) % PARAGRAPHS.len()]))
        .collect();
    format!(
        r##"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>跨境资讯第{feed}-{n}号 - 跨境眼</title>
<script src="/static/stat.js"></script><link rel="stylesheet" href="/static/site.css"></head><body>
<div class="header"><div class="logo"><a href="/"><img src="/static/logo.png" alt="跨境眼"></a></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/news/">资讯</a></li><li><a href="/topic/amazon/">亚马逊</a></li>
<li><a href="/topic/tiktok/">TikTok</a></li><li><a href="/topic/sea/">东南亚</a></li><li><a href="/topic/logistics/">物流</a></li></ul></div>
<div class="wrap"><div class="article"><h1>跨境资讯第{feed}-{n}号：平台调整物流与费用规则</h1>
<div class="info">来源：跨境眼　2026-11-25 10:20　<span class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></span></div>
<div class="article-content">
<p><img src="/static/grey.gif" data-src="/uploads/{feed}/{n}.jpg" alt=""></p>
{body}</div>
<div class="copyright">声明：本文为跨境眼原创，转载请注明出处。</div>
<div class="related"><h4>推荐阅读</h4><ul>{related}</ul></div></div>
<div class="side"><div class="box"><h4>热门阅读</h4><ul>{hot}</ul></div>
<div class="box"><h4>大家都在搜</h4><a href="/search?q=关税">关税</a> <a href="/search?q=清关">清关</a> <a href="/search?q=海外仓">海外仓</a></div></div></div>
<div class="footer">Copyright © 2026 跨境眼 版权所有 | 沪ICP备00000000号 | <a href="/about">关于我们</a> <a href="/contact">联系我们</a></div>
</body></html>"##,
        related = (0..6)
            .map(|i| format!("<li><a href=\"/a/{feed}/{i}.html\">跨境资讯第{feed}-{i}号</a></li>"))
            .collect::<String>(),
        hot = (0..8)
            .map(|i| format!("<li><a href=\"/a/{i}/{n}.html\">热门：平台新规第{i}条解读</a></li>"))
            .collect::<String>(),
    )
}

fn summary_feed(addr: std::net::SocketAddr, feed: usize) -> String {
    let items: String = (0..ITEMS)
        .map(|n| {
            format!(
                "<item><title>跨境资讯第{feed}-{n}号：平台调整物流与费用规则</title>\
                 <link>http://{addr}/a/{feed}/{n}.html</link><guid>f{feed}-{n}</guid>\
                 <pubDate>Wed, 25 Nov 2026 02:{:02}:00 GMT</pubDate>\
                 <description>平台调整物流与费用规则，详见正文。</description></item>",
                n % 60
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
         <title>跨境眼 {feed}</title><link>http://{addr}/</link>{items}</channel></rss>"
    )
}

/// Bytes of article HTML extracted per second over at least two seconds, with `extract`.
fn rate(pages: &[(String, Url)], extract: impl Fn(&str, &Url) -> usize) -> f64 {
    let bytes: usize = pages.iter().map(|(p, _)| p.len()).sum();
    let started = Instant::now();
    let (mut passes, mut kept) = (0, 0);
    while started.elapsed() < Duration::from_secs(2) {
        for (page, url) in pages {
            kept += extract(page, url);
        }
        passes += 1;
    }
    assert!(kept > 0);
    (bytes * passes) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A cold `crossfeed fetch` of `urls` into a fresh SQLite store: (seconds, stdout).
fn cold_fetch(dir: &std::path::Path, label: &str, urls: &[String], full: bool) -> (f64, String) {
    let mut yaml = format!(
        "database: {{ url: \"sqlite://{}\", pool_size: 8 }}\n\
         fetch: {{ timeout: 30s, max_concurrency: 32, per_host_concurrency: 32, max_articles_per_poll: 50 }}\nsources:\n",
        dir.join(format!("{label}.db")).display()
    );
    for (i, u) in urls.iter().enumerate() {
        let full = if full { ", full_content: auto" } else { "" };
        yaml.push_str(&format!(
            "  - {{ id: s{i}, url: \"{u}\", timezone: Asia/Shanghai{full} }}\n"
        ));
    }
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/crossfeed.yaml"
    ))
    .unwrap();
    yaml.push_str(&shipped[shipped.find("\ntopics:").unwrap()..]);
    let config = dir.join(format!("{label}.yaml"));
    std::fs::write(&config, yaml).unwrap();
    let bin = env!("CARGO_BIN_EXE_crossfeed");
    let migrated = Command::new(bin)
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["--config", config.to_str().unwrap(), "fetch"])
        .env("RUST_LOG", "error")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        secs,
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .replace('\n', "; "),
    )
}

fn main() {
    crossfeed::alloc::configure();
    let feeds: usize = std::env::var("CROSSFEED_BENCH_FEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let rounds: usize = std::env::var("CROSSFEED_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);

    // 1. Extraction, one core.
    let pages: Vec<(String, Url)> = (0..200)
        .map(|i| {
            let url = Url::parse(&format!(
                "https://portal.example.cn/a/{}/{}.html",
                i / 50,
                i % 50
            ))
            .unwrap();
            (article(i / 50, i % 50), url)
        })
        .collect();
    let mb = pages.iter().map(|(p, _)| p.len()).sum::<usize>() as f64 / 1e6;
    println!("extraction: 200 article pages, {mb:.2} MB; {rounds} rounds of at least 2 s each");
    let (mut ours, mut alone) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(rate(&pages, |page, url| {
            let body = crossfeed::parse::article::extract(page, url, &FullContent::Auto).unwrap();
            crossfeed::normalize::html::Sanitizer::new(url)
                .clean(&body)
                .len()
        }));
        alone.push(rate(&pages, |page, url| {
            let mut r = dom_smoothie::Readability::new(page, Some(url.as_str()), None).unwrap();
            r.parse().unwrap().content.len()
        }));
    }
    let (ours, alone) = (median(ours), median(alone));
    println!(
        "  crossfeed (cap, extract, sanitize): {:.1} MB/s, {:.0} pages/s",
        ours / 1e6,
        ours / (mb * 1e6 / 200.0)
    );
    println!(
        "  dom_smoothie alone:                {:.1} MB/s, {:.0} pages/s ({:.2}x crossfeed)",
        alone / 1e6,
        alone / (mb * 1e6 / 200.0),
        alone / ours
    );

    // 2. A cold poll with and without full content.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let feed_bodies: Arc<Vec<String>> =
        Arc::new((0..feeds).map(|f| summary_feed(addr, f)).collect());
    let server = HttpServer::new(move || {
        let bodies = Arc::clone(&feed_bodies);
        App::new()
            .route(
                "/feeds/{n}",
                web::get().to(move |n: web::Path<usize>| {
                    let bodies = Arc::clone(&bodies);
                    async move {
                        match bodies.get(n.into_inner()) {
                            Some(b) => HttpResponse::Ok()
                                .content_type("application/rss+xml")
                                .body(b.clone()),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }
                }),
            )
            .route(
                "/a/{feed}/{n}.html",
                web::get().to(|p: web::Path<(usize, String)>| async move {
                    let (feed, n) = p.into_inner();
                    let n: usize = n.parse().unwrap_or(0);
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(article(feed, n))
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    let urls: Vec<String> = (0..feeds)
        .map(|i| format!("http://{addr}/feeds/{i}"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "cold fetch: {feeds} summary-only feeds x {ITEMS} items, SQLite, {rounds} rounds, machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut last = String::new();
    for round in 0..rounds {
        without.push(cold_fetch(dir.path(), &format!("plain{round}"), &urls, false).0);
        let (secs, out) = cold_fetch(dir.path(), &format!("full{round}"), &urls, true);
        with.push(secs);
        last = out;
    }
    let (without, with) = (median(without), median(with));
    println!("  without full_content: {without:.2} s");
    println!(
        "  full_content: auto:   {with:.2} s ({:.1}x; {:.2} ms per article over the poll alone)",
        with / without,
        (with - without) * 1e3 / (feeds * ITEMS) as f64
    );
    println!("  last run said: {last}");
    actix_web::rt::System::new().block_on(handle.stop(false));
    let _ = thread.join();
}
