//! Counting readers: article views and clicks, and searches (for trending). Counts are kept in
//! memory and written to the store in batches ([`Counter::flush`], every few seconds and at
//! shutdown), never once per request. Obvious robots are not counted, nor a repeat from the
//! same client within [`REPEAT_WINDOW`]; a client is known only by a keyed hash of its address
//! (not its User-Agent, which one client can change on every request), with a key made at
//! process start, kept in memory for a few minutes and never stored.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::domain::ItemId;
use crate::store::stats::{self, PendingViews};
use crate::store::{Store, StoreError, transaction};

/// A client's second view of an item (or second identical search) within this long is not
/// counted again.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Clients remembered at most; beyond this the oldest memories go first (so a flood of
/// addresses cannot grow memory without bound; at worst a repeat is counted twice).
const MAX_REMEMBERED: usize = 200_000;

/// Substrings of the User-Agent of programs that are not readers: crawlers, link previews,
/// HTTP libraries, monitors, headless browsers.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrape",
    "facebookexternalhit",
    "embedly",
    "preview",
    "curl/",
    "wget/",
    "python-",
    "aiohttp",
    "httpclient",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "node-fetch",
    "axios/",
    "headless",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "feedfetcher",
    "feedparser",
];

/// True when `agent` is missing or names a program rather than a person's browser.
pub fn is_bot(agent: Option<&str>) -> bool {
    let Some(agent) = agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    let lower = agent.to_ascii_lowercase();
    BOT_MARKERS.iter().any(|m| lower.contains(m))
}

/// Who is asking, as far as counting needs to know.
#[derive(Debug, Clone)]
pub struct Client<'a> {
    pub address: &'a str,
    pub agent: Option<&'a str>,
}

/// What became of one view or search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Yes,
    /// A robot's request.
    Robot,
    /// The same client asked within [`REPEAT_WINDOW`].
    Repeat,
}

#[derive(Default)]
struct State {
    views: HashMap<ItemId, PendingViews>,
    queries: HashMap<(String, NaiveDateTime), i64>,
    /// Hash of (client, what) → when it was last counted.
    recent: HashMap<u64, Instant>,
}

/// What one flush takes from memory.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub views: HashMap<ItemId, PendingViews>,
    pub queries: HashMap<(String, NaiveDateTime), i64>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.queries.is_empty()
    }
}

/// The process's counters.
pub struct Counter {
    state: Mutex<State>,
    /// How many flushes have written search counts (what trending is computed from).
    query_flushes: std::sync::atomic::AtomicU64,
    /// Keyed with random keys made at process start.
    hasher: std::collections::hash_map::RandomState,
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl Counter {
    pub fn new() -> Self {
        Counter {
            state: Mutex::new(State::default()),
            query_flushes: std::sync::atomic::AtomicU64::new(0),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the counts are still whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `client` doing `what` now is a first time within the window; remembers it.
    fn first_time(&self, state: &mut State, client: &Client<'_>, what: &str) -> bool {
        let key = self.hasher.hash_one((client.address, what));
        let now = Instant::now();
        if let Some(at) = state.recent.get(&key)
            && now.duration_since(*at) < REPEAT_WINDOW
        {
            return false;
        }
        if state.recent.len() >= MAX_REMEMBERED {
            state
                .recent
                .retain(|_, at| now.duration_since(*at) < REPEAT_WINDOW);
            if state.recent.len() >= MAX_REMEMBERED {
                state.recent.clear();
            }
        }
        state.recent.insert(key, now);
        true
    }

    /// Count a view (or click) of `item` at `at`.
    pub fn view(&self, item: ItemId, client: &Client<'_>, at: DateTime<Utc>) -> Counted {
        if is_bot(client.agent) {
            return Counted::Robot;
        }
        let mut state = self.state();
        if !self.first_time(&mut state, client, &format!("item:{item}")) {
            return Counted::Repeat;
        }
        let one = PendingViews::one(at);
        state
            .views
            .entry(item)
            .and_modify(|p| p.merge(&one))
            .or_insert(one);
        crate::metrics::view_counted();
        Counted::Yes
    }

    /// Count a search for `normalized` (a query that found something) at `at`.
    pub fn search(&self, normalized: &str, client: &Client<'_>, at: DateTime<Utc>) -> Counted {
        if is_bot(client.agent) {
            return Counted::Robot;
        }
        let mut state = self.state();
        if !self.first_time(&mut state, client, &format!("q:{normalized}")) {
            return Counted::Repeat;
        }
        *state
            .queries
            .entry((normalized.to_owned(), stats::hour_of(at)))
            .or_insert(0) += 1;
        Counted::Yes
    }

    /// Views counted but not yet written, for one item (so a page can show a count that
    /// includes its own visit before the flush).
    pub fn pending_views(&self, item: ItemId) -> u64 {
        self.state().views.get(&item).map_or(0, |p| p.views)
    }

    /// Take everything counted so far.
    pub fn take(&self) -> Batch {
        let mut state = self.state();
        Batch {
            views: std::mem::take(&mut state.views),
            queries: std::mem::take(&mut state.queries),
        }
    }

    /// Put back a batch that could not be written, to go with the next flush.
    pub fn restore(&self, batch: Batch) {
        let mut state = self.state();
        for (id, p) in batch.views {
            state
                .views
                .entry(id)
                .and_modify(|q| q.merge(&p))
                .or_insert(p);
        }
        for (key, n) in batch.queries {
            *state.queries.entry(key).or_insert(0) += n;
        }
    }

    /// Write what was counted to the store in one transaction; on failure the counts stay in
    /// memory for the next try. Returns how many items' counts were written.
    pub async fn flush(&self, store: &Store) -> Result<usize, StoreError> {
        let batch = self.take();
        if batch.is_empty() {
            return Ok(0);
        }
        let has_queries = !batch.queries.is_empty();
        // Kept until the write is known to have landed (the store may be unreachable).
        let copy = batch.clone();
        let written = store
            .run(move |c| {
                transaction(c, |c| {
                    let n = stats::add_views(c, &batch.views)?;
                    stats::add_queries(c, &batch.queries)?;
                    Ok(n)
                })
            })
            .await;
        if written.is_err() {
            self.restore(copy);
        } else if has_queries {
            self.query_flushes
                .fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        written
    }

    /// How many flushes have written search counts so far: a trending list computed before the
    /// latest one is stale.
    pub fn query_flushes(&self) -> u64 {
        self.query_flushes
            .load(std::sync::atomic::Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client<'a>(address: &'a str, agent: &'a str) -> Client<'a> {
        Client {
            address,
            agent: Some(agent),
        }
    }

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

    #[test]
    fn robots_and_missing_agents_are_not_readers() {
        assert!(is_bot(None));
        assert!(is_bot(Some("  ")));
        assert!(is_bot(Some("Mozilla/5.0 (compatible; Googlebot/2.1)")));
        assert!(is_bot(Some("curl/8.5.0")));
        assert!(is_bot(Some("python-requests/2.32")));
        assert!(!is_bot(Some(FIREFOX)));
    }

    #[test]
    fn a_client_counts_once_per_item_within_the_window() {
        let counter = Counter::new();
        let now = Utc::now();
        let a = client("10.0.0.1", FIREFOX);
        let b = client("10.0.0.2", FIREFOX);
        assert_eq!(counter.view(ItemId::from(7), &a, now), Counted::Yes);
        assert_eq!(counter.view(ItemId::from(7), &a, now), Counted::Repeat);
        assert_eq!(counter.view(ItemId::from(8), &a, now), Counted::Yes);
        assert_eq!(counter.view(ItemId::from(7), &b, now), Counted::Yes);
        // Another User-Agent from the same address is the same client.
        let a_rotated = client("10.0.0.1", "Mozilla/5.0 (Macintosh) Safari/605.1.15");
        assert_eq!(
            counter.view(ItemId::from(7), &a_rotated, now),
            Counted::Repeat
        );
        assert_eq!(
            counter.view(ItemId::from(7), &client("10.0.0.3", "curl/8"), now),
            Counted::Robot
        );
        assert_eq!(counter.pending_views(ItemId::from(7)), 2);
        let batch = counter.take();
        assert_eq!(batch.views[&ItemId::from(7)].views, 2);
        assert_eq!(batch.views[&ItemId::from(8)].views, 1);
        assert_eq!(counter.pending_views(ItemId::from(7)), 0);
        counter.restore(batch);
        assert_eq!(counter.pending_views(ItemId::from(7)), 2);
    }

    #[test]
    fn searches_are_counted_per_query_and_hour() {
        let counter = Counter::new();
        let now = Utc::now();
        counter.search("物流", &client("10.0.0.1", FIREFOX), now);
        counter.search("物流", &client("10.0.0.1", FIREFOX), now);
        counter.search("物流", &client("10.0.0.2", FIREFOX), now);
        let batch = counter.take();
        assert_eq!(batch.queries[&("物流".to_owned(), stats::hour_of(now))], 2);
    }
}
