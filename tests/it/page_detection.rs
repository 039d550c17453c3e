//! `page: auto`: the main list found on list pages written in the manner of different portal
//! families (DedeCMS, EmpireCMS-era tables, WordPress, card grids, Discuz!, a 快讯 timeline, an
//! `<ol>` with the summary first, PHPCMS), each with a
//! sidebar as long as the main list and on the same URL pattern, a carousel, keyword chips, a
//! pager and a footer; and the same entries again when every class and id is renamed.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use crossfeed::parse::{detect, page};

use crate::common;
use url::Url;

/// Each family with the address its page is served at.
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

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 4, 0, 0).unwrap()
}

fn html(family: &str) -> String {
    String::from_utf8(common::fixture(&format!("portals/{family}.html"))).unwrap()
}

/// The entries and next page an editor reads off the page.
fn expected(family: &str) -> (Vec<(String, String)>, String) {
    let v: serde_json::Value =
        serde_json::from_slice(&common::fixture(&format!("portals/{family}.expected.json")))
            .unwrap();
    let entries = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_owned(),
                e["link"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (entries, v["next"].as_str().unwrap().to_owned())
}

/// What a poll reads with the detected selectors: (title, link) of each entry, the dates, the
/// next page.
struct Read {
    entries: Vec<(String, String)>,
    dates: Vec<Option<DateTime<Utc>>>,
    next: Option<String>,
    spec: String,
}

fn read(html: &str, at: &str) -> Read {
    let url = Url::parse(at).unwrap();
    let found = detect::detect(html, &url, 2).unwrap_or_else(|e| panic!("{at}: {e}"));
    let mut compiled = found.spec.compile().unwrap();
    compiled.next_by_text = true;
    let scraped = page::scrape(html, &url, &compiled, Tz::Asia__Shanghai, now()).unwrap();
    Read {
        entries: scraped
            .feed
            .entries
            .iter()
            .map(|e| {
                (
                    e.title.as_ref().unwrap().content.clone(),
                    e.links[0].href.clone(),
                )
            })
            .collect(),
        dates: scraped.feed.entries.iter().map(|e| e.published).collect(),
        next: scraped.next.map(String::from),
        spec: format!("{:?}", found.spec),
    }
}

#[test]
fn the_main_list_is_found_on_every_family_and_nothing_beside_it() {
    for (family, at) in FAMILIES {
        let got = read(&html(family), at);
        let (entries, next) = expected(family);
        assert_eq!(got.entries, entries, "{family}: {}", got.spec);
        assert_eq!(got.next.as_deref(), Some(next.as_str()), "{family}");
        let dated = got.dates.iter().filter(|d| d.is_some()).count();
        assert_eq!(
            dated,
            entries.len(),
            "{family}: every entry has its date; {}",
            got.spec
        );
        for d in got.dates.iter().flatten() {
            assert!(*d <= now(), "{family}: {d} is after the fetch");
            assert!(*d > now() - chrono::Duration::days(10), "{family}: {d}");
        }
    }
}

/// A 快讯 timeline prints only the time of day under each day's header: the date is the two
/// together, on every entry, yesterday's included.
#[test]
fn a_timelines_times_take_the_day_from_their_header() {
    let (_, at) = FAMILIES.iter().find(|(f, _)| *f == "timeline").unwrap();
    let got = read(&html("timeline"), at);
    let v: serde_json::Value =
        serde_json::from_slice(&common::fixture("portals/timeline.expected.json")).unwrap();
    let want: Vec<Option<DateTime<Utc>>> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            Some(
                DateTime::parse_from_rfc3339(e["date"].as_str().unwrap())
                    .unwrap()
                    .to_utc(),
            )
        })
        .collect();
    assert_eq!(got.dates, want, "{}", got.spec);
}

#[test]
fn dates_are_read_in_each_familys_own_form() {
    let shanghai = |y, mo, d, h, mi| {
        Tz::Asia__Shanghai
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .to_utc()
    };
    let dates = |family: &str| {
        let (_, at) = FAMILIES.iter().find(|(f, _)| *f == family).unwrap();
        read(&html(family), at).dates
    };
    // `日期：2026-12-05 10:20:00` after a label.
    assert_eq!(dates("dedecms")[0], Some(shanghai(2026, 12, 5, 10, 20)));
    // `12-06`, no year: the year of the fetch.
    assert_eq!(dates("empire")[0], Some(shanghai(2026, 12, 6, 0, 0)));
    // `<time datetime>` wins over the words.
    assert_eq!(
        dates("wordpress")[1],
        Some(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T01:15:00+08:00")
                .unwrap()
                .to_utc()
        )
    );
    // `1小时前`, read against the fetch.
    assert_eq!(dates("cards")[2], Some(now() - chrono::Duration::hours(1)));
    // The exact time in the `title` of `3 天前`.
    assert_eq!(dates("discuz")[0], Some(shanghai(2026, 12, 6, 10, 0)));
}

/// Every class and id on the page renamed to a meaningless name, the same name for the same
/// word throughout the page.
pub(crate) fn renamed(html: &str, seed: u64) -> String {
    let attribute = regex::Regex::new(r#"(class|id)="([^"]*)""#).unwrap();
    let mut names = std::collections::HashMap::new();
    let mut state = seed;
    attribute
        .replace_all(html, |c: &regex::Captures<'_>| {
            let words: Vec<String> = c[2]
                .split_whitespace()
                .map(|w| {
                    names
                        .entry(w.to_owned())
                        .or_insert_with(|| {
                            state = state
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                            format!("x{:x}", state >> 40)
                        })
                        .clone()
                })
                .collect();
            format!(r#"{}="{}""#, &c[1], words.join(" "))
        })
        .into_owned()
}

#[test]
fn renaming_every_class_and_id_finds_the_same_entries() {
    for (family, at) in FAMILIES {
        let page = html(family);
        let before = read(&page, at).entries;
        for seed in [1, 7, 42] {
            let renamed = renamed(&page, seed);
            assert_ne!(renamed, page);
            let got = read(&renamed, at);
            assert_eq!(got.entries, before, "{family}, seed {seed}: {}", got.spec);
        }
    }
}
