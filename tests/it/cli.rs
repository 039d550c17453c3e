//! The `crossfeed` binary: check-config, parse and fetch as a user runs them.

use crate::common;

use std::process::Command;

fn crossfeed() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossfeed"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env_remove("CROSSFEED_CONFIG")
        .env("RUST_LOG", "warn");
    cmd
}

/// `crossfeed serve` with `config` on a free port, logging at info to `serve.log` in `db`'s
/// directory: the child, its port and the log's path.
fn serve(
    config: &std::path::Path,
    db: &common::TestDb,
) -> (std::process::Child, u16, std::path::PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = db.dir().join("serve.log");
    let child = crossfeed()
        .args(["--config", config.to_str().unwrap(), "serve"])
        .env("CROSSFEED_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (child, port, log)
}

#[test]
fn the_shipped_configuration_is_valid() {
    let out = crossfeed().arg("check-config").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("OK (8 sources"), "{stdout}");
}

#[test]
fn a_bad_configuration_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "sources:\n  - id: a\n    url: https://e.com/a\n  - id: a\n    url: https://e.com/b\n    schedule: \"*/5 * * * *\"\n    colour: red\n",
    )
    .unwrap();
    let out = crossfeed()
        .args(["--config", path.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = path.display().to_string();
    // Unknown keys stop deserialization, so that is the one error reported for this file.
    assert!(stderr.contains(&format!("{shown}:7:5:")), "{stderr}");
    assert!(stderr.contains("colour"), "{stderr}");

    std::fs::write(&path, "sources:\n  - id: a\n    url: https://e.com/a\n  - id: a\n    url: ftp://e.com/b\n    schedule: \"*/5 * * * *\"\n").unwrap();
    let out = crossfeed()
        .args(["--config", path.to_str().unwrap(), "check-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("{shown}:4:9: duplicate source id")),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{shown}:5:10: source url")),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with(&format!("{shown}:6:15: source schedule")),
        "{stderr}"
    );
}

#[test]
fn parse_prints_one_normalized_json_object_per_item() {
    let out = crossfeed()
        .args([
            "parse",
            "config/samples/chuhai-gbk.xml",
            "--timezone",
            "Asia/Shanghai",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0];
    for field in [
        "id",
        "guid",
        "title",
        "link",
        "published",
        "updated",
        "authors",
        "summary",
        "content",
        "categories",
        "language",
        "enclosures",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    // GBK decoded into proper UTF-8 text; the +0800 date is in UTC.
    assert_eq!(first["title"], "亚马逊日本站开放中国卖家新品牌孵化计划");
    assert_eq!(first["published"], "2026-11-25T02:30:00Z");
    assert_eq!(first["updated"], serde_json::Value::Null);
    assert_eq!(first["content"], serde_json::Value::Null);
    assert_eq!(first["authors"], serde_json::json!([]));
}

#[test]
fn parse_of_a_missing_file_fails_clearly() {
    let out = crossfeed()
        .args(["parse", "no/such/feed.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no/such/feed.xml"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_summarizes_and_exits_1_when_a_source_failed() {
    let upstream = common::Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    upstream.fail("/gone.xml", 404).await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(
        &db,
        &format!(
            "{}  - id: gone\n    url: {}\n",
            common::fixture_sources(&upstream),
            upstream.url("/gone.xml")
        ),
    );
    let path = config.path.clone();
    let out = tokio::task::spawn_blocking(move || {
        crossfeed()
            .args(["--config", path.to_str().unwrap(), "fetch"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 sources: 9 new, 0 updated, 0 unchanged, 1 failed (0 not modified)"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("gone: HTTP 404"));

    let path = db.dir().join("crossfeed.yaml");
    let out = tokio::task::spawn_blocking(move || {
        crossfeed()
            .args([
                "--config",
                path.to_str().unwrap(),
                "fetch",
                "--source",
                "kuajing",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("1 sources: 0 new, 0 updated, 4 unchanged, 0 failed (0 not modified)")
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_configuration_and_a_bad_file_is_refused() {
    use std::time::Duration;

    let upstream = common::Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(&db, &common::fixture_sources(&upstream));
    let (mut child, port, log) = serve(&config.path, &db);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let topic_slugs = || async {
        let r = client.get(format!("{base}/api/topics")).send().await.ok()?;
        let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.ok()?).ok()?;
        Some(
            v["items"]
                .as_array()?
                .iter()
                .filter_map(|t| t["slug"].as_str().map(String::from))
                .collect::<Vec<String>>(),
        )
    };
    let wait_for = |want: usize| {
        let topic_slugs = &topic_slugs;
        async move {
            for _ in 0..200 {
                if topic_slugs().await.is_some_and(|s| s.len() == want) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("never saw {want} topics");
        }
    };
    let hangup = |pid: u32| {
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    wait_for(3).await;

    let text = std::fs::read_to_string(&config.path).unwrap();
    let good = format!("{text}  - slug: freight\n    title: 海运\n    keywords: [海运]\n");
    std::fs::write(&config.path, &good).unwrap();
    hangup(child.id());
    wait_for(4).await;

    std::fs::write(
        &config.path,
        good.replace("keywords: [海运]", "keywords: [海运"),
    )
    .unwrap();
    hangup(child.id());
    let mut refused = String::new();
    for _ in 0..200 {
        refused = std::fs::read_to_string(&log).unwrap();
        if refused.contains("reload refused") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused.contains("reload refused"), "{refused}");
    assert!(
        refused.contains("crossfeed.yaml:"),
        "the log names the file: {refused}"
    );
    assert_eq!(
        topic_slugs().await.map(|s| s.len()),
        Some(4),
        "the previous configuration stays in force"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// `crossfeed migrate` applies the pending migrations alone and says which; a second run finds
/// none. On both stores.
fn migrate_runs_the_migrations_alone(backend: common::Backend) {
    let db = common::TestDb::new(backend);
    let config = common::config(&db, "  []\n");
    let path = config.path.to_str().unwrap().to_owned();
    let run = || {
        let out = crossfeed()
            .args(["--config", &path, "migrate"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    assert!(first.contains("applied 20261126000001"), "{first}");
    // Each backend has its own list (Postgres has one SQLite does not need: 000009).
    let dir = match backend {
        common::Backend::Sqlite => "sqlite",
        common::Backend::Postgres => "postgres",
    };
    let migrations = std::fs::read_dir(format!(
        "{}/crates/store/migrations/{dir}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert_eq!(first.matches(", ").count() + 1, migrations, "{first}");
    assert!(run().contains("up to date"));
    // The store it made is the one `serve` expects: opening it finds nothing to do.
    assert!(db.store().migrate().unwrap().is_empty());
}

#[test]
fn migrate_runs_the_migrations_alone_on_sqlite() {
    migrate_runs_the_migrations_alone(common::Backend::Sqlite);
}

#[test]
fn migrate_runs_the_migrations_alone_on_postgres() {
    migrate_runs_the_migrations_alone(common::Backend::Postgres);
}

/// `log.format: json` writes one JSON object per event, the poll's fields among them.
#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let upstream = common::Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(&db, &common::fixture_sources(&upstream));
    let yaml = std::fs::read_to_string(&config.path).unwrap() + "log:\n  format: json\n";
    std::fs::write(&config.path, yaml).unwrap();
    let path = config.path.clone();
    let out = tokio::task::spawn_blocking(move || {
        crossfeed()
            .env("RUST_LOG", "info")
            .args(["--config", path.to_str().unwrap(), "fetch"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!events.is_empty(), "{stderr}");
    assert!(events.iter().all(|e| e["level"].is_string()));
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "polled" && e["fields"]["new"].is_number()),
        "{stderr}"
    );
    // Nothing else on standard error than those objects (and the progress bar, which draws
    // only on a terminal).
    assert!(
        stderr
            .lines()
            .all(|l| l.trim().is_empty() || l.starts_with('{')),
        "{stderr}"
    );
}

/// No secret reaches the log or an error message: a database password and the admin token are
/// absent from everything `fetch` writes at the most verbose level, and from the error of a
/// store that cannot be reached.
#[tokio::test]
async fn secrets_are_never_written() {
    const PASSWORD: &str = "pw-s3cret-4815";
    const TOKEN: &str = "tok-s3cret-1623";
    let upstream = common::Upstream::start().await;
    common::serve_fixtures(&upstream).await;
    let db = common::TestDb::new(common::Backend::Postgres);
    let config = common::config(&db, &common::fixture_sources(&upstream));
    // Trust authentication ignores the password, so the run succeeds with it in the URL.
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_password(Some(PASSWORD)).unwrap();
    let path = config.path.clone();
    let run = move |database_url: String, command: &'static str| {
        let path = path.clone();
        move || {
            crossfeed()
                .env("DATABASE_URL", database_url)
                .env("CROSSFEED_ADMIN_TOKEN", TOKEN)
                .env("RUST_LOG", "trace")
                .args(["--config", path.to_str().unwrap(), command])
                .output()
                .unwrap()
        }
    };
    let out = tokio::task::spawn_blocking(run(url.to_string(), "fetch"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "fetch ended with {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut unreachable = url.clone();
    unreachable.set_port(Some(1)).unwrap();
    let failed = tokio::task::spawn_blocking(run(unreachable.to_string(), "migrate"))
        .await
        .unwrap();
    assert!(!failed.status.success());
    let failed_err = String::from_utf8_lossy(&failed.stderr);
    assert!(
        failed_err.contains("***"),
        "the URL is shown redacted: {failed_err}"
    );
    for output in [&out.stdout, &out.stderr, &failed.stdout, &failed.stderr] {
        let text = String::from_utf8_lossy(output);
        assert!(!text.contains(PASSWORD), "password written: {text}");
        assert!(!text.contains(TOKEN), "admin token written: {text}");
    }
    assert!(out.stderr.len() > 1000, "trace logging was on");
}

/// SIGTERM stops gracefully (a poll in flight gets its grace period); a second SIGTERM during
/// that exits at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() {
    use std::time::{Duration, Instant};

    let drip = common::drip_server().await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let mut config = common::config(&db, &format!("  - id: slow\n    url: {drip}\n"));
    let text = std::fs::read_to_string(&config.path)
        .unwrap()
        .replace("timeout: 5s", "timeout: 60s");
    std::fs::write(&config.path, text).unwrap();
    config = crossfeed::config::Config::load(&config.path).unwrap();
    let (mut child, port, log) = serve(&config.path, &db);
    // Wait until the slow poll is under way (the drip server has been asked).
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let up = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok();
        if up {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let term = |pid: u32| {
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    term(child.id());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first signal waits for the poll in flight: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    let second = Instant::now();
    term(child.id());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(exit.code(), Some(130), "{logged}");
    assert!(logged.contains("second signal"), "{logged}");
    // Well inside the 10-second grace the first signal would have waited.
    assert!(second.elapsed() < Duration::from_secs(8), "{logged}");
}

/// A poll still running when the grace period ends does not hold its source: the leaving
/// process gives the lease up, so another process polls the source at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_with_a_poll_unfinished_gives_up_its_lease() {
    use std::time::Duration;

    let drip = common::drip_server().await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(&db, &format!("  - id: slow\n    url: {drip}\n"));
    let text = std::fs::read_to_string(&config.path)
        .unwrap()
        .replace("timeout: 5s", "timeout: 60s");
    std::fs::write(&config.path, text).unwrap();
    let (mut child, _port, log) = serve(&config.path, &db);
    let store = db.store();
    let slow = || {
        store
            .with_conn(crossfeed::store::sources::list)
            .unwrap()
            .into_iter()
            .find(|r| r.id == "slow")
    };
    let mut leased = false;
    for _ in 0..200 {
        if slow().is_some_and(|r| r.lease_owner.is_some()) {
            leased = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(leased, "{}", std::fs::read_to_string(&log).unwrap());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(exit.success(), "{logged}");
    assert!(logged.contains("left to other processes"), "{logged}");
    let row = slow().unwrap();
    assert_eq!((row.lease_owner, row.lease_until), (None, None), "{logged}");
}

/// SIGTERM while a parse runs that would take minutes (a 100 MB feed of 250,000 items, in this
/// unoptimized test build; the size cap and the budget set high so that the poll does not fail
/// first): the process still exits within its grace periods, having given up the poll's lease
/// and stored nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_in_bounded_time_while_a_parse_runs() {
    use std::time::{Duration, Instant};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};

    let mut feed = String::with_capacity(101 << 20);
    feed.push_str("<rss version=\"2.0\"><channel><title>大</title>");
    let mut n = 0;
    while feed.len() < 100 << 20 {
        feed.push_str(&format!(
            "<item><title>TikTok Shop 第 {n} 期</title><link>https://news.example.cn/a/{n}</link>\
             <description>Lazada 与 Shopee 大促备货</description></item>"
        ));
        n += 1;
    }
    feed.push_str("</channel></rss>");
    let up = common::Upstream::start().await;
    Mock::given(method("GET"))
        .and(path("/big.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(feed, "application/rss+xml"))
        .mount(&up.server)
        .await;
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(
        &db,
        &format!("  - id: big\n    url: {}\n", up.url("/big.xml")),
    );
    let text = std::fs::read_to_string(&config.path).unwrap().replace(
        "timeout: 5s",
        "timeout: 30s\n  parse_budget: 10m\n  max_body: 256MiB",
    );
    std::fs::write(&config.path, text).unwrap();
    let (mut child, _port, log) = serve(&config.path, &db);
    for _ in 0..400 {
        if !up
            .server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The body is in; give the parse a moment to be well under way.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let asked = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let exit = tokio::task::spawn_blocking(move || {
        for _ in 0..600 {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill().unwrap();
        None
    })
    .await
    .unwrap();
    let logged = std::fs::read_to_string(&log).unwrap();
    let exit = exit.unwrap_or_else(|| panic!("still running 60 s after SIGTERM: {logged}"));
    assert!(exit.success(), "{logged}");
    // The scheduler's 10 s grace, then at most 5 s for threads still busy.
    assert!(
        asked.elapsed() < Duration::from_secs(25),
        "{:?} {logged}",
        asked.elapsed()
    );
    let row = db
        .store()
        .with_conn(crossfeed::store::sources::list)
        .unwrap()
        .into_iter()
        .find(|r| r.id == "big")
        .unwrap();
    assert_eq!(row.lease_owner, None, "{logged}");
    assert_eq!(
        row.last_success_at, None,
        "the abandoned poll stored nothing: {logged}"
    );
}

/// `crossfeed health` (the container HEALTHCHECK) exits 0 when the server answers `/healthz` and
/// 1 when nothing listens; without `--url` it asks the configured listen address, with
/// `0.0.0.0` meaning this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_asks_a_running_server() {
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(&db, "  []\n");
    let path = config.path.clone();
    let app = common::TestApp::spawn(config).await;
    let port = url::Url::parse(&app.base).unwrap().port().unwrap();
    let run = move |args: Vec<String>| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            crossfeed()
                .args(["--config", path.to_str().unwrap(), "health"])
                .args(args)
                .env("CROSSFEED_LISTEN", format!("0.0.0.0:{port}"))
                .output()
                .unwrap()
        })
    };

    let up = run(vec![]).await.unwrap();
    assert!(up.status.success(), "{up:?}");
    assert!(
        String::from_utf8_lossy(&up.stdout)
            .contains(&format!("http://127.0.0.1:{port}/healthz: 200")),
        "{up:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = run(vec![
        "--url".into(),
        format!("http://127.0.0.1:{closed}/healthz"),
        "--timeout".into(),
        "2".into(),
    ])
    .await
    .unwrap();
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    assert!(
        String::from_utf8_lossy(&down.stderr).contains(&format!("127.0.0.1:{closed}")),
        "{down:?}"
    );
}

/// `crossfeed preview ID` reads a page source with full content now and prints each item with
/// its article, topics and tags; it stores nothing (the SQLite file is never created), and an
/// unknown id is a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_prints_what_a_source_would_yield_and_stores_nothing() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let upstream = common::Upstream::start().await;
    for (at, file, content_type) in [
        (
            "/news/",
            "pages/portal-list.html",
            "text/html; charset=utf-8",
        ),
        (
            "/news/2026/1204/3391.html",
            "pages/article-3391.html",
            "text/html",
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(common::fixture(file), content_type),
            )
            .mount(&upstream.server)
            .await;
    }
    let db = common::TestDb::new(common::Backend::Sqlite);
    let config = common::config(
        &db,
        &format!(
            "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page:\n      item: \"ul.news-list > li\"\n      title: \"h3 a\"\n      link: \"h3 a@href\"\n    full_content: auto\n",
            upstream.url("/news/")
        ),
    );
    let path = config.path.clone();
    let out = tokio::task::spawn_blocking(move || {
        crossfeed()
            .args(["--config", path.to_str().unwrap(), "preview", "portal"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let tiktok = &lines[0];
    assert!(
        tiktok["title"]
            .as_str()
            .unwrap()
            .starts_with("TikTok Shop 美区上线")
    );
    let content = tiktok["content"].as_str().unwrap_or_default();
    assert!(content.contains("两个工作日内发出"), "{content}");
    assert!(!content.contains("推荐阅读"), "{content}");
    assert_eq!(tiktok["topics"], serde_json::json!(["tiktok"]));
    // The second item's article URL serves nothing: it says why, and the item stays.
    let amazon = &lines[1];
    assert!(
        amazon["article_error"]
            .as_str()
            .unwrap_or_default()
            .contains("404"),
        "{amazon}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 items (nothing stored)"));
    assert!(
        !db.dir().join("crossfeed.db").exists(),
        "preview created the store"
    );

    let path = config.path.clone();
    let out = tokio::task::spawn_blocking(move || {
        crossfeed()
            .args(["--config", path.to_str().unwrap(), "preview", "nobody"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no configured source has the id \"nobody\"")
    );
}

/// `opml export` lists the configured sources (secrets masked); `opml import` prints the
/// sources of another reader's OPML that are not configured yet, and `--write` saves them as a
/// file the configuration's `include:` reads, after which they are configured.
#[test]
fn opml_export_and_import_round_trip_through_an_included_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sources")).unwrap();
    std::fs::write(
        root.join("crossfeed.yaml"),
        "include: [\"sources/*.yaml\"]\nsources:\n  - id: wire\n    title: 出海通讯社\n    url: https://wire.example.com/rss?token=s3cret\n    tags: [跨境电商]\n",
    )
    .unwrap();
    std::fs::write(root.join("sources/empty.yaml"), "sources: []\n").unwrap();
    let config = root.join("crossfeed.yaml");
    let run = |args: &[&str]| {
        crossfeed()
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["opml", "export"]);
    assert!(out.status.success());
    let opml = String::from_utf8(out.stdout).unwrap();
    assert!(
        opml.contains("xmlUrl=\"https://wire.example.com/rss?token=***\""),
        "{opml}"
    );
    assert!(opml.contains("text=\"出海通讯社\""), "{opml}");
    assert!(!opml.contains("s3cret"));
    assert!(
        String::from_utf8(run(&["opml", "export", "--show-secrets"]).stdout)
            .unwrap()
            .contains("s3cret")
    );

    let theirs = root.join("theirs.opml");
    std::fs::write(
        &theirs,
        "<opml version=\"2.0\"><body><outline text=\"Marketplaces\">\
         <outline type=\"rss\" text=\"Marketplace Pulse\" xmlUrl=\"https://mp.example.com/feed\"/>\
         <outline type=\"rss\" text=\"出海通讯社\" xmlUrl=\"https://wire.example.com/rss?token=s3cret\"/>\
         </outline></body></opml>",
    )
    .unwrap();
    let out = run(&["opml", "import", theirs.to_str().unwrap()]);
    assert!(out.status.success());
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("  - id: marketplace-pulse\n"), "{yaml}");
    assert!(!yaml.contains("wire.example.com"), "{yaml}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 feeds to add, 1 already configured"));

    let written = root.join("sources/imported.yaml");
    let out = run(&[
        "opml",
        "import",
        theirs.to_str().unwrap(),
        "--write",
        written.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("does not include it"));
    let check = run(&["check-config"]);
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("OK (2 sources"),
        "{check:?}"
    );
    // Written once: a second --write to the same file is refused rather than overwriting it.
    let more = root.join("more.opml");
    std::fs::write(
        &more,
        "<opml version=\"2.0\"><body>\
         <outline type=\"rss\" text=\"Cross-border Daily\" xmlUrl=\"https://daily.example.com/feed\"/>\
         </body></opml>",
    )
    .unwrap();
    let again = run(&[
        "opml",
        "import",
        more.to_str().unwrap(),
        "--write",
        written.to_str().unwrap(),
    ]);
    assert!(!again.status.success());

    // An OPML with nothing new writes no file: an empty `sources:` would stop the next start.
    let empty = root.join("empty.opml");
    std::fs::write(
        &empty,
        "<opml version=\"2.0\"><head><title>空</title></head><body></body></opml>",
    )
    .unwrap();
    let nothing = root.join("sources/nothing.yaml");
    let out = run(&[
        "opml",
        "import",
        empty.to_str().unwrap(),
        "--write",
        nothing.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to write"));
    assert!(!nothing.exists());
    let check = run(&["check-config"]);
    assert!(check.status.success(), "{check:?}");
}

/// A database URL's password (in its user part or a `?password=` parameter) is never printed:
/// not by `migrate`, `fetch` or `serve` when the store cannot be opened, nor for a URL the store
/// refuses.
#[test]
fn start_up_errors_never_print_the_database_password() {
    for (url, commands) in [
        (
            "postgres://feeds:pw-a1b2@127.0.0.1:1/crossfeed?password=pw-c3d4&connect_timeout=1",
            &["migrate", "fetch", "serve"][..],
        ),
        (
            "postgresx://feeds:pw-a1b2@db.internal/crossfeed?password=pw-c3d4",
            &["migrate"][..],
        ),
    ] {
        // At once: each waits for the pool's connection timeout before giving up.
        let running: Vec<_> = commands
            .iter()
            .map(|command| {
                let child = crossfeed()
                    .arg(command)
                    .env("DATABASE_URL", url)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                (command, child)
            })
            .collect();
        for (command, child) in running {
            let out = child.wait_with_output().unwrap();
            assert!(!out.status.success(), "{command}");
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(printed.contains("***"), "{command}: {printed}");
            for secret in ["pw-a1b2", "pw-c3d4"] {
                assert!(
                    !printed.contains(secret),
                    "{command} printed {secret}: {printed}"
                );
            }
        }
    }
}
