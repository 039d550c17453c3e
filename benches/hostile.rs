//! Hostile documents against a benign one of the same size: each shape an upstream could send to
//! pin a core (a keyword repeated tens of thousands of times, HTML nested deep — plainly, as
//! `<div/>` repeated, as `<div></x>` repeated, and behind a stray `<"` — a huge title, prefixed
//! self-closing elements, a namespace string repeated, many entity declarations), run through
//! everything a poll does with a document — parse, normalize (sanitize, plain text, language),
//! classify with the shipped rules — at 256 KiB, 512 KiB and 1 MiB. The nesting shapes also run
//! as a list page (read with selectors) and as an article page (Readability), against a benign
//! page of the same size. Targets: each hostile shape within 3× the benign document's time, and
//! doubling the input at most about doubling the time. Last, a poll past its parse budget: no
//! parse thread may still be running once the poll has failed. The work is single-threaded, so
//! the times are CPU times. `cargo bench --bench hostile` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use crossfeed::classify::SourceCtx;
use crossfeed::config::Config;
use crossfeed::domain::page::{FullContent, PageSpec};
use crossfeed::fold::Folded;
use crossfeed::rules::Rules;
use url::Url;

/// The smallest size; each shape also runs at twice and four times this.
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

/// Nesting that a count of tags beside the parser saw as flat: `<div/>` is no void element to
/// the tree builder, which nests it.
fn self_closed_divs(size: usize) -> String {
    rss(&item(0, "自闭合", &"&lt;div/&gt;".repeat(size / 12)), "")
}

/// `</x>` closes nothing, so every `<div>` stays open.
fn unknown_end_tags(size: usize) -> String {
    rss(
        &item(0, "错位结束", &"&lt;div&gt;&lt;/x&gt;".repeat(size / 20)),
        "",
    )
}

/// A stray `<` and a quote that never closes: text to the parser, a quoted value to a tag scanner.
fn stray_quote(size: usize) -> String {
    let body = format!("&lt;p&gt;a &lt; \"b{}", "&lt;div&gt;".repeat(size / 11));
    rss(&item(0, "引号", &body), "")
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

/// The nesting shapes as raw HTML, for pages and articles.
fn nesting_html(shape: &str, size: usize) -> String {
    match shape {
        "self-closed divs" => "<div/>".repeat(size / 6),
        "unknown end tags" => "<div></x>".repeat(size / 9),
        _ => format!("<p>a < \"b{}", "<div>".repeat(size / 5)),
    }
}

/// An ordinary portal page of about `size` bytes: a list of articles, each with a summary.
fn benign_page(size: usize) -> String {
    let mut list = String::new();
    let mut n = 0;
    while list.len() < size {
        list.push_str(&format!(
            "<li><h3><a href=\"/kx/{n}.html\">TikTok Shop 东南亚站第 {n} 期大促备货指南</a></h3>\
             <p>Lazada 与 Shopee 同步开启年终大促，卖家需提前两周完成备货入仓。</p></li>"
        ));
        n += 1;
    }
    page_around(&list)
}

fn page_around(list: &str) -> String {
    format!(
        "<html><head><title>快讯</title></head><body><div class=\"main\"><article>\
         <p>跨境卖家需提前备货，平台将调整入仓规则，海外仓与物流渠道同步更新。</p>\
         <ul class=\"news-list\">{list}</ul></article></div></body></html>"
    )
}

/// A list page and an article page read as a poll and the article job read them.
fn page_and_article(html: &str) -> usize {
    let url = Url::parse("https://news.example.cn/kx/").unwrap();
    let spec = PageSpec {
        day: None,
        item: "ul.news-list > li".into(),
        title: "h3 a".into(),
        link: "h3 a@href".into(),
        date: None,
        summary: Some("p".into()),
        image: None,
        next: None,
        max_pages: 1,
    }
    .compile()
    .unwrap();
    let scraped = crossfeed::parse::page::scrape(html, &url, &spec, Tz::Asia__Shanghai, Utc::now())
        .map(|s| s.feed.entries.len())
        .unwrap_or(0);
    let article = crossfeed::parse::article::extract(html, &url, &FullContent::Auto)
        .map(|a| a.len())
        .unwrap_or(0);
    scraped + article
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

/// The median of three runs of `work` (one when a run takes over ten seconds).
fn time(work: impl Fn() -> usize) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        std::hint::black_box(work());
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
    let shapes: [(&str, Shape); 10] = [
        ("benign", benign),
        ("repeated keyword", repeated_keyword),
        ("deep nesting", deep_nesting),
        ("self-closed divs", self_closed_divs),
        ("unknown end tags", unknown_end_tags),
        ("stray quote", stray_quote),
        ("huge title", huge_title),
        ("self-closing prefixed", self_closing_prefixed),
        ("repeated namespace", repeated_namespace),
        ("many entities", many_entities),
    ];
    println!("feeds: parse, normalize, classify");
    header();
    let mut benign = [Duration::ZERO; 3];
    for (name, shape) in shapes {
        let times = [1, 2, 4].map(|x| {
            let text = shape(x * SIZE);
            time(|| pipeline(&text, &rules))
        });
        if name == "benign" {
            benign = times;
        }
        row(name, &times, &benign);
    }
    println!("\nlist pages and articles: scrape with selectors, then Readability");
    header();
    let benign = [1, 2, 4].map(|x| {
        let html = benign_page(x * SIZE);
        time(|| page_and_article(&html))
    });
    row("benign page", &benign, &benign);
    for name in ["self-closed divs", "unknown end tags", "stray quote"] {
        let times = [1, 2, 4].map(|x| {
            let html = page_around(&nesting_html(name, x * SIZE));
            time(|| page_and_article(&html))
        });
        row(name, &times, &benign);
    }
    println!();
    budget_stops_every_thread();
}

fn header() {
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>16} {:>8}",
        "shape", "256 KiB", "512 KiB", "1 MiB", "vs benign", "1M/256K"
    );
}

fn row(name: &str, times: &[Duration; 3], benign: &[Duration; 3]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratios: Vec<f64> = (0..3)
        .map(|i| times[i].as_secs_f64() / benign[i].as_secs_f64())
        .collect();
    let worst = ratios.iter().copied().fold(0.0, f64::max);
    println!(
        "{name:<22} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>15.2}x {:>7.1}x",
        ms(times[0]),
        ms(times[1]),
        ms(times[2]),
        worst,
        times[2].as_secs_f64() / times[0].as_secs_f64(),
    );
}

/// A real poll of an 8 MiB feed under a 30 ms parse budget: the poll fails on the budget, and
/// no parse thread may go on working after it (the parse stops within a chunk of input).
fn budget_stops_every_thread() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("big.xml");
    std::fs::write(&feed, benign(8 * 1024 * 1024 - 4096)).unwrap();
    let yaml = format!(
        "database:\n  url: \"sqlite://{}/store.db\"\nfetch:\n  parse_budget: 30ms\n  max_body: 16MiB\n\
         sources:\n  - id: big\n    url: \"{}\"\n",
        dir.path().display(),
        Url::from_file_path(&feed).unwrap()
    );
    let config_path = dir.path().join("crossfeed.yaml");
    std::fs::write(&config_path, yaml).unwrap();
    let config = Config::load(&config_path).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let summary = runtime
        .block_on(crossfeed::app::fetch_once(&config, None, |_, _| {}, |_| {}))
        .unwrap();
    let failed_after = started.elapsed();
    let still_running = crossfeed::parse::budget::running();
    let mut settled = Duration::ZERO;
    while crossfeed::parse::budget::running() > 0 && settled < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
        settled = started.elapsed() - failed_after;
    }
    println!(
        "a poll past its 30 ms parse budget: failed={} after {:.0} ms; parse threads still \
         running when it failed: {still_running}, {:.0} ms later: {}",
        summary.failed,
        failed_after.as_secs_f64() * 1e3,
        settled.as_secs_f64() * 1e3,
        crossfeed::parse::budget::running()
    );
    assert_eq!(summary.failed, 1, "the poll must fail on its budget");
    assert_eq!(
        crossfeed::parse::budget::running(),
        0,
        "a parse thread kept running after its budget fired"
    );
}
