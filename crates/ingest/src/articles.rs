//! The articles behind items, for sources with `full_content`: fetched beside polling, never
//! inside a poll, so that a slow article site holds up no feed. A poll marks the items that
//! want their article (new ones, and ones whose link changed); each run of this job claims them
//! as slots free up — at most `per_source` of any one source per claim, so that the cold start of
//! a big source does not send hundreds of requests to one host at once, and no more of a host
//! than it may be sent at once, so that a slow host never holds the others up — fetches them under the
//! same rules as feeds (body cap, per-host limit, private-address guard, parse slots and
//! budget), extracts and sanitizes the article, and stores it apart from what the upstream
//! sends. A failure is retried a bounded number of times; the item keeps its summary either way.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::task::JoinSet;
use url::Url;

use super::{IngestError, Ingestor, Reader, task_failure};
use crate::classify::SourceCtx;
use crate::domain::page::FullContent;
use crate::domain::redact::{with_secrets_of, without_secrets};
use crate::domain::{ItemId, PlainText};
use crate::fetch::{Outcome, Validators};
use crate::fold::Folded;
use crate::normalize::html::Sanitizer;
use crate::parse::{ParseError, article};
use crate::store::locks::Links;
use crate::store::{StoreError, articles, item_topics, items, meta, sources, transaction};

/// Attempts at one article before it is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// The first retry waits this long; each later one twice as long as the one before.
const RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// How long a claimed article stays claimed (longer than any fetch and extraction can take).
const CLAIM: Duration = Duration::from_secs(15 * 60);

/// Articles fetched at once by one run, over all hosts (each host's share is bounded by
/// `fetch.per_host_concurrency`, in the claim and in the fetcher).
const AT_ONCE: usize = 16;

/// The longest a run waits for a fetch to finish before looking for newly due articles.
const REFILL_EVERY: Duration = Duration::from_secs(1);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArticleReport {
    pub stored: usize,
    pub failed: usize,
}

impl ArticleReport {
    pub fn claimed(&self) -> usize {
        self.stored + self.failed
    }
}

impl Ingestor {
    /// Fetch due articles until none is due, `max` have been claimed or `deadline` has passed:
    /// up to [`AT_ONCE`] at a time, no more of one host than `fetch.per_host_concurrency`, and
    /// at most `per_source` of one source per claim. There are no rounds: as fetches finish (or
    /// every [`REFILL_EVERY`] at the latest) more are claimed, so a slow host keeps only its own
    /// share of the slots busy and every other source's articles flow past it. Each fetch has a
    /// deadline of its own (`fetch.timeout` and the parse budget).
    pub async fn fetch_articles(
        self: &Arc<Self>,
        max: usize,
        per_source: usize,
        deadline: Instant,
    ) -> Result<ArticleReport, StoreError> {
        let per_fetch = self.reader.fetcher.timeout() + self.reader.parse_budget;
        let mut hosts = articles::HostShare {
            per_host: self.reader.fetcher.per_host(),
            in_flight: HashMap::new(),
        };
        let mut report = ArticleReport::default();
        let mut tasks = JoinSet::new();
        let mut claimed = 0;
        loop {
            // Claim when half the slots are free (or none is taken), while the run lasts.
            if tasks.len() <= AT_ONCE / 2 && claimed < max && Instant::now() < deadline {
                let want = (AT_ONCE - tasks.len()).min(max - claimed);
                let due = self.claim_articles(want, per_source, &hosts).await;
                let due = match due {
                    Ok(due) => due,
                    Err(e) if tasks.is_empty() => return Err(e),
                    Err(e) => {
                        tracing::warn!(error = %e, "articles: cannot claim");
                        Vec::new()
                    }
                };
                claimed += due.len();
                for d in due {
                    let host = articles::HostShare::host_of(&d.link);
                    *hosts.in_flight.entry(host.clone()).or_default() += 1;
                    let this = Arc::clone(self);
                    tasks.spawn(async move {
                        let result = tokio::time::timeout(per_fetch, this.reader.article_of(&d))
                            .await
                            .unwrap_or(Err(IngestError::Budget(per_fetch)));
                        (d, host, result)
                    });
                }
            }
            if tasks.is_empty() {
                break;
            }
            // One finished fetch, or a moment passed: articles that fell due meanwhile (a
            // poll that just finished) are claimed beside those still in flight.
            let Ok(joined) = tokio::time::timeout(REFILL_EVERY, tasks.join_next()).await else {
                continue;
            };
            let Some(Ok((due, host, result))) = joined else {
                report.failed += 1;
                continue;
            };
            if let Some(n) = hosts.in_flight.get_mut(&host) {
                *n = n.saturating_sub(1);
            }
            self.article_done(&due, result, &mut report).await;
        }
        Ok(report)
    }

    async fn claim_articles(
        &self,
        want: usize,
        per_source: usize,
        hosts: &articles::HostShare,
    ) -> Result<Vec<articles::Due>, StoreError> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(CLAIM).unwrap_or_default();
        let hosts = hosts.clone();
        self.store
            .run(move |c| articles::claim(c, now, until, (want, per_source), &hosts))
            .await
    }

    /// Store a fetched article, or record why there is none.
    async fn article_done(
        &self,
        due: &articles::Due,
        result: Result<Article, IngestError>,
        report: &mut ArticleReport,
    ) {
        let outcome = match result {
            Ok(article) => self.store_article(due, article).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                report.stored += 1;
                crate::metrics::article("stored");
            }
            Err(e) => {
                report.failed += 1;
                self.article_failed(due, &e, Utc::now()).await;
            }
        }
    }

    /// Store the article and re-run the item's topics over its full text (tags, search and the
    /// rest follow through the keyword job).
    async fn store_article(&self, due: &articles::Due, found: Article) -> Result<(), IngestError> {
        let Article { html, published } = found;
        let rules = self.reader.rules.get();
        let (id, source_id) = (due.item_id, due.source_id.clone());
        self.store
            .run(move |c| {
                transaction(c, |c| {
                    if !articles::store(c, id, &html, published, Utc::now())? {
                        return Ok(());
                    }
                    let Some(stored) = items::by_ids(c, &[ItemId::from(id)])?.into_iter().next()
                    else {
                        return Ok(());
                    };
                    let tags = sources::get(c, &source_id)?
                        .map(|s| s.tags().unwrap_or_default())
                        .unwrap_or_default();
                    let ctx = SourceCtx {
                        id: &source_id,
                        tags: &tags,
                    };
                    let (topics, _) = rules.apply_full(&stored.item, ctx);
                    let sort_at = stored.sort_at.naive_utc();
                    let links = Links {
                        item_id: id,
                        sort_at,
                        values: topics.as_slice(),
                    };
                    item_topics::replace_many(c, &[links])?;
                    // Duplicate folding reads the article too.
                    let plain = PlainText::of(&stored.item);
                    let folded = Folded::of(&stored.item, &plain, rules.classifier.folder());
                    let (_, signature) = crate::dedupe::fingerprint(&stored.item, &folded);
                    let hex = signature.as_ref().map(crate::domain::Signature::to_hex);
                    articles::resign(c, id, hex.as_deref())?;
                    // At the end, so that caches rebuild from the item with its new topics.
                    meta::touch_items(c)
                })
            })
            .await
            .map_err(IngestError::Store)
    }

    async fn article_failed(&self, due: &articles::Due, error: &IngestError, now: DateTime<Utc>) {
        let attempt = due.attempts + 1;
        let retry_at = (attempt < MAX_ATTEMPTS).then(|| {
            let wait = RETRY_AFTER * 2u32.pow(u32::try_from(due.attempts).unwrap_or(0).min(8));
            now + chrono::Duration::from_std(wait).unwrap_or_default()
        });
        crate::metrics::article(if retry_at.is_some() {
            "retry"
        } else {
            "gave_up"
        });
        let message = error.to_string();
        tracing::warn!(item = due.item_id, source = %due.source_id, attempt, error = %message, "article not fetched");
        let id = due.item_id;
        if let Err(e) = self
            .store
            .run(move |c| articles::failed(c, id, &message, retry_at))
            .await
        {
            tracing::warn!(error = %e, "cannot record the failed article");
        }
    }
}

/// An item's article: its sanitized HTML, and when its page says it was published.
#[derive(Debug, Clone)]
pub struct Article {
    pub html: String,
    /// Fills in an item whose list or feed gave no date; an item's own date is never replaced.
    pub published: Option<DateTime<Utc>>,
}

impl Reader {
    /// The article of a claimed item.
    async fn article_of(&self, due: &articles::Due) -> Result<Article, IngestError> {
        let how = FullContent::from_stored(&due.full_content).ok_or_else(|| {
            ParseError::Article(format!(
                "unknown full_content setting {:?}",
                due.full_content
            ))
        })?;
        let tz = due.timezone.parse::<Tz>().unwrap_or(Tz::UTC);
        self.article(&due.link, &due.source_url, &how, tz).await
    }

    /// Fetch the article at `link` (an item of the source configured at `source_url`), extract
    /// it as `how` says and sanitize it, with the date the page says it was published (read in
    /// `tz` when it carries no zone).
    pub async fn article(
        &self,
        link: &str,
        source_url: &str,
        how: &FullContent,
        tz: Tz,
    ) -> Result<Article, IngestError> {
        let how = how.clone();
        let link = Url::parse(link).map_err(|_| IngestError::Url(link.to_owned()))?;
        let trusted =
            Url::parse(source_url).map_err(|_| IngestError::Url(source_url.to_owned()))?;
        if !matches!(link.scheme(), "http" | "https") {
            return Err(ParseError::Article("the item's link is not http(s)".into()).into());
        }
        // Item links carry no secrets; an article on the source's own origin is requested with
        // them, as the source is.
        let request = with_secrets_of(&link, &trusted);
        let fetched = match self
            .fetcher
            .fetch(&request, &trusted, &Validators::default())
            .await?
        {
            Outcome::Fetched(f) => f,
            Outcome::NotModified { .. } => {
                return Err(
                    ParseError::Article("answered 304 to an unconditional request".into()).into(),
                );
            }
        };
        let _permit = Arc::clone(&self.parsers)
            .acquire_owned()
            .await
            .map_err(|_| IngestError::Task("the parser pool is closed".into()))?;
        let budget = self.parse_budget;
        let deadline = Instant::now() + budget;
        let task = tokio::task::spawn_blocking(move || {
            let _deadline = crate::parse::budget::Deadline::set(deadline);
            let text = article::page_text(
                &fetched.body,
                fetched.content_type.as_deref(),
                fetched.charset(),
            )?;
            // The article's relative links and pictures resolve against the page it came from,
            // without the source's secrets.
            let page_url = without_secrets(&fetched.url);
            let body = article::extract(&text, &page_url, &how)?;
            let clean = Sanitizer::new(&page_url).clean(&body);
            let clean = clean.trim();
            if clean.is_empty() {
                return Err(ParseError::Article("nothing was left after sanitizing".into()).into());
            }
            Ok(Article {
                html: clean.to_owned(),
                published: article::published(&text, tz, Utc::now()),
            })
        });
        match tokio::time::timeout(budget, task).await {
            Ok(joined) => joined.map_err(task_failure)?,
            Err(_) => Err(IngestError::Budget(budget)),
        }
    }
}

/// Run [`Ingestor::fetch_articles`] for at most `max` articles or until `deadline`, logging a
/// store that cannot be asked; for the article job and the one-shot `fetch` command.
pub async fn drain(
    ingestor: &Arc<Ingestor>,
    max: usize,
    per_source: usize,
    deadline: Instant,
) -> ArticleReport {
    ingestor
        .fetch_articles(max, per_source, deadline)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "articles: cannot claim");
            ArticleReport::default()
        })
}
