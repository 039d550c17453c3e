//! Retention: deleting old items in batches (`retention.max_age`,
//! `retention.max_items_per_source`), never one that a feed still shows — an item among the
//! newest [`FEED_WINDOW`] of everything, of its source, of any of its topics or of any of its
//! tags stays, however old. Topics, tags, stats, bands and search entries go with the item.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::keyset::keyset_after;
use super::schema::{item_tags, item_topics, items};
use super::{DbConn, StoreError, transaction};

/// The longest page a feed shows (`limit` at most 200): items within it are kept.
pub const FEED_WINDOW: i64 = 200;

/// What to delete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Items dated before `now - max_age`.
    pub max_age: Option<std::time::Duration>,
    /// A source's items beyond its newest this many.
    pub max_items_per_source: Option<i64>,
}

impl Policy {
    pub fn is_off(&self) -> bool {
        self.max_age.is_none() && self.max_items_per_source.is_none()
    }
}

/// The oldest sort time still inside a window (None when the window is not full: all of it
/// is shown).
type Cutoff = Option<NaiveDateTime>;

/// Postgres limits of one retention batch (statement and lock).
const RETENTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Delete up to `batch` items the policy lets go, in one transaction; returns how many went.
/// Call it until it returns 0.
pub fn prune_batch(
    conn: &mut DbConn,
    policy: &Policy,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<usize, StoreError> {
    if policy.is_off() {
        return Ok(0);
    }
    transaction(conn, |conn| {
        // A batch walks and deletes more than any request: its own, longer Postgres limits.
        if let DbConn::Pg(c) = conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute(&super::postgres_local_timeouts(
                RETENTION_TIMEOUT,
                RETENTION_TIMEOUT,
            ))?;
        }
        let mut windows = Windows::default();
        let mut doomed: Vec<i64> = Vec::new();
        let page = batch * 4;
        // Too old, oldest first, a page at a time past the protected ones.
        if let Some(age) = policy.max_age {
            // An age beyond what dates can hold deletes nothing (rather than overflowing).
            let before = chrono::Duration::from_std(age)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
                .naive_utc();
            let mut after: Option<(NaiveDateTime, i64)> = None;
            for _ in 0..MAX_PAGES {
                let mut q = items::table
                    .filter(items::sort_at.lt(before))
                    .select((items::id, items::source_id, items::sort_at))
                    .into_boxed();
                if let Some((at, id)) = after {
                    q = q.filter(keyset_after!(asc, items::sort_at, items::id, at, id));
                }
                let candidates: Vec<(i64, String, NaiveDateTime)> = q
                    .order((items::sort_at.asc(), items::id.asc()))
                    .limit(page)
                    .load(conn)?;
                after = candidates.last().map(|c| (c.2, c.0));
                let full = candidates.len() as i64 == page;
                windows.choose(conn, candidates, &mut doomed, batch)?;
                if !full || doomed.len() as i64 >= batch {
                    break;
                }
            }
        }
        // Beyond a source's allowance, oldest of those first.
        if let Some(max) = policy.max_items_per_source {
            let counts = super::items::counts_by_source(conn)?;
            for (source, n) in counts {
                let mut offset = max;
                while offset < n && (doomed.len() as i64) < batch {
                    let candidates: Vec<(i64, String, NaiveDateTime)> = items::table
                        .filter(items::source_id.eq(&source))
                        .order((items::sort_at.desc(), items::id.desc()))
                        .select((items::id, items::source_id, items::sort_at))
                        .offset(offset)
                        .limit(page)
                        .load(conn)?;
                    offset += page;
                    windows.choose(conn, candidates, &mut doomed, batch)?;
                }
            }
        }
        doomed.sort_unstable();
        doomed.dedup();
        let mut deleted = 0;
        for chunk in doomed.chunks(500) {
            deleted +=
                diesel::delete(items::table.filter(items::id.eq_any(chunk))).execute(conn)?;
        }
        if deleted > 0 {
            super::meta::touch_items(conn)?;
        }
        Ok(deleted)
    })
}

/// Candidate pages looked at per call at most (each `4 × batch` items), so that a store whose
/// oldest items are all still shown by some feed does not make one call scan everything.
const MAX_PAGES: usize = 50;

/// The windows met so far, by what they list.
#[derive(Default)]
struct Windows {
    everything: Option<Cutoff>,
    by_source: HashMap<String, Cutoff>,
    by_topic: HashMap<String, Cutoff>,
    by_tag: HashMap<String, Cutoff>,
}

impl Windows {
    /// Move the candidates no window holds to `doomed`, up to `batch` in all.
    fn choose(
        &mut self,
        conn: &mut DbConn,
        candidates: Vec<(i64, String, NaiveDateTime)>,
        doomed: &mut Vec<i64>,
        batch: i64,
    ) -> Result<(), StoreError> {
        if candidates.is_empty() {
            return Ok(());
        }
        let inside = |cutoff: &Cutoff, at: NaiveDateTime| cutoff.is_none_or(|c| at >= c);
        if self.everything.is_none() {
            self.everything = Some(window_cutoff(conn, Window::All)?);
        }
        let everything = self.everything.flatten();
        let ids: Vec<i64> = candidates.iter().map(|c| c.0).collect();
        let topics = super::item_topics::for_items(conn, &ids)?;
        let tags = super::item_tags::for_items(conn, &ids)?;
        for (id, source, at) in candidates {
            if doomed.len() as i64 >= batch {
                break;
            }
            if inside(&everything, at) || doomed.contains(&id) {
                continue;
            }
            if !self.by_source.contains_key(&source) {
                let cutoff = window_cutoff(conn, Window::Source(&source))?;
                self.by_source.insert(source.clone(), cutoff);
            }
            if self.by_source.get(&source).is_some_and(|c| inside(c, at)) {
                continue;
            }
            let mut kept = false;
            for t in topics.get(&id).into_iter().flatten() {
                if !self.by_topic.contains_key(&t.slug) {
                    let cutoff = window_cutoff(conn, Window::Topic(&t.slug))?;
                    self.by_topic.insert(t.slug.clone(), cutoff);
                }
                kept |= self.by_topic.get(&t.slug).is_some_and(|c| inside(c, at));
            }
            for t in tags.get(&id).into_iter().flatten() {
                if kept {
                    break;
                }
                if !self.by_tag.contains_key(&t.key) {
                    let cutoff = window_cutoff(conn, Window::Tag(&t.key))?;
                    self.by_tag.insert(t.key.clone(), cutoff);
                }
                kept |= self.by_tag.get(&t.key).is_some_and(|c| inside(c, at));
            }
            if !kept {
                doomed.push(id);
            }
        }
        Ok(())
    }
}

enum Window<'a> {
    All,
    Source(&'a str),
    Topic(&'a str),
    Tag(&'a str),
}

/// The sort time of the last item a full feed page shows, None when the window is not full.
fn window_cutoff(conn: &mut DbConn, window: Window<'_>) -> Result<Cutoff, StoreError> {
    let last = FEED_WINDOW - 1;
    let found: Option<NaiveDateTime> = match window {
        Window::All => items::table
            .order((items::sort_at.desc(), items::id.desc()))
            .select(items::sort_at)
            .offset(last)
            .first(conn)
            .optional()?,
        Window::Source(source) => items::table
            .filter(items::source_id.eq(source))
            .order((items::sort_at.desc(), items::id.desc()))
            .select(items::sort_at)
            .offset(last)
            .first(conn)
            .optional()?,
        Window::Topic(topic) => item_topics::table
            .filter(item_topics::topic.eq(topic))
            .order((item_topics::sort_at.desc(), item_topics::item_id.desc()))
            .select(item_topics::sort_at)
            .offset(last)
            .first(conn)
            .optional()?,
        Window::Tag(tag) => item_tags::table
            .filter(item_tags::tag.eq(tag))
            .order((item_tags::sort_at.desc(), item_tags::item_id.desc()))
            .select(item_tags::sort_at)
            .offset(last)
            .first(conn)
            .optional()?,
    };
    Ok(found)
}
