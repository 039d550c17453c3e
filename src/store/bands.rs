//! Near-duplicate clusters in the store: each item's signature bands (`item_bands`), and the
//! assignment of a new item to the cluster of a stored item from another source that tells the
//! same story (or to a cluster of its own, as its head).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::items::Clustering;
use super::schema::{item_bands, items};
use super::{DbConn, StoreError, on_backend};
use crate::domain::{Classified, Signature};

/// Rows per multi-row INSERT (2 parameters each), and values per IN list.
const CHUNK: usize = 1000;

/// Candidate rows read per lookup at most (the newest stories first), so that a flood of
/// look-alike items cannot make a poll slow or large.
const CANDIDATES: i64 = 1000;

#[derive(Insertable)]
#[diesel(table_name = item_bands)]
struct NewBand {
    band: i64,
    item_id: i64,
}

/// Replace the bands of the given items with those of their (new) signatures. Only a
/// cluster's head keeps bands: a new item is compared with the stories already known, not
/// with every repost of them, which keeps the lookup small when many sources carry the same
/// text.
pub fn replace_many(conn: &mut DbConn, written: &[(i64, &Classified)]) -> Result<(), StoreError> {
    let ids: Vec<i64> = written.iter().map(|(id, _)| *id).collect();
    let mut heads: HashSet<i64> = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        diesel::delete(item_bands::table.filter(item_bands::item_id.eq_any(chunk)))
            .execute(conn)?;
        let found: Vec<i64> = items::table
            .filter(items::id.eq_any(chunk))
            .filter(items::cluster_id.eq(items::id.nullable()))
            .select(items::id)
            .load(conn)?;
        heads.extend(found);
    }
    let mut rows: Vec<NewBand> = Vec::new();
    for (id, c) in written.iter().filter(|(id, _)| heads.contains(id)) {
        if let Some(sig) = &c.signature {
            let mut seen = HashSet::new();
            for band in sig.bands() {
                if seen.insert(band) {
                    rows.push(NewBand { band, item_id: *id });
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

/// A stored item that may tell the same story.
struct Candidate {
    id: i64,
    cluster: i64,
    signature: Option<Signature>,
}

/// Give each of `fresh` (just inserted from `source_id`) its cluster: that of a stored item
/// with the same canonical link (any source), else that of the most similar item from another
/// source seen within the window (similarity at least the threshold), else its own.
pub fn assign_clusters(
    conn: &mut DbConn,
    source_id: &str,
    fresh: &[(i64, &Classified)],
    clustering: &Clustering,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let fresh_ids: HashSet<i64> = fresh.iter().map(|(id, _)| *id).collect();

    // Sure matches: the same canonical link.
    let links: Vec<&str> = fresh
        .iter()
        .filter_map(|(_, c)| c.canonical_link.as_deref())
        .collect();
    let mut by_link: HashMap<String, i64> = HashMap::new();
    for chunk in links.chunks(CHUNK) {
        let rows: Vec<(i64, Option<String>, Option<i64>)> = items::table
            .filter(items::canonical_link.eq_any(chunk))
            .filter(items::cluster_id.is_not_null())
            .select((items::id, items::canonical_link, items::cluster_id))
            .load(conn)?;
        for (id, link, cluster) in rows {
            if let (Some(link), Some(cluster), false) = (link, cluster, fresh_ids.contains(&id)) {
                let e = by_link.entry(link).or_insert(cluster);
                *e = (*e).min(cluster);
            }
        }
    }

    // Similar text: candidates share a band with the new item.
    let since: NaiveDateTime = (now - clustering.window).naive_utc();
    let wanted: Vec<i64> = fresh
        .iter()
        .filter(|(_, c)| {
            c.canonical_link
                .as_deref()
                .is_none_or(|l| !by_link.contains_key(l))
        })
        .filter_map(|(_, c)| c.signature.as_ref())
        .flat_map(Signature::bands)
        .collect::<HashSet<i64>>()
        .into_iter()
        .collect();
    // Band hits first (two integers a row), then the signatures of the distinct candidates.
    let mut hits: Vec<(i64, i64)> = Vec::new();
    for chunk in wanted.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = item_bands::table
            .inner_join(items::table)
            .filter(item_bands::band.eq_any(chunk))
            .filter(items::source_id.ne(source_id))
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
        let rows: Vec<(i64, Option<i64>, Option<String>)> = items::table
            .filter(items::id.eq_any(chunk))
            .select((items::id, items::cluster_id, items::signature))
            .load(conn)?;
        for (id, cluster, signature) in rows {
            let Some(cluster) = cluster else { continue };
            at_of.insert(id, candidates.len());
            candidates.push(Candidate {
                id,
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

    let mut targets: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut own: Vec<i64> = Vec::new();
    for (id, c) in fresh {
        let by_canonical = c
            .canonical_link
            .as_deref()
            .and_then(|l| by_link.get(l))
            .copied();
        let by_text = || {
            let sig = c.signature.as_ref()?;
            let mut best: Option<(f64, i64, i64)> = None;
            for band in sig.bands() {
                for &at in by_band.get(&band).into_iter().flatten() {
                    let cand = &candidates[at];
                    let Some(other) = &cand.signature else {
                        continue;
                    };
                    let s = sig.similarity(other);
                    if s < clustering.threshold {
                        continue;
                    }
                    // Most similar first; among equals, the oldest cluster.
                    let better =
                        best.is_none_or(|(bs, bc, _)| s > bs || (s == bs && cand.cluster < bc));
                    if better {
                        best = Some((s, cand.cluster, cand.id));
                    }
                }
            }
            best.map(|(_, cluster, _)| cluster)
        };
        match by_canonical.or_else(by_text) {
            Some(cluster) => targets.entry(cluster).or_default().push(*id),
            None => own.push(*id),
        }
    }
    for chunk in own.chunks(CHUNK) {
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
    Ok(())
}
