//! Reading counts (`item_stats`) and search counts (`search_queries`), written in batches by
//! the in-memory counters of the web processes.
//!
//! A view's weight decays with its age. Rather than rewriting every row as time passes, each
//! row keeps, per half-life, the natural log of Σ 2^((t − epoch) / half-life) over its views:
//! ordering by that column is ordering by the decayed count at any moment, and
//! [`Heat::decayed`] turns it back into a count as of now. Logs keep the sums finite for
//! centuries.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{item_stats, items, search_queries};
use super::{DbConn, StoreError, on_backend};
use crate::domain::ItemId;

/// Half-life of a view in the daily ranking, in hours.
pub const DAY_HALF_LIFE_HOURS: f64 = 6.0;
/// Half-life of a view in the weekly ranking, in hours.
pub const WEEK_HALF_LIFE_HOURS: f64 = 42.0;

/// The fixed origin of the decay arithmetic (2026-01-01T00:00:00Z).
const EPOCH_SECONDS: i64 = 1_767_225_600;

/// Which ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    Day,
    Week,
}

impl Window {
    pub fn half_life_hours(self) -> f64 {
        match self {
            Window::Day => DAY_HALF_LIFE_HOURS,
            Window::Week => WEEK_HALF_LIFE_HOURS,
        }
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            Window::Day => chrono::Duration::hours(24),
            Window::Week => chrono::Duration::days(7),
        }
    }
}

/// A decayed count in log form (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heat(pub f64);

impl Heat {
    /// No views at all.
    pub const NONE: Heat = Heat(f64::NEG_INFINITY);

    /// `n` views at `at`, decaying with `half_life` hours.
    pub fn of(n: u64, at: DateTime<Utc>, half_life: f64) -> Heat {
        if n == 0 {
            return Heat::NONE;
        }
        Heat((n as f64).ln() + exponent(at, half_life))
    }

    /// The views of both.
    pub fn plus(self, other: Heat) -> Heat {
        let (hi, lo) = if self.0 >= other.0 {
            (self.0, other.0)
        } else {
            (other.0, self.0)
        };
        if lo == f64::NEG_INFINITY {
            return Heat(hi);
        }
        Heat(hi + (lo - hi).exp().ln_1p())
    }

    /// What the views are worth at `now`: each counts 1 when new, ½ one half-life later.
    pub fn decayed(self, now: DateTime<Utc>, half_life: f64) -> f64 {
        (self.0 - exponent(now, half_life)).exp()
    }
}

/// ln(2^((t − epoch) / half-life)).
fn exponent(at: DateTime<Utc>, half_life: f64) -> f64 {
    let hours = (at.timestamp() - EPOCH_SECONDS) as f64 / 3600.0;
    std::f64::consts::LN_2 * hours / half_life
}

/// Views of one item not yet written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PendingViews {
    pub views: u64,
    pub heat_day: Heat,
    pub heat_week: Heat,
    pub last: DateTime<Utc>,
}

impl PendingViews {
    pub fn one(at: DateTime<Utc>) -> Self {
        PendingViews {
            views: 1,
            heat_day: Heat::of(1, at, DAY_HALF_LIFE_HOURS),
            heat_week: Heat::of(1, at, WEEK_HALF_LIFE_HOURS),
            last: at,
        }
    }

    pub fn merge(&mut self, other: &PendingViews) {
        self.views += other.views;
        self.heat_day = self.heat_day.plus(other.heat_day);
        self.heat_week = self.heat_week.plus(other.heat_week);
        self.last = self.last.max(other.last);
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = item_stats, treat_none_as_default_value = false)]
struct StatsRow {
    item_id: i64,
    views: i64,
    heat_day: f64,
    heat_week: f64,
    last_view_at: NaiveDateTime,
}

/// Rows read or written per statement.
const CHUNK: usize = 500;

/// Add `pending` to the stored counts, in one transaction (the caller's). Views of items that
/// no longer exist are dropped. Returns how many items were written.
pub fn add_views(
    conn: &mut DbConn,
    pending: &HashMap<ItemId, PendingViews>,
) -> Result<usize, StoreError> {
    let ids: Vec<i64> = pending.keys().map(|id| id.get()).collect();
    let mut written = 0;
    for chunk in ids.chunks(CHUNK) {
        let alive: Vec<i64> = items::table
            .filter(items::id.eq_any(chunk))
            .select(items::id)
            .load(conn)?;
        // Lock the rows on Postgres: two processes flushing the same item add up, in turn.
        let stored: Vec<StatsRow> = match conn {
            DbConn::Pg(c) => item_stats::table
                .filter(item_stats::item_id.eq_any(&alive))
                .select(StatsRow::as_select())
                .for_update()
                .load(c)?,
            DbConn::Sqlite(c) => item_stats::table
                .filter(item_stats::item_id.eq_any(&alive))
                .select(StatsRow::as_select())
                .load(c)?,
        };
        let stored: HashMap<i64, StatsRow> = stored.into_iter().map(|r| (r.item_id, r)).collect();
        let rows: Vec<StatsRow> = alive
            .iter()
            .filter_map(|id| {
                let p = pending.get(&ItemId::from(*id))?;
                let row = match stored.get(id) {
                    None => StatsRow {
                        item_id: *id,
                        views: i64::try_from(p.views).unwrap_or(i64::MAX),
                        heat_day: p.heat_day.0,
                        heat_week: p.heat_week.0,
                        last_view_at: p.last.naive_utc(),
                    },
                    Some(old) => StatsRow {
                        item_id: *id,
                        views: old
                            .views
                            .saturating_add(i64::try_from(p.views).unwrap_or(i64::MAX)),
                        heat_day: Heat(old.heat_day).plus(p.heat_day).0,
                        heat_week: Heat(old.heat_week).plus(p.heat_week).0,
                        last_view_at: old.last_view_at.max(p.last.naive_utc()),
                    },
                };
                Some(row)
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        written += rows.len();
        use diesel::upsert::excluded;
        on_backend!(conn, |c| diesel::insert_into(item_stats::table)
            .values(&rows)
            .on_conflict(item_stats::item_id)
            .do_update()
            .set((
                item_stats::views.eq(excluded(item_stats::views)),
                item_stats::heat_day.eq(excluded(item_stats::heat_day)),
                item_stats::heat_week.eq(excluded(item_stats::heat_week)),
                item_stats::last_view_at.eq(excluded(item_stats::last_view_at)),
            ))
            .execute(c))?;
    }
    Ok(written)
}

/// The stored view counts of `ids` (items never viewed are absent).
pub fn views_of(conn: &mut DbConn, ids: &[ItemId]) -> Result<HashMap<ItemId, i64>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = item_stats::table
            .filter(item_stats::item_id.eq_any(chunk))
            .select((item_stats::item_id, item_stats::views))
            .load(conn)?;
        out.extend(
            rows.into_iter()
                .map(|(id, views)| (ItemId::from(id), views)),
        );
    }
    Ok(out)
}

/// An item in the running for hot reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewed {
    pub item_id: ItemId,
    pub views: i64,
    pub heat: Heat,
}

/// The `limit` items with the most decayed views in `window` among those viewed since
/// `now − window`, hottest first; only items in `topic` when given.
pub fn hottest(
    conn: &mut DbConn,
    window: Window,
    topic: Option<&str>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Viewed>, StoreError> {
    use super::schema::item_topics;
    let since = (now - window.duration()).naive_utc();
    let mut q = item_stats::table
        .filter(item_stats::last_view_at.ge(since))
        .select((
            item_stats::item_id,
            item_stats::views,
            item_stats::heat_day,
            item_stats::heat_week,
        ))
        .into_boxed();
    if let Some(topic) = topic {
        q = q.filter(
            item_stats::item_id.eq_any(
                item_topics::table
                    .filter(item_topics::topic.eq(topic.to_owned()))
                    .select(item_topics::item_id),
            ),
        );
    }
    q = match window {
        Window::Day => q.order((item_stats::heat_day.desc(), item_stats::item_id.desc())),
        Window::Week => q.order((item_stats::heat_week.desc(), item_stats::item_id.desc())),
    };
    let rows: Vec<(i64, i64, f64, f64)> = q.limit(limit).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(item_id, views, day, week)| Viewed {
            item_id: item_id.into(),
            views,
            heat: Heat(match window {
                Window::Day => day,
                Window::Week => week,
            }),
        })
        .collect())
}

/// The hour a moment falls in, as stored in `search_queries`.
pub fn hour_of(at: DateTime<Utc>) -> NaiveDateTime {
    let secs = at.timestamp() - at.timestamp().rem_euclid(3600);
    DateTime::from_timestamp(secs, 0).unwrap_or(at).naive_utc()
}

/// Add `counts` (per normalized query and hour) to the stored ones.
pub fn add_queries(
    conn: &mut DbConn,
    counts: &HashMap<(String, NaiveDateTime), i64>,
) -> Result<(), StoreError> {
    #[derive(Insertable)]
    #[diesel(table_name = search_queries, treat_none_as_default_value = false)]
    struct Row<'a> {
        query: &'a str,
        hour: NaiveDateTime,
        count: i64,
    }
    let rows: Vec<Row<'_>> = counts
        .iter()
        .map(|((query, hour), count)| Row {
            query,
            hour: *hour,
            count: *count,
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(search_queries::table)
            .values(chunk)
            .on_conflict((search_queries::query, search_queries::hour))
            .do_update()
            .set(
                search_queries::count
                    .eq(search_queries::count + diesel::upsert::excluded(search_queries::count))
            )
            .execute(c))?;
    }
    Ok(())
}

/// Every (query, hour, count) counted since `since`.
pub fn queries_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
) -> Result<Vec<(String, NaiveDateTime, i64)>, StoreError> {
    Ok(search_queries::table
        .filter(search_queries::hour.ge(since))
        .select((
            search_queries::query,
            search_queries::hour,
            search_queries::count,
        ))
        .load(conn)?)
}

/// Forget search counts from before `before`; returns how many rows went.
pub fn prune_queries(conn: &mut DbConn, before: NaiveDateTime) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(search_queries::table.filter(search_queries::hour.lt(before)))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_adds_in_log_form_and_halves_per_half_life() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let h = Heat::of(3, t, 6.0).plus(Heat::of(1, t, 6.0));
        assert!((h.decayed(t, 6.0) - 4.0).abs() < 1e-9);
        let later = t + chrono::Duration::hours(6);
        assert!((h.decayed(later, 6.0) - 2.0).abs() < 1e-9);
        // A newer view outweighs an older one of the same count.
        assert!(Heat::of(1, later, 6.0).0 > Heat::of(1, t, 6.0).0);
        assert_eq!(Heat::NONE.plus(h), h);
    }

    #[test]
    fn hours_are_truncated() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T12:34:56Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(hour_of(t).to_string(), "2026-11-26 12:00:00");
    }
}
