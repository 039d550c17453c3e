//! The `fetch_log` table: one row per poll (when, how long, what came of it), for operators
//! looking into a source's history. Pruned to `fetch.log_retention`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::fetch_log;
use super::{DbConn, StoreError};

/// One poll, as logged. A missing value is written as NULL, not as the column's default (the
/// same thing here), so that the INSERT's text never varies and each connection prepares it
/// once (diesel prepares afresh any statement with a `DEFAULT` in it).
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = fetch_log, treat_none_as_default_value = false)]
pub struct LogEntry {
    pub source_id: String,
    pub started_at: NaiveDateTime,
    pub duration_ms: i64,
    /// `stored`, `not_modified` or `failed`.
    pub outcome: String,
    pub status: Option<i32>,
    pub bytes: i64,
    pub items_new: i32,
    pub items_updated: i32,
    pub error: Option<String>,
}

pub fn insert(conn: &mut DbConn, entry: &LogEntry) -> Result<(), StoreError> {
    diesel::insert_into(fetch_log::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

/// The newest `limit` entries of a source.
pub fn recent(conn: &mut DbConn, source_id: &str, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
    Ok(fetch_log::table
        .filter(fetch_log::source_id.eq(source_id))
        .order((fetch_log::started_at.desc(), fetch_log::id.desc()))
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)?)
}

/// Delete entries older than `before`; returns how many went.
pub fn prune(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(fetch_log::table.filter(fetch_log::started_at.lt(before.naive_utc())))
            .execute(conn)?,
    )
}
