//! The pipeline for one source, in one order: fetch → parse → normalize → classify → upsert.
//! Everything a poll stores (its items, their topics, the source's fetch state) is written in
//! one transaction, so a crash mid-poll leaves nothing half-written. A failure is recorded on
//! the source and never stops other sources.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::classify::Classifier;
use crate::domain::{Item, Schedule, TopicMatch};
use crate::fetch::{FetchError, Fetcher};
use crate::normalize::{self, FeedInfo};
use crate::parse::{self, ParseError};
use crate::store::items::{self, UpsertCounts};
use crate::store::sources::{self, FetchRecord, SourceRow};
use crate::store::{Store, StoreError};

/// Used when a stored schedule no longer parses (it was written by another version).
const FALLBACK_SCHEDULE: &str = "every 15m";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bad source URL {0:?}")]
    Url(String),
    #[error("the parse task failed")]
    Task,
}

/// How one poll went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    Stored(UpsertCounts),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct PollReport {
    pub source_id: String,
    pub outcome: PollOutcome,
}

/// Totals over many polls, for the CLI's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub sources: usize,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl Summary {
    pub fn add(&mut self, report: &PollReport) {
        self.sources += 1;
        match &report.outcome {
            PollOutcome::Stored(c) => {
                self.new += c.new;
                self.updated += c.updated;
                self.unchanged += c.unchanged;
            }
            PollOutcome::Failed(_) => self.failed += 1,
        }
    }
}

/// Runs the pipeline; shared by the scheduler and the `fetch` command.
pub struct Ingestor {
    fetcher: Fetcher,
    store: Store,
    classifier: Arc<Classifier>,
}

impl Ingestor {
    pub fn new(fetcher: Fetcher, store: Store, classifier: Arc<Classifier>) -> Self {
        Self {
            fetcher,
            store,
            classifier,
        }
    }

    /// Poll one source now and record the outcome on it.
    #[tracing::instrument(skip_all, fields(source = %source.id))]
    pub async fn poll(&self, source: &SourceRow) -> PollReport {
        let now = Utc::now();
        let tz: Tz = source.timezone.parse().unwrap_or(Tz::UTC);
        let schedule = Schedule::parse(&source.schedule)
            .or_else(|_| Schedule::parse(FALLBACK_SCHEDULE))
            .ok();
        let next = schedule.map_or(now + chrono::Duration::minutes(15), |s| {
            s.next_after(now, tz)
        });
        let id = source.id.clone();

        let outcome = match self.prepare(source, tz, now).await {
            Ok((status, info, prepared)) => {
                let record = FetchRecord::Success {
                    status,
                    title: info.title,
                    site_url: info.site_url,
                };
                let sid = id.clone();
                let stored = self
                    .store
                    .transaction(move |conn| {
                        let counts = items::upsert_for_source(conn, &sid, &prepared, now)?;
                        sources::record_fetch(conn, &sid, now, next, &record)?;
                        Ok(counts)
                    })
                    .await;
                match stored {
                    Ok(counts) => Ok(counts),
                    Err(e) => Err((None, IngestError::Store(e))),
                }
            }
            Err(e) => Err(e),
        };

        match outcome {
            Ok(counts) => {
                tracing::info!(
                    new = counts.new,
                    updated = counts.updated,
                    unchanged = counts.unchanged,
                    "polled"
                );
                PollReport {
                    source_id: id,
                    outcome: PollOutcome::Stored(counts),
                }
            }
            Err((status, e)) => {
                let error = e.to_string();
                tracing::warn!(error = %error, "poll failed");
                let record = FetchRecord::Failure {
                    status,
                    error: error.clone(),
                };
                let sid = id.clone();
                if let Err(store_err) = self
                    .store
                    .run(move |conn| sources::record_fetch(conn, &sid, now, next, &record))
                    .await
                {
                    tracing::error!(error = %store_err, "cannot record the failure");
                }
                PollReport {
                    source_id: id,
                    outcome: PollOutcome::Failed(error),
                }
            }
        }
    }

    /// Fetch, then parse, normalize and classify on a blocking thread (CPU work).
    async fn prepare(
        &self,
        source: &SourceRow,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<(Option<i32>, FeedInfo, Vec<(Item, Vec<TopicMatch>)>), (Option<i32>, IngestError)>
    {
        let url =
            Url::parse(&source.url).map_err(|_| (None, IngestError::Url(source.url.clone())))?;
        let fetched = self
            .fetcher
            .fetch(&url)
            .await
            .map_err(|e| (e.status().map(i32::from), e.into()))?;
        let status = fetched.status.map(i32::from);
        let classifier = Arc::clone(&self.classifier);
        let prepared = tokio::task::spawn_blocking(move || {
            let feed = parse::parse_feed(&fetched.body, fetched.charset(), tz, now)?;
            let ctx = normalize::Context {
                fetch_url: &fetched.url,
                fetched_at: now,
            };
            let info = normalize::feed_info(&feed, &ctx);
            let items = normalize::normalize_feed(&feed, &ctx)
                .into_iter()
                .map(|item| {
                    let topics = classifier.classify(&item);
                    (item, topics)
                })
                .collect::<Vec<_>>();
            Ok::<_, ParseError>((info, items))
        })
        .await
        .map_err(|_| (status, IngestError::Task))?
        .map_err(|e| (status, IngestError::Parse(e)))?;
        Ok((status, prepared.0, prepared.1))
    }

    /// Poll `sources` with at most `concurrency` at a time; `on_done` sees each report as it
    /// arrives.
    pub async fn poll_many(
        self: &Arc<Self>,
        sources: Vec<SourceRow>,
        concurrency: usize,
        mut on_done: impl FnMut(&PollReport),
    ) -> Summary {
        let limit = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for source in sources {
            let this = Arc::clone(self);
            let limit = Arc::clone(&limit);
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                this.poll(&source).await
            });
        }
        let mut summary = Summary::default();
        while let Some(joined) = tasks.join_next().await {
            let report = joined.unwrap_or_else(|e| PollReport {
                source_id: "?".into(),
                outcome: PollOutcome::Failed(format!("poll task failed: {e}")),
            });
            summary.add(&report);
            on_done(&report);
        }
        summary
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
