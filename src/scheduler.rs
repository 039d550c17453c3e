//! Polling on schedule. tokio-cron-scheduler runs one dispatcher tick every few seconds; the
//! tick claims due sources in the store (a lease, so that several processes sharing a Postgres
//! never poll the same source at once) into a bounded pool of poll tasks. There is deliberately
//! no cron job per source: the library starts jobs through a channel of 200, so it drops job
//! starts when thousands fire at once (15% of 2,000 due in one second were lost when probed),
//! and it does not stop a slow job overlapping itself. Other jobs fetch full articles, fold
//! stories, extract tags, apply retention and prune the fetch log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::ingest::Ingestor;
use crate::reclassify;
use crate::rules::{Live, Rules};
use crate::store::retention::{self, Policy};
use crate::store::{DbConn, Store, StoreError, bands, fetch_log, sources};

/// How often the dispatcher looks for due sources (6-field cron, seconds first). Two seconds
/// keeps a due source waiting at most that long, for one cheap indexed query per tick.
const DISPATCH_EVERY: &str = "*/2 * * * * *";

/// When the fetch log is pruned: hourly, at an odd minute to stay clear of other hourly work.
const PRUNE_EVERY: &str = "0 17 * * * *";

/// How often the enrichment job looks for items still without extracted keywords or a cluster.
const ENRICH_EVERY: &str = "*/3 * * * * *";

/// How often the article job looks for articles to fetch (sources with `full_content`).
const ARTICLES_EVERY: &str = "*/5 * * * * *";

/// Articles one run of the job claims at most, over all sources (each source at most
/// `fetch.max_articles_per_poll` per claim), while articles are due and the run's budget lasts:
/// a cold start's backlog drains at up to 512 articles a run, politely.
const ARTICLES_PER_RUN: usize = 512;
const ARTICLES_RUN_BUDGET: Duration = Duration::from_secs(60);

/// Batches one run of the keyword job does at most, so that it never runs long.
const BATCHES_PER_RUN: usize = 50;

/// How long shutdown waits for polls in flight before leaving them to their leases.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Hands claimed sources to poll tasks, never more than `max_concurrency` at once.
struct Dispatcher {
    ingestor: Arc<Ingestor>,
    store: Store,
    permits: Arc<Semaphore>,
    max_concurrency: usize,
    owner: String,
    lease: Duration,
}

impl Dispatcher {
    /// Claim due sources for the free poll slots and start their polls; returns how many.
    async fn tick(self: &Arc<Self>) -> Result<usize, StoreError> {
        let free = self.permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::hours(1));
        let owner = self.owner.clone();
        let limit = i64::try_from(free).unwrap_or(i64::MAX);
        let claimed = self
            .store
            .run(move |c| sources::claim(c, &owner, sources::Claim::Due(limit), now, until))
            .await?;
        let started = claimed.len();
        for source in claimed {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let permit = Arc::clone(&this.permits).acquire_owned().await;
                this.report_in_flight();
                this.ingestor.poll(&source, &this.owner).await;
                drop(permit);
                this.report_in_flight();
            });
        }
        Ok(started)
    }

    fn report_in_flight(&self) {
        let free = self.permits.available_permits();
        crate::metrics::polls_in_flight(self.max_concurrency.saturating_sub(free));
    }
}

/// The running scheduler.
pub struct SchedulerHandle {
    jobs: JobScheduler,
    dispatcher: Arc<Dispatcher>,
    nudge: Arc<Notify>,
}

impl SchedulerHandle {
    /// Look for due sources now instead of at the next tick (after a refresh request).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// A handle that can nudge the dispatcher from elsewhere (the HTTP server).
    pub fn nudger(&self) -> Arc<Notify> {
        Arc::clone(&self.nudge)
    }

    /// Stop dispatching and give polls in flight a moment to finish; the leases of any still
    /// running are given up, so another process polls those sources now. (A process killed
    /// outright leaves its leases to expire instead.)
    pub async fn shutdown(mut self) {
        if let Err(e) = self.jobs.shutdown().await {
            tracing::warn!(error = %e, "scheduler shutdown");
        }
        let all = u32::try_from(self.dispatcher.max_concurrency).unwrap_or(u32::MAX);
        let waited =
            tokio::time::timeout(SHUTDOWN_GRACE, self.dispatcher.permits.acquire_many(all)).await;
        if waited.is_err() {
            let owner = self.dispatcher.owner.clone();
            match self
                .dispatcher
                .store
                .run(move |c| sources::release_all(c, &owner))
                .await
            {
                Ok(n) => tracing::warn!(
                    released = n,
                    "polls still running at shutdown; their sources are left to other processes"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "polls still running at shutdown; cannot give up their leases, which will expire")
                }
            }
        }
    }
}

/// Start dispatching, with a first tick right away so every due source is polled at start.
pub async fn start(
    ingestor: Arc<Ingestor>,
    (max_concurrency, articles_per_source): (usize, usize),
    lease: Duration,
    log_retention: Duration,
    retention: Policy,
) -> Result<SchedulerHandle, JobSchedulerError> {
    let dispatcher = Arc::new(Dispatcher {
        store: ingestor.store().clone(),
        ingestor,
        permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
        max_concurrency: max_concurrency.max(1),
        owner: process_id(),
        lease,
    });
    tracing::info!(owner = %dispatcher.owner, "scheduler starting");
    let jobs = JobScheduler::new().await?;
    let d = Arc::clone(&dispatcher);
    jobs.add(Job::new_async(DISPATCH_EVERY, move |_, _| {
        let d = Arc::clone(&d);
        Box::pin(async move { run_tick(&d).await })
    })?)
    .await?;
    // Keyword extraction (jieba) and near-duplicate clustering run beside polling, never inside
    // it: a poll stores its items with category and source tags and unclustered, and this job
    // adds the extracted tags and folds the items into their stories a moment later.
    crate::tags::warm_up();
    let (store, rules) = (
        dispatcher.store.clone(),
        Arc::clone(dispatcher.ingestor.rules()),
    );
    let running = Arc::new(AtomicBool::new(false));
    jobs.add(Job::new_async(ENRICH_EVERY, move |_, _| {
        let (store, rules, running) = (store.clone(), Arc::clone(&rules), Arc::clone(&running));
        Box::pin(async move { enrich(&store, &rules, &running).await })
    })?)
    .await?;
    // Articles behind items (full_content) come beside polling too, never inside a poll.
    let (ingestor, running) = (
        Arc::clone(&dispatcher.ingestor),
        Arc::new(AtomicBool::new(false)),
    );
    jobs.add(Job::new_async(ARTICLES_EVERY, move |_, _| {
        let (ingestor, running) = (Arc::clone(&ingestor), Arc::clone(&running));
        Box::pin(async move {
            if running.swap(true, Ordering::AcqRel) {
                return;
            }
            let deadline = std::time::Instant::now() + ARTICLES_RUN_BUDGET;
            let r = crate::ingest::articles::drain(
                &ingestor,
                ARTICLES_PER_RUN,
                articles_per_source,
                deadline,
            )
            .await;
            if r.claimed() > 0 {
                tracing::debug!(stored = r.stored, failed = r.failed, "articles fetched");
            }
            running.store(false, Ordering::Release);
        })
    })?)
    .await?;
    let store = dispatcher.store.clone();
    jobs.add(Job::new_async(PRUNE_EVERY, move |_, _| {
        let store = store.clone();
        Box::pin(async move {
            prune_log(&store, log_retention).await;
            prune_items(&store, retention).await;
        })
    })?)
    .await?;
    jobs.start().await?;

    let nudge = Arc::new(Notify::new());
    let (d, n) = (Arc::clone(&dispatcher), Arc::clone(&nudge));
    tokio::spawn(async move {
        loop {
            run_tick(&d).await;
            n.notified().await;
        }
    });
    Ok(SchedulerHandle {
        jobs,
        dispatcher,
        nudge,
    })
}

/// A name for this process in source leases: host, pid and a random part.
pub fn process_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

async fn run_tick(d: &Arc<Dispatcher>) {
    match d.tick().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(started = n, "dispatched polls"),
        Err(e) => tracing::warn!(error = %e, "dispatcher tick failed; retrying next tick"),
    }
}

/// Extract keywords for items stored without them, then fold new items into their stories
/// (near-duplicate clusters), a batch at a time, until none is left (or the run's budget is
/// spent). A run that finds the previous one still going does nothing.
async fn enrich(store: &Store, rules: &Arc<Live<Rules>>, running: &AtomicBool) {
    if running.swap(true, Ordering::AcqRel) {
        return;
    }
    drain(store, "keywords extracted", || {
        let rules = rules.get();
        move |c: &mut DbConn| reclassify::extract_pending(c, &rules, reclassify::KEYWORD_BATCH)
    })
    .await;
    drain(store, "items clustered", || {
        let clustering = rules.get().clustering.clone();
        move |c: &mut DbConn| bands::cluster_pending(c, &clustering, bands::BATCH, Utc::now())
    })
    .await;
    running.store(false, Ordering::Release);
}

/// Run batches made by `batch` until one does nothing, an error, or the run's budget.
async fn drain<F>(store: &Store, what: &str, batch: impl Fn() -> F)
where
    F: FnOnce(&mut DbConn) -> Result<usize, StoreError> + Send + 'static,
{
    let mut done = 0;
    for _ in 0..BATCHES_PER_RUN {
        match store.run(batch()).await {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                tracing::warn!(error = %e, "{what}: failed; retrying next run");
                break;
            }
        }
    }
    if done > 0 {
        tracing::debug!(items = done, "{what}");
    }
}

/// Items deleted per batch by retention, and batches per hourly run.
const RETENTION_BATCH: i64 = 500;
const RETENTION_BATCHES: usize = 200;

/// Delete the items the retention policy lets go, a batch at a time.
async fn prune_items(store: &Store, policy: Policy) {
    if policy.is_off() {
        return;
    }
    let mut deleted = 0;
    for _ in 0..RETENTION_BATCHES {
        match store
            .run(move |c| retention::prune_batch(c, &policy, Utc::now(), RETENTION_BATCH))
            .await
        {
            Ok(0) => break,
            Ok(n) => deleted += n,
            Err(e) => {
                tracing::warn!(error = %e, "retention: cannot delete old items; retrying next hour");
                break;
            }
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "retention: deleted old items");
    }
}

/// Delete fetch log entries older than `retention`, and search counts older than the longest
/// trending window.
async fn prune_log(store: &Store, retention: Duration) {
    let old_searches = crate::store::stats::hour_of(Utc::now() - chrono::Duration::days(8));
    match store
        .run(move |c| crate::store::stats::prune_queries(c, old_searches))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::debug!(deleted = n, "pruned old search counts"),
        Err(e) => tracing::warn!(error = %e, "cannot prune search counts"),
    }
    let before =
        Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    match store.run(move |c| fetch_log::prune(c, before)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "pruned the fetch log"),
        Err(e) => tracing::warn!(error = %e, "cannot prune the fetch log"),
    }
}
