//! The `items` table: normalized upstream entries, one row per (source, identity).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::keyset::keyset_after;
use super::locks::load_claimed;
use super::schema::{item_tags, item_topics, items};
use super::{DbConn, StoreError, item_tags as tags_table, item_topics as topics_table, json_list};
use crate::domain::{ClusterMember, Cursor, Item, ItemId, SourceId, StoredItem, Tag, TopicMatch};

/// Rows looked up per query (well under SQLite's limit).
const LOOKUP_CHUNK: usize = 500;

mod write;

pub use write::{Ready, UpsertCounts, upsert_for_source};

/// The `items` columns, declared once for every shape the store moves them in: [`ItemRow`]
/// (what a listing reads), `ItemValues` (what a poll writes: an insert's values, an update's
/// changes), `NewItem` (an insert) and `CopiedItem` (a new item as Postgres `COPY` writes it:
/// flat, since diesel's binary `COPY` takes one level of columns, and with its id drawn from
/// the sequence beforehand, since `COPY` returns none). `shared` columns are read and written;
/// `written` ones only written (hashes, signatures, job marks); `read` ones only read (other
/// jobs set them).
macro_rules! item_columns {
    (
        shared { $($s:ident: $st:ty,)* }
        written { $($(#[$wdoc:meta])* $w:ident: $wt:ty,)* }
        read { $($(#[$rdoc:meta])* $r:ident: $rt:ty,)* }
    ) => {
        #[derive(Debug, Clone, Queryable, Selectable)]
        #[diesel(table_name = items)]
        struct ItemRow {
            id: i64,
            source_id: String,
            identity: String,
            first_seen_at: NaiveDateTime,
            $($s: $st,)*
            $($(#[$rdoc])* $r: $rt,)*
        }

        /// An item's columns as ingest writes them; owned, because diesel keeps a prepared
        /// statement only for rows whose values are `'static` (see `write::insert_rows`).
        #[derive(Insertable, AsChangeset)]
        #[diesel(table_name = items, treat_none_as_null = true, treat_none_as_default_value = false)]
        struct ItemValues {
            $($s: $st,)*
            $($(#[$wdoc])* $w: $wt,)*
        }

        #[derive(Insertable)]
        #[diesel(table_name = items, treat_none_as_default_value = false)]
        struct NewItem {
            source_id: String,
            identity: String,
            first_seen_at: NaiveDateTime,
            #[diesel(embed)]
            values: ItemValues,
        }

        #[derive(Insertable)]
        #[diesel(table_name = items, treat_none_as_null = true, treat_none_as_default_value = false)]
        struct CopiedItem {
            id: i64,
            source_id: String,
            identity: String,
            first_seen_at: NaiveDateTime,
            $($s: $st,)*
            $($w: $wt,)*
        }

        impl CopiedItem {
            fn new(id: i64, row: NewItem) -> Self {
                let v = row.values;
                Self {
                    id,
                    source_id: row.source_id,
                    identity: row.identity,
                    first_seen_at: row.first_seen_at,
                    $($s: v.$s,)*
                    $($w: v.$w,)*
                }
            }
        }
    };
}

item_columns! {
    shared {
        guid: Option<String>,
        title: Option<String>,
        link: Option<String>,
        published: Option<NaiveDateTime>,
        updated: Option<NaiveDateTime>,
        sort_at: NaiveDateTime,
        date_is_first_seen: bool,
        authors: String,
        summary: Option<String>,
        content: Option<String>,
        categories: String,
        language: Option<String>,
        enclosures: String,
        changed_at: NaiveDateTime,
        image: Option<String>,
    }
    written {
        content_hash: String,
        /// Cleared on every write: the keyword job extracts tags from the new text.
        keywords_at: Option<NaiveDateTime>,
        canonical_link: Option<String>,
        signature: Option<String>,
    }
    read {
        cluster_id: Option<i64>,
        /// The article fetched from the link, when there is one: shown as the content.
        article: Option<String>,
    }
}

/// Which items a listing wants.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub topic: Option<String>,
    /// A tag key.
    pub tag: Option<String>,
    pub source: Option<String>,
    pub limit: i64,
    /// One item per story (cluster), with the other reports attached.
    pub dedupe: bool,
    /// Only items listed after this one: the next page of a listing (see [`Cursor`]).
    pub before: Option<Cursor>,
}

/// Items matching `query`, newest first, with their topics.
pub fn latest(conn: &mut DbConn, query: &ItemQuery) -> Result<Vec<StoredItem>, StoreError> {
    let rows = if query.dedupe {
        one_per_cluster(conn, query)?
    } else {
        page(conn, query, 0, query.limit)?
    };
    let mut out = with_topics(conn, rows)?;
    if query.dedupe {
        attach_cluster_members(conn, &mut out)?;
    }
    Ok(out)
}

/// Pages read at most while filling a deduplicated listing (each `limit` × 2 rows).
const DEDUPE_PAGES: i64 = 10;

/// The newest item of each cluster among those matching `query`, newest first.
fn one_per_cluster(conn: &mut DbConn, query: &ItemQuery) -> Result<Vec<ItemRow>, StoreError> {
    let size = query.limit * 2;
    let mut out: Vec<ItemRow> = Vec::new();
    let mut clusters = std::collections::HashSet::new();
    for n in 0..DEDUPE_PAGES {
        let rows = page(conn, query, n * size, size)?;
        let done = i64::try_from(rows.len()).unwrap_or(0) < size;
        // On a later page, a story whose newer report an earlier page showed is not repeated.
        if let Some(cursor) = query.before {
            let fresh: Vec<i64> = rows
                .iter()
                .filter_map(|r| r.cluster_id)
                .filter(|c| !clusters.contains(c))
                .collect();
            clusters.extend(clusters_shown_before(conn, query, cursor, &fresh)?);
        }
        for row in rows {
            if clusters.insert(row.cluster_id.unwrap_or(row.id)) {
                out.push(row);
                if i64::try_from(out.len()).unwrap_or(i64::MAX) >= query.limit {
                    return Ok(out);
                }
            }
        }
        if done {
            break;
        }
    }
    Ok(out)
}

/// id, cluster, source, title, link.
type MemberRow = (i64, Option<i64>, String, Option<String>, Option<String>);

/// For each item, the other members of its cluster (oldest first).
pub fn attach_cluster_members(conn: &mut DbConn, out: &mut [StoredItem]) -> Result<(), StoreError> {
    let clusters: Vec<i64> = out
        .iter()
        .filter_map(|i| i.cluster_id.map(ItemId::get))
        .collect();
    let mut members: HashMap<ItemId, Vec<ClusterMember>> = HashMap::new();
    for chunk in clusters.chunks(LOOKUP_CHUNK) {
        let rows: Vec<MemberRow> = items::table
            .filter(items::cluster_id.eq_any(chunk))
            // Spelt out so that a generic Postgres plan can use the partial index too.
            .filter(items::cluster_id.is_not_null())
            .order(items::id.asc())
            .select((
                items::id,
                items::cluster_id,
                items::source_id,
                items::title,
                items::link,
            ))
            .load(conn)?;
        for (id, cluster, source_id, title, link) in rows {
            if let Some(cluster) = cluster {
                members
                    .entry(cluster.into())
                    .or_default()
                    .push(ClusterMember {
                        id: id.into(),
                        source_id: SourceId::of_stored(source_id),
                        title,
                        link,
                    });
            }
        }
    }
    for item in out {
        if let Some(cluster) = item.cluster_id {
            item.also_reported_by = members
                .get(&cluster)
                .map(|m| m.iter().filter(|m| m.id != item.id).cloned().collect())
                .unwrap_or_default();
        }
    }
    Ok(())
}

/// One page of the items matching `query`'s filters, newest first. With a topic or a tag, the
/// walk follows that table's (name, sort time, item) index, so a page costs about as many
/// rows as it shows however rare the topic is.
fn page(
    conn: &mut DbConn,
    query: &ItemQuery,
    offset: i64,
    limit: i64,
) -> Result<Vec<ItemRow>, StoreError> {
    /// The source, the cursor, the order and the bounds, on the walked table's columns. A
    /// macro because each walked table's boxed query is a type of its own; it reads only what
    /// it is given.
    macro_rules! walk {
        ($conn:expr, $q:expr, ($sort:expr, $id:expr), $query:expr, ($offset:expr, $limit:expr)) => {{
            let query: &ItemQuery = $query;
            let mut q = $q;
            if let Some(source) = &query.source {
                q = q.filter(items::source_id.eq(source.clone()));
            }
            if let Some(c) = query.before {
                q = q.filter(keyset_after!(
                    desc,
                    $sort,
                    $id,
                    c.sort_at.naive_utc(),
                    c.id.get()
                ));
            }
            q.order(($sort.desc(), $id.desc()))
                .offset($offset)
                .limit($limit)
                .load($conn)?
        }};
    }
    if let Some(topic) = &query.topic {
        let mut q = items::table
            .inner_join(item_topics::table)
            .filter(item_topics::topic.eq(topic.clone()))
            .select(ItemRow::as_select())
            .into_boxed();
        if let Some(tag) = &query.tag {
            q = q.filter(
                items::id.eq_any(
                    item_tags::table
                        .filter(item_tags::tag.eq(tag.clone()))
                        .select(item_tags::item_id),
                ),
            );
        }
        return Ok(walk!(
            conn,
            q,
            (item_topics::sort_at, item_topics::item_id),
            query,
            (offset, limit)
        ));
    }
    if let Some(tag) = &query.tag {
        let q = items::table
            .inner_join(item_tags::table)
            .filter(item_tags::tag.eq(tag.clone()))
            .select(ItemRow::as_select())
            .into_boxed();
        return Ok(walk!(
            conn,
            q,
            (item_tags::sort_at, item_tags::item_id),
            query,
            (offset, limit)
        ));
    }
    // Neither topic nor tag: the items table's own (sort time, id) index.
    let q = items::table.select(ItemRow::as_select()).into_boxed();
    Ok(walk!(
        conn,
        q,
        (items::sort_at, items::id),
        query,
        (offset, limit)
    ))
}

/// Of `clusters`, those with a member matching `query` listed before `cursor`, i.e. stories a
/// previous page already showed.
fn clusters_shown_before(
    conn: &mut DbConn,
    query: &ItemQuery,
    cursor: Cursor,
    clusters: &[i64],
) -> Result<std::collections::HashSet<i64>, StoreError> {
    let at = cursor.sort_at.naive_utc();
    let mut shown = std::collections::HashSet::new();
    for chunk in clusters.chunks(LOOKUP_CHUNK) {
        let rows: Vec<Option<i64>> =
            with_filters(items::table.select(items::cluster_id).into_boxed(), query)
                .filter(items::cluster_id.eq_any(chunk))
                .filter(items::cluster_id.is_not_null())
                // Not after the cursor: at or above it.
                .filter(diesel::dsl::not(keyset_after!(
                    desc,
                    items::sort_at,
                    items::id,
                    at,
                    cursor.id.get()
                )))
                .load(conn)?;
        shown.extend(rows.into_iter().flatten());
    }
    Ok(shown)
}

/// The items matching `query`'s topic, tag and source.
fn with_filters<'a, ST>(
    mut q: items::BoxedQuery<'a, crate::MultiBackend, ST>,
    query: &ItemQuery,
) -> items::BoxedQuery<'a, crate::MultiBackend, ST> {
    if let Some(topic) = &query.topic {
        q = q.filter(
            items::id.eq_any(
                item_topics::table
                    .filter(item_topics::topic.eq(topic.clone()))
                    .select(item_topics::item_id),
            ),
        );
    }
    if let Some(tag) = &query.tag {
        q = q.filter(
            items::id.eq_any(
                item_tags::table
                    .filter(item_tags::tag.eq(tag.clone()))
                    .select(item_tags::item_id),
            ),
        );
    }
    if let Some(source) = &query.source {
        q = q.filter(items::source_id.eq(source.clone()));
    }
    q
}

/// Up to `limit` items with an id above `after`, in id order, with their topics: for walking
/// every stored item in batches (reclassification).
pub fn page_by_id(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredItem>, StoreError> {
    let rows: Vec<ItemRow> = items::table
        .filter(items::id.gt(after))
        .order(items::id.asc())
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)?;
    with_topics(conn, rows)
}

/// Up to `limit` items whose keywords are still to be extracted, oldest first, with their
/// topics and tags. On Postgres the rows stay locked until the transaction ends and rows
/// another process holds are skipped, so two workers never do the same items.
pub fn pending_keywords(conn: &mut DbConn, limit: i64) -> Result<Vec<StoredItem>, StoreError> {
    let rows: Vec<ItemRow> = load_claimed!(
        conn,
        items::table
            .filter(items::keywords_at.is_null())
            .order(items::id.asc())
            .limit(limit)
            .select(ItemRow::as_select())
    )?;
    with_topics(conn, rows)
}

/// Record that keywords were extracted for `ids` at `now`.
pub fn mark_keywords_done(
    conn: &mut DbConn,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        diesel::update(items::table.filter(items::id.eq_any(chunk)))
            .set(items::keywords_at.eq(Some(now.naive_utc())))
            .execute(conn)?;
    }
    Ok(())
}

/// How many items each source has stored.
pub fn counts_by_source(conn: &mut DbConn) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = items::table
        .group_by(items::source_id)
        .select((items::source_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// How many items a source has stored.
pub fn count_for_source(conn: &mut DbConn, source_id: &str) -> Result<i64, StoreError> {
    Ok(items::table
        .filter(items::source_id.eq(source_id))
        .count()
        .get_result(conn)?)
}

/// Decode `rows`, loading their topics and tags in one query each.
fn with_topics(conn: &mut DbConn, rows: Vec<ItemRow>) -> Result<Vec<StoredItem>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut topics = topics_table::for_items(conn, &ids)?;
    let mut tags = tags_table::for_items(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let t = topics.remove(&row.id).unwrap_or_default();
            let g = tags.remove(&row.id).unwrap_or_default();
            stored(row, t, g)
        })
        .collect()
}

/// One item by its store id, with topics, tags and the other reports of its story.
pub fn get(conn: &mut DbConn, id: ItemId) -> Result<Option<StoredItem>, StoreError> {
    let rows: Vec<ItemRow> = items::table
        .find(id.get())
        .select(ItemRow::as_select())
        .load(conn)?;
    let mut found = with_topics(conn, rows)?;
    attach_cluster_members(conn, &mut found)?;
    Ok(found.pop())
}

/// The link of item `id`: None when there is no such item, Some(None) when it has no link.
pub fn link_of(conn: &mut DbConn, id: ItemId) -> Result<Option<Option<String>>, StoreError> {
    Ok(items::table
        .find(id.get())
        .select(items::link)
        .first::<Option<String>>(conn)
        .optional()?)
}

/// The items with these ids, in the order given (ids not found are skipped), with topics,
/// tags and the other reports of their stories.
pub fn by_ids(conn: &mut DbConn, ids: &[ItemId]) -> Result<Vec<StoredItem>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
    let mut rows: Vec<ItemRow> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        rows.extend(
            items::table
                .filter(items::id.eq_any(chunk))
                .select(ItemRow::as_select())
                .load(conn)?,
        );
    }
    let position: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
    let mut out = with_topics(conn, rows)?;
    attach_cluster_members(conn, &mut out)?;
    Ok(out)
}

/// A candidate for a ranking, before the ranking chooses: what it is, no text.
#[derive(Debug, Clone)]
pub struct Brief {
    pub id: ItemId,
    pub source_id: SourceId,
    pub sort_at: NaiveDateTime,
    pub cluster_id: Option<ItemId>,
    pub title: Option<String>,
    pub summary: Option<String>,
}

/// id, source, sort time, cluster, title, summary.
type BriefRow = (
    i64,
    String,
    NaiveDateTime,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The briefs of `ids` (ids not found are skipped; any order).
pub fn briefs(conn: &mut DbConn, ids: &[ItemId]) -> Result<Vec<Brief>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|i| i.get()).collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<BriefRow> = items::table
            .filter(items::id.eq_any(chunk))
            .select((
                items::id,
                items::source_id,
                items::sort_at,
                items::cluster_id,
                items::title,
                items::summary,
            ))
            .load(conn)?;
        out.extend(
            rows.into_iter().map(
                |(id, source_id, sort_at, cluster_id, title, summary)| Brief {
                    id: id.into(),
                    source_id: SourceId::of_stored(source_id),
                    sort_at,
                    cluster_id: cluster_id.map(ItemId::from),
                    title,
                    summary,
                },
            ),
        );
    }
    Ok(out)
}

/// How many different sources told each of `clusters` (stories).
pub fn story_sources(
    conn: &mut DbConn,
    clusters: &[ItemId],
) -> Result<HashMap<ItemId, usize>, StoreError> {
    let clusters: Vec<i64> = clusters.iter().map(|c| c.get()).collect();
    let mut out = HashMap::new();
    for chunk in clusters.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(Option<i64>, String)> = items::table
            .filter(items::cluster_id.eq_any(chunk))
            .filter(items::cluster_id.is_not_null())
            .select((items::cluster_id, items::source_id))
            .distinct()
            .load(conn)?;
        for (cluster, _) in rows {
            if let Some(c) = cluster {
                *out.entry(ItemId::from(c)).or_insert(0) += 1;
            }
        }
    }
    Ok(out)
}

/// The newest `limit` items with the tag `tag` or in the topic `topic` (whichever is given),
/// ids only, newest first.
pub fn newest_ids(
    conn: &mut DbConn,
    topic: Option<&str>,
    tag: Option<&str>,
    limit: i64,
) -> Result<Vec<ItemId>, StoreError> {
    let ids: Vec<i64> = match (topic, tag) {
        (Some(topic), _) => item_topics::table
            .filter(item_topics::topic.eq(topic))
            .order((item_topics::sort_at.desc(), item_topics::item_id.desc()))
            .select(item_topics::item_id)
            .limit(limit)
            .load(conn)?,
        (None, Some(tag)) => item_tags::table
            .filter(item_tags::tag.eq(tag))
            .order((item_tags::sort_at.desc(), item_tags::item_id.desc()))
            .select(item_tags::item_id)
            .limit(limit)
            .load(conn)?,
        (None, None) => items::table
            .order((items::sort_at.desc(), items::id.desc()))
            .select(items::id)
            .limit(limit)
            .load(conn)?,
    };
    Ok(ids.into_iter().map(ItemId::from).collect())
}

fn stored(row: ItemRow, topics: Vec<TopicMatch>, tags: Vec<Tag>) -> Result<StoredItem, StoreError> {
    let utc = |t: NaiveDateTime| t.and_utc();
    // An item whose article arrived counts as updated then (the article's arrival is the last
    // change of an item whose upstream says nothing newer), so feed readers fetch it again.
    let updated = match (row.updated.map(utc), row.article.is_some()) {
        (Some(u), true) => Some(u.max(utc(row.changed_at))),
        (None, true) => Some(utc(row.changed_at)),
        (u, false) => u,
    };
    Ok(StoredItem {
        id: row.id.into(),
        source_id: SourceId::of_stored(row.source_id),
        item: Item {
            id: row.identity,
            guid: row.guid,
            title: row.title,
            link: row.link,
            published: row.published.map(utc),
            updated,
            authors: json_list(&row.authors)?,
            summary: row.summary,
            content: row.article.or(row.content),
            categories: json_list(&row.categories)?,
            language: row.language,
            enclosures: json_list(&row.enclosures)?,
            image: row.image,
        },
        sort_at: utc(row.sort_at),
        date_is_first_seen: row.date_is_first_seen,
        first_seen_at: utc(row.first_seen_at),
        changed_at: utc(row.changed_at),
        topics,
        tags,
        cluster_id: row.cluster_id.map(ItemId::from),
        also_reported_by: Vec::new(),
    })
}
