//! Reading a source: fetching its document (a feed, an HTML page that advertises one, or a
//! list page read with selectors) and turning it into items ready to store — parse, normalize,
//! classify — on blocking threads under a parse slot and a time budget. Nothing here writes;
//! the poll ([`super::Ingestor`]) stores what this returns, and `crossfeed preview` prints it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Semaphore;
use url::Url;

use super::{Document, IngestError, Target, fetch_document, task_failure};
use crate::classify::SourceCtx;
use crate::domain::Classified;
use crate::domain::page::{Compiled, FullContent, PageSource, PageSpec};
use crate::domain::redact::{with_secrets_of, without_secrets};
use crate::fetch::{CacheHints, Fetched, Fetcher, Outcome, Validators};
use crate::fold::Folded;
use crate::normalize::{self, FeedInfo};
use crate::parse::{self, ParseError, budget, charset, detect, page};
use crate::rules::{Live, Rules};
use crate::store::items;

/// A fetched feed, parsed and classified, ready to store.
pub(super) struct Prepared {
    pub(super) fetched: Fetched,
    /// What normalizing had to cut short, as the source's warning.
    pub(super) warning: Option<String>,
    /// The feed URL found on an HTML page, when the source pointed at one.
    pub(super) advertised: Option<Url>,
    pub(super) info: FeedInfo,
    pub(super) ttl: Option<Duration>,
    pub(super) skip_hours: Vec<u32>,
    pub(super) items: Vec<items::Ready>,
    /// For `page: auto`: selectors detection found anew on this poll, as JSON, to keep.
    pub(super) detected_page: Option<String>,
}

/// The first list page read, and how.
struct FirstPage {
    /// The selectors every list page of this poll is read with.
    spec: Arc<Compiled>,
    scraped: page::Scraped,
    /// Selectors detection found on this poll (JSON), to keep with the source.
    detected: Option<String>,
    /// Why the list was found again, when kept selectors stopped matching.
    warning: Option<String>,
}

/// What reading a source came to: its items, or word that nothing changed (a 304).
pub(super) enum Reading {
    Fresh(Box<Prepared>),
    NotModified(NotModified),
}

/// The source as a read needs it: who it is (for topic and tag rules), how its articles are
/// read, and the zone and time its dates are read in.
pub(super) struct SourceFacts {
    pub(super) id: String,
    pub(super) tags: Vec<String>,
    pub(super) full_content: Option<FullContent>,
    pub(super) tz: Tz,
    pub(super) now: DateTime<Utc>,
}

impl SourceFacts {
    fn classify_as(&self) -> SourceCtx<'_> {
        SourceCtx {
            id: &self.id,
            tags: &self.tags,
        }
    }
}

/// The time reading one document may take: it ends at `deadline`, `length` after it began.
#[derive(Debug, Clone, Copy)]
struct Budget {
    deadline: Instant,
    length: Duration,
}

impl Budget {
    fn starting_now(length: Duration) -> Self {
        Self {
            deadline: Instant::now() + length,
            length,
        }
    }

    fn check(&self) -> Result<(), IngestError> {
        if Instant::now() > self.deadline {
            return Err(IngestError::Budget(self.length));
        }
        Ok(())
    }
}

/// A 304 answer and what came with it.
pub struct NotModified {
    pub(super) hints: CacheHints,
    pub(super) moved_to: Option<Url>,
}

/// Fetches and reads sources' documents.
pub struct Reader {
    pub(super) fetcher: Fetcher,
    pub(super) rules: Arc<Live<Rules>>,
    /// Parsing is CPU work: as many at once as there are cores. More only adds threads that
    /// take turns on the same cores (and take them from the store writer, which every poll
    /// waits for), each with its own allocator heap.
    pub(super) parsers: Arc<Semaphore>,
    /// The most time parsing, normalizing and classifying one document may take.
    pub(super) parse_budget: Duration,
}

impl Reader {
    /// Read `source` now, as its poll would but unconditionally (no validators), and return its
    /// items ready to store, for `crossfeed preview`.
    pub async fn read(
        &self,
        source: &crate::config::SourceConfig,
        now: DateTime<Utc>,
    ) -> Result<Vec<items::Ready>, IngestError> {
        let target = Target {
            url: &source.url,
            trusted: &source.url,
        };
        let facts = SourceFacts {
            id: source.id.to_string(),
            tags: source.tags.clone(),
            full_content: source.full_content.clone(),
            tz: source.timezone,
            now,
        };
        let validators = Validators::default();
        let reading = match &source.page {
            None => self.prepare(target, &validators, facts).await?,
            Some(page) => {
                self.prepare_page(target, &validators, page, None, facts)
                    .await?
            }
        };
        match reading {
            Reading::Fresh(p) => Ok(p.items),
            Reading::NotModified(_) => {
                Err(ParseError::Feed("answered 304 to an unconditional request".into()).into())
            }
        }
    }

    pub fn new(fetcher: Fetcher, rules: Arc<Live<Rules>>, parse_budget: Duration) -> Self {
        Self {
            fetcher,
            rules,
            parsers: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
            parse_budget,
        }
    }

    /// Fetch, then parse, normalize and classify on a blocking thread (CPU work).
    pub(super) async fn prepare(
        &self,
        target: Target<'_>,
        validators: &Validators,
        facts: SourceFacts,
    ) -> Result<Reading, IngestError> {
        let (fetched, text, advertised) =
            match fetch_document(&self.fetcher, target, validators).await? {
                Document::NotModified(nm) => return Ok(Reading::NotModified(nm)),
                Document::Feed {
                    fetched,
                    text,
                    advertised,
                } => (*fetched, text, advertised),
            };
        let rules = self.rules.get();
        // Held here, not in the blocking task: a task past its budget gives up its slot when the
        // poll fails, even while its thread is still busy.
        let _permit = Arc::clone(&self.parsers)
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Task("the parser pool is closed".into()))?;
        let budget = Budget::starting_now(self.parse_budget);
        let task = tokio::task::spawn_blocking(move || {
            let _deadline = budget::Deadline::set(budget.deadline);
            let (feed, repairs) = parse::parse_text_noting(&text, facts.tz, facts.now)?;
            let (info, items, cuts) =
                feed_items(&feed, &fetched.url, &facts, &rules, budget, false)?;
            let ttl = feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60));
            let skip_hours = parse::skip_hours(&text);
            // What had to be repaired or dropped to read the document, then what was cut.
            let warning = repairs
                .into_iter()
                .chain(cuts.warning())
                .collect::<Vec<_>>()
                .join("; ");
            Ok(Reading::Fresh(Box::new(Prepared {
                fetched,
                warning: Some(warning).filter(|w| !w.is_empty()),
                advertised,
                info,
                ttl,
                skip_hours,
                items,
                detected_page: None,
            })))
        });
        // The task checks the deadline between items; this catches one stage that overruns it.
        match tokio::time::timeout(budget.length + Duration::from_secs(1), task).await {
            Ok(joined) => joined.map_err(task_failure)?,
            Err(_) => Err(IngestError::Budget(budget.length)),
        }
    }

    /// A page source's poll: the list page fetched (conditionally) and read with the source's
    /// selectors (for `page: auto`, those detection found: `detected`, kept from an earlier
    /// poll, while they keep matching, else found again), then up to `max_pages - 1` more pages
    /// through `next` links, then the items normalized and classified like a feed's. Each page
    /// is read under a parse slot of its own, so that fetching the next page holds none. A
    /// later page that cannot be fetched or read ends the walk with a warning on the source;
    /// the first page's failure fails the poll.
    pub(super) async fn prepare_page(
        &self,
        target: Target<'_>,
        validators: &Validators,
        page: &PageSource,
        detected: Option<PageSpec>,
        facts: SourceFacts,
    ) -> Result<Reading, IngestError> {
        let budget = Budget::starting_now(self.parse_budget);
        let first = match self
            .fetcher
            .fetch(target.url, target.trusted, validators)
            .await?
        {
            Outcome::NotModified { hints, moved_to } => {
                return Ok(Reading::NotModified(NotModified { hints, moved_to }));
            }
            Outcome::Fetched(f) => f,
        };
        let listed = self
            .read_first_page(&first, page, detected, &facts, budget)
            .await?;
        let (compiled, mut scraped) = (listed.spec, listed.scraped);
        let mut entries = std::mem::take(&mut scraped.feed.entries);
        let mut seen_pages = vec![without_secrets(&first.url)];
        let mut warning = listed.warning;
        let mut next = scraped.next.take();
        while let Some(url) = next.take() {
            if seen_pages.len() >= usize::try_from(compiled.max_pages).unwrap_or(1)
                || seen_pages.contains(&url)
            {
                break;
            }
            let page = seen_pages.len() + 1;
            let read = async {
                // The next page was found on the page without its secrets; the request takes
                // them back when it stays on the source's origin.
                let request = with_secrets_of(&url, target.url);
                match self
                    .fetcher
                    .fetch(&request, target.trusted, &Validators::default())
                    .await?
                {
                    Outcome::Fetched(f) => self.scrape(&f, &compiled, &facts, budget).await,
                    Outcome::NotModified { .. } => Err(IngestError::Parse(ParseError::Page(
                        "answered 304 to a request that asked for no validation".into(),
                    ))),
                }
            };
            match read.await {
                Ok(mut more) => {
                    entries.append(&mut more.feed.entries);
                    next = more.next;
                    seen_pages.push(url);
                }
                Err(e) => {
                    tracing::warn!(page, error = %e, "a later list page could not be read");
                    warning = Some(format!("list page {page} could not be read: {e}"));
                }
            }
        }
        // An item is known by its canonical link (tracking parameters and the like removed),
        // so that the same article linked two ways, or on two list pages, is stored once.
        // The first listing wins (the newest, as lists run newest first).
        let mut seen = std::collections::HashSet::new();
        entries.retain_mut(|e| {
            if let Some(canonical) = crate::dedupe::canonical_link(&e.id) {
                e.id = canonical;
            }
            seen.insert(e.id.clone())
        });
        scraped.feed.entries = entries;

        let rules = self.rules.get();
        let _permit = Arc::clone(&self.parsers)
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Task("the parser pool is closed".into()))?;
        let task = tokio::task::spawn_blocking(move || {
            let _deadline = budget::Deadline::set(budget.deadline);
            // A list page's dates are read against the fetch time ("3小时前"): an item keeps
            // the date it was first stored with.
            let (info, items, cuts) =
                feed_items(&scraped.feed, &first.url, &facts, &rules, budget, true)?;
            let warning = [cuts.warning(), warning]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
            Ok(Reading::Fresh(Box::new(Prepared {
                fetched: first,
                warning: Some(warning).filter(|w| !w.is_empty()),
                advertised: None,
                info,
                ttl: None,
                skip_hours: Vec::new(),
                items,
                detected_page: listed.detected,
            })))
        });
        match tokio::time::timeout(budget.length + Duration::from_secs(1), task).await {
            Ok(joined) => joined.map_err(task_failure)?,
            Err(_) => Err(IngestError::Budget(budget.length)),
        }
    }

    /// Read the first list page: with the configured selectors; for `page: auto`, with those
    /// kept from an earlier poll while they still read the page, else with those detection
    /// finds now (and a warning that the layout changed, when kept ones stopped matching).
    async fn read_first_page(
        &self,
        fetched: &Fetched,
        page: &PageSource,
        detected: Option<PageSpec>,
        facts: &SourceFacts,
        budget: Budget,
    ) -> Result<FirstPage, IngestError> {
        let compile = |spec: &PageSpec, by_text: bool| {
            spec.compile()
                .map(|mut c| {
                    c.next_by_text = by_text && c.next.is_none();
                    Arc::new(c)
                })
                .map_err(|e| ParseError::Page(format!("page.{}: {}", e.field, e.message)))
        };
        let auto = match page {
            PageSource::Selectors(spec) => {
                let spec = compile(spec, false)?;
                let scraped = self.scrape(fetched, &spec, facts, budget).await?;
                return Ok(FirstPage {
                    spec,
                    scraped,
                    detected: None,
                    warning: None,
                });
            }
            PageSource::Auto(auto) => auto,
        };
        if let Some(pinned) = auto.pinned_spec() {
            let spec = compile(&pinned, true)?;
            let scraped = self.scrape(fetched, &spec, facts, budget).await?;
            return Ok(FirstPage {
                spec,
                scraped,
                detected: None,
                warning: None,
            });
        }
        let kept = detected.is_some();
        if let Some(found) = detected {
            let spec = compile(&auto.over(&found), true)?;
            if let Ok(scraped) = self.scrape(fetched, &spec, facts, budget).await {
                return Ok(FirstPage {
                    spec,
                    scraped,
                    detected: None,
                    warning: None,
                });
            }
        }
        let found = self.detect(fetched, auto.max_pages, budget).await?;
        let spec = compile(&auto.over(&found), true)?;
        let scraped = self.scrape(fetched, &spec, facts, budget).await?;
        if kept {
            tracing::warn!("the list page's layout changed: its list was found again");
        }
        Ok(FirstPage {
            spec,
            scraped,
            detected: serde_json::to_string(&found).ok(),
            warning: kept
                .then(|| "the list page's layout changed: its list was found again".to_owned()),
        })
    }

    /// Find the main list on one fetched list page, on a blocking thread under a parse slot.
    async fn detect(
        &self,
        fetched: &Fetched,
        max_pages: u32,
        budget: Budget,
    ) -> Result<PageSpec, IngestError> {
        let text = charset::to_utf8(&fetched.body, fetched.charset()).text;
        let url = without_secrets(&fetched.url);
        let _permit = Arc::clone(&self.parsers)
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Task("the parser pool is closed".into()))?;
        let left = budget.deadline.saturating_duration_since(Instant::now());
        let task = tokio::task::spawn_blocking(move || {
            let _deadline = budget::Deadline::set(budget.deadline);
            detect::detect(&text, &url, max_pages)
                .map(|d| d.spec)
                .map_err(IngestError::Parse)
        });
        match tokio::time::timeout(left + Duration::from_secs(1), task).await {
            Ok(joined) => joined.map_err(task_failure)?,
            Err(_) => Err(IngestError::Budget(budget.length)),
        }
    }

    /// Read one fetched list page with `spec`, on a blocking thread under a parse slot.
    async fn scrape(
        &self,
        fetched: &Fetched,
        spec: &Arc<Compiled>,
        facts: &SourceFacts,
        budget: Budget,
    ) -> Result<page::Scraped, IngestError> {
        let text = charset::to_utf8(&fetched.body, fetched.charset()).text;
        // Links on the page resolve against its URL without credentials or secret parameters,
        // as a feed's do (`feed_items`), so that none can carry them into an item.
        let url = without_secrets(&fetched.url);
        let spec = Arc::clone(spec);
        let _permit = Arc::clone(&self.parsers)
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Task("the parser pool is closed".into()))?;
        let left = budget.deadline.saturating_duration_since(Instant::now());
        let (tz, now) = (facts.tz, facts.now);
        let task = tokio::task::spawn_blocking(move || {
            let _deadline = budget::Deadline::set(budget.deadline);
            page::scrape(&text, &url, &spec, tz, now).map_err(IngestError::Parse)
        });
        match tokio::time::timeout(left + Duration::from_secs(1), task).await {
            Ok(joined) => joined.map_err(task_failure)?,
            Err(_) => Err(IngestError::Budget(budget.length)),
        }
    }
}

/// A parsed feed's (or list page's) items, normalized against the URL it came from (without
/// its credentials and secret parameters), with their topics, tags and fingerprints; the
/// budget is checked between items. `keep_first_date` marks them to keep the dates they
/// were first stored with.
fn feed_items(
    feed: &feed_rs::model::Feed,
    fetched_from: &Url,
    facts: &SourceFacts,
    rules: &Rules,
    budget: Budget,
    keep_first_date: bool,
) -> Result<(FeedInfo, Vec<items::Ready>, normalize::Cuts), IngestError> {
    let base = without_secrets(fetched_from);
    let ctx = normalize::Context {
        fetch_url: &base,
        fetched_at: facts.now,
    };
    let source = facts.classify_as();
    let info = normalize::feed_info(feed, &ctx);
    let (normalized, cuts) = normalize::normalize_feed_noting_cuts(feed, &ctx);
    let items = normalized
        .into_iter()
        .map(|(item, plain)| {
            budget.check()?;
            let folded = Folded::of(&item, &plain, rules.classifier.folder());
            let (topics, tags) = rules.apply(&item, &folded, source);
            let (canonical_link, signature) = crate::dedupe::fingerprint(&item, &folded);
            let ready = items::Ready::from(Classified {
                item,
                topics,
                tags,
                canonical_link,
                signature,
            });
            let ready = if keep_first_date {
                ready.keeping_first_date()
            } else {
                ready
            };
            let wants_article = match &facts.full_content {
                None => false,
                Some(FullContent::Selector(_)) => true,
                Some(FullContent::Auto) => !carries_full_text(&plain),
            };
            Ok(if wants_article {
                ready.wanting_article()
            } else {
                ready
            })
        })
        .collect::<Result<_, IngestError>>()?;
    Ok((info, items, cuts))
}

/// Content at least this long (in characters of text) may be the whole article.
const FULL_TEXT_MIN_CHARS: usize = 500;

/// Whether an item already carries its whole article, so that `full_content: auto` need not
/// fetch it: content of at least [`FULL_TEXT_MIN_CHARS`] characters of text and at least twice
/// as long as the summary. A feed that repeats its summary as content, or carries a teaser as
/// either, does not.
fn carries_full_text(plain: &crate::domain::PlainText) -> bool {
    let chars = |t: &Option<String>| t.as_deref().map_or(0, |t| t.chars().count());
    let content = chars(&plain.content);
    content >= FULL_TEXT_MIN_CHARS && content >= 2 * chars(&plain.summary)
}
