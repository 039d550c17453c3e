//! Startup: the one place that wires configuration, store, ingest, scheduler and server
//! together, for `serve`, `fetch` and `parse`.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use anyhow::Context as _;
use chrono::Utc;
use chrono_tz::Tz;
use url::Url;

use crate::config::{Config, FetchConfig};
use crate::domain::Item;
use crate::domain::redact::redact;
use crate::fetch::{Fetcher, Validators};
use crate::ingest::{self, Ingestor, PollReport, Summary};
use crate::normalize;
use crate::parse;
use crate::reclassify;
use crate::reload::Reloader;
use crate::rules::{Live, Rules};
use crate::scheduler::{self, SchedulerHandle};
use crate::server::images::ImageProxy;
use crate::server::{self, AppState, FeedCache, Surface};
use crate::store::{Store, sources};
use crate::views::Counter;

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
    let limits = config.database.limits();
    tokio::task::spawn_blocking(move || Store::open(&url, limits))
        .await
        .context("store task failed")?
        .with_context(|| format!("cannot open the store at {}", redact(&config.database.url)))
}

/// Run the store's pending migrations and nothing else; returns the versions applied.
pub async fn migrate(config: &Config) -> anyhow::Result<Vec<String>> {
    let url = config.database.url.clone();
    let limits = crate::store::Limits {
        pool_size: 1,
        ..config.database.limits()
    };
    tokio::task::spawn_blocking(move || Store::connect(&url, limits)?.migrate())
        .await
        .context("store task failed")?
        .with_context(|| {
            format!(
                "cannot migrate the store at {}",
                redact(&config.database.url)
            )
        })
}

fn ingestor(
    config: &Config,
    store: Store,
    rules: Arc<Live<Rules>>,
) -> anyhow::Result<Arc<Ingestor>> {
    ingestor_with(config, Fetcher::new(&config.fetch)?, store, rules, false)
}

fn ingestor_with(
    config: &Config,
    fetcher: Fetcher,
    store: Store,
    rules: Arc<Live<Rules>>,
    force: bool,
) -> anyhow::Result<Arc<Ingestor>> {
    let mut ingestor = Ingestor::new(fetcher, store, rules, config.timing)
        .with_limits(lease_length(config), config.fetch.parse_budget);
    if force {
        ingestor = ingestor.forcing();
    }
    if let Some(hub) = &config.websub.hub {
        ingestor = ingestor.with_websub(crate::websub::Publisher::new(
            hub.clone(),
            config.server.public_url.clone(),
            &config.fetch.user_agent,
        )?);
    }
    Ok(Arc::new(ingestor))
}

/// How long a poll may hold its source: long enough for the fetch (with redirects and a
/// the feed a page advertises) and the write, short enough that a dead process's sources come back soon.
pub fn lease_length(config: &Config) -> std::time::Duration {
    config.fetch.timeout * 8 + std::time::Duration::from_secs(60)
}

/// A running `serve`: the HTTP server and/or the scheduler.
pub struct Running {
    /// Where HTTP is served (a worker serves its probes and metrics there).
    pub addr: Option<SocketAddr>,
    pub store: Store,
    server: Option<(ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>)>,
    scheduler: Option<SchedulerHandle>,
    /// The web role's view counter and the task that writes its counts.
    views: Option<(Arc<Counter>, tokio::task::JoinHandle<()>)>,
    reloader: Reloader,
    feed_cache: Arc<FeedCache>,
    /// Reclassification of stored items under changed rules, started with the process.
    rules_applied: Option<tokio::task::JoinHandle<()>>,
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
    // Every role listens (a worker for its probes and metrics only). First, so that a taken
    // address fails the start before this process claims any source.
    let listener = TcpListener::bind(config.server.listen)
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let store = open_store(&config).await?;
    let rules = Rules::new(&config)?;
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

    let reloader = Reloader::new(config.clone(), rules, store.clone());
    let rules_applied = if role.polls() {
        // Stored items follow changed rules without refetching; serving starts meanwhile.
        let r = reloader.clone();
        Some(tokio::spawn(async move {
            if let Err(e) = r.apply_rules().await {
                tracing::error!(error = %format!("{e:#}"), "cannot apply the topic and tag rules to stored items");
            }
        }))
    } else {
        None
    };

    let scheduler = if role.polls() {
        let ingestor = ingestor(&config, store.clone(), Arc::clone(&reloader.rules))?;
        let lease = lease_length(&config);
        let retention = config.fetch.log_retention;
        let policy = crate::store::retention::Policy {
            max_age: config.retention.max_age,
            max_items_per_source: config
                .retention
                .max_items_per_source
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        };
        Some(
            scheduler::start(
                ingestor,
                (
                    config.fetch.max_concurrency,
                    config.fetch.max_articles_per_poll,
                ),
                lease,
                retention,
                policy,
            )
            .await?,
        )
    } else {
        None
    };

    let addr = listener.local_addr()?;
    let nudge = scheduler.as_ref().map(SchedulerHandle::nudger);
    let views = Arc::new(Counter::new());
    let flusher = role.serves().then(|| {
        tokio::spawn(flush_views(
            Arc::clone(&views),
            store.clone(),
            config.discovery.flush_interval,
        ))
    });
    let feed_cache = Arc::new(FeedCache::new(
        config.server.feed_cache,
        config.server.change_poll,
    ));
    let images = if config.site.image_proxy && role.serves() {
        Some(Arc::new(ImageProxy::new(
            &image_key(&store).await?,
            Fetcher::new(&config.fetch)?,
        )))
    } else {
        None
    };
    let state = AppState {
        images,
        store: store.clone(),
        config: Arc::clone(&reloader.config),
        rules: Arc::clone(&reloader.rules),
        reloader: reloader.clone(),
        feed_cache: Arc::clone(&feed_cache),
        admin_token,
        nudge,
        views: Arc::clone(&views),
        trends: Arc::default(),
    };
    let surface = if role.serves() {
        Surface::Everything
    } else {
        Surface::Operations
    };
    let server = server::run(listener, state, surface)?;
    let handle = server.handle();
    tracing::info!(%addr, ?surface, "serving HTTP");
    let (addr, server, views) = (
        Some(addr),
        Some((handle, tokio::spawn(server))),
        flusher.map(|flusher| (views, flusher)),
    );
    Ok(Running {
        addr,
        store,
        server,
        views,
        scheduler,
        reloader,
        feed_cache,
        rules_applied,
    })
}

impl Running {
    /// The process's live configuration and rules.
    pub fn reloader(&self) -> &Reloader {
        &self.reloader
    }

    /// The process's rendered feeds.
    pub fn feed_cache(&self) -> &Arc<FeedCache> {
        &self.feed_cache
    }

    /// Wait until stored items have been reclassified under the rules in force at start (at
    /// once when this process does not poll).
    pub async fn rules_applied(&mut self) {
        if let Some(join) = self.rules_applied.take() {
            let _ = join.await;
        }
    }

    /// Run until SIGINT/SIGTERM or until the server stops, then shut down. SIGHUP reloads the
    /// configuration.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut hangups = hangup_signals();
        loop {
            let server_done = async {
                match self.server.as_mut() {
                    Some((_, join)) => join.await,
                    None => std::future::pending().await,
                }
            };
            let hangup = async {
                match hangups.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown_signal() => {
                    tracing::info!("signal received; shutting down");
                    break;
                }
                _ = hangup => {
                    tracing::info!("SIGHUP received; reloading the configuration");
                    if let Err(e) = self.reloader.reload().await {
                        tracing::error!(error = %format!("{e:#}"), "reload refused; the previous configuration stays in force");
                    }
                }
                result = server_done => {
                    result.context("server task failed")?.context("server failed")?;
                    break;
                }
            }
        }
        // A second signal while shutting down (in-flight polls get a grace period) exits at once.
        tokio::select! {
            () = self.stop() => {}
            () = shutdown_signal() => {
                tracing::warn!("second signal received; exiting at once");
                std::process::exit(130);
            }
        }
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
        // The server has answered its last request: write what it counted.
        if let Some((views, flusher)) = self.views {
            flusher.abort();
            match views.flush(&self.store).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(items = n, "view counts written at shutdown"),
                Err(e) => {
                    tracing::error!(error = %e, "cannot write view counts at shutdown; they are lost")
                }
            }
        }
    }
}

/// Write counted views and searches every `interval`.
async fn flush_views(views: Arc<Counter>, store: Store, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match views.flush(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(items = n, "view counts written"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot write view counts; keeping them for the next try")
            }
        }
    }
}

#[cfg(unix)]
fn hangup_signals() -> Option<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup_signals() -> Option<NoSignal> {
    None
}

#[cfg(not(unix))]
struct NoSignal;

#[cfg(not(unix))]
impl NoSignal {
    async fn recv(&mut self) -> Option<()> {
        None
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

/// The image route's signing key: `CROSSFEED_IMAGE_KEY`, else one made once and kept in the
/// store, so that every process sharing the store signs alike and addresses survive restarts.
async fn image_key(store: &Store) -> anyhow::Result<Vec<u8>> {
    if let Ok(key) = std::env::var(crate::config::IMAGE_KEY_ENV)
        && !key.trim().is_empty()
    {
        return Ok(key.trim().as_bytes().to_vec());
    }
    let fresh = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let key = store
        .run(move |c| crate::store::meta::get_or_init(c, crate::store::meta::IMAGE_KEY, &fresh))
        .await?;
    Ok(key.into_bytes())
}

/// Poll every enabled source (or only `only`) once now. `on_start` learns how many will run
/// and which are being polled by another process right now (and so are skipped).
pub async fn fetch_once(
    config: &Config,
    only: Option<&str>,
    on_start: impl FnOnce(usize, &[String]),
    on_done: impl FnMut(&PollReport),
) -> anyhow::Result<Summary> {
    fetch_with(config, (only, false), on_start, on_done).await
}

/// [`fetch_once`], and with `force` every source is fetched whole and read again, ignoring its
/// stored ETag and Last-Modified, so that its stored items get what a newer crossfeed reads
/// differently (changed items are updated; unchanged ones stay as they are).
pub async fn fetch_with(
    config: &Config,
    (only, force): (Option<&str>, bool),
    on_start: impl FnOnce(usize, &[String]),
    on_done: impl FnMut(&PollReport),
) -> anyhow::Result<Summary> {
    let started = std::time::Instant::now();
    // The topic rules and the HTTP client (whose TLS roots come from the system's certificate
    // store) take a few tens of milliseconds to build: done on another thread while the
    // store opens, so the first request leaves sooner.
    let prepared = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            Ok((Rules::new(&config)?, Fetcher::new(&config.fetch)?))
        })
    };
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
    let (rules, fetcher) = prepared.await.context("the start-up task failed")??;
    let ingestor = ingestor_with(config, fetcher, store, Arc::new(Live::new(rules)), force)?;
    let mut summary = ingestor
        .poll_many(claimed, &owner, config.fetch.max_concurrency, on_done)
        .await;
    tracing::debug!(elapsed = ?started.elapsed(), "polls done");
    // The articles the polls asked for (full_content), as the server's background job would
    // fetch them, until none is due; bounded by a lease's length, so that the command ends.
    let articles = ingest::articles::drain(
        &ingestor,
        usize::MAX,
        config.fetch.max_articles_per_poll,
        std::time::Instant::now() + lease_length(config),
    )
    .await;
    summary.articles = articles.stored;
    summary.articles_failed = articles.failed;
    Ok(summary)
}

/// Fetch the source `id` now and read it as its poll would, storing nothing: one JSON object
/// per item (the fields `parse` prints, with `topics` and `tags`), its content the article
/// extracted from its link when the source has `full_content` (for the first
/// `fetch.max_articles_per_poll` items that want one; an article that fails says why in
/// `article_error`). For writing and checking selectors.
pub async fn preview(config: &Config, id: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let source = config
        .sources
        .iter()
        .find(|s| s.id.as_str() == id)
        .ok_or_else(|| anyhow::anyhow!("no configured source has the id {id:?}"))?;
    preview_source(config, source).await
}

/// What `source` (configured or not) would yield now, one JSON object per item, as
/// [`preview`] prints it.
pub async fn preview_source(
    config: &Config,
    source: &crate::config::SourceConfig,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let id = source.id.as_str();
    let rules = Rules::new(config)?;
    let reader = ingest::Reader::new(
        Fetcher::new(&config.fetch)?,
        Arc::new(Live::new(rules)),
        config.fetch.parse_budget,
    );
    let ready = reader
        .read(source, Utc::now())
        .await
        .with_context(|| format!("cannot read {id}"))?;
    let mut articles_left = config.fetch.max_articles_per_poll;
    let mut out = Vec::with_capacity(ready.len());
    for r in ready {
        let mut item = r.classified.item.clone();
        let mut article_error = None;
        if let (true, Some(how), Some(link)) = (
            r.wants_article() && articles_left > 0,
            source.full_content.as_ref(),
            item.link.clone(),
        ) {
            articles_left -= 1;
            match reader
                .article(&link, source.url.as_str(), how, source.timezone)
                .await
            {
                Ok(article) => {
                    item.content = Some(article.html);
                    // A list that shows no date: the article page's, as a poll stores it.
                    item.published = item.published.or(article.published);
                }
                Err(e) => article_error = Some(e.to_string()),
            }
        }
        let mut value = serde_json::to_value(&item)?;
        if let Some(object) = value.as_object_mut() {
            let topics: Vec<&str> = r
                .classified
                .topics
                .iter()
                .map(|t| t.slug.as_str())
                .collect();
            let tags: Vec<&str> = r.classified.tags.iter().map(|t| t.label.as_str()).collect();
            object.insert("topics".into(), serde_json::json!(topics));
            object.insert("tags".into(), serde_json::json!(tags));
            if let Some(e) = article_error {
                object.insert("article_error".into(), serde_json::json!(e));
            }
        }
        out.push(value);
    }
    Ok(out)
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
    let what = ingest::Target {
        url: &url,
        trusted: &url,
    };
    let (fetched, text) =
        // The operator's own argument names what failed: the fetcher's texts show a file's
        // name only.
        match ingest::fetch_document(&fetcher, what, &Validators::default())
            .await
            .with_context(|| format!("cannot fetch {target}"))?
        {
            ingest::Document::Feed { fetched, text, .. } => (*fetched, text),
            ingest::Document::NotModified(_) => anyhow::bail!("{target}: unexpected 304"),
        };
    let now = Utc::now();
    let feed =
        parse::parse_text(&text, tz, now).with_context(|| format!("cannot parse {target}"))?;
    let base = crate::domain::redact::without_secrets(&fetched.url);
    let ctx = normalize::Context {
        fetch_url: &base,
        fetched_at: now,
    };
    Ok(normalize::normalize_feed(&feed, &ctx))
}

/// Re-run the configured topic and tag rules over every stored item (or only `topic`'s
/// membership); with `dry_run`, report what would change and change nothing.
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
    let rules = Rules::new(config)?;
    let topic = topic.map(str::to_owned);
    Ok(store
        .run(move |c| {
            let report = reclassify::reclassify(c, &rules, topic.as_deref(), dry_run)?;
            if !dry_run && topic.is_none() {
                reclassify::mark_applied(c, &rules)?;
            }
            Ok(report)
        })
        .await?)
}
