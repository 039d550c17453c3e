//! Startup: the one place that wires configuration, store, ingest, scheduler and server
//! together, for `serve`, `fetch` and `parse`.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use anyhow::Context as _;
use chrono::Utc;
use chrono_tz::Tz;
use url::Url;

use crate::classify::Classifier;
use crate::config::{Config, FetchConfig};
use crate::domain::Item;
use crate::fetch::{Fetcher, Validators};
use crate::ingest::{self, Ingestor, PollReport, Summary};
use crate::normalize;
use crate::parse;
use crate::scheduler::{self, SchedulerHandle};
use crate::server::{self, AppState};
use crate::store::{Store, sources};

/// Which parts of crossfeed a `serve` process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// Poll sources and serve HTTP.
    #[default]
    All,
    /// Serve HTTP only.
    Web,
    /// Poll sources only.
    Worker,
}

impl Role {
    fn polls(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }

    fn serves(self) -> bool {
        matches!(self, Role::All | Role::Web)
    }
}

/// Open the configured store (running migrations) on a blocking thread.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.database.url.clone();
    let pool_size = config.database.pool_size;
    tokio::task::spawn_blocking(move || Store::open(&url, pool_size))
        .await
        .context("store task failed")?
        .with_context(|| format!("cannot open the store at {}", redact(&config.database.url)))
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn ingestor(config: &Config, store: Store) -> anyhow::Result<Arc<Ingestor>> {
    let fetcher = Fetcher::new(&config.fetch)?;
    let classifier = Arc::new(Classifier::new(&config.topics)?);
    Ok(Arc::new(Ingestor::new(
        fetcher,
        store,
        classifier,
        config.timing,
    )))
}

/// How long a poll may hold its source: long enough for the fetch (with redirects and a
/// discovered feed) and the write, short enough that a dead process's sources come back soon.
pub fn lease_length(config: &Config) -> std::time::Duration {
    config.fetch.timeout * 8 + std::time::Duration::from_secs(60)
}

/// A running `serve`: the HTTP server and/or the scheduler.
pub struct Running {
    /// Where HTTP is served (None for the worker role).
    pub addr: Option<SocketAddr>,
    pub store: Store,
    server: Option<(ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>)>,
    scheduler: Option<SchedulerHandle>,
}

/// Migrate, load sources from the configuration, and start what `role` runs. The admin token
/// comes from the environment variable `server.admin_token_env` names.
pub async fn start(config: Config, role: Role) -> anyhow::Result<Running> {
    let admin_token = std::env::var(&config.server.admin_token_env)
        .ok()
        .filter(|t| !t.trim().is_empty());
    if admin_token.is_none() {
        tracing::info!(variable = %config.server.admin_token_env, "no admin token set; admin routes are disabled");
    }
    start_with_admin_token(config, role, admin_token).await
}

/// [`start`] with the admin token given rather than read from the environment.
pub async fn start_with_admin_token(
    config: Config,
    role: Role,
    admin_token: Option<String>,
) -> anyhow::Result<Running> {
    let store = open_store(&config).await?;
    let configured = config.sources.clone();
    let report = store
        .run(move |c| sources::sync_from_config(c, &configured, Utc::now()))
        .await
        .context("cannot load sources into the store")?;
    tracing::info!(
        added = report.added,
        updated = report.updated,
        disabled = report.disabled,
        "sources loaded from the configuration"
    );

    let scheduler = if role.polls() {
        let ingestor = ingestor(&config, store.clone())?;
        let lease = lease_length(&config);
        let retention = config.fetch.log_retention;
        Some(scheduler::start(ingestor, config.fetch.max_concurrency, lease, retention).await?)
    } else {
        None
    };

    let (addr, server) = if role.serves() {
        let listener = TcpListener::bind(config.server.listen)
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        let nudge = scheduler.as_ref().map(SchedulerHandle::nudger);
        let state = AppState {
            store: store.clone(),
            config: Arc::new(config),
            admin_token,
            nudge,
        };
        let server = server::run(listener, state)?;
        let handle = server.handle();
        tracing::info!(%addr, "serving HTTP");
        (Some(addr), Some((handle, tokio::spawn(server))))
    } else {
        (None, None)
    };
    Ok(Running {
        addr,
        store,
        server,
        scheduler,
    })
}

impl Running {
    /// Run until SIGINT/SIGTERM or until the server stops, then shut down.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let server_done = async {
            match self.server.as_mut() {
                Some((_, join)) => join.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown_signal() => tracing::info!("signal received; shutting down"),
            result = server_done => {
                result.context("server task failed")?.context("server failed")?;
            }
        }
        self.stop().await;
        Ok(())
    }

    /// Stop dispatching polls and stop the server gracefully.
    pub async fn stop(self) {
        if let Some(s) = self.scheduler {
            s.shutdown().await;
        }
        if let Some((handle, join)) = self.server {
            handle.stop(true).await;
            let _ = join.await;
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Poll every enabled source (or only `only`) once now. `on_start` learns how many will run
/// and which are being polled by another process right now (and so are skipped).
pub async fn fetch_once(
    config: &Config,
    only: Option<&str>,
    on_start: impl FnOnce(usize, &[String]),
    on_done: impl FnMut(&PollReport),
) -> anyhow::Result<Summary> {
    let started = std::time::Instant::now();
    let store = open_store(config).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "store open");
    let configured = config.sources.clone();
    store
        .run(move |c| sources::sync_from_config(c, &configured, Utc::now()))
        .await?;
    tracing::debug!(elapsed = ?started.elapsed(), "sources synced");
    let mut rows = store.run(sources::list).await?;
    match only {
        Some(id) => {
            rows.retain(|r| r.id == id);
            anyhow::ensure!(!rows.is_empty(), "no configured source has the id {id:?}");
        }
        None => rows.retain(|r| r.enabled),
    }
    let wanted: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    let owner = scheduler::process_id();
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease_length(config))?;
    let (claimed, ids) = {
        let owner = owner.clone();
        let ids = wanted.clone();
        let claimed = store
            .run(move |c| sources::claim(c, &owner, sources::Claim::Ids(&ids), now, until))
            .await?;
        (claimed, wanted)
    };
    let skipped: Vec<String> = ids
        .into_iter()
        .filter(|id| !claimed.iter().any(|r| &r.id == id))
        .collect();
    on_start(claimed.len(), &skipped);
    tracing::debug!(elapsed = ?started.elapsed(), claimed = claimed.len(), "sources claimed");
    let ingestor = ingestor(config, store)?;
    let summary = ingestor
        .poll_many(claimed, &owner, config.fetch.max_concurrency, on_done)
        .await;
    tracing::debug!(elapsed = ?started.elapsed(), "polls done");
    Ok(summary)
}

/// Parse and normalize one feed (a file path, a `file:` URL or an http(s) URL; an HTML page is
/// followed to the feed it advertises) without a store, reading zone-less dates in `tz`.
pub async fn parse_one(target: &str, tz: Tz, fetch: &FetchConfig) -> anyhow::Result<Vec<Item>> {
    let url = match Url::parse(target) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => u,
        _ => {
            let path = std::path::absolute(target).with_context(|| format!("bad path {target}"))?;
            Url::from_file_path(&path)
                .map_err(|()| anyhow::anyhow!("cannot read {}", path.display()))?
        }
    };
    let fetcher = Fetcher::new(fetch)?;
    let (fetched, text) =
        match ingest::fetch_document(&fetcher, &url, &Validators::default()).await? {
            ingest::Document::Feed { fetched, text, .. } => (*fetched, text),
            ingest::Document::NotModified(_) => anyhow::bail!("{target}: unexpected 304"),
        };
    let now = Utc::now();
    let feed =
        parse::parse_text(&text, tz, now).with_context(|| format!("cannot parse {target}"))?;
    let ctx = normalize::Context {
        fetch_url: &fetched.url,
        fetched_at: now,
    };
    Ok(normalize::normalize_feed(&feed, &ctx))
}

/// Re-run the configured topic rules over every stored item (or only `topic`'s membership);
/// with `dry_run`, report what would change and change nothing.
pub async fn reclassify_stored(
    config: &Config,
    topic: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<crate::reclassify::Report> {
    if let Some(slug) = topic {
        anyhow::ensure!(
            config.topic(slug).is_some(),
            "no configured topic has the slug {slug:?}"
        );
    }
    let store = open_store(config).await?;
    let classifier = Classifier::new(&config.topics)?;
    let topic = topic.map(str::to_owned);
    Ok(store
        .run(move |c| crate::reclassify::reclassify(c, &classifier, topic.as_deref(), dry_run))
        .await?)
}
