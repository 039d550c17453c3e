//! The `sources` table: what the configuration says about each upstream, and how its last
//! fetches went.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::sources;
use super::{DbConn, StoreError, json_list, to_json};
use crate::config::SourceConfig;

/// The reason recorded on a source that has left the configuration.
pub const REMOVED_FROM_CONFIG: &str = "removed from the configuration";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sources)]
pub struct SourceRow {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
    pub feed_title: Option<String>,
    pub site_url: Option<String>,
    pub schedule: String,
    pub timezone: String,
    pub tags: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub next_fetch_at: NaiveDateTime,
    pub last_fetch_at: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub error_count: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SourceRow {
    /// The configured title, else the feed's own, else the id.
    pub fn display_title(&self) -> &str {
        self.title
            .as_deref()
            .or(self.feed_title.as_deref())
            .unwrap_or(&self.id)
    }

    pub fn tags(&self) -> Result<Vec<String>, StoreError> {
        json_list(&self.tags)
    }
}

#[derive(Insertable)]
#[diesel(table_name = sources)]
struct NewSource<'a> {
    id: &'a str,
    url: &'a str,
    title: Option<&'a str>,
    schedule: &'a str,
    timezone: &'a str,
    tags: String,
    enabled: bool,
    next_fetch_at: NaiveDateTime,
    error_count: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What the configuration may change on an existing source; fetch state is left alone.
#[derive(AsChangeset)]
#[diesel(table_name = sources, treat_none_as_null = true)]
struct ConfigChanges<'a> {
    url: &'a str,
    title: Option<&'a str>,
    schedule: &'a str,
    timezone: &'a str,
    tags: String,
    updated_at: NaiveDateTime,
}

/// How a configuration sync changed the table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub disabled: usize,
}

/// Make the table match the configured sources: add new ones, update changed ones, and
/// disable (never delete, so their items stay) those no longer configured. With `due_now`,
/// every configured source is due at `now` (the first poll right after start).
pub fn sync_from_config(
    conn: &mut DbConn,
    configured: &[SourceConfig],
    now: DateTime<Utc>,
    due_now: bool,
) -> Result<SyncReport, StoreError> {
    let now = now.naive_utc();
    super::transaction(conn, |conn| {
        let existing: Vec<SourceRow> = sources::table.select(SourceRow::as_select()).load(conn)?;
        let mut report = SyncReport::default();
        for s in configured {
            let id = s.id.as_str();
            let url = s.url.as_str();
            let tags = to_json(&s.tags);
            match existing.iter().find(|r| r.id == id) {
                None => {
                    diesel::insert_into(sources::table)
                        .values(NewSource {
                            id,
                            url,
                            title: s.title.as_deref(),
                            schedule: s.schedule.as_str(),
                            timezone: s.timezone.name(),
                            tags,
                            enabled: true,
                            next_fetch_at: now,
                            error_count: 0,
                            created_at: now,
                            updated_at: now,
                        })
                        .execute(conn)?;
                    report.added += 1;
                }
                Some(row) => {
                    let changed = row.url != url
                        || row.title.as_deref() != s.title.as_deref()
                        || row.schedule != s.schedule.as_str()
                        || row.timezone != s.timezone.name()
                        || row.tags != tags
                        || row.disabled_reason.as_deref() == Some(REMOVED_FROM_CONFIG);
                    if changed {
                        diesel::update(sources::table.find(id))
                            .set(ConfigChanges {
                                url,
                                title: s.title.as_deref(),
                                schedule: s.schedule.as_str(),
                                timezone: s.timezone.name(),
                                tags,
                                updated_at: now,
                            })
                            .execute(conn)?;
                        report.updated += 1;
                    }
                    if row.disabled_reason.as_deref() == Some(REMOVED_FROM_CONFIG) {
                        // Back in the configuration: enable it again.
                        diesel::update(sources::table.find(id))
                            .set((
                                sources::enabled.eq(true),
                                sources::disabled_reason.eq(None::<String>),
                            ))
                            .execute(conn)?;
                    }
                    if due_now
                        && (row.enabled
                            || row.disabled_reason.as_deref() == Some(REMOVED_FROM_CONFIG))
                    {
                        diesel::update(sources::table.find(id))
                            .set(sources::next_fetch_at.eq(now))
                            .execute(conn)?;
                    }
                }
            }
        }
        let configured_ids: Vec<&str> = configured.iter().map(|s| s.id.as_str()).collect();
        report.disabled = diesel::update(
            sources::table
                .filter(sources::id.ne_all(&configured_ids))
                .filter(sources::enabled.eq(true)),
        )
        .set((
            sources::enabled.eq(false),
            sources::disabled_reason.eq(REMOVED_FROM_CONFIG),
            sources::updated_at.eq(now),
        ))
        .execute(conn)?;
        Ok(report)
    })
}

/// Every source, by id.
pub fn list(conn: &mut DbConn) -> Result<Vec<SourceRow>, StoreError> {
    Ok(sources::table
        .select(SourceRow::as_select())
        .order(sources::id.asc())
        .load(conn)?)
}

/// One source.
pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<SourceRow>, StoreError> {
    Ok(sources::table
        .find(id)
        .select(SourceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Enabled sources whose next fetch is due at `now`, most overdue first.
pub fn due(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<SourceRow>, StoreError> {
    Ok(sources::table
        .filter(sources::enabled.eq(true))
        .filter(sources::next_fetch_at.le(now.naive_utc()))
        .order(sources::next_fetch_at.asc())
        .limit(limit)
        .select(SourceRow::as_select())
        .load(conn)?)
}

/// The outcome of one poll, as recorded on the source.
#[derive(Debug, Clone)]
pub enum FetchRecord {
    Success {
        status: Option<i32>,
        title: Option<String>,
        site_url: Option<String>,
    },
    Failure {
        status: Option<i32>,
        error: String,
    },
}

/// Record a poll's outcome and when the source is next due.
pub fn record_fetch(
    conn: &mut DbConn,
    id: &str,
    at: DateTime<Utc>,
    next_fetch_at: DateTime<Utc>,
    record: &FetchRecord,
) -> Result<(), StoreError> {
    let at = at.naive_utc();
    let next = next_fetch_at.naive_utc();
    let target = sources::table.find(id);
    match record {
        FetchRecord::Success {
            status,
            title,
            site_url,
        } => {
            diesel::update(target)
                .set((
                    sources::last_fetch_at.eq(at),
                    sources::last_success_at.eq(at),
                    sources::last_status.eq(status),
                    sources::last_error.eq(None::<String>),
                    sources::error_count.eq(0),
                    sources::next_fetch_at.eq(next),
                    sources::site_url.eq(site_url),
                    sources::feed_title.eq(title),
                ))
                .execute(conn)?;
        }
        FetchRecord::Failure { status, error } => {
            diesel::update(target)
                .set((
                    sources::last_fetch_at.eq(at),
                    sources::last_status.eq(status),
                    sources::last_error.eq(error),
                    sources::error_count.eq(sources::error_count + 1),
                    sources::next_fetch_at.eq(next),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
