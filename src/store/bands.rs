//! Near-duplicate clusters in the store. Ingest stores each item's canonical link and text
//! signature with `cluster_id` NULL; a background job ([`cluster_pending`]) then gives each
//! such item, oldest first, its story: the cluster of a stored item with the same canonical
//! link (any source), else that of the most similar item from another source seen within the
//! window, else a cluster of its own, with the item as head. Only heads keep their signature's
//! bands (`item_bands`): a new item is compared with the stories already known, not with every
//! repost of them. Listings treat an item not yet clustered as its own story.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{item_bands, items};
use super::{DbConn, StoreError, on_backend, transaction};
use crate::config::DedupeConfig;
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

/// A stored story an item may belong to.
struct Candidate {
    source_id: String,
    cluster: i64,
    signature: Option<Signature>,
}

/// An item waiting for its cluster.
struct Pending {
    id: i64,
    source_id: String,
    canonical_link: Option<String>,
    signature: Option<Signature>,
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
        macro_rules! pending {
            () => {
                items::table
                    .filter(items::cluster_id.is_null())
                    .order(items::id.asc())
                    .limit(limit)
                    .select((
                        items::id,
                        items::source_id,
                        items::canonical_link,
                        items::signature,
                    ))
            };
        }
        let rows: Vec<PendingRow> = match conn {
            DbConn::Pg(c) => pending!().for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => pending!().load(c)?,
        };
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

fn assign(
    conn: &mut DbConn,
    pending: &[Pending],
    clustering: &DedupeConfig,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Sure matches: the same canonical link, among items already clustered.
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

    // Similar text: stories whose head shares a band with a pending item. Band hits first (two
    // integers a row), then the heads' signatures.
    let window = chrono::Duration::from_std(clustering.window).unwrap_or(chrono::Duration::days(7));
    let since: NaiveDateTime = (now - window).naive_utc();
    let wanted: Vec<i64> = pending
        .iter()
        .filter_map(|p| p.signature.as_ref())
        .flat_map(Signature::bands)
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let mut hits: Vec<(i64, i64)> = Vec::new();
    for chunk in wanted.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = item_bands::table
            .inner_join(items::table)
            .filter(item_bands::band.eq_any(chunk))
            .filter(items::first_seen_at.ge(since))
            .order(items::id.desc())
            .limit(CANDIDATES)
            .select((item_bands::band, items::id))
            .load(conn)?;
        hits.extend(rows);
    }
    let ids: Vec<i64> = hits
        .iter()
        .map(|(_, id)| *id)
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut at_of: HashMap<i64, usize> = HashMap::new();
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
            at_of.insert(id, candidates.len());
            candidates.push(Candidate {
                source_id,
                cluster,
                signature: signature.as_deref().and_then(Signature::from_hex),
            });
        }
    }
    let mut by_band: HashMap<i64, Vec<usize>> = HashMap::new();
    for (band, id) in hits {
        if let Some(at) = at_of.get(&id) {
            by_band.entry(band).or_default().push(*at);
        }
    }

    // Oldest first, so that a story's first report is its head; a new head joins the
    // candidates at once for the rest of the batch.
    let mut targets: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut heads: Vec<&Pending> = Vec::new();
    for p in pending {
        let by_canonical = p
            .canonical_link
            .as_deref()
            .and_then(|l| by_link.get(l))
            .copied();
        let by_text = || {
            let sig = p.signature.as_ref()?;
            let mut best: Option<(f64, i64)> = None;
            for band in sig.bands() {
                for &at in by_band.get(&band).into_iter().flatten() {
                    let cand = &candidates[at];
                    if cand.source_id == p.source_id {
                        continue;
                    }
                    let Some(other) = &cand.signature else {
                        continue;
                    };
                    let s = sig.similarity(other);
                    if s < clustering.threshold {
                        continue;
                    }
                    // Most similar first; among equals, the oldest story.
                    if best.is_none_or(|(bs, bc)| s > bs || (s == bs && cand.cluster < bc)) {
                        best = Some((s, cand.cluster));
                    }
                }
            }
            best.map(|(_, cluster)| cluster)
        };
        if let Some(cluster) = by_canonical.or_else(by_text) {
            targets.entry(cluster).or_default().push(p.id);
            continue;
        }
        heads.push(p);
        if let Some(link) = &p.canonical_link {
            by_link.entry(link.clone()).or_insert(p.id);
        }
        if let Some(sig) = &p.signature {
            let at = candidates.len();
            candidates.push(Candidate {
                source_id: p.source_id.clone(),
                cluster: p.id,
                signature: Some(sig.clone()),
            });
            for band in sig.bands() {
                by_band.entry(band).or_default().push(at);
            }
        }
    }

    let head_ids: Vec<i64> = heads.iter().map(|p| p.id).collect();
    for chunk in head_ids.chunks(CHUNK) {
        diesel::update(items::table.filter(items::id.eq_any(chunk)))
            .set(items::cluster_id.eq(items::id.nullable()))
            .execute(conn)?;
    }
    for (cluster, ids) in targets {
        for chunk in ids.chunks(CHUNK) {
            diesel::update(items::table.filter(items::id.eq_any(chunk)))
                .set(items::cluster_id.eq(Some(cluster)))
                .execute(conn)?;
        }
    }
    let mut rows: Vec<NewBand> = Vec::new();
    for p in heads {
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
