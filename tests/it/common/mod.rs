//! Test helpers: a fresh store per test (a temporary SQLite file, or a fresh Postgres database
//! on the server named by CROSSFEED_TEST_POSTGRES), a real upstream HTTP server on 127.0.0.1
//! serving fixture files, and the real app started on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossfeed::app::{self, Role, Running};
use crossfeed::config::Config;
use crossfeed::store::Store;
use diesel::{Connection, PgConnection, RunQueryDsl};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The environment variable naming a Postgres server the tests may create databases on.
pub const POSTGRES_ENV: &str = "CROSSFEED_TEST_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Define one async test per backend from a body `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                $body($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                $body($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDb {
    pub url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("crossfeed.db").display());
                Self {
                    url,
                    dir,
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
                    panic!(
                        "{POSTGRES_ENV} is not set, so the Postgres half of this test cannot run. \
                         Set it to a server the tests may create databases on, e.g. \
                         {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres \
                         (scripts/test does this)."
                    )
                });
                let name = format!("crossfeed_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("cannot reach Postgres at {admin}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> Store {
        Store::open(&self.url, crossfeed::store::Limits::with_pool(4)).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A real HTTP server on 127.0.0.1 standing in for upstream sites.
pub struct Upstream {
    pub server: MockServer,
}

impl Upstream {
    pub async fn start() -> Self {
        Self {
            server: MockServer::start().await,
        }
    }

    /// Serve the fixture file `name` at `at`.
    pub async fn serve(&self, at: &str, name: &str, content_type: &str) {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(name), content_type))
            .mount(&self.server)
            .await;
    }

    /// Answer `status` with a short body at `at`.
    pub async fn fail(&self, at: &str, status: u16) {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(status).set_body_string("upstream trouble"))
            .mount(&self.server)
            .await;
    }

    /// Forget every route (to serve a new version of a feed).
    pub async fn reset(&self) {
        self.server.reset().await;
    }

    pub fn url(&self, at: &str) -> String {
        format!("{}{at}", self.server.uri())
    }
}

/// The public URL test apps claim; self links are built from it.
pub const PUBLIC_URL: &str = "http://crossfeed.test";

/// Topics used by the tests (the shipped ones are tested separately).
pub const TOPICS_YAML: &str = r#"
topics:
  - slug: tiktok
    title: TikTok
    keywords: [TikTok, "TikTok Shop", 抖音, 抖音电商]
  - slug: amazon
    title: Amazon
    keywords: [Amazon, 亚马逊]
    exclude: ["Amazon River", 亚马逊河]
  - slug: lazada
    title: Lazada
    keywords: [Lazada, 来赞达]
"#;

/// A configuration with `sources` (YAML list items) against `db`, written in the db's dir. The
/// tests stand in for readers behind a proxy on 127.0.0.1 (X-Forwarded-For), so it is trusted.
pub fn config(db: &TestDb, sources: &str) -> Config {
    config_with(db, "  trusted_proxies: [\"127.0.0.1\"]\n", sources)
}

/// [`config`] with other `server:` settings (YAML lines indented by two) in place of the trusted
/// proxy.
pub fn config_with(db: &TestDb, server: &str, sources: &str) -> Config {
    let yaml = format!(
        "server:\n  listen: \"127.0.0.1:0\"\n  public_url: \"{PUBLIC_URL}\"\n{server}\
         database:\n  url: \"{}\"\n  pool_size: 4\n\
         fetch:\n  timeout: 5s\n\
         sources:\n{sources}\n{TOPICS_YAML}",
        db.url
    );
    let path = db.dir().join("crossfeed.yaml");
    std::fs::write(&path, &yaml).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("test config is invalid: {e}\n{yaml}"))
}

/// The usual three fixture sources on `upstream`, as YAML list items.
pub fn fixture_sources(upstream: &Upstream) -> String {
    format!(
        "  - id: kuajing\n    url: {}\n    timezone: Asia/Shanghai\n    tags: [中文]\n\
         \x20 - id: marketplace\n    url: {}\n\
         \x20 - id: briefs\n    url: {}\n",
        upstream.url("/kuajing.rss"),
        upstream.url("/marketplace.atom"),
        upstream.url("/briefs.json"),
    )
}

/// Serve the three fixture feeds.
pub async fn serve_fixtures(upstream: &Upstream) {
    upstream
        .serve(
            "/kuajing.rss",
            "kuajing.rss",
            "application/rss+xml; charset=utf-8",
        )
        .await;
    upstream
        .serve(
            "/marketplace.atom",
            "marketplace.atom",
            "application/atom+xml",
        )
        .await;
    upstream
        .serve("/briefs.json", "briefs.json", "application/feed+json")
        .await;
}

/// The running app with its HTTP address.
pub struct TestApp {
    pub base: String,
    pub running: Running,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn(config: Config) -> Self {
        Self::spawn_with_token(config, None).await
    }

    pub async fn spawn_with_token(config: Config, token: Option<&str>) -> Self {
        let running = app::start_with_admin_token(config, Role::All, token.map(String::from))
            .await
            .unwrap();
        let addr = running.addr.unwrap();
        Self {
            base: format!("http://{addr}"),
            running,
            client: reqwest::Client::new(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// Wait until every enabled source has been polled at least once.
    pub async fn wait_for_first_polls(&self) {
        let store = self.running.store.clone();
        for _ in 0..200 {
            let rows = store.run(crossfeed::store::sources::list).await.unwrap();
            if rows
                .iter()
                .filter(|r| r.enabled)
                .all(|r| r.last_fetch_at.is_some())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("sources were not polled within 10 seconds of start");
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// Titles of the entries of a feed document, parsed back with feed-rs.
pub fn titles(body: &[u8]) -> Vec<String> {
    let feed = feed_rs::parser::parse(body).expect("the feed parses back");
    feed.entries
        .into_iter()
        .map(|e| e.title.map(|t| t.content).unwrap_or_default())
        .collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A server on 127.0.0.1 that sends a feed's headers and then one byte a second, forever.
/// Returns its URL.
pub async fn drip_server() -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n<rss version=\"2.0\">";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if socket.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/drip.xml")
}

/// `size` bytes of spaces inside an RSS document, gzip-compressed: a small download that
/// inflates far past any sensible cap.
pub fn gzip_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(b"<rss version=\"2.0\"><channel><title>")
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..size / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.write_all(b"</title></channel></rss>").unwrap();
    encoder.finish().unwrap()
}
