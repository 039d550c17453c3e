//! A source from nothing but its URL, as a user runs it: `crossfeed preview URL` on a feed, on a
//! page that advertises a feed and on a portal list page with no feed; `crossfeed add URL`
//! writing both kinds to a file the configuration's `include:` reads, and refusing to
//! overwrite a file.

use std::process::{Command, Output};

use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{self, Upstream};

fn crossfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossfeed"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env_remove("CROSSFEED_CONFIG")
        .env("RUST_LOG", "warn");
    cmd
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || crossfeed().args(&args).output().unwrap())
        .await
        .unwrap()
}

async fn serve(up: &Upstream, at: &str, body: Vec<u8>, content_type: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .mount(&up.server)
        .await;
}

/// An upstream with a feed at `/feed.rss`, a page advertising it at `/blog/`, and a portal list
/// page with no feed at `/news/`.
async fn upstream() -> Upstream {
    let up = Upstream::start().await;
    serve(
        &up,
        "/feed.rss",
        common::fixture("kuajing.rss"),
        "application/rss+xml",
    )
    .await;
    serve(
        &up,
        "/blog/",
        b"<html lang=\"zh-CN\"><head><title>\xe5\x87\xba\xe6\xb5\xb7\xe5\x8d\x9a\xe5\xae\xa2</title><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.rss\"></head><body><p>hi</p></body></html>".to_vec(),
        "text/html; charset=utf-8",
    )
    .await;
    serve(
        &up,
        "/news/",
        common::fixture("portals/dedecms.html"),
        "text/html; charset=utf-8",
    )
    .await;
    up
}

/// A configuration whose `include:` reads `sources/*.yaml`.
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("crossfeed.yaml"),
        "include: [\"sources/*.yaml\"]\nsources:\n  - id: wire\n    url: https://wire.example.com/rss\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("sources")).unwrap();
    std::fs::write(dir.path().join("sources/none.yaml"), "sources: []\n").unwrap();
    dir
}

fn args(config: &std::path::Path, rest: &[&str]) -> Vec<String> {
    let mut v = vec!["--config".to_owned(), config.to_str().unwrap().to_owned()];
    v.extend(rest.iter().map(|s| (*s).to_owned()));
    v
}

fn items(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_url_reads_a_feed_an_advertised_feed_and_a_page_with_no_feed() {
    let up = upstream().await;
    let dir = config_dir();
    let config = dir.path().join("crossfeed.yaml");

    // A feed: its items, and the YAML of a feed source.
    let out = run(args(&config, &["preview", &up.url("/feed.rss")])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("is a feed"), "{stderr}");
    assert!(!stderr.contains("page: auto"), "{stderr}");
    let feed_items = items(&out);
    assert!(!feed_items.is_empty());

    // A page that advertises the feed: the same items, and the feed's own address.
    let out = run(args(&config, &["preview", &up.url("/blog/")])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("advertises the feed"), "{stderr}");
    assert!(
        stderr.contains(&format!("url: \"{}\"", up.url("/feed.rss"))),
        "{stderr}"
    );
    assert!(stderr.contains("timezone: Asia/Shanghai"), "{stderr}");
    assert_eq!(items(&out).len(), feed_items.len());

    // A list page with no feed: the main list's entries, and page: auto with what detection
    // chose, ready to pin.
    let out = run(args(&config, &["preview", &up.url("/news/")])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("publishes no feed"), "{stderr}");
    assert!(stderr.contains("page: auto"), "{stderr}");
    assert!(stderr.contains("#   item: "), "{stderr}");
    assert!(stderr.contains("full_content: auto"), "{stderr}");
    let page_items = items(&out);
    assert_eq!(page_items.len(), 10, "{stderr}");
    assert!(
        page_items[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("TikTok Shop美区上线"),
        "{}",
        page_items[0]
    );
    // Nothing is stored by a preview.
    assert!(!dir.path().join("crossfeed.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_writes_a_new_source_file_the_configuration_reads_and_never_overwrites() {
    let up = upstream().await;
    let dir = config_dir();
    let config = dir.path().join("crossfeed.yaml");

    // A page with no feed: page: auto with full content, under the include directory.
    let out = run(args(
        &config,
        &[
            "add",
            &up.url("/news/"),
            "--id",
            "kjzx",
            "--tags",
            "资讯, 跨境",
        ],
    ))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = dir.path().join("sources/kjzx.yaml");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains("page: auto"), "{text}");
    assert!(text.contains("full_content: auto"), "{text}");
    assert!(text.contains("tags: [\"资讯\", \"跨境\"]"), "{text}");

    // A page that advertises a feed: the feed's address and no page key; the id from the
    // address is unique among the configured ones.
    let out = run(args(&config, &["add", &up.url("/blog/")])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("added site-blog"), "{stdout}");
    let feed = std::fs::read_to_string(dir.path().join("sources/site-blog.yaml")).unwrap();
    assert!(feed.contains(&up.url("/feed.rss")), "{feed}");
    assert!(!feed.contains("page:"), "{feed}");

    // Both are configured now.
    let out = run(args(&config, &["check-config"])).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK (3 sources"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An existing file is never overwritten: exit 1, the file as it was.
    let out = run(args(
        &config,
        &[
            "add",
            &up.url("/feed.rss"),
            "--id",
            "other",
            "--write",
            written.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert_eq!(std::fs::read_to_string(&written).unwrap(), text);

    // A file include: does not read is written, and said so.
    let out = run(args(
        &config,
        &[
            "add",
            &up.url("/feed.rss"),
            "--id",
            "elsewhere",
            "--write",
            dir.path().join("elsewhere.yaml").to_str().unwrap(),
        ],
    ))
    .await;
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not read"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
