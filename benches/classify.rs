//! Classification benchmark: topic matching (and, separately, tagging) over the items of the
//! 200-feed bench corpus, with 20 topics × 50 keywords: the shipped topics padded with
//! generated keywords, plus generated topics. Target: at least 100k items/s per core for
//! topic matching. `cargo bench --bench classify`; figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "corpus/mod.rs"]
mod corpus;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use crossfeed::classify::{Classifier, SourceCtx};
use crossfeed::config::{Config, TopicConfig};
use crossfeed::domain::{Item, TopicSlug};
use crossfeed::rules::Rules;
use url::Url;

const FEEDS: usize = 200;
const TOPICS: usize = 20;
const KEYWORDS: usize = 50;

/// Syllables for generated keywords: Chinese two-character words and Latin words, so both
/// halves of the automaton and the boundary checks get work.
const HAN: &[&str] = &[
    "物流", "仓储", "关税", "直播", "达人", "选品", "广告", "退货", "支付", "汇率", "清关", "品牌",
    "类目", "补贴", "佣金", "大促", "合规", "认证", "专利", "商标",
];
const LATIN: &[&str] = &[
    "freight",
    "parcel",
    "returns",
    "payout",
    "listing",
    "storefront",
    "voucher",
    "seller",
    "checkout",
    "warehouse",
    "customs",
    "tariff",
    "fulfilment",
    "creator",
    "coupon",
    "bundle",
];

fn corpus() -> Vec<Item> {
    let now = Utc::now();
    let mut items = Vec::new();
    for feed in 0..FEEDS {
        let bytes = if feed.is_multiple_of(2) {
            corpus::atom(feed)
        } else {
            corpus::rss(feed, feed % 10 == 1)
        };
        let parsed = crossfeed::parse::parse_feed(&bytes, None, Tz::Asia__Shanghai, now).unwrap();
        let url = Url::parse(&format!("https://feed{feed}.example.com/feed")).unwrap();
        let ctx = crossfeed::normalize::Context {
            fetch_url: &url,
            fetched_at: now,
        };
        items.extend(crossfeed::normalize::normalize_feed(&parsed, &ctx));
    }
    items
}

fn generated_keyword(topic: usize, n: usize) -> String {
    if n.is_multiple_of(2) {
        format!(
            "{}{}",
            HAN[(topic + n) % HAN.len()],
            HAN[(topic * 7 + n / 2) % HAN.len()]
        )
    } else {
        format!(
            "{} {}",
            LATIN[(topic + n) % LATIN.len()],
            LATIN[(topic * 3 + n / 2) % LATIN.len()]
        )
    }
}

fn topics(shipped: &Config) -> Vec<TopicConfig> {
    let mut out: Vec<TopicConfig> = shipped.topics.iter().take(TOPICS).cloned().collect();
    while out.len() < TOPICS {
        let n = out.len();
        out.push(TopicConfig::new(
            TopicSlug::parse(&format!("generated-{n}")).unwrap(),
            "generated",
            Vec::new(),
        ));
    }
    for (t, topic) in out.iter_mut().enumerate() {
        let mut n = 0;
        while topic.keywords.len() < KEYWORDS {
            topic.keywords.push(generated_keyword(t, n));
            n += 1;
        }
        topic.keywords.truncate(KEYWORDS);
    }
    out
}

/// Run `work` over `items` until at least two seconds have passed: items per second, and
/// what `work` counted per item.
fn rate(items: &[Item], work: impl Fn(&Item) -> usize) -> (f64, f64) {
    let started = Instant::now();
    let mut done = 0;
    let mut found = 0;
    while started.elapsed() < Duration::from_secs(2) {
        for item in items {
            found += work(item);
        }
        done += items.len();
    }
    (
        done as f64 / started.elapsed().as_secs_f64(),
        found as f64 / done as f64,
    )
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = Config::load(&root.join("config/crossfeed.yaml")).unwrap();
    let items = corpus();
    let topics = topics(&shipped);
    let classifier = Classifier::new(&topics, &shipped.classify).unwrap();
    let source = SourceCtx {
        id: "bench",
        tags: &[],
    };
    println!(
        "{} items from {FEEDS} feeds; {} topics x {KEYWORDS} keywords",
        items.len(),
        topics.len()
    );

    let (one_core, per_item) = rate(&items, |i| classifier.classify(i, source).len());
    println!("topic matching, 1 core:  {one_core:>9.0} items/s ({per_item:.2} topics per item)");
    let (left, right) = items.split_at(items.len() / 2);
    let counts: Vec<f64> = std::thread::scope(|s| {
        let a = s.spawn(|| rate(left, |i| classifier.classify(i, source).len()).0);
        let b = s.spawn(|| rate(right, |i| classifier.classify(i, source).len()).0);
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    println!(
        "topic matching, 2 cores: {:>9.0} items/s",
        counts.iter().sum::<f64>()
    );

    let rules = Rules::new(&shipped).unwrap();
    // The first call loads jieba's dictionary; keep it out of the rate.
    let started = Instant::now();
    let _ = rules.tagger.tags(&items[0], &[]);
    println!(
        "jieba dictionaries loaded in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let (tagging, tags) = rate(&items, |i| rules.tagger.tags(i, &[]).len());
    println!("tagging (jieba TF-IDF), 1 core: {tagging:>9.0} items/s ({tags:.2} tags per item)");
}
