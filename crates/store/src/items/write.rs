//! Writing the items of a poll: new ones inserted (one COPY on Postgres, fixed-size multi-row
//! INSERTs on SQLite), changed ones updated with their topic and tag rows, unchanged ones left
//! alone. Reading them back is the parent module's.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::{CopiedItem, ItemValues, NewItem};
use crate::domain::{Classified, Item, Signature, Tag, TopicMatch};
use crate::locks::Links;
use crate::schema::items;
use crate::{
    DbConn, StoreError, item_tags as tags_table, item_topics as topics_table, on_backend, to_json,
};

/// Identities looked up per query when matching a poll's items (well under SQLite's limit).
const LOOKUP_CHUNK: usize = 500;

/// New items per INSERT on SQLite (Postgres takes them by `COPY`). A fixed row count makes the
/// statement the same every time, so each connection prepares it once and keeps it (a
/// statement sized to each poll's count was built and prepared afresh every poll); the rest of
/// a poll goes in 8, 4, 2 and 1 at a time.
const ITEMS_PER_INSERT: usize = 16;

/// An item ready to store: its classification and the columns that take work to compute (JSON
/// lists, content hash, signature), computed where the item was parsed, so that the store's
/// writer (SQLite has one at a time) spends its turn writing.
#[derive(Debug, Clone)]
pub struct Ready {
    pub classified: Classified,
    authors: String,
    categories: String,
    enclosures: String,
    content_hash: String,
    signature: Option<String>,
    /// Keep the dates the item was first stored with: its date is an estimate made afresh on
    /// every poll (a list page's "3小时前"), and must neither move the item nor count as a
    /// change.
    keep_first_date: bool,
    /// Fetch the item's article from its link (its source has `full_content`), now if the item
    /// is new or its link changed.
    wants_article: bool,
}

impl Ready {
    /// Whether this item's article is to be fetched from its link.
    pub fn wants_article(&self) -> bool {
        self.wants_article
    }

    /// This item's article is to be fetched from its link.
    pub fn wanting_article(mut self) -> Self {
        self.wants_article = true;
        self
    }

    /// This item keeps the dates it was first stored with.
    pub fn keeping_first_date(mut self) -> Self {
        self.keep_first_date = true;
        self
    }

    /// The item as stored with `published` and `updated` in place of its own.
    fn with_dates(&self, published: Option<NaiveDateTime>, updated: Option<NaiveDateTime>) -> Self {
        let mut classified = self.classified.clone();
        classified.item.published = published.map(|d| d.and_utc());
        classified.item.updated = updated.map(|d| d.and_utc());
        Self {
            content_hash: content_hash(&classified.item),
            classified,
            authors: self.authors.clone(),
            categories: self.categories.clone(),
            enclosures: self.enclosures.clone(),
            signature: self.signature.clone(),
            keep_first_date: true,
            wants_article: self.wants_article,
        }
    }
}

impl From<Classified> for Ready {
    fn from(classified: Classified) -> Self {
        let item = &classified.item;
        Self {
            authors: to_json(&item.authors),
            categories: to_json(&item.categories),
            enclosures: to_json(&item.enclosures),
            content_hash: content_hash(item),
            signature: classified.signature.as_ref().map(Signature::to_hex),
            classified,
            keep_first_date: false,
            wants_article: false,
        }
    }
}

impl ItemValues {
    fn new(r: &Ready, first_seen: NaiveDateTime, now: NaiveDateTime) -> Self {
        let c = &r.classified;
        let item = &c.item;
        let dated = item.published.or(item.updated).map(|d| d.naive_utc());
        Self {
            guid: item.guid.clone(),
            title: item.title.clone(),
            link: item.link.clone(),
            published: item.published.map(|d| d.naive_utc()),
            updated: item.updated.map(|d| d.naive_utc()),
            sort_at: dated.unwrap_or(first_seen),
            date_is_first_seen: dated.is_none(),
            authors: r.authors.clone(),
            summary: item.summary.clone(),
            content: item.content.clone(),
            categories: r.categories.clone(),
            language: item.language.clone(),
            enclosures: r.enclosures.clone(),
            content_hash: r.content_hash.clone(),
            changed_at: now,
            image: item.image.clone(),
            keywords_at: None,
            canonical_link: c.canonical_link.clone(),
            signature: r.signature.clone(),
        }
    }
}

/// What an upsert did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UpsertCounts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The topics of the new and updated items (sorted, once each): the topic feeds whose
    /// contents changed.
    pub topics: Vec<String>,
}

/// id, identity, content hash, first seen, published, updated, link.
type StoredRow = (
    i64,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

/// What the store holds of an item a poll brings again.
struct Stored {
    id: i64,
    hash: String,
    first_seen: NaiveDateTime,
    /// Published and updated.
    dates: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    link: Option<String>,
}

/// Store the items of one poll of `source_id`: insert new ones, update changed ones (with
/// their topics), leave unchanged ones untouched. Idempotent; run it inside the poll's
/// transaction. An identity repeated within `incoming` is stored once (the first wins).
/// The caller records that items changed ([`crate::meta::touch_items`]) when some were new or
/// updated: once per transaction, at its end, as ingest's batches do.
pub fn upsert_for_source(
    conn: &mut DbConn,
    source_id: &str,
    incoming: &[Ready],
    now: DateTime<Utc>,
) -> Result<UpsertCounts, StoreError> {
    let now = now.naive_utc();
    let existing = stored_for(conn, source_id, incoming)?;
    // Items that keep their first dates are compared, and written, with the stored dates.
    let redated: Vec<Option<Ready>> = incoming
        .iter()
        .map(|r| {
            let stored = existing
                .get(&r.classified.item.id)
                .filter(|_| r.keep_first_date)?;
            let item = &r.classified.item;
            let same = (
                item.published.map(|d| d.naive_utc()),
                item.updated.map(|d| d.naive_utc()),
            ) == stored.dates;
            (!same).then(|| r.with_dates(stored.dates.0, stored.dates.1))
        })
        .collect();

    let mut counts = UpsertCounts::default();
    let mut seen = std::collections::HashSet::new();
    let mut fresh: Vec<(NewItem, &Classified)> = Vec::new();
    // Each written item: its id, its sort time (copied onto its topic and tag rows) and what
    // it was classified as.
    let mut written: Vec<Links<'_, Classified>> = Vec::new();
    // Updated items whose article is to be fetched again, from their new link.
    let mut relinked: Vec<i64> = Vec::new();
    let wanted: std::collections::HashSet<&str> = incoming
        .iter()
        .filter(|r| r.wants_article)
        .map(|r| r.classified.item.id.as_str())
        .collect();
    for (ready, redated) in incoming.iter().zip(&redated) {
        let ready = redated.as_ref().unwrap_or(ready);
        let item = &ready.classified.item;
        if !seen.insert(item.id.as_str()) {
            continue;
        }
        match existing.get(&item.id) {
            None => fresh.push((
                NewItem {
                    source_id: source_id.to_owned(),
                    identity: item.id.clone(),
                    first_seen_at: now,
                    values: ItemValues::new(ready, now, now),
                },
                &ready.classified,
            )),
            Some(Stored {
                id,
                hash,
                first_seen,
                link,
                ..
            }) => {
                if ready.content_hash == *hash {
                    counts.unchanged += 1;
                    continue;
                }
                let values = ItemValues::new(ready, *first_seen, now);
                // The update locks the row; none updated means it was deleted (retention)
                // since the lookup, and it gets no topic or tag rows.
                if diesel::update(items::table.find(*id))
                    .set(&values)
                    .execute(conn)?
                    == 0
                {
                    continue;
                }
                if ready.wants_article && *link != item.link {
                    // The article behind the old link is not this one's.
                    relinked.push(*id);
                }
                written.push(Links {
                    item_id: *id,
                    sort_at: values.sort_at,
                    values: &ready.classified,
                });
            }
        }
    }
    counts.updated = written.len();
    counts.new = fresh.len();
    // Changed items lose their old topics and tags; new ones have none.
    let changed: Vec<i64> = written.iter().map(|w| w.item_id).collect();
    topics_table::delete_for(conn, &changed)?;
    tags_table::delete_for(conn, &changed)?;

    // New items go in with one COPY on Postgres, as multi-row INSERTs on SQLite, their topics
    // and tags likewise: a few round trips per poll, not a few per item.
    let pending: Vec<(NaiveDateTime, &Classified)> = fresh
        .iter()
        .map(|(row, c)| (row.values.sort_at, *c))
        .collect();
    let ids = insert_new(conn, fresh.into_iter().map(|(row, _)| row).collect())?;
    for (sort_at, classified) in pending {
        let identity = &classified.item.id;
        let id = ids
            .get(identity)
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("no id came back for item {identity}")))?;
        written.push(Links {
            item_id: id,
            sort_at,
            values: classified,
        });
    }
    let due: Vec<i64> = written
        .iter()
        .filter(|w| {
            let identity = &w.values.item.id;
            wanted.contains(identity.as_str()) && ids.get(identity) == Some(&w.item_id)
        })
        .map(|w| w.item_id)
        .collect();
    schedule_articles(conn, due, relinked, now)?;
    counts.topics = insert_topics_and_tags(conn, &written)?;
    Ok(counts)
}

/// What the store holds of `incoming`'s identities for `source_id`.
fn stored_for(
    conn: &mut DbConn,
    source_id: &str,
    incoming: &[Ready],
) -> Result<HashMap<String, Stored>, StoreError> {
    let mut existing: HashMap<String, Stored> = HashMap::new();
    let identities: Vec<&str> = incoming
        .iter()
        .map(|r| r.classified.item.id.as_str())
        .collect();
    for chunk in identities.chunks(LOOKUP_CHUNK) {
        let rows: Vec<StoredRow> = items::table
            .filter(items::source_id.eq(source_id))
            .filter(items::identity.eq_any(chunk))
            .select((
                items::id,
                items::identity,
                items::content_hash,
                items::first_seen_at,
                items::published,
                items::updated,
                items::link,
            ))
            .load(conn)?;
        for (id, identity, hash, first_seen, published, updated, link) in rows {
            existing.insert(
                identity,
                Stored {
                    id,
                    hash,
                    first_seen,
                    dates: (published, updated),
                    link,
                },
            );
        }
    }
    Ok(existing)
}

/// Insert new items: one COPY on Postgres, multi-row INSERTs of fixed sizes on SQLite. Their ids
/// by identity.
fn insert_new(
    conn: &mut DbConn,
    mut rows: Vec<NewItem>,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    if let DbConn::Pg(c) = conn {
        ids.extend(copy_rows(c, rows)?);
        rows = Vec::new();
    }
    while !rows.is_empty() {
        let n = match rows.len() {
            ITEMS_PER_INSERT.. => ITEMS_PER_INSERT,
            8.. => 8,
            4.. => 4,
            2.. => 2,
            _ => 1,
        };
        let later = rows.split_off(n);
        let now_in = std::mem::replace(&mut rows, later);
        let inserted = match n {
            ITEMS_PER_INSERT => insert_rows::<ITEMS_PER_INSERT>(conn, now_in)?,
            8 => insert_rows::<8>(conn, now_in)?,
            4 => insert_rows::<4>(conn, now_in)?,
            2 => insert_rows::<2>(conn, now_in)?,
            _ => insert_rows::<1>(conn, now_in)?,
        };
        ids.extend(inserted.into_iter().map(|(id, identity)| (identity, id)));
    }
    Ok(ids)
}

/// Mark items whose article is to be fetched: `due` (new items that want theirs) and
/// `relinked` (updated items whose link moved, which lose the article they had).
fn schedule_articles(
    conn: &mut DbConn,
    mut due: Vec<i64>,
    relinked: Vec<i64>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    if !relinked.is_empty() {
        diesel::update(items::table.filter(items::id.eq_any(&relinked)))
            .set((
                items::article.eq(None::<String>),
                items::article_attempts.eq(0),
                items::article_error.eq(None::<String>),
            ))
            .execute(conn)?;
        due.extend(relinked);
    }
    if !due.is_empty() {
        diesel::update(items::table.filter(items::id.eq_any(&due)))
            .set(items::article_due_at.eq(Some(now)))
            .execute(conn)?;
    }
    Ok(())
}

/// Give written items their topic and tag rows; the topics they fall under, sorted.
fn insert_topics_and_tags(
    conn: &mut DbConn,
    written: &[Links<'_, Classified>],
) -> Result<Vec<String>, StoreError> {
    let topic_rows: Vec<Links<'_, [TopicMatch]>> = written
        .iter()
        .map(|w| Links {
            item_id: w.item_id,
            sort_at: w.sort_at,
            values: w.values.topics.as_slice(),
        })
        .collect();
    topics_table::insert_many(conn, &topic_rows)?;
    let tag_rows: Vec<Links<'_, [Tag]>> = written
        .iter()
        .map(|w| Links {
            item_id: w.item_id,
            sort_at: w.sort_at,
            values: w.values.tags.as_slice(),
        })
        .collect();
    tags_table::insert_many(conn, &tag_rows)?;
    let mut topics: Vec<String> = written
        .iter()
        .flat_map(|w| w.values.topics.iter().map(|t| t.slug.clone()))
        .collect();
    topics.sort_unstable();
    topics.dedup();
    Ok(topics)
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Insert new items on Postgres with one binary `COPY`, their ids taken from the items'
/// sequence first (one round trip). The server writes the rows in batches rather than one by
/// one as an `INSERT` does, which costs the server markedly less CPU on a cold poll
/// (BENCHMARKS.md, "Fetching"). Their ids, with their identities.
fn copy_rows(
    conn: &mut diesel::PgConnection,
    rows: Vec<NewItem>,
) -> Result<Vec<(String, i64)>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(rows.len())
        .map_err(|_| StoreError::Corrupt(format!("{} rows in one poll", rows.len())))?;
    let ids: Vec<NextId> = diesel::sql_query(
        "SELECT nextval('items_id_seq') AS id FROM generate_series(1::bigint, $1)",
    )
    .bind::<diesel::sql_types::BigInt, _>(count)
    .load(conn)?;
    if ids.len() != rows.len() {
        return Err(StoreError::Corrupt(format!(
            "{} ids drawn for {} items",
            ids.len(),
            rows.len()
        )));
    }
    let copied: Vec<CopiedItem> = ids
        .into_iter()
        .zip(rows)
        .map(|(next, row)| CopiedItem::new(next.id, row))
        .collect();
    let written: Vec<(String, i64)> = copied
        .iter()
        .map(|row| (row.identity.clone(), row.id))
        .collect();
    diesel::copy_from(items::table)
        .from_insertable(&copied)
        .execute(conn)?;
    Ok(written)
}

/// Insert exactly `N` new items: the statement for each `N` is prepared once per connection.
/// Their ids, with their identities.
fn insert_rows<const N: usize>(
    conn: &mut DbConn,
    rows: Vec<NewItem>,
) -> Result<Vec<(i64, String)>, StoreError> {
    let got = rows.len();
    let rows: [NewItem; N] = rows
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{got} rows for an insert of {N}")))?;
    Ok(on_backend!(conn, |c| diesel::insert_into(items::table)
        .values(&rows)
        .returning((items::id, items::identity))
        .get_results(c))?)
}

/// A digest of everything stored about an item, to tell a changed upstream item from an
/// unchanged one without comparing every column.
fn content_hash(item: &Item) -> String {
    // The JSON goes straight into the hash (the same bytes as `serde_json::to_vec`, so stored
    // hashes stay valid), without a copy of the item's text in between.
    let mut hasher = Sha256::new();
    let _ = serde_json::to_writer(&mut hasher, item);
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";
