//! The pipeline for one source, in one order: fetch (conditional GET) → decode → (discover a
//! feed on an HTML page) → parse → normalize → classify → upsert. Everything a poll stores (its
//! items, their topics, the source's fetch state and the fetch log entry) is written in one
//! transaction, so a crash mid-poll leaves nothing half-written. A failure is recorded on the
//! source, its next attempt backed off, and never stops other sources.
//!
//! The stages are modules: `fetch`, `parse` (feeds, list pages and articles), `normalize`;
//! `read` reads a source through them and `articles` fetches full articles in the background.
//! Beside the poll: `reclassify` re-runs the rules over stored items, `reload` holds the
//! configuration in force, `websub` tells hubs a topic feed changed.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

pub mod fetch;
pub mod normalize;
pub mod parse;
pub mod probe;
pub mod reclassify;
pub mod reload;
pub mod websub;
// The crates beneath this one, under the names its modules use for them.
use crossfeed_config as config;
use crossfeed_domain::{self as domain, text};
use crossfeed_metrics as metrics;
use crossfeed_rules::{self as rules, classify, dedupe, fold, search};
use crossfeed_store as store;

pub mod articles;
mod read;

pub use read::{NotModified, Reader};
use read::{Prepared, Reading, SourceFacts};

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::domain::redact::redact;
use crate::domain::{Freshness, Schedule, Timing};
use crate::fetch::{CacheHints, FetchError, Fetched, Fetcher, Outcome, Validators};
use crate::parse::{ParseError, charset, feed_links};
use crate::rules::{Live, Rules};
use crate::store::batch::Batcher;
use crate::store::fetch_log::{self, LogEntry};
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
    /// The parse task did not finish: it panicked (with this message) or was cancelled.
    #[error("parsing failed unexpectedly: {0}")]
    Task(String),
    /// Parsing, normalizing and classifying ran past `fetch.parse_budget`.
    #[error(
        "parsing and normalizing took longer than the budget of {}s (fetch.parse_budget): the \
         document is too large or too convoluted",
        .0.as_secs()
    )]
    Budget(Duration),
}

/// What a parse task that did not finish said.
fn task_failure(e: tokio::task::JoinError) -> IngestError {
    if !e.is_panic() {
        return IngestError::Task("the task was cancelled".into());
    }
    let payload = e.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|m| (*m).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    IngestError::Task(message)
}

impl IngestError {
    fn status(&self) -> Option<i32> {
        match self {
            IngestError::Fetch(e) => e.status().map(i32::from),
            _ => None,
        }
    }
}

/// How one poll went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    Stored(UpsertCounts),
    /// 304 Not Modified: nothing parsed, nothing written but the source's state.
    NotModified,
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
    pub not_modified: usize,
    pub failed: usize,
    /// Articles fetched for full content, and attempts that failed.
    pub articles: usize,
    pub articles_failed: usize,
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
            PollOutcome::NotModified => self.not_modified += 1,
            PollOutcome::Failed(_) => self.failed += 1,
        }
    }
}

/// Runs the pipeline; shared by the scheduler and the `fetch` command.
pub struct Ingestor {
    /// Fetching and reading documents: everything a poll does before it writes.
    reader: Reader,
    store: Store,
    /// Where polls write their results: several to a transaction when they finish together.
    writes: Batcher<UpsertCounts>,
    timing: Timing,
    websub: Option<Arc<crate::websub::Publisher>>,
    /// How long a claimed source stays leased; a running poll renews it every third of this,
    /// so that no other process claims a source whose poll is merely slow.
    lease: Duration,
    /// Poll without the stored validators (`fetch --force`).
    force: bool,
}

impl Ingestor {
    pub fn new(fetcher: Fetcher, store: Store, rules: Arc<Live<Rules>>, timing: Timing) -> Self {
        Self {
            reader: Reader::new(fetcher, rules, Duration::from_secs(30)),
            // Web processes watch one shared row to learn that feeds changed; it is touched
            // once per transaction, at its end, so that its lock is held only to the commit.
            writes: Batcher::new(store.clone()).finishing_with(|conn, polls: &[UpsertCounts]| {
                if polls.iter().any(|c| c.new + c.updated > 0) {
                    store::meta::touch_items(conn)?;
                }
                Ok(())
            }),
            store,
            timing,
            websub: None,
            lease: Duration::from_secs(3600),
            force: false,
        }
    }

    /// The lease length claims use (renewed while a poll runs) and the parse budget.
    pub fn with_limits(mut self, lease: Duration, parse_budget: Duration) -> Self {
        self.lease = lease;
        self.reader.parse_budget = parse_budget;
        self
    }

    /// Fetch whole, ignoring the stored ETag and Last-Modified (`crossfeed fetch --force`).
    pub fn forcing(mut self) -> Self {
        self.force = true;
        self
    }

    /// Announce changed topic feeds to a WebSub hub after each poll that changed items.
    pub fn with_websub(mut self, publisher: crate::websub::Publisher) -> Self {
        self.websub = Some(Arc::new(publisher));
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The topic and tag rules in force.
    pub fn rules(&self) -> &Arc<Live<Rules>> {
        &self.reader.rules
    }

    /// Poll one source that `owner` has claimed, record the outcome and release the lease. The
    /// lease is renewed while the poll works, so that it never runs out under a running poll.
    #[tracing::instrument(skip_all, fields(source = %source.id))]
    pub async fn poll(&self, source: &SourceRow, owner: &str) -> PollReport {
        let work = self.poll_claimed(source, owner);
        tokio::pin!(work);
        let every = (self.lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                report = &mut work => return report,
                () = tokio::time::sleep(every) => self.renew_lease(&source.id, owner).await,
            }
        }
    }

    async fn renew_lease(&self, id: &str, owner: &str) {
        let until = Utc::now() + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let (id, owner) = (id.to_owned(), owner.to_owned());
        match self
            .store
            .run(move |c| sources::renew_lease(c, &id, &owner, until))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the lease was lost during the poll; its result will be dropped")
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew the lease"),
        }
    }

    async fn poll_claimed(&self, source: &SourceRow, owner: &str) -> PollReport {
        let run = PollRun::new(source, owner);
        let result = self.read(source, &run).await;
        let mut fetched_bytes = 0;
        let stored = match result {
            Ok(Reading::Fresh(prepared)) => {
                fetched_bytes = prepared.fetched.body.len();
                self.store_prepared(source, &run, *prepared).await
            }
            Ok(Reading::NotModified(not_modified)) => {
                self.store_not_modified(&run, not_modified).await
            }
            Err(e) => Err(e),
        };
        run.count(source, &stored, fetched_bytes);
        match stored {
            Ok(outcome) => {
                self.announce(&outcome);
                PollReport {
                    source_id: run.id,
                    outcome,
                }
            }
            Err(e) => self.store_failure(source, &run, &e).await,
        }
    }

    /// Fetch and read the source: its items, or word that nothing changed.
    async fn read(&self, source: &SourceRow, run: &PollRun) -> Result<Reading, IngestError> {
        // Forced: fetched and read whole even when the upstream would answer 304, so that items
        // stored before a parsing fix get it.
        let validators = if self.force {
            Validators::default()
        } else {
            Validators {
                etag: source.etag.clone(),
                last_modified: source.last_modified.clone(),
            }
        };
        // The configured URL's host is the one the operator vouched for; a remembered
        // fetch_url on another host is checked again on every poll (fetch::guard).
        let (Ok(url), Ok(trusted)) = (Url::parse(source.current_url()), Url::parse(&source.url))
        else {
            return Err(IngestError::Url(redact(source.current_url())));
        };
        let target = Target {
            url: &url,
            trusted: &trusted,
        };
        let facts = SourceFacts {
            id: run.id.clone(),
            tags: source.tags().unwrap_or_default(),
            full_content: source.full_content(),
            tz: run.tz,
            now: run.now,
        };
        match source.page_source() {
            None => self.reader.prepare(target, &validators, facts).await,
            Some(Ok(page)) => {
                self.reader
                    .prepare_page(target, &validators, &page, source.detected_spec(), facts)
                    .await
            }
            Some(Err(e)) => Err(IngestError::Parse(ParseError::Page(e))),
        }
    }

    /// Write what was read: the source's new state, its items and the log entry, in one
    /// transaction.
    async fn store_prepared(
        &self,
        source: &SourceRow,
        run: &PollRun,
        prepared: Prepared,
    ) -> Result<PollOutcome, IngestError> {
        let moved_to = prepared
            .advertised
            .as_ref()
            .map(|d| prepared.fetched.moved_to.as_ref().unwrap_or(d))
            .or(prepared.fetched.moved_to.as_ref())
            .map(Url::to_string);
        if let Some(to) = &moved_to {
            tracing::info!(from = %redact(source.current_url()), to = %redact(to), "source moved; fetching from the new URL from now on");
        }
        let next = run.next_success(
            &self.timing,
            &freshness(
                &prepared.fetched.hints,
                prepared.ttl,
                prepared.skip_hours.clone(),
                run.now,
            ),
        );
        if let Some(warning) = &prepared.warning {
            tracing::warn!(%warning, "the document was cut short to keep its work bounded");
        }
        let status = prepared.fetched.status.map(i32::from);
        let record = FetchRecord::Success {
            status,
            title: prepared.info.title,
            site_url: prepared.info.site_url,
            etag: prepared.fetched.validators.etag,
            last_modified: prepared.fetched.validators.last_modified,
            moved_to,
            warning: prepared.warning,
            detected_page: prepared.detected_page,
        };
        let mut entry = run.log("stored", status, prepared.fetched.body.len(), None);
        let items = prepared.items;
        let (sid, owner, now) = (run.id.clone(), run.owner.clone(), run.now);
        self.writes
            .write(move |conn| {
                // The source first: its row stays locked while the items go in.
                if !sources::record_fetch(conn, &sid, &owner, now, next, &record)? {
                    tracing::warn!(source = %sid, "source deleted during its poll; items dropped");
                    return Ok(UpsertCounts::default());
                }
                let counts = items::upsert_for_source(conn, &sid, &items, now)?;
                entry.items_new = i32::try_from(counts.new).unwrap_or(i32::MAX);
                entry.items_updated = i32::try_from(counts.updated).unwrap_or(i32::MAX);
                fetch_log::insert(conn, &entry)?;
                Ok(counts)
            })
            .await
            .map(PollOutcome::Stored)
            .map_err(IngestError::Store)
    }

    /// Record a 304: the source's new state and the log entry.
    async fn store_not_modified(
        &self,
        run: &PollRun,
        NotModified { hints, moved_to }: NotModified,
    ) -> Result<PollOutcome, IngestError> {
        let next = run.next_success(&self.timing, &freshness(&hints, None, Vec::new(), run.now));
        let record = FetchRecord::NotModified {
            moved_to: moved_to.map(String::from),
        };
        let entry = run.log("not_modified", Some(304), 0, None);
        self.record(&run.id, &run.owner, (run.now, next), record, entry)
            .await
            .map(|()| PollOutcome::NotModified)
            .map_err(IngestError::Store)
    }

    /// Log a poll that stored its outcome, and tell the WebSub hub of changed feeds.
    fn announce(&self, outcome: &PollOutcome) {
        match outcome {
            PollOutcome::Stored(c) => {
                tracing::info!(
                    new = c.new,
                    updated = c.updated,
                    unchanged = c.unchanged,
                    "polled"
                );
                if let Some(publisher) = &self.websub
                    && c.new + c.updated > 0
                {
                    // In the background: a slow hub must not hold up polling.
                    let publisher = Arc::clone(publisher);
                    let topics = c.topics.clone();
                    tokio::spawn(async move {
                        match publisher.publish(&topics).await {
                            Ok(()) => tracing::debug!(?topics, "hub notified"),
                            Err(e) => tracing::warn!(error = %e, "WebSub publish failed"),
                        }
                    });
                }
            }
            _ => tracing::info!("not modified"),
        }
    }

    /// Record a failed poll on its source (the next attempt backs off; a 410 disables it) and
    /// in the fetch log.
    async fn store_failure(
        &self,
        source: &SourceRow,
        run: &PollRun,
        e: &IngestError,
    ) -> PollReport {
        let error = e.to_string();
        let status = e.status();
        let errors = u32::try_from(source.error_count.saturating_add(1)).unwrap_or(1);
        let retry_after = match e {
            IngestError::Fetch(f) => f.retry_after(),
            _ => None,
        };
        let next = match &run.schedule {
            Some(s) => self
                .timing
                .after_failure(s, run.tz, run.now, errors, retry_after, &run.id),
            None => run.now + chrono::Duration::minutes(15),
        };
        let disable = (status == Some(410))
            .then(|| "410 Gone: the upstream says this feed is gone for good".to_owned());
        tracing::warn!(error = %error, errors, next = %next, disabled = disable.is_some(), "poll failed");
        let record = FetchRecord::Failure {
            status,
            error: error.clone(),
            disable,
        };
        let entry = run.log("failed", status, 0, Some(error.clone()));
        if let Err(store_err) = self
            .record(&run.id, &run.owner, (run.now, next), record, entry)
            .await
        {
            tracing::error!(error = %store_err, "cannot record the failure");
        }
        PollReport {
            source_id: run.id.clone(),
            outcome: PollOutcome::Failed(error),
        }
    }

    /// Record a poll that stored no items (a 304 or a failure) on its source and in the fetch
    /// log, through the batched writer.
    async fn record(
        &self,
        id: &str,
        owner: &str,
        (at, next): (DateTime<Utc>, DateTime<Utc>),
        record: FetchRecord,
        entry: LogEntry,
    ) -> Result<(), StoreError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        self.writes
            .write(move |conn| {
                // A source deleted meanwhile has nothing left to log against.
                if sources::record_fetch(conn, &id, &owner, at, next, &record)? {
                    fetch_log::insert(conn, &entry)?;
                }
                Ok(UpsertCounts::default())
            })
            .await
            .map(|_| ())
    }

    /// Poll `sources` (already claimed by `owner`) with at most `concurrency` at a time;
    /// `on_done` sees each report as it arrives.
    pub async fn poll_many(
        self: &Arc<Self>,
        sources: Vec<SourceRow>,
        owner: &str,
        concurrency: usize,
        mut on_done: impl FnMut(&PollReport),
    ) -> Summary {
        let limit = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for source in sources {
            let this = Arc::clone(self);
            let limit = Arc::clone(&limit);
            let owner = owner.to_owned();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                this.poll(&source, &owner).await
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
}

/// What fetching a source's URL came to.
pub enum Document {
    /// 304: nothing changed.
    NotModified(NotModified),
    /// A feed, decoded to UTF-8.
    Feed {
        fetched: Box<Fetched>,
        text: String,
        /// The feed URL found on an HTML page, when `url` pointed at one.
        advertised: Option<Url>,
    },
}

/// What to fetch, and the URL the operator configured for it (whose host alone may be private).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub url: &'a Url,
    pub trusted: &'a Url,
}

/// Fetch `target` and decode it to UTF-8; an HTML page is followed to the first feed it
/// advertises (`<link rel="alternate">`).
pub async fn fetch_document(
    fetcher: &Fetcher,
    target: Target<'_>,
    validators: &Validators,
) -> Result<Document, IngestError> {
    let fetched = match fetcher
        .fetch(target.url, target.trusted, validators)
        .await?
    {
        Outcome::NotModified { hints, moved_to } => {
            return Ok(Document::NotModified(NotModified { hints, moved_to }));
        }
        Outcome::Fetched(f) => f,
    };
    let text = charset::to_utf8(&fetched.body, fetched.charset()).text;
    if !feed_links::looks_like_html(&text) {
        return Ok(Document::Feed {
            fetched: Box::new(fetched),
            text,
            advertised: None,
        });
    }
    let feed_url = feed_links::alternates(&text, &fetched.url)
        .into_iter()
        .next()
        .ok_or(IngestError::Parse(ParseError::Html))?;
    tracing::info!(page = %redact(fetched.url.as_str()), feed = %redact(feed_url.as_str()), "HTML page; following the feed it advertises");
    let fetched = match fetcher
        .fetch(&feed_url, target.trusted, &Validators::default())
        .await?
    {
        Outcome::Fetched(f) => f,
        Outcome::NotModified { .. } => return Err(IngestError::Parse(ParseError::Html)),
    };
    let text = charset::to_utf8(&fetched.body, fetched.charset()).text;
    Ok(Document::Feed {
        fetched: Box::new(fetched),
        text,
        advertised: Some(feed_url),
    })
}

/// When the upstream's own hints say the feed is fresh until.
fn freshness(
    hints: &CacheHints,
    ttl: Option<Duration>,
    skip_hours: Vec<u32>,
    now: DateTime<Utc>,
) -> Freshness {
    let after = |d: Duration| chrono::Duration::from_std(d).ok().map(|d| now + d);
    let fresh_until = [
        hints.max_age.and_then(after),
        hints.expires,
        ttl.and_then(after),
    ]
    .into_iter()
    .flatten()
    .max();
    Freshness {
        fresh_until,
        skip_hours,
    }
}

/// One poll's fixed facts: which source, for whom, when it started, its time zone and schedule.
struct PollRun {
    id: String,
    owner: String,
    started: Instant,
    now: DateTime<Utc>,
    tz: Tz,
    schedule: Option<Schedule>,
}

impl PollRun {
    fn new(source: &SourceRow, owner: &str) -> Self {
        Self {
            id: source.id.clone(),
            owner: owner.to_owned(),
            started: Instant::now(),
            now: Utc::now(),
            tz: source.timezone.parse().unwrap_or(Tz::UTC),
            schedule: Schedule::parse(&source.schedule)
                .or_else(|_| Schedule::parse(FALLBACK_SCHEDULE))
                .ok(),
        }
    }

    /// When to poll again after a success with this freshness.
    fn next_success(&self, timing: &Timing, freshness: &Freshness) -> DateTime<Utc> {
        match &self.schedule {
            Some(s) => timing.after_success(s, self.tz, self.now, freshness, &self.id),
            None => self.now + chrono::Duration::minutes(15),
        }
    }

    /// The fetch log entry of this poll (item counts filled in where items are written).
    fn log(
        &self,
        outcome: &str,
        status: Option<i32>,
        bytes: usize,
        error: Option<String>,
    ) -> LogEntry {
        LogEntry {
            source_id: self.id.clone(),
            started_at: self.now.naive_utc(),
            duration_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
            outcome: outcome.to_owned(),
            status,
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
            items_new: 0,
            items_updated: 0,
            error,
        }
    }

    /// The poll's metrics, by outcome and host.
    fn count(&self, source: &SourceRow, stored: &Result<PollOutcome, IngestError>, bytes: usize) {
        let host = Url::parse(source.current_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "file".to_owned());
        let took = self.started.elapsed();
        match stored {
            Ok(PollOutcome::Stored(c)) => {
                crate::metrics::poll("stored", &host, took, bytes, c.new, c.updated);
            }
            Ok(_) => crate::metrics::poll("not_modified", &host, took, 0, 0, 0),
            Err(_) => crate::metrics::poll("failed", &host, took, 0, 0, 0),
        }
    }
}
