//! Discovery at scale: fills a Postgres store with generated items (1,000,000 by default:
//! Chinese and English cross-border e-commerce news from templates, 80 sources, topics, tags,
//! two-report stories, views with a long tail), then measures p50/p99 latency of the queries
//! behind the API: topic items, related, per-tag recommendations, hot, and search with a
//! two-character and a multi-word query. No application cache is involved; each query goes to
//! the store.
//!
//! `cargo bench --bench discovery` against CROSSFEED_TEST_POSTGRES (default
//! postgres://postgres@127.0.0.1:5432/postgres). The filled database (`crossfeed_bench_<n>`) is
//! kept and reused by later runs; CROSSFEED_BENCH_REFILL=1 builds it again.
//! CROSSFEED_BENCH_ITEMS sets the count. Figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use crossfeed::classify::Classifier;
use crossfeed::config::{Config, RecommendWeights};
use crossfeed::discovery;
use crossfeed::search::{item_tokens, parse_query};
use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::search::{Document, Filter, tsvector_literal};
use crossfeed::store::stats::{self, Heat, Window};
use crossfeed::store::{DbConn, Store};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamp};

/// A small, fast, seeded generator (SplitMix64): the same store on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// (topic slug, Chinese name, English name)
const PLATFORMS: &[(&str, &str, &str)] = &[
    ("tiktok", "TikTok Shop", "TikTok Shop"),
    ("amazon", "亚马逊", "Amazon"),
    ("shopee", "Shopee", "Shopee"),
    ("lazada", "Lazada", "Lazada"),
    ("temu", "Temu", "Temu"),
    ("shein", "SHEIN", "SHEIN"),
    ("aliexpress", "速卖通", "AliExpress"),
    ("walmart", "沃尔玛", "Walmart"),
    ("ebay", "eBay", "eBay"),
    ("mercadolibre", "美客多", "Mercado Libre"),
    ("douyin", "抖音电商", "Douyin"),
    ("ozon", "Ozon", "Ozon"),
];
const MARKETS_ZH: &[&str] = &[
    "美区",
    "英国站",
    "欧洲站",
    "日本站",
    "东南亚",
    "中东",
    "拉美",
    "墨西哥",
    "巴西",
    "印尼",
    "泰国",
    "越南",
    "菲律宾",
    "马来西亚",
    "德国站",
    "法国站",
];
const MARKETS_EN: &[&str] = &[
    "the US",
    "the UK",
    "Europe",
    "Japan",
    "Southeast Asia",
    "the Middle East",
    "Latin America",
    "Mexico",
    "Brazil",
    "Indonesia",
    "Thailand",
    "Vietnam",
];
/// (Chinese subject, English subject, logistics?)
const SUBJECTS: &[(&str, &str, bool)] = &[
    ("物流", "logistics", true),
    ("佣金", "commission", false),
    ("广告", "ads", false),
    ("直播带货", "live selling", false),
    ("退货政策", "returns policy", false),
    ("入仓费", "inbound fees", true),
    ("海外仓", "overseas warehouses", true),
    ("关税", "tariffs", false),
    ("清关", "customs clearance", true),
    ("支付", "payments", false),
    ("选品", "product selection", false),
    ("合规", "compliance", false),
    ("知识产权", "IP protection", false),
    ("招商", "seller recruitment", false),
    ("大促", "mega sales", false),
    ("旺季备货", "peak season stocking", true),
    ("运费", "shipping rates", true),
    ("跨境电商", "cross-border e-commerce", false),
];
const ACTIONS_ZH: &[&str] = &[
    "上调",
    "下调",
    "发布新规",
    "全面开放",
    "暂停",
    "试点",
    "升级",
    "推出",
    "收紧",
    "放宽",
    "调整",
    "公布细则",
];
const ACTIONS_EN: &[&str] = &[
    "raises",
    "cuts",
    "overhauls",
    "opens",
    "pauses",
    "pilots",
    "upgrades",
    "launches",
    "tightens",
    "relaxes",
    "adjusts",
    "details",
];
const ADVICE_ZH: &[&str] = &[
    "卖家需提前规划补货节奏",
    "中小卖家或将承压",
    "业内人士建议关注成本变化",
    "平台表示将提供过渡期",
    "多家服务商已跟进调整",
    "新卖家可享受三个月减免",
    "物流时效有望缩短两到三天",
    "预计影响数十万商家",
];
const ADVICE_EN: &[&str] = &[
    "Sellers are advised to review their stock plans.",
    "Smaller merchants may feel the pressure first.",
    "Analysts expect costs to rise before the holidays.",
    "The platform promised a transition period.",
    "Logistics partners have started to adjust their rates.",
    "New sellers get three months of reduced fees.",
];

const SOURCES: usize = 80;

/// One generated item.
struct Gen {
    id: i64,
    source: String,
    title: String,
    summary: String,
    language: &'static str,
    sort_at: NaiveDateTime,
    topics: Vec<&'static str>,
    tags: Vec<(String, String)>,
    cluster: i64,
    views: i64,
    last_view: NaiveDateTime,
    doc: String,
}

fn generate(id: i64, now: NaiveDateTime) -> Gen {
    // Items in a story come in pairs (id, id+1) and share their text.
    let head = if id % 10 == 2 { id - 1 } else { id };
    let mut r = Rng(head as u64 * 7919);
    let (slug, p_zh, p_en) = PLATFORMS[r.below(PLATFORMS.len())];
    let (s_zh, s_en, logistics) = SUBJECTS[r.below(SUBJECTS.len())];
    let action = r.below(ACTIONS_ZH.len());
    let chinese = r.below(10) < 7;
    let (title, summary, market) = if chinese {
        let m = r.pick(MARKETS_ZH);
        let advice = r.pick(ADVICE_ZH);
        let other = SUBJECTS[r.below(SUBJECTS.len())].0;
        (
            format!("{p_zh}{m}{s_zh}{}", ACTIONS_ZH[action]),
            format!(
                "{p_zh}宣布在{m}{}{s_zh}相关安排，{advice}。此外，{other}方面也有新动向，\
                 第{}季度的数据显示相关订单增长{}%。",
                ACTIONS_ZH[action],
                1 + r.below(4),
                5 + r.below(60)
            ),
            m,
        )
    } else {
        let m = r.pick(MARKETS_EN);
        let advice = r.pick(ADVICE_EN);
        (
            format!("{p_en} {} {s_en} in {m}", ACTIONS_EN[action]),
            format!(
                "{p_en} {} its {s_en} rules for sellers in {m}. {advice} Orders grew {}% in Q{}.",
                ACTIONS_EN[action],
                5 + r.below(60),
                1 + r.below(4)
            ),
            m,
        )
    };
    let mut own = Rng(id as u64 * 104_729 + 1);
    let age_seconds = (own.unit() * 365.0 * 86_400.0) as i64;
    let sort_at = now - chrono::Duration::seconds(age_seconds);
    let mut topics = vec![slug];
    if logistics {
        topics.push("logistics");
    }
    let tag = |label: &str| (label.to_lowercase(), label.to_owned());
    let tags = vec![tag(p_zh), tag(s_zh), tag(market), tag("跨境电商")];
    // Views: 30% of items, with a long tail.
    let views = if own.below(10) < 3 {
        (1.0 / own.unit().max(1e-6)).powf(1.2).min(200_000.0) as i64
    } else {
        0
    };
    let last_view = (sort_at + chrono::Duration::seconds((own.unit() * 172_800.0) as i64)).min(now);
    let (t, b) = item_tokens(&title, &summary);
    let doc = tsvector_literal(&Document {
        item_id: id,
        title: t,
        body: b,
    });
    Gen {
        id,
        source: format!("src-{:02}", own.below(SOURCES)),
        title,
        summary,
        language: if chinese { "zh" } else { "en" },
        sort_at,
        topics,
        tags,
        cluster: head,
        views,
        last_view,
        doc,
    }
}

fn fill(conn: &mut PgConnection, n: i64, now: NaiveDateTime) {
    conn.batch_execute(
        "SET maintenance_work_mem = '1GB'; SET synchronous_commit = off; \
         DROP INDEX IF EXISTS items_search_set;",
    )
    .unwrap();
    for s in 0..SOURCES {
        diesel::sql_query(
            "INSERT INTO sources (id, url, schedule, timezone, tags, next_fetch_at, created_at, \
             updated_at) VALUES ($1, $2, 'every 10m', 'Asia/Shanghai', '[\"跨境电商\"]', $3, $3, $3)",
        )
        .bind::<Text, _>(format!("src-{s:02}"))
        .bind::<Text, _>(format!("https://src{s}.example/feed"))
        .bind::<Timestamp, _>(now)
        .execute(conn)
        .unwrap();
    }
    const BATCH: i64 = 5000;
    let started = Instant::now();
    let mut start = 1;
    while start <= n {
        let end = (start + BATCH - 1).min(n);
        let ids: Vec<i64> = (start..=end).collect();
        // Tokenizing is the slow part: both cores.
        let half = ids.len() / 2;
        let (a, b) = ids.split_at(half);
        let (mut rows, more) = std::thread::scope(|s| {
            let x = s.spawn(|| a.iter().map(|i| generate(*i, now)).collect::<Vec<_>>());
            let y = s.spawn(|| b.iter().map(|i| generate(*i, now)).collect::<Vec<_>>());
            (x.join().unwrap(), y.join().unwrap())
        });
        rows.extend(more);
        insert(conn, &rows, now);
        start = end + 1;
        if start % 100_000 == 1 {
            println!(
                "  {} items stored ({:.0} items/s)",
                start - 1,
                (start - 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    conn.batch_execute("SELECT setval('items_id_seq', (SELECT max(id) FROM items))")
        .unwrap();
}

/// The search index (built after loading, which is much faster than maintaining it row by
/// row) and fresh planner statistics. Each statement on its own: VACUUM cannot run in the
/// implicit transaction of a multi-statement batch.
fn finish(conn: &mut PgConnection) {
    println!("  building the search index (when missing) and statistics…");
    for sql in [
        "SET maintenance_work_mem = '1GB'",
        "CREATE INDEX IF NOT EXISTS items_search_set ON items USING GIN (search_doc) \
         WHERE search_doc IS NOT NULL",
        "VACUUM ANALYZE",
    ] {
        conn.batch_execute(sql).unwrap();
    }
}

fn insert(conn: &mut PgConnection, rows: &[Gen], now: NaiveDateTime) {
    let col = |f: &dyn Fn(&Gen) -> String| rows.iter().map(f).collect::<Vec<String>>();
    diesel::sql_query(
        "INSERT INTO items (id, source_id, identity, guid, title, link, published, sort_at, \
           date_is_first_seen, authors, summary, categories, language, enclosures, content_hash, \
           first_seen_at, changed_at, keywords_at, cluster_id, search_doc) \
         SELECT id, src, 'g' || id, 'g' || id, title, 'https://news.example/' || id, at, at, \
           false, '[]', summary, '[]', lang, '[]', '', at, at, $8, cluster, doc::tsvector \
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
           $6::timestamp[], $7::bigint[], $9::text[]) \
           AS v(id, src, title, summary, lang, at, cluster, doc)",
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(col(&|r| r.source.clone()))
    .bind::<Array<Text>, _>(col(&|r| r.title.clone()))
    .bind::<Array<Text>, _>(col(&|r| r.summary.clone()))
    .bind::<Array<Text>, _>(col(&|r| r.language.to_owned()))
    .bind::<Array<Timestamp>, _>(rows.iter().map(|r| r.sort_at).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.cluster).collect::<Vec<_>>())
    .bind::<Timestamp, _>(now)
    .bind::<Array<Text>, _>(col(&|r| r.doc.clone()))
    .execute(conn)
    .unwrap();

    let mut topic_ids = Vec::new();
    let mut topic_names = Vec::new();
    for r in rows {
        for t in &r.topics {
            topic_ids.push(r.id);
            topic_names.push((*t).to_owned());
        }
    }
    diesel::sql_query(
        "INSERT INTO item_topics (item_id, topic, matched) \
         SELECT id, topic, '[]' FROM unnest($1::bigint[], $2::text[]) AS v(id, topic)",
    )
    .bind::<Array<BigInt>, _>(topic_ids)
    .bind::<Array<Text>, _>(topic_names)
    .execute(conn)
    .unwrap();

    let (mut ids, mut keys, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        let mut seen = std::collections::HashSet::new();
        for (k, l) in &r.tags {
            if seen.insert(k) {
                ids.push(r.id);
                keys.push(k.clone());
                labels.push(l.clone());
            }
        }
    }
    diesel::sql_query(
        "INSERT INTO item_tags (item_id, tag, label, kind) \
         SELECT id, tag, label, 'keyword' FROM unnest($1::bigint[], $2::text[], $3::text[]) \
           AS v(id, tag, label)",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<Array<Text>, _>(keys)
    .bind::<Array<Text>, _>(labels)
    .execute(conn)
    .unwrap();

    let viewed: Vec<&Gen> = rows.iter().filter(|r| r.views > 0).collect();
    let heat = |r: &Gen, window: Window| {
        Heat::of(
            r.views as u64,
            r.last_view.and_utc(),
            window.half_life_hours(),
        )
        .0
    };
    diesel::sql_query(
        "INSERT INTO item_stats (item_id, views, heat_day, heat_week, last_view_at) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[], \
           $5::timestamp[])",
    )
    .bind::<Array<BigInt>, _>(viewed.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(viewed.iter().map(|r| r.views).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(
        viewed
            .iter()
            .map(|r| heat(r, Window::Day))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Double>, _>(
        viewed
            .iter()
            .map(|r| heat(r, Window::Week))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamp>, _>(viewed.iter().map(|r| r.last_view).collect::<Vec<_>>())
    .execute(conn)
    .unwrap();
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

#[derive(QueryableByName)]
struct Stamp {
    #[diesel(sql_type = Nullable<Timestamp>)]
    at: Option<NaiveDateTime>,
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |p: f64| {
        let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

fn measure(
    name: &str,
    target_ms: f64,
    runs: usize,
    conn: &mut DbConn,
    mut once: impl FnMut(&mut DbConn, usize) -> usize,
) -> bool {
    // A running server has its working set in memory: one pass over the parameters first
    // (no application cache is involved, then or after).
    for i in 0..runs / 4 {
        once(conn, i);
    }
    let mut samples = Vec::with_capacity(runs);
    let mut results = 0;
    for i in 0..runs {
        let t = Instant::now();
        results += once(conn, i);
        samples.push(t.elapsed());
    }
    let (p50, p99) = percentiles(samples);
    let ok = p99 <= target_ms;
    println!(
        "  {name:<34} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   (target p99 ≤ {target_ms} ms: {})   {:.1} results/query",
        if ok { "met" } else { "MISSED" },
        results as f64 / runs as f64
    );
    ok
}

fn main() {
    let n: i64 = std::env::var("CROSSFEED_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let admin = std::env::var("CROSSFEED_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("crossfeed_bench_{n}");
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let mut admin_conn = PgConnection::establish(&admin).expect("Postgres is reachable");
    let refill = std::env::var("CROSSFEED_BENCH_REFILL").is_ok_and(|v| v == "1");
    let exists = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') AS exists"
    ))
    .get_result::<Flag>(&mut admin_conn)
    .unwrap()
    .exists;
    if refill && exists {
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&mut admin_conn)
            .unwrap();
    }
    let fresh = refill || !exists;
    if fresh {
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin_conn)
            .unwrap();
    }
    let store = Store::open(url.as_str(), crossfeed::store::Limits::with_pool(2)).unwrap();
    let mut pg = PgConnection::establish(url.as_str()).unwrap();
    let stored = diesel::sql_query("SELECT count(*) AS n FROM items")
        .get_result::<Count>(&mut pg)
        .unwrap()
        .n;
    if stored != n {
        let now = Utc::now().naive_utc();
        println!("filling {name} with {n} items (kept for later runs)…");
        let t = Instant::now();
        if stored != 0 {
            pg.batch_execute("TRUNCATE items, item_topics, item_tags, item_stats, sources CASCADE")
                .unwrap();
        }
        fill(&mut pg, n, now);
        finish(&mut pg);
        println!("filled in {:.0} s", t.elapsed().as_secs_f64());
    } else {
        // Migrations may have added indexes since the fill.
        pg.batch_execute(
            "CREATE INDEX IF NOT EXISTS items_search_set ON items USING GIN (search_doc) \
             WHERE search_doc IS NOT NULL; ANALYZE",
        )
        .unwrap();
    }
    // "Now" is when the store was filled, so windows hold the same items on every run.
    let now = diesel::sql_query("SELECT max(sort_at) AS at FROM items")
        .get_result::<Stamp>(&mut pg)
        .unwrap()
        .at
        .unwrap()
        .and_utc();
    let size = diesel::sql_query(format!("SELECT pg_database_size('{name}') AS n"))
        .get_result::<Count>(&mut pg)
        .unwrap()
        .n;
    println!(
        "{n} items, {} MiB on disk; Postgres {}",
        size / (1 << 20),
        diesel::sql_query("SELECT current_setting('server_version') AS n")
            .get_result::<VersionRow>(&mut pg)
            .map(|v| v.n)
            .unwrap_or_default()
    );

    let topics: Vec<&str> = PLATFORMS.iter().map(|p| p.0).chain(["logistics"]).collect();
    let tags = [
        "亚马逊",
        "tiktok shop",
        "物流",
        "美区",
        "关税",
        "shopee",
        "跨境电商",
        "东南亚",
    ];
    let short = [
        "物流", "跨境", "佣金", "关税", "直播", "美区", "清关", "选品",
    ];
    let multi = [
        "TikTok Shop 美区",
        "亚马逊 入仓费",
        "amazon inbound fees",
        "shopee 大促 物流",
        "temu 合规 欧洲站",
        "海外仓 旺季备货",
    ];
    let weights = RecommendWeights::default();
    // The shipped topics' exclusions keep false friends out of related reading.
    let shipped = Config::load(std::path::Path::new("config/crossfeed.yaml")).unwrap();
    let classifier = Classifier::new(&shipped.topics, &shipped.classify).unwrap();
    let runs = 200;
    let mut ok = true;
    store
        .with_conn(|conn| {
            ok &= measure("topic items (50, newest)", 20.0, runs, conn, |c, i| {
                let q = ItemQuery {
                    topic: Some(topics[i % topics.len()].to_owned()),
                    limit: 50,
                    ..ItemQuery::default()
                };
                let mut found = items::latest(c, &q).unwrap();
                items::attach_cluster_members(c, &mut found).unwrap();
                let ids: Vec<_> = found.iter().map(|i| i.id).collect();
                stats::views_of(c, &ids).unwrap();
                found.len()
            });
            ok &= measure("related (10)", 20.0, runs, conn, |c, i| {
                let id = crossfeed::domain::ItemId::from(1 + (i as i64 * 4_999) % n);
                discovery::related(c, id, 10, now, &classifier)
                    .unwrap()
                    .unwrap()
                    .len()
            });
            ok &= measure("tag recommendations (20)", 20.0, runs, conn, |c, i| {
                discovery::recommendations(c, tags[i % tags.len()], 20, now, &weights, |_| 1.0)
                    .unwrap()
                    .len()
            });
            ok &= measure("hot 24h (20)", 20.0, runs, conn, |c, i| {
                let topic = (i % 2 == 1).then(|| topics[i % topics.len()]);
                discovery::hot(c, Window::Day, topic, 20, now)
                    .unwrap()
                    .len()
            });
            ok &= measure("hot 7d (20)", 20.0, runs, conn, |c, i| {
                let topic = (i % 2 == 1).then(|| topics[i % topics.len()]);
                discovery::hot(c, Window::Week, topic, 20, now)
                    .unwrap()
                    .len()
            });
            for (name, queries) in [
                ("search, 2 characters (20)", &short[..]),
                ("search, several words (20)", &multi[..]),
            ] {
                ok &= measure(name, 50.0, runs, conn, |c, i| {
                    let q = parse_query(queries[i % queries.len()]).unwrap();
                    discovery::search(c, &q, &Filter::default(), 0, 20, now)
                        .unwrap()
                        .items
                        .len()
                });
            }
            Ok(())
        })
        .unwrap();
    ok &= pages(url.as_str(), n, &short, &multi);
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if ok {
            "all targets met"
        } else {
            "some targets missed"
        }
    );
}

/// The path of the i-th request of a kind.
type PathOf<'a> = Box<dyn Fn(usize) -> String + 'a>;

/// The website's pages, rendered by crossfeed (web role) from this store and fetched over HTTP
/// one at a time: p50/p99 of the whole request.
fn pages(url: &str, n: i64, short: &[&str], multi: &[&str]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = format!(
        "server:\n  listen: \"127.0.0.1:0\"\n  public_url: \"http://127.0.0.1\"\n\
         database:\n  url: \"{url}\"\n  pool_size: 4\ntopics:\n"
    );
    for (slug, zh, en) in PLATFORMS {
        yaml.push_str(&format!(
            "  - slug: {slug}\n    title: \"{zh}\"\n    keywords: [\"{en}\"]\n"
        ));
    }
    yaml.push_str("  - slug: logistics\n    title: 物流\n    keywords: [物流]\n");
    let path = dir.path().join("crossfeed.yaml");
    std::fs::write(&path, &yaml).unwrap();
    let config = crossfeed::config::Config::load(&path).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let running =
            crossfeed::app::start_with_admin_token(config, crossfeed::app::Role::Web, None)
                .await
                .unwrap();
        let base = format!("http://{}", running.addr.unwrap());
        let client = reqwest::Client::new();
        let enc = |q: &str| url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
        let kinds: Vec<(&str, PathOf<'_>)> = vec![
            ("page: front page /", Box::new(|_| "/".to_owned())),
            (
                "page: a topic /topics/{slug}",
                Box::new(|i| format!("/topics/{}", PLATFORMS[i % PLATFORMS.len()].0)),
            ),
            (
                "page: an item /items/{id}",
                Box::new(move |i| format!("/items/{}", 1 + (i as i64 * 7_919) % n)),
            ),
            (
                "page: search /search?q=",
                Box::new(|i| {
                    let q = if i % 2 == 0 {
                        short[i % short.len()]
                    } else {
                        multi[i % multi.len()]
                    };
                    format!("/search?q={}", enc(q))
                }),
            ),
        ];
        let mut ok = true;
        for (name, path) in &kinds {
            let runs = 100;
            for i in 0..runs / 4 {
                client
                    .get(format!("{base}{}", path(i)))
                    .send()
                    .await
                    .unwrap();
            }
            let mut samples = Vec::with_capacity(runs);
            for i in 0..runs {
                let t = Instant::now();
                let response = client
                    .get(format!("{base}{}", path(i)))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{}", path(i));
                response.bytes().await.unwrap();
                samples.push(t.elapsed());
            }
            let (p50, p99) = percentiles(samples);
            // The issue asks for pages "rendered in a few milliseconds"; 50 ms at p99 is the
            // line this bench draws for a page that also runs its discovery queries.
            let met = p99 <= 50.0;
            ok &= met;
            println!(
                "  {name:<34} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms   (p99 ≤ 50 ms: {})",
                if met { "met" } else { "MISSED" }
            );
        }
        running.stop().await;
        ok
    })
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    n: String,
}
