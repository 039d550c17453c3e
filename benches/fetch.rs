//! Fetch benchmark: N generated upstream feeds × 50 items (half RSS, half Atom, every tenth RSS
//! feed GBK-encoded), served with ETag/304 support by a local HTTP server on 127.0.0.1, polled by
//! the release `crossfeed fetch`: cold (the first poll of an empty store, whose schema
//! `crossfeed migrate` made just before, timed apart), then again when nothing changed (all
//! 304). Newsboat reloads the same URLs in the same run as the peer when it is installed.
//!
//! `cargo bench --bench fetch` (200 feeds, SQLite; Postgres too when CROSSFEED_TEST_POSTGRES is
//! set). `CROSSFEED_BENCH_FEEDS=10000` for the scale run. Figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The bench borrows one helper of the integration tests (the gzip bomb); the rest are theirs.
#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;
#[path = "corpus/mod.rs"]
mod corpus;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use corpus::{ITEMS, atom, rss};

struct Feeds(Vec<(Vec<u8>, &'static str, String)>);

async fn serve_feed(
    req: HttpRequest,
    n: web::Path<usize>,
    feeds: web::Data<Arc<Feeds>>,
) -> HttpResponse {
    let Some((body, kind, etag)) = feeds.0.get(n.into_inner()) else {
        return HttpResponse::NotFound().finish();
    };
    if req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return HttpResponse::NotModified()
            .insert_header(("ETag", etag.as_str()))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header(("ETag", etag.as_str()))
        .content_type(*kind)
        .body(body.clone())
}

/// Run `cmd` under /usr/bin/time; returns (seconds, peak RSS in MiB, success).
fn timed(cmd: &mut Command) -> (f64, f64, bool) {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("TIME %e %M %U %S")
        .arg(program)
        .args(args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let started = Instant::now();
    let out = timed.output().unwrap();
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if std::env::var("CROSSFEED_BENCH_LOG").is_ok() {
        eprintln!("{stderr}");
    } else if let Some(times) = stderr.lines().rev().find(|l| l.starts_with("TIME ")) {
        // wall, peak RSS (KiB), user and system CPU seconds
        eprintln!("  {times}");
    }
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("TIME "))
        .unwrap_or("TIME 0 0");
    let rss_kb: f64 = line
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (wall, rss_kb / 1024.0, out.status.success())
}

/// One cold poll and one re-poll.
struct Figures {
    /// Creating the empty store (`crossfeed migrate`, run before the cold poll; newsboat: 0).
    schema: f64,
    cold: f64,
    cold_mib: f64,
    again: f64,
    again_mib: f64,
    ok: bool,
}

fn crossfeed_run(dir: &Path, label: &str, database: &str, urls: &[String]) -> Figures {
    let mut yaml = format!(
        "database: {{ url: \"{database}\", pool_size: 8 }}\n\
         fetch: {{ timeout: 30s, max_concurrency: 32, per_host_concurrency: 32 }}\nsources:\n"
    );
    for (i, u) in urls.iter().enumerate() {
        yaml.push_str(&format!(
            "  - {{ id: s{i}, url: \"{u}\", timezone: Asia/Shanghai }}\n"
        ));
    }
    // The shipped topics, so that classification costs what it costs in real use.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/crossfeed.yaml"
    ))
    .unwrap();
    yaml.push_str(&shipped[shipped.find("\ntopics:").unwrap()..]);
    let config = dir.join(format!("{label}.yaml"));
    std::fs::write(&config, yaml).unwrap();
    // CROSSFEED_BENCH_BIN=target/profiling/crossfeed runs a build with symbols, for perf.
    let bin = std::env::var("CROSSFEED_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_crossfeed").to_owned());
    // The schema is made first, as `crossfeed migrate` (or the first `serve`) makes it when
    // crossfeed is installed: the cold poll is the first poll of an empty store, not the
    // creation of its tables. Timed apart and reported beside it.
    let (schema, _, migrated) = timed(
        Command::new(&bin)
            .args(["--config", config.to_str().unwrap(), "migrate"])
            .env("RUST_LOG", "error")
            .env_remove("DATABASE_URL"),
    );
    let run = || {
        let mut cmd = Command::new(&bin);
        cmd.args(["--config", config.to_str().unwrap(), "fetch"])
            .env(
                "RUST_LOG",
                std::env::var("CROSSFEED_BENCH_LOG").unwrap_or_else(|_| "error".into()),
            )
            .env_remove("DATABASE_URL");
        if let Ok(wrapper) = std::env::var("CROSSFEED_BENCH_WRAP") {
            // e.g. CROSSFEED_BENCH_WRAP="perf record -g -o /tmp/perf.data": profile a run.
            let mut parts = wrapper.split_whitespace();
            let mut wrapped = Command::new(parts.next().unwrap_or("env"));
            wrapped
                .args(parts)
                .arg(cmd.get_program())
                .args(cmd.get_args());
            for (k, v) in cmd.get_envs() {
                if let Some(v) = v {
                    wrapped.env(k, v);
                }
            }
            return timed(&mut wrapped);
        }
        timed(&mut cmd)
    };
    let (cold, cold_mib, ok1) = run();
    let (again, again_mib, ok2) = run();
    Figures {
        schema,
        cold,
        cold_mib,
        again,
        again_mib,
        ok: migrated && ok1 && ok2,
    }
}

fn newsboat_installed() -> bool {
    Command::new("newsboat").arg("--version").output().is_ok()
}

fn newsboat_run(dir: &Path, round: usize, urls: &[String]) -> Figures {
    let list = dir.join("urls");
    std::fs::write(&list, urls.join("\n") + "\n").unwrap();
    let conf = dir.join("newsboat.conf");
    std::fs::write(&conf, "").unwrap();
    let cache = dir.join(format!("newsboat-{round}.db"));
    let run = || {
        let mut cmd = Command::new("newsboat");
        cmd.args([
            "-u",
            list.to_str().unwrap(),
            "-c",
            cache.to_str().unwrap(),
            "-C",
            conf.to_str().unwrap(),
            "-x",
            "reload",
        ])
        .env("HOME", dir);
        timed(&mut cmd)
    };
    let (cold, cold_mib, ok1) = run();
    let (again, again_mib, ok2) = run();
    Figures {
        schema: 0.0,
        cold,
        cold_mib,
        again,
        again_mib,
        ok: ok1 && ok2,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Medians over the rounds, and each round's ratio to newsboat's run of the same round (the
/// machine's speed drifts; a ratio taken within one round is steadier than one of medians).
fn report(label: &str, runs: &[Figures], peer: &[Figures]) {
    let col = |f: fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    let failed = runs.iter().any(|r| !r.ok);
    let mut line = format!(
        "{label}: cold {:.2} s (min {:.2}), peak {:.0} MiB; re-poll {:.3} s (min {:.3}), peak {:.0} MiB",
        col(|r| r.cold),
        runs.iter().map(|r| r.cold).fold(f64::INFINITY, f64::min),
        col(|r| r.cold_mib),
        col(|r| r.again),
        runs.iter().map(|r| r.again).fold(f64::INFINITY, f64::min),
        col(|r| r.again_mib),
    );
    if runs.iter().any(|r| r.schema > 0.0) {
        line.push_str(&format!(
            "; schema created beforehand in {:.2} s",
            col(|r| r.schema)
        ));
    }
    if !peer.is_empty() && !std::ptr::eq(runs, peer) {
        let cold: Vec<f64> = runs
            .iter()
            .zip(peer)
            .map(|(r, p)| p.cold / r.cold)
            .collect();
        let again: Vec<f64> = runs
            .iter()
            .zip(peer)
            .map(|(r, p)| p.again / r.again)
            .collect();
        line.push_str(&format!(
            "; vs newsboat: cold {:.1}x, re-poll {:.1}x (medians of per-round ratios)",
            median(cold),
            median(again)
        ));
    }
    if failed {
        line.push_str(" (some fetches FAILED)");
    }
    println!("{line}");
}

/// Misbehaving upstreams: peak memory must stay bounded while each fails cleanly.
fn hostile_run(dir: &Path, addr: std::net::SocketAddr) {
    let base = format!("http://{addr}/hostile");
    let urls: Vec<String> = ["bomb", "huge", "laughs", "junk"]
        .iter()
        .map(|k| format!("{base}/{k}"))
        .collect();
    let mut yaml = format!(
        "database: {{ url: \"sqlite://{}\" }}\nfetch: {{ timeout: 10s, max_body: 8MiB }}\nsources:\n",
        dir.join("hostile.db").display()
    );
    for (i, u) in urls.iter().enumerate() {
        yaml.push_str(&format!("  - {{ id: h{i}, url: \"{u}\" }}\n"));
    }
    let config = dir.join("hostile.yaml");
    std::fs::write(&config, yaml).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crossfeed"));
    cmd.args(["--config", config.to_str().unwrap(), "fetch"])
        .env("RUST_LOG", "error");
    let (wall, rss, ok) = timed(&mut cmd);
    println!(
        "hostile upstreams (1 GiB gzip bomb, 60 MiB body, billion laughs, binary junk): {wall:.2} s, peak {rss:.0} MiB, {}",
        if ok {
            "exit 0 (unexpected)"
        } else {
            "exit non-zero (expected: sources failed)"
        }
    );
}

async fn serve_hostile(kind: web::Path<String>, bodies: web::Data<Arc<Hostile>>) -> HttpResponse {
    match kind.as_str() {
        "bomb" => HttpResponse::Ok()
            .insert_header(("Content-Encoding", "gzip"))
            .content_type("application/rss+xml")
            .body(bodies.bomb.clone()),
        "huge" => HttpResponse::Ok()
            .content_type("application/rss+xml")
            .body(bodies.huge.clone()),
        "laughs" => HttpResponse::Ok()
            .content_type("application/rss+xml")
            .body(LAUGHS),
        "junk" => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(bodies.junk.clone()),
        _ => HttpResponse::NotFound().finish(),
    }
}

struct Hostile {
    bomb: Vec<u8>,
    huge: Vec<u8>,
    junk: Vec<u8>,
}

const LAUGHS: &str = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]><rss version="2.0"><channel><title>&lol6;</title><item><title>&lol6;</title></item></channel></rss>"#;

fn main() {
    let count: usize = std::env::var("CROSSFEED_BENCH_FEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let started = Instant::now();
    let feeds: Vec<(Vec<u8>, &'static str, String)> = (0..count)
        .map(|i| {
            let (body, kind) = if i % 2 == 1 {
                (atom(i), "application/atom+xml")
            } else {
                (rss(i, i % 10 == 0), "application/rss+xml")
            };
            let etag = format!("\"v1-{i}\"");
            (body, kind, etag)
        })
        .collect();
    let bytes: usize = feeds.iter().map(|f| f.0.len()).sum();
    println!(
        "generated {count} feeds x {ITEMS} items, {:.1} MB, in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let feeds = web::Data::new(Arc::new(Feeds(feeds)));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hostile = web::Data::new(Arc::new(Hostile {
        bomb: common::gzip_bomb(1 << 30),
        huge: vec![b' '; 60 << 20],
        junk: (0..=255u8).cycle().take(1 << 20).collect(),
    }));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(feeds.clone())
            .app_data(hostile.clone())
            .route("/feeds/{n}", web::get().to(serve_feed))
            .route("/hostile/{kind}", web::get().to(serve_hostile))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    let urls: Vec<String> = (0..count)
        .map(|i| format!("http://{addr}/feeds/{i}"))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let rounds: usize = std::env::var("CROSSFEED_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!(
        "machine: {} cores; {rounds} rounds, each: crossfeed on SQLite, on Postgres, newsboat (fresh store each)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let admin = std::env::var("CROSSFEED_TEST_POSTGRES").ok();
    let newsboat = newsboat_installed();
    let (mut sqlite, mut postgres, mut peer) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        sqlite.push(crossfeed_run(
            dir.path(),
            "sqlite",
            &format!(
                "sqlite://{}",
                dir.path().join(format!("bench-{round}.db")).display()
            ),
            &urls,
        ));
        if let Some(admin) = &admin {
            let name = format!("crossfeed_bench_{}_{round}", std::process::id());
            let psql = |sql: &str| {
                Command::new("psql")
                    .args([admin.as_str(), "-qc", sql])
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            };
            if psql(&format!("CREATE DATABASE {name}")) {
                let mut url = url::Url::parse(admin).unwrap();
                url.set_path(&name);
                postgres.push(crossfeed_run(dir.path(), "postgres", url.as_str(), &urls));
                psql(&format!("DROP DATABASE {name} WITH (FORCE)"));
            }
        }
        if newsboat {
            peer.push(newsboat_run(dir.path(), round, &urls));
        }
    }
    report("crossfeed (sqlite)", &sqlite, &peer);
    if !postgres.is_empty() {
        report("crossfeed (postgres)", &postgres, &peer);
    }
    if newsboat {
        report("newsboat (default settings)", &peer, &peer);
    } else {
        println!("newsboat: not installed (apt-get install newsboat), skipped");
    }
    hostile_run(dir.path(), addr);
    actix_web::rt::System::new().block_on(handle.stop(false));
    let _ = thread.join();
}
