//! The `item_tags` table: each item's tags, keyed by their folded form.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::locks::Links;
use super::schema::item_tags;
use super::{DbConn, StoreError};
use crate::domain::Tag;

#[derive(Insertable)]
#[diesel(table_name = item_tags, treat_none_as_default_value = false)]
struct NewItemTag<'a> {
    item_id: i64,
    tag: &'a str,
    label: &'a str,
    kind: &'a str,
    /// The item's sort time, for listings in date order by an index.
    sort_at: NaiveDateTime,
}

/// Rows per multi-row INSERT (5 parameters each). New rows go to Postgres by `COPY`.
const INSERT_CHUNK: usize = 1000;

/// Replace the tags of each item with the given ones (unique per item, as the tagger makes them),
/// in a few statements for all of them.
pub fn replace_many(conn: &mut DbConn, items: &[Links<'_, [Tag]>]) -> Result<(), StoreError> {
    let ids: Vec<i64> = items.iter().map(|l| l.item_id).collect();
    // Items deleted meanwhile get none (and the others cannot be deleted until the commit).
    let items = super::locks::keep_stored(conn, items)?;
    delete_for(conn, &ids)?;
    insert_many(conn, &items)
}

/// Remove every tag row of `ids`.
pub fn delete_for(conn: &mut DbConn, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(INSERT_CHUNK) {
        diesel::delete(item_tags::table.filter(item_tags::item_id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

/// Add the given tags to items that have none yet (just inserted, or cleared by
/// [`delete_for`]).
pub fn insert_many(conn: &mut DbConn, items: &[Links<'_, [Tag]>]) -> Result<(), StoreError> {
    let rows: Vec<NewItemTag<'_>> = items
        .iter()
        .flat_map(|l| {
            l.values.iter().map(|t| NewItemTag {
                item_id: l.item_id,
                tag: &t.key,
                label: &t.label,
                kind: t.kind.as_str(),
                sort_at: l.sort_at,
            })
        })
        .collect();
    super::write_rows!(conn, item_tags::table, &rows, INSERT_CHUNK);
    Ok(())
}

/// The tags of each of `item_ids`, in the order they were assigned (categories, source tags,
/// extracted keywords).
pub fn for_items(
    conn: &mut DbConn,
    item_ids: &[i64],
) -> Result<HashMap<i64, Vec<Tag>>, StoreError> {
    let mut out: HashMap<i64, Vec<Tag>> = HashMap::new();
    for chunk in item_ids.chunks(500) {
        let rows: Vec<(i64, String, String, String)> = item_tags::table
            .filter(item_tags::item_id.eq_any(chunk))
            .select((
                item_tags::item_id,
                item_tags::tag,
                item_tags::label,
                item_tags::kind,
            ))
            .load(conn)?;
        for (item_id, key, label, kind) in rows {
            out.entry(item_id).or_default().push(Tag {
                key,
                label,
                kind: kind.parse().unwrap_or_default(),
            });
        }
    }
    for tags in out.values_mut() {
        tags.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.key.cmp(&b.key)));
    }
    Ok(out)
}

/// A tag with how many items carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub key: String,
    pub label: String,
    pub count: i64,
}

/// Tags with their item counts, most used first (ties by key), at most `limit`; only tags on
/// at least `min_count` items.
pub fn counts(conn: &mut DbConn, min_count: i64, limit: i64) -> Result<Vec<TagCount>, StoreError> {
    use diesel::dsl::{count_star, max};
    let rows: Vec<(String, Option<String>, i64)> = item_tags::table
        .group_by(item_tags::tag)
        .select((item_tags::tag, max(item_tags::label), count_star()))
        .having(count_star().ge(min_count))
        .order((count_star().desc(), item_tags::tag.asc()))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(key, label, count)| TagCount {
            label: label.unwrap_or_else(|| key.clone()),
            key,
            count,
        })
        .collect())
}

/// The label a tag is shown with, when any item carries it.
pub fn label(conn: &mut DbConn, key: &str) -> Result<Option<String>, StoreError> {
    use diesel::dsl::max;
    Ok(item_tags::table
        .filter(item_tags::tag.eq(key))
        .select(max(item_tags::label))
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
