//! Real feed readers read what crossfeed serves: Python's feedparser (PyPI) and newsboat
//! (Debian) fetch every topic feed in RSS and in Atom from a running crossfeed, and each must
//! see every item, with its title and link, and report no error. Both programs must be
//! installed (`scripts/test` installs them); without them this test fails saying so.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{Backend, TestApp, TestDb, Upstream};

const FEEDPARSER: &str = r#"
import json, sys, feedparser
out = {}
for url in sys.argv[1:]:
    d = feedparser.parse(url)
    out[url] = {
        "bozo": int(d.bozo),
        "error": str(d.get("bozo_exception", "")),
        "version": d.version,
        "entries": [[e.get("title", ""), e.get("link", "")] for e in d.entries],
    }
print(json.dumps(out))
"#;

const NEWSBOAT_ITEMS: &str = r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT feedurl, title, url FROM rss_item").fetchall()
print(json.dumps(rows))
"#;

fn require(program: &str, args: &[&str], install: &str) {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{program} is needed for this test: {install} (scripts/test does)"
    );
}

type Entries = BTreeSet<(String, String)>;

async fn feedparser_and_newsboat_read_every_item(backend: Backend) {
    require(
        "python3",
        &["-c", "import feedparser"],
        "pip install feedparser",
    );
    require("newsboat", &["--version"], "apt-get install newsboat");
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&upstream))).await;
    app.wait_for_first_polls().await;

    // What each topic feed holds, from the JSON Feed: (title, link) of every item.
    let mut expected: Vec<(String, Entries)> = Vec::new();
    for topic in ["all", "tiktok", "amazon", "lazada"] {
        let json: serde_json::Value = serde_json::from_slice(
            &app.get(&format!("/feeds/{topic}.json"))
                .await
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        let items: Entries = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["title"].as_str().unwrap().to_owned(),
                    i["url"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(!items.is_empty(), "{topic} is empty");
        expected.push((topic.to_owned(), items));
    }
    let base = app.base.as_str();
    let urls: Vec<(String, &Entries)> = expected
        .iter()
        .flat_map(|(topic, items)| {
            ["rss", "atom"]
                .into_iter()
                .map(move |ext| (format!("{base}/feeds/{topic}.{ext}"), items))
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let url_list: Vec<String> = urls.iter().map(|(u, _)| u.clone()).collect();
    let out = tokio::task::spawn_blocking({
        let url_list = url_list.clone();
        move || {
            Command::new("python3")
                .arg("-c")
                .arg(FEEDPARSER)
                .args(&url_list)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (url, items) in &urls {
        let feed = &parsed[url.as_str()];
        assert_eq!(feed["bozo"], 0, "feedparser on {url}: {}", feed["error"]);
        let want = if url.ends_with(".rss") {
            "rss20"
        } else {
            "atom10"
        };
        assert_eq!(feed["version"], want, "{url}");
        let got: Entries = feed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e[0].as_str().unwrap().to_owned(),
                    e[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(&got, *items, "feedparser on {url}");
    }

    // newsboat reloads each URL into a cache of its own (it keys items by guid across all
    // its feeds, and the same item has the same id in every feed and format), which is then
    // read back.
    for (n, (url, items)) in urls.iter().enumerate() {
        let home = dir.path().join(format!("newsboat-{n}"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("urls"), format!("{url}\n")).unwrap();
        std::fs::write(home.join("config"), "").unwrap();
        let cache = home.join("cache.db");
        let out = tokio::task::spawn_blocking({
            let (home, cache) = (home.clone(), cache.clone());
            move || {
                Command::new("newsboat")
                    .env("HOME", &home)
                    .env("XDG_CONFIG_HOME", home.join("config-home"))
                    .env("XDG_DATA_HOME", home.join("data-home"))
                    .arg("-u")
                    .arg(home.join("urls"))
                    .arg("-c")
                    .arg(&cache)
                    .arg("-C")
                    .arg(home.join("config"))
                    .args(["-x", "reload"])
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "newsboat on {url}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(NEWSBOAT_ITEMS)
            .arg(&cache)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).unwrap();
        let got: Entries = rows
            .iter()
            .filter(|(feed, _, _)| feed == url)
            .map(|(_, title, link)| (title.clone(), link.clone()))
            .collect();
        assert_eq!(rows.len(), items.len(), "newsboat on {url}");
        assert_eq!(&got, *items, "newsboat on {url}");
    }
    app.stop().await;
}
on_both_backends!(
    feedparser_and_newsboat_read_every_item,
    feedparser_and_newsboat_read_every_item
);
