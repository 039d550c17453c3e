//! The `sources` table: what the configuration says about each upstream, and how its last
//! fetches went.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::IntoSql;
use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};

use super::locks::load_claimed;
use super::schema::sources;
use super::{DbConn, StoreError, json_list, on_backend, to_json};
use crate::config::SourceConfig;
use crate::domain::page::{FullContent, PageSource, PageSpec};

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
    /// Where the feed is actually fetched from, when that is not `url` (after a permanent
    /// redirect, or the feed an HTML page advertises).
    pub fetch_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    /// What the last successful poll had to cut short to keep its work bounded.
    pub last_warning: Option<String>,
    /// A page source's selectors or `auto`, as JSON ([`PageSource`]); None for a feed.
    pub page: Option<String>,
    /// `auto` or `css:<selector>` when items' articles are fetched ([`FullContent`]).
    pub full_content: Option<String>,
    /// For `page: auto`: the selectors detection found, as JSON ([`PageSpec`]), reused while
    /// they keep matching.
    pub detected_page: Option<String>,
}

impl SourceRow {
    /// The selectors detection found for a `page: auto` source, when they can be read.
    pub fn detected_spec(&self) -> Option<PageSpec> {
        self.detected_page
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// A page source's selectors or `auto`. One stored by another version that this one cannot read is
    /// an error on the poll, not a feed.
    pub fn page_source(&self) -> Option<Result<PageSource, String>> {
        self.page.as_deref().map(|json| {
            serde_json::from_str(json)
                .map_err(|e| format!("the stored page selectors cannot be read: {e}"))
        })
    }

    /// How items' articles are fetched, if they are.
    pub fn full_content(&self) -> Option<FullContent> {
        self.full_content
            .as_deref()
            .and_then(FullContent::from_stored)
    }

    /// The URL to fetch now.
    pub fn current_url(&self) -> &str {
        self.fetch_url.as_deref().unwrap_or(&self.url)
    }

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

/// New sources per INSERT: 11 parameters each, well under SQLite's limit of 32,766.
const SOURCES_PER_INSERT: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = sources, treat_none_as_default_value = false)]
struct NewSource<'a> {
    id: &'a str,
    url: &'a str,
    title: Option<&'a str>,
    schedule: &'a str,
    timezone: &'a str,
    tags: String,
    page: Option<String>,
    full_content: Option<String>,
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
    page: Option<String>,
    full_content: Option<String>,
    updated_at: NaiveDateTime,
}

/// How a configuration sync changed the table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub disabled: usize,
}

/// Make the table match the configured sources: add new ones (due at once), update changed
/// ones, and disable (never delete, so their items stay) those no longer configured. Existing
/// sources keep their next fetch time, so that a restart, or a second process starting, does
/// not poll everything again; a source whose URL changed, or that comes back into the
/// configuration, is due at once.
pub fn sync_from_config(
    conn: &mut DbConn,
    configured: &[SourceConfig],
    now: DateTime<Utc>,
) -> Result<SyncReport, StoreError> {
    let now = now.naive_utc();
    super::transaction(conn, |conn| {
        let existing: HashMap<String, SourceRow> = sources::table
            .select(SourceRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row: SourceRow| (row.id.clone(), row))
            .collect();
        let mut report = SyncReport::default();
        let mut added: Vec<NewSource<'_>> = Vec::new();
        for s in configured {
            let id = s.id.as_str();
            let url = s.url.as_str();
            let tags = to_json(&s.tags);
            let page = s.page.as_ref().map(to_json);
            let full_content = s.full_content.as_ref().map(FullContent::to_stored);
            match existing.get(id) {
                None => {
                    added.push(NewSource {
                        id,
                        url,
                        title: s.title.as_deref(),
                        schedule: s.schedule.as_str(),
                        timezone: s.timezone.name(),
                        tags,
                        page,
                        full_content: full_content.clone(),
                        enabled: true,
                        next_fetch_at: now,
                        error_count: 0,
                        created_at: now,
                        updated_at: now,
                    });
                }
                Some(row) => {
                    let changed = row.url != url
                        || row.title.as_deref() != s.title.as_deref()
                        || row.schedule != s.schedule.as_str()
                        || row.timezone != s.timezone.name()
                        || row.tags != tags
                        || row.page != page
                        || row.full_content != full_content
                        || row.disabled_reason.as_deref() == Some(REMOVED_FROM_CONFIG);
                    if row.url != url {
                        // A new address: forget what was learned about the old one.
                        diesel::update(sources::table.find(id))
                            .set((
                                sources::next_fetch_at.eq(now),
                                sources::fetch_url.eq(None::<String>),
                                sources::etag.eq(None::<String>),
                                sources::last_modified.eq(None::<String>),
                            ))
                            .execute(conn)?;
                    }
                    if row.url != url || row.page != page {
                        // Another page, or other pinned selectors: detection starts afresh.
                        diesel::update(sources::table.find(id))
                            .set(sources::detected_page.eq(None::<String>))
                            .execute(conn)?;
                    }
                    if changed {
                        diesel::update(sources::table.find(id))
                            .set(ConfigChanges {
                                url,
                                title: s.title.as_deref(),
                                schedule: s.schedule.as_str(),
                                timezone: s.timezone.name(),
                                tags,
                                page,
                                full_content,
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
                                sources::next_fetch_at.eq(now),
                            ))
                            .execute(conn)?;
                    }
                }
            }
        }
        // New sources go in a few hundred per statement (a first start with thousands of
        // sources made one round trip each). Another process starting at the same moment may
        // insert some first.
        for chunk in added.chunks(SOURCES_PER_INSERT) {
            report.added += on_backend!(conn, |c| diesel::insert_into(sources::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c))?;
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

/// Which sources a claim takes.
#[derive(Debug, Clone)]
pub enum Claim<'a> {
    /// Up to this many enabled sources that are due.
    Due(i64),
    /// These sources (enabled or not), due or not: a poll the operator asked for.
    Ids(&'a [String]),
}

/// Each source's display title, by id (for lists that name the source of each item).
pub fn titles(conn: &mut DbConn) -> Result<std::collections::HashMap<String, String>, StoreError> {
    Ok(list(conn)?
        .into_iter()
        .map(|s| (s.id.clone(), s.display_title().to_owned()))
        .collect())
}

/// How many enabled sources are due and not claimed by any process: the poll queue.
pub fn count_due(conn: &mut DbConn, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let now = now.naive_utc();
    Ok(sources::table
        .filter(sources::enabled.eq(true))
        .filter(sources::next_fetch_at.le(now))
        .filter(
            sources::lease_until
                .is_null()
                .or(sources::lease_until.lt(now)),
        )
        .count()
        .get_result(conn)?)
}

/// Lease sources to `owner` until `lease_until` and return them. A source leased to another
/// process whose lease has not expired is skipped, so no two processes poll it at once; a
/// lease left by a dead process expires. On Postgres the candidates are locked with
/// `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait for each other; on SQLite the
/// IMMEDIATE transaction serializes claimers.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    what: Claim<'_>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Vec<SourceRow>, StoreError> {
    let now = now.naive_utc();
    let until = lease_until.naive_utc();
    super::transaction(conn, |conn| {
        let (due_only, limit, ids): (bool, i64, &[String]) = match what {
            Claim::Due(limit) => (true, limit, &[]),
            Claim::Ids(ids) => (false, i64::try_from(ids.len()).unwrap_or(i64::MAX), ids),
        };
        let candidates = sources::table
            .select(sources::id)
            .filter(
                sources::lease_until
                    .is_null()
                    .or(sources::lease_until.lt(now)),
            )
            .filter(
                due_only
                    .into_sql::<diesel::sql_types::Bool>()
                    .and(sources::enabled.eq(true))
                    .and(sources::next_fetch_at.le(now))
                    .or(sources::id.eq_any(ids)),
            )
            .order(sources::next_fetch_at.asc())
            .limit(limit);
        let chosen: Vec<String> = load_claimed!(conn, candidates)?;
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<SourceRow> = on_backend!(conn, |c| diesel::update(
            sources::table.filter(sources::id.eq_any(&chosen))
        )
        .set((
            sources::lease_owner.eq(owner),
            sources::lease_until.eq(until)
        ))
        .returning(SourceRow::as_returning())
        .get_results(c))?;
        rows.sort_by_key(|r| r.next_fetch_at);
        Ok(rows)
    })
}

/// Extend `owner`'s lease on `id` to `until` while its poll still runs; false when the lease is
/// no longer `owner`'s (given up at shutdown, or taken over after it ran out).
pub fn renew_lease(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        sources::table
            .find(id)
            .filter(sources::lease_owner.eq(owner)),
    )
    .set(sources::lease_until.eq(until.naive_utc()))
    .execute(conn)?;
    Ok(n > 0)
}

/// Give up every lease `owner` holds (a process leaving with polls unfinished), so that other
/// processes take those sources over now rather than when the leases run out; how many.
pub fn release_all(conn: &mut DbConn, owner: &str) -> Result<usize, StoreError> {
    Ok(
        diesel::update(sources::table.filter(sources::lease_owner.eq(owner)))
            .set((
                sources::lease_owner.eq(None::<String>),
                sources::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
    )
}

/// Make `id` due now (a refresh asked for over HTTP); false when there is no such source.
pub fn make_due(conn: &mut DbConn, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let n = diesel::update(sources::table.find(id))
        .set(sources::next_fetch_at.eq(now.naive_utc()))
        .execute(conn)?;
    Ok(n > 0)
}

/// The outcome of one poll, as recorded on the source.
#[derive(Debug, Clone)]
pub enum FetchRecord {
    Success {
        status: Option<i32>,
        title: Option<String>,
        site_url: Option<String>,
        etag: Option<String>,
        last_modified: Option<String>,
        /// A new address to fetch from (permanent redirect or the feed a page advertises).
        moved_to: Option<String>,
        /// What the poll cut short (a title too long, HTML nested too deep), if anything.
        warning: Option<String>,
        /// New selectors detection found for a `page: auto` source, as JSON, to keep.
        detected_page: Option<String>,
    },
    NotModified {
        moved_to: Option<String>,
    },
    Failure {
        status: Option<i32>,
        error: String,
        /// Disable the source with this reason (410 Gone).
        disable: Option<String>,
    },
}

/// Record a poll's outcome and when the source is next due, and release `owner`'s lease.
/// Whether the source is still there (an operator may have deleted its row meanwhile). Run it
/// before writing the poll's items: the update locks the source's row until the transaction
/// ends, so the source cannot be deleted under them (on Postgres nothing else stops that; see
/// migration 000009).
pub fn record_fetch(
    conn: &mut DbConn,
    id: &str,
    owner: &str,
    at: DateTime<Utc>,
    next_fetch_at: DateTime<Utc>,
    record: &FetchRecord,
) -> Result<bool, StoreError> {
    let at = at.naive_utc();
    let next = next_fetch_at.naive_utc();
    let target = sources::table.find(id);
    // The lease goes in the same statement (one round trip per poll, not two), and only if
    // `owner` still holds it: a lease that expired and was claimed again is the new holder's.
    let held = || sources::lease_owner.eq(owner);
    let release = (
        sources::lease_owner.eq(
            case_when(held(), None::<String>.into_sql::<Nullable<Text>>())
                .otherwise(sources::lease_owner),
        ),
        sources::lease_until.eq(case_when(
            held(),
            None::<NaiveDateTime>.into_sql::<Nullable<Timestamp>>(),
        )
        .otherwise(sources::lease_until)),
    );
    let moved = match record {
        FetchRecord::Success { moved_to, .. } | FetchRecord::NotModified { moved_to } => {
            moved_to.as_deref()
        }
        FetchRecord::Failure { .. } => None,
    };
    if let Some(url) = moved {
        diesel::update(target)
            .set(sources::fetch_url.eq(url))
            .execute(conn)?;
    }
    if let FetchRecord::Success {
        detected_page: Some(json),
        ..
    } = record
    {
        diesel::update(target)
            .set(sources::detected_page.eq(json))
            .execute(conn)?;
    }
    let updated = match record {
        FetchRecord::Success {
            status,
            title,
            site_url,
            etag,
            last_modified,
            warning,
            ..
        } => diesel::update(target)
            .set((
                (
                    sources::last_fetch_at.eq(at),
                    sources::last_success_at.eq(at),
                    sources::last_status.eq(status),
                    sources::last_error.eq(None::<String>),
                    sources::error_count.eq(0),
                    sources::next_fetch_at.eq(next),
                ),
                sources::site_url.eq(site_url),
                sources::feed_title.eq(title),
                sources::etag.eq(etag),
                sources::last_modified.eq(last_modified),
                sources::last_warning.eq(warning),
                release,
            ))
            .execute(conn)?,
        FetchRecord::NotModified { .. } => diesel::update(target)
            .set((
                sources::last_fetch_at.eq(at),
                sources::last_success_at.eq(at),
                sources::last_status.eq(304),
                sources::last_error.eq(None::<String>),
                sources::error_count.eq(0),
                sources::next_fetch_at.eq(next),
                release,
            ))
            .execute(conn)?,
        FetchRecord::Failure {
            status,
            error,
            disable,
        } => {
            let updated = diesel::update(target)
                .set((
                    sources::last_fetch_at.eq(at),
                    sources::last_status.eq(status),
                    sources::last_error.eq(error),
                    sources::error_count.eq(sources::error_count + 1),
                    sources::next_fetch_at.eq(next),
                    release,
                ))
                .execute(conn)?;
            if let Some(reason) = disable {
                diesel::update(target)
                    .set((
                        sources::enabled.eq(false),
                        sources::disabled_reason.eq(reason),
                    ))
                    .execute(conn)?;
            }
            updated
        }
    };
    Ok(updated > 0)
}
