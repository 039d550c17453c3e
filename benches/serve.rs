//! Serving benchmark: how fast a topic feed is served from crossfeed's in-memory feed cache,
//! next to nginx serving the same bytes from disk (the yardstick), both driven by wrk
//! over keep-alive connections on 127.0.0.1 with and without gzip. nginx runs one worker per
//! core, as crossfeed runs one HTTP worker per core; wrk shares the same two cores.
//!
//! `cargo build --release && cargo bench --bench serve`. Needs `wrk` and `nginx` (Debian
//! packages); without them it says so and measures what it can. Figures go to BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const DURATION: &str = "10s";
const CONNECTIONS: &str = "64";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `url` with curl, returning the body (decompressed when `gzip`).
fn fetch(url: &str, gzip: bool) -> Option<Vec<u8>> {
    let mut cmd = Command::new("curl");
    cmd.args(["-sf", url]);
    if gzip {
        cmd.arg("--compressed");
    }
    let out = cmd.output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn wait_for(url: &str) -> bool {
    for _ in 0..200 {
        if let Some(body) = fetch(url, false)
            && body.windows(6).any(|w| w == b"<item>")
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Run wrk against `url`; returns (requests/s, p50 ms, p99 ms) parsed from its report.
fn wrk(url: &str, gzip: bool) -> Option<(f64, f64, f64)> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c", CONNECTIONS, "-d", DURATION, "--latency"]);
    if gzip {
        cmd.args(["-H", "Accept-Encoding: gzip"]);
    }
    let out = cmd.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| -> Option<&str> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))?
            .split_whitespace()
            .nth(1)
    };
    let ms = |v: &str| -> Option<f64> {
        if let Some(us) = v.strip_suffix("us") {
            us.parse::<f64>().ok().map(|x| x / 1000.0)
        } else if let Some(ms) = v.strip_suffix("ms") {
            ms.parse().ok()
        } else {
            v.strip_suffix('s')?.parse::<f64>().ok().map(|x| x * 1000.0)
        }
    };
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        println!("  wrk reported errors:\n{text}");
    }
    Some((
        value("Requests/sec:")?.parse().ok()?,
        ms(value("50%")?)?,
        ms(value("99%")?)?,
    ))
}

fn report(name: &str, r: Option<(f64, f64, f64)>) {
    match r {
        Some((rps, p50, p99)) => {
            println!("{name:<44} {rps:>10.0} req/s   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms");
        }
        None => println!("{name:<44} (no figure)"),
    }
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx's master and workers, stopped together (killing the master alone orphans them).
struct Nginx {
    conf: std::path::PathBuf,
    prefix: std::path::PathBuf,
    _master: Killed,
}
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("nginx")
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(&self.prefix)
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn nginx(dir: &Path, port: u16) -> Option<Nginx> {
    Command::new("nginx").arg("-v").output().ok()?;
    let conf = dir.join("nginx.conf");
    let mut f = std::fs::File::create(&conf).unwrap();
    write!(
        f,
        "worker_processes auto;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
           types {{ application/rss+xml rss; }}\n  gzip_static on;\n\
           client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  fastcgi_temp_path {d}/tmp;\n\
           uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
           server {{ listen 127.0.0.1:{port}; root {d}/www; }}\n}}\n",
        d = dir.display()
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let child = Command::new("nginx")
        .args(["-c", conf.to_str().unwrap(), "-p", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    Some(Nginx {
        conf,
        prefix: dir.to_owned(),
        _master: Killed(child),
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/crossfeed");
    assert!(
        binary.exists(),
        "build the release binary first: cargo build --release"
    );
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk is not installed (apt-get install wrk); nothing to measure");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Killed(
        Command::new(&binary)
            .current_dir(root)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/bench.db", dir.path().display()),
            )
            .env("CROSSFEED_LISTEN", format!("127.0.0.1:{port}"))
            .env("CROSSFEED_PUBLIC_URL", &base)
            .env("RUST_LOG", "warn")
            .args(["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let feed = format!("{base}/feeds/all.rss");
    assert!(wait_for(&feed), "crossfeed did not serve {feed}");
    let body = fetch(&feed, false).unwrap();
    println!(
        "feed: /feeds/all.rss, {} bytes; wrk -t2 -c{CONNECTIONS} -d{DURATION}, keep-alive, 127.0.0.1",
        body.len()
    );

    report("crossfeed /feeds/all.rss (identity)", wrk(&feed, false));
    report("crossfeed /feeds/all.rss (gzip)", wrk(&feed, true));

    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("all.rss"), &body).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    std::fs::write(www.join("all.rss.gz"), gz.finish().unwrap()).unwrap();
    let nginx_port = free_port();
    match nginx(dir.path(), nginx_port) {
        Some(_nginx) => {
            let url = format!("http://127.0.0.1:{nginx_port}/all.rss");
            assert_eq!(fetch(&url, false).as_deref(), Some(&body[..]));
            report("nginx, same bytes from disk (identity)", wrk(&url, false));
            report("nginx, same bytes from disk (gzip_static)", wrk(&url, true));
        }
        None => println!("nginx is not installed (apt-get install nginx-light); no peer figure"),
    }
    drop(server);
}
