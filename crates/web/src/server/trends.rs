//! Trending searches (大家都在搜) are worked out from every stored query count in their window,
//! which grows with the number of distinct queries people type. Pages and the API read them
//! from here instead: recomputed only after this process has written new search counts, and at
//! least every [`MAX_AGE`] (for counts written by other processes, and for the decay of age),
//! so that ten thousand distinct searches cost one computation per flush, not one per page.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::discovery::Trend;
use crate::store::stats::Window;

/// The longest a computed list is served.
pub const MAX_AGE: Duration = Duration::from_secs(10);

struct Entry {
    /// The search-count flushes this process had made when the list was computed.
    flushes: u64,
    at: Instant,
    trends: Vec<Trend>,
}

/// Computed trending lists, by window and length.
#[derive(Default)]
pub struct TrendCache {
    entries: Mutex<HashMap<(Window, usize), Entry>>,
}

impl TrendCache {
    /// The list for `window` and `limit`: the cached one while it is fresh (no flush since, and
    /// younger than [`MAX_AGE`]), else what `compute` makes of the store now.
    pub fn get<E>(
        &self,
        window: Window,
        limit: usize,
        flushes: u64,
        compute: impl FnOnce() -> Result<Vec<Trend>, E>,
    ) -> Result<Vec<Trend>, E> {
        let key = (window, limit);
        if let Some(entry) = self.lock().get(&key)
            && entry.flushes == flushes
            && entry.at.elapsed() < MAX_AGE
        {
            return Ok(entry.trends.clone());
        }
        let trends = compute()?;
        self.lock().insert(
            key,
            Entry {
                flushes,
                at: Instant::now(),
                trends: trends.clone(),
            },
        );
        Ok(trends)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Window, usize), Entry>> {
        // A poisoned lock only means a panic elsewhere; the entries are whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend(q: &str) -> Vec<Trend> {
        vec![Trend {
            query: q.into(),
            score: 1.0,
            searches: 1,
        }]
    }

    #[test]
    fn a_list_is_computed_once_per_flush() {
        let cache = TrendCache::default();
        let computed = std::cell::Cell::new(0);
        let get = |flushes: u64, q: &str| {
            cache
                .get(Window::Day, 12, flushes, || {
                    computed.set(computed.get() + 1);
                    Ok::<_, ()>(trend(q))
                })
                .unwrap()
        };
        assert_eq!(get(0, "a")[0].query, "a");
        assert_eq!(get(0, "b")[0].query, "a", "served from the cache");
        assert_eq!(get(1, "c")[0].query, "c", "a flush makes it stale");
        assert_eq!(computed.get(), 2);
        // Another window or length is another list.
        let week = cache
            .get(Window::Week, 12, 1, || Ok::<_, ()>(trend("w")))
            .unwrap();
        assert_eq!(week[0].query, "w");
    }

    #[test]
    fn an_error_is_not_cached() {
        let cache = TrendCache::default();
        assert!(cache.get(Window::Day, 5, 0, || Err("down")).is_err());
        let ok = cache
            .get(Window::Day, 5, 0, || Ok::<_, &str>(trend("x")))
            .unwrap();
        assert_eq!(ok[0].query, "x");
    }
}
