//! Rendered feeds kept in memory, so that the thousands of readers polling a topic feed cost
//! a hash lookup each, not a database query and a render. Entries are keyed by the request's
//! path and query (the self link inside a feed repeats them), hold the body and its gzip form,
//! and are dropped least recently used first when the cache outgrows its byte budget.
//!
//! Staleness: the store keeps a value that changes whenever items change
//! (`meta::ITEMS_CHANGED`). At most every `change_poll`, a request reads it; when it moved,
//! the whole cache is dropped. Every web process learns of another process's ingest within
//! `change_poll` that way, with one tiny query per interval. A reload of the configuration
//! (titles, topics) moves its generation, which the cache follows on every request.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use lru::LruCache;

/// One rendered feed.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Bytes,
    /// The body gzip-compressed (best effort: None if compression failed).
    pub gzip: Option<Bytes>,
    /// Strong validator, quoted.
    pub etag: String,
    pub last_modified: Option<std::time::SystemTime>,
    pub media_type: &'static str,
}

impl Rendered {
    pub fn new(
        body: String,
        media_type: &'static str,
        last_modified: Option<std::time::SystemTime>,
    ) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(body.as_bytes());
        let etag = format!(
            "\"{}\"",
            digest
                .iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let gzip = gzip(body.as_bytes()).map(Bytes::from);
        Rendered {
            body: Bytes::from(body),
            gzip,
            etag,
            last_modified,
            media_type,
        }
    }

    /// Bytes held, for the budget.
    fn size(&self, key: &str) -> u64 {
        (key.len() + self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len) + 128) as u64
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

struct Inner {
    entries: LruCache<String, Rendered>,
    bytes: u64,
    /// The store's change marker the entries were rendered under.
    seen: Option<String>,
    /// The configuration generation (`Reloader::generation`) they were rendered under.
    generation: u64,
    checked_at: Option<Instant>,
    hits: u64,
    misses: u64,
}

/// A byte-bounded LRU of rendered feeds. With a budget of 0 it stores nothing.
pub struct FeedCache {
    inner: Mutex<Inner>,
    budget: u64,
    poll: Duration,
}

/// Hit and miss counts, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: u64,
}

impl FeedCache {
    pub fn new(budget: u64, poll: Duration) -> Self {
        FeedCache {
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
                seen: None,
                generation: 0,
                checked_at: None,
                hits: 0,
                misses: 0,
            }),
            budget,
            poll,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the store's change marker is due to be read again.
    pub fn needs_check(&self) -> bool {
        self.budget > 0
            && self
                .lock()
                .checked_at
                .is_none_or(|at| at.elapsed() >= self.poll)
    }

    /// Record the store's change marker; drop everything if it moved.
    pub fn observe(&self, marker: Option<String>) {
        let mut inner = self.lock();
        inner.checked_at = Some(Instant::now());
        if inner.seen != marker {
            inner.entries.clear();
            inner.bytes = 0;
            inner.seen = marker;
        }
    }

    /// The store could not be asked: keep serving what is cached, and ask again after the
    /// usual interval rather than on every request.
    pub fn check_failed(&self) {
        self.lock().checked_at = Some(Instant::now());
    }

    /// Drop every entry if the configuration's generation moved since they were rendered.
    pub fn follow(&self, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
    }

    /// Drop every entry (this process changed items).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
        inner.checked_at = None;
    }

    pub fn get(&self, key: &str) -> Option<Rendered> {
        let mut inner = self.lock();
        let found = inner.entries.get(key).cloned();
        if found.is_some() {
            inner.hits += 1;
        } else {
            inner.misses += 1;
        }
        found
    }

    pub fn put(&self, key: String, rendered: Rendered) {
        let size = rendered.size(&key);
        if size > self.budget / 4 {
            // One huge variant must not push out everything else.
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.put(key.clone(), rendered) {
            inner.bytes = inner.bytes.saturating_sub(old.size(&key));
        }
        inner.bytes += size;
        while inner.bytes > self.budget {
            let Some((k, v)) = inner.entries.pop_lru() else {
                break;
            };
            inner.bytes = inner.bytes.saturating_sub(v.size(&k));
        }
    }

    pub fn stats(&self) -> Stats {
        let inner = self.lock();
        Stats {
            hits: inner.hits,
            misses: inner.misses,
            entries: inner.entries.len(),
            bytes: inner.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(n: usize) -> Rendered {
        Rendered::new("x".repeat(n), "text/plain", None)
    }

    #[test]
    fn the_budget_bounds_memory_dropping_the_least_recently_used() {
        let cache = FeedCache::new(10_000, Duration::from_secs(1));
        for i in 0..50 {
            cache.put(format!("/feeds/{i}.rss"), rendered(1_000));
            // Keep feed 0 in use.
            assert!(cache.get("/feeds/0.rss").is_some(), "after {i}");
        }
        let stats = cache.stats();
        assert!(stats.bytes <= 10_000, "{stats:?}");
        assert!(stats.entries < 50 && stats.entries > 1, "{stats:?}");
        assert!(cache.get("/feeds/1.rss").is_none());
        assert!(cache.get("/feeds/49.rss").is_some());
    }

    #[test]
    fn a_moved_change_marker_drops_everything() {
        let cache = FeedCache::new(1 << 20, Duration::from_secs(60));
        assert!(cache.needs_check());
        cache.observe(Some("a".into()));
        assert!(!cache.needs_check());
        cache.put("/feeds/all.rss".into(), rendered(10));
        cache.observe(Some("a".into()));
        assert!(cache.get("/feeds/all.rss").is_some());
        cache.observe(Some("b".into()));
        assert!(cache.get("/feeds/all.rss").is_none());
    }

    #[test]
    fn gzip_form_inflates_to_the_body() {
        use std::io::Read;
        let r = Rendered::new("<rss>亚马逊</rss>".repeat(100), "application/rss+xml", None);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&r.gzip.unwrap()[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out.as_bytes(), &r.body[..]);
        assert!(r.etag.starts_with('"') && r.etag.len() == 34);
    }
}
