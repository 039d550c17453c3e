//! Polling on schedule. tokio-cron-scheduler runs one dispatcher tick every few seconds; the
//! tick takes sources whose `next_fetch_at` is due from the store into a bounded pool of poll
//! tasks. There is deliberately no cron job per source: the library drops job starts when
//! thousands fire at once and does not stop a slow job overlapping itself (DEPENDENCIES.md).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::ingest::Ingestor;
use crate::store::sources;
use crate::store::{Store, StoreError};

/// How often the dispatcher looks for due sources (6-field cron, seconds first). Two seconds
/// keeps a due source waiting at most that long, for one cheap indexed query per tick.
const DISPATCH_EVERY: &str = "*/2 * * * * *";

/// Hands due sources to poll tasks, never more than `max_concurrency` at once and never the
/// same source twice at the same time.
struct Dispatcher {
    ingestor: Arc<Ingestor>,
    store: Store,
    permits: Arc<Semaphore>,
    in_flight: Mutex<HashSet<String>>,
}

impl Dispatcher {
    /// Start polls for due sources; returns how many were started.
    async fn tick(self: &Arc<Self>) -> Result<usize, StoreError> {
        let free = self.permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let busy = self.in_flight.lock().map(|s| s.len()).unwrap_or(0);
        let limit = i64::try_from(free + busy).unwrap_or(i64::MAX);
        let due = self
            .store
            .run(move |c| sources::due(c, Utc::now(), limit))
            .await?;
        let mut started = 0;
        for source in due {
            let fresh = self
                .in_flight
                .lock()
                .map(|mut s| s.insert(source.id.clone()))
                .unwrap_or(false);
            if !fresh {
                continue;
            }
            started += 1;
            let this = Arc::clone(self);
            tokio::spawn(async move {
                let _permit = Arc::clone(&this.permits).acquire_owned().await;
                this.ingestor.poll(&source).await;
                if let Ok(mut s) = this.in_flight.lock() {
                    s.remove(&source.id);
                }
            });
        }
        Ok(started)
    }
}

/// The running scheduler; drop or [`SchedulerHandle::shutdown`] to stop it.
pub struct SchedulerHandle {
    jobs: JobScheduler,
}

impl SchedulerHandle {
    /// Stop dispatching (polls already running finish on their own).
    pub async fn shutdown(mut self) {
        if let Err(e) = self.jobs.shutdown().await {
            tracing::warn!(error = %e, "scheduler shutdown");
        }
    }
}

/// Start dispatching, with a first tick right away so every due source is polled at start.
pub async fn start(
    ingestor: Arc<Ingestor>,
    max_concurrency: usize,
) -> Result<SchedulerHandle, JobSchedulerError> {
    let dispatcher = Arc::new(Dispatcher {
        store: ingestor.store().clone(),
        ingestor,
        permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
        in_flight: Mutex::new(HashSet::new()),
    });
    let jobs = JobScheduler::new().await?;
    let d = Arc::clone(&dispatcher);
    jobs.add(Job::new_async(DISPATCH_EVERY, move |_, _| {
        let d = Arc::clone(&d);
        Box::pin(async move { run_tick(&d).await })
    })?)
    .await?;
    jobs.start().await?;
    tokio::spawn(async move { run_tick(&dispatcher).await });
    Ok(SchedulerHandle { jobs })
}

async fn run_tick(d: &Arc<Dispatcher>) {
    match d.tick().await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(started = n, "dispatched polls"),
        Err(e) => tracing::warn!(error = %e, "dispatcher tick failed; retrying next tick"),
    }
}
