//! Near-duplicate clusters in the store. Ingest stores each item's canonical link and text
//! signature with `cluster_id` NULL; a background job ([`cluster_pending`]) then gives each
//! such item, oldest first, its story, as [`dedupe::assign`] decides over the stories this
//! module reads: those with the same canonical link (any source), and those seen within the
//! window whose head shares a band with the item. A new story's item is its head. Only heads keep their signature's
//! bands (`item_bands`): a new item is compared with the stories already known, not with every
//! repost of them. Listings treat an item not yet clustered as its own story.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::locks::load_claimed;
use super::schema::{item_bands, items};
use super::{DbConn, StoreError, on_backend, transaction};
use crate::config::DedupeConfig;
use crate::dedupe::{
    self,
    assign::{Pending, Story},
};
use crate::domain::Signature;

/// Rows per multi-row INSERT (2 parameters each), and values per IN list.
const CHUNK: usize = 1000;

/// Candidate rows read per lookup at most (the newest stories first), so that a flood of
/// look-alike items cannot make the job slow or large.
const CANDIDATES: i64 = 1000;

/// Items one call of [`cluster_pending`] handles.
pub const BATCH: i64 = 500;

#[derive(Insertable)]
#[diesel(table_name = item_bands, treat_none_as_default_value = false)]
struct NewBand {
    band: i64,
    item_id: i64,
}

type PendingRow = (i64, String, Option<String>, Option<String>);

/// Cluster up to `limit` items stored without a cluster, oldest first, in one transaction.
/// Returns how many were done; 0 means none is waiting. On Postgres, rows another process is
/// clustering are skipped.
pub fn cluster_pending(
    conn: &mut DbConn,
    clustering: &DedupeConfig,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    transaction(conn, |conn| {
        let pending = items::table
            .filter(items::cluster_id.is_null())
            .order(items::id.asc())
            .limit(limit)
            .select((
                items::id,
                items::source_id,
                items::canonical_link,
                items::signature,
            ));
        let rows: Vec<PendingRow> = load_claimed!(conn, pending)?;
        let pending: Vec<Pending> = rows
            .into_iter()
            .map(|(id, source_id, canonical_link, signature)| Pending {
                id,
                source_id,
                canonical_link,
                signature: signature.as_deref().and_then(Signature::from_hex),
            })
            .collect();
        if pending.is_empty() {
            return Ok(0);
        }
        assign(conn, &pending, clustering, now)?;
        super::meta::touch_items(conn)?;
        Ok(pending.len())
    })
}

/// Read what the pending items may join, let [`dedupe::assign`] decide, and write the outcome:
/// each item's cluster, and the bands of the new stories' heads.
fn assign(
    conn: &mut DbConn,
    pending: &[Pending],
    clustering: &DedupeConfig,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let by_link = clusters_by_link(conn, pending)?;
    let stories = stories_sharing_bands(conn, pending, clustering, now)?;
    let outcome = dedupe::assign(pending, by_link, stories, clustering.threshold);

    for chunk in outcome.heads.chunks(CHUNK) {
        diesel::update(items::table.filter(items::id.eq_any(chunk)))
            .set(items::cluster_id.eq(items::id.nullable()))
            .execute(conn)?;
    }
    for (cluster, ids) in &outcome.joins {
        for chunk in ids.chunks(CHUNK) {
            diesel::update(items::table.filter(items::id.eq_any(chunk)))
                .set(items::cluster_id.eq(Some(*cluster)))
                .execute(conn)?;
        }
    }
    let heads: HashSet<i64> = outcome.heads.into_iter().collect();
    let mut rows: Vec<NewBand> = Vec::new();
    for p in pending.iter().filter(|p| heads.contains(&p.id)) {
        if let Some(sig) = &p.signature {
            let mut seen = HashSet::new();
            for band in sig.bands() {
                if seen.insert(band) {
                    rows.push(NewBand {
                        band,
                        item_id: p.id,
                    });
                }
            }
        }
    }
    for chunk in rows.chunks(CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(item_bands::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Sure matches: the cluster of an item already clustered with a pending item's canonical link
/// (the oldest, if several).
fn clusters_by_link(
    conn: &mut DbConn,
    pending: &[Pending],
) -> Result<HashMap<String, i64>, StoreError> {
    let links: Vec<&str> = pending
        .iter()
        .filter_map(|p| p.canonical_link.as_deref())
        .collect();
    let mut by_link: HashMap<String, i64> = HashMap::new();
    for chunk in links.chunks(CHUNK) {
        let rows: Vec<(Option<String>, Option<i64>)> = items::table
            .filter(items::canonical_link.eq_any(chunk))
            .filter(items::cluster_id.is_not_null())
            .select((items::canonical_link, items::cluster_id))
            .load(conn)?;
        for (link, cluster) in rows {
            if let (Some(link), Some(cluster)) = (link, cluster) {
                let e = by_link.entry(link).or_insert(cluster);
                *e = (*e).min(cluster);
            }
        }
    }
    Ok(by_link)
}

/// The stories seen within the window whose head shares a band with a pending item: band hits
/// first (two integers a row), then the heads' signatures.
fn stories_sharing_bands(
    conn: &mut DbConn,
    pending: &[Pending],
    clustering: &DedupeConfig,
    now: DateTime<Utc>,
) -> Result<Vec<Story>, StoreError> {
    let window = chrono::Duration::from_std(clustering.window).unwrap_or(chrono::Duration::days(7));
    let since: NaiveDateTime = (now - window).naive_utc();
    let wanted: Vec<i64> = pending
        .iter()
        .filter_map(|p| p.signature.as_ref())
        .flat_map(Signature::bands)
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let mut bands_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in wanted.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = item_bands::table
            .inner_join(items::table)
            .filter(item_bands::band.eq_any(chunk))
            .filter(items::first_seen_at.ge(since))
            .order(items::id.desc())
            .limit(CANDIDATES)
            .select((item_bands::band, items::id))
            .load(conn)?;
        for (band, id) in rows {
            bands_of.entry(id).or_default().push(band);
        }
    }
    let ids: Vec<i64> = bands_of.keys().copied().collect();
    let mut stories: Vec<Story> = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> = items::table
            .filter(items::id.eq_any(chunk))
            .select((
                items::id,
                items::source_id,
                items::cluster_id,
                items::signature,
            ))
            .load(conn)?;
        for (id, source_id, cluster, signature) in rows {
            let Some(cluster) = cluster else { continue };
            stories.push(Story {
                cluster,
                source_id,
                signature: signature.as_deref().and_then(Signature::from_hex),
                bands: bands_of.remove(&id).unwrap_or_default(),
            });
        }
    }
    Ok(stories)
}
