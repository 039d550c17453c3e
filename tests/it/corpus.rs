//! The fixture corpus: every file under `tests/fixtures/corpus` is decoded, parsed and
//! normalized exactly as a fetched upstream would be, and the result is compared with its
//! reviewed snapshot under `tests/snapshots`.
//!
//! A file name may carry what the HTTP response would have said: `name.charset-gbk.rss` is
//! served with `charset=gbk`, `name.tz-America+New_York.rss` is a source whose zone-less dates
//! are New York time (the default is Asia/Shanghai, as for most of our upstreams).
//!
//! After an intended change, `INSTA_UPDATE=always cargo test --test corpus` rewrites the
//! snapshots; review the diff before committing it.
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use crossfeed::normalize::{self, Context};
use crossfeed::parse::{self, charset, discover};
use serde_json::{Value, json};
use url::Url;

/// What the HTTP response would have said, taken from the file name.
struct Served {
    charset: Option<String>,
    tz: Tz,
}

fn served(name: &str) -> Served {
    let mut s = Served {
        charset: None,
        tz: chrono_tz::Asia::Shanghai,
    };
    for part in name.split('.') {
        if let Some(c) = part.strip_prefix("charset-") {
            s.charset = Some(c.to_owned());
        } else if let Some(z) = part.strip_prefix("tz-") {
            s.tz = z
                .replace('+', "/")
                .parse()
                .expect("a zone in the file name");
        }
    }
    s
}

/// The normalized output of one corpus file, as JSON for the snapshot.
fn outcome(path: &Path) -> Value {
    let name = path.file_name().unwrap().to_str().unwrap();
    let bytes = std::fs::read(path).unwrap();
    let served = served(name);
    // A fixed fetch time and URL, so first-seen dates, clamping and relative links are stable.
    let now: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    let url = Url::parse(&format!("https://feeds.example.com/corpus/{name}")).unwrap();
    let decoded = charset::to_utf8(&bytes, served.charset.as_deref());
    let decoding = json!({
        "encoding": decoded.encoding.name(),
        "evidence": format!("{:?}", decoded.evidence),
    });
    if discover::looks_like_html(&decoded.text) {
        let found: Vec<String> = discover::alternates(&decoded.text, &url)
            .into_iter()
            .map(String::from)
            .collect();
        return json!({ "decoding": decoding, "html_page": { "alternates": found } });
    }
    match parse::parse_text(&decoded.text, served.tz, now) {
        Err(e) => json!({ "decoding": decoding, "error": e.to_string() }),
        Ok(feed) => {
            let ctx = Context {
                fetch_url: &url,
                fetched_at: now,
            };
            let info = normalize::feed_info(&feed, &ctx);
            let items = normalize::normalize_feed(&feed, &ctx);
            json!({
                "decoding": decoding,
                "feed": { "title": info.title, "site_url": info.site_url },
                "items": items,
            })
        }
    }
}

#[test]
fn corpus_matches_its_reviewed_snapshots() {
    insta::glob!("..", "fixtures/corpus/*", |path| {
        insta::assert_json_snapshot!(outcome(path));
    });
}

#[test]
fn corpus_is_large_and_varied() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.len() >= 100, "only {} corpus files", names.len());
    for ext in ["rss", "atom", "rdf", "json", "html", "xml"] {
        assert!(
            names.iter().any(|n| n.ends_with(&format!(".{ext}"))),
            "no .{ext} file in the corpus"
        );
    }
}
