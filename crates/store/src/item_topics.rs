//! The `item_topics` table: which topics each item belongs to and what matched.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::locks::Links;
use super::schema::item_topics;
use super::{DbConn, StoreError, json_list, to_json};
use crate::domain::TopicMatch;

#[derive(Insertable)]
#[diesel(table_name = item_topics, treat_none_as_default_value = false)]
struct NewItemTopic<'a> {
    item_id: i64,
    topic: &'a str,
    matched: String,
    /// The item's sort time, for listings in date order by an index.
    sort_at: NaiveDateTime,
}

/// Rows per multi-row INSERT (4 parameters each). New rows go to Postgres by `COPY`.
const INSERT_CHUNK: usize = 1000;

/// Replace the topics of each item with the given ones, in a few statements for all of them.
pub fn replace_many(
    conn: &mut DbConn,
    items: &[Links<'_, [TopicMatch]>],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = items.iter().map(|l| l.item_id).collect();
    // Items deleted meanwhile get none (and the others cannot be deleted until the commit).
    let items = super::locks::keep_stored(conn, items)?;
    delete_for(conn, &ids)?;
    insert_many(conn, &items)
}

/// Remove every topic row of `ids`.
pub fn delete_for(conn: &mut DbConn, ids: &[i64]) -> Result<(), StoreError> {
    for chunk in ids.chunks(INSERT_CHUNK) {
        diesel::delete(item_topics::table.filter(item_topics::item_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(())
}

/// Add the given topics to items that have none yet (just inserted, or cleared by
/// [`delete_for`]).
pub fn insert_many(conn: &mut DbConn, items: &[Links<'_, [TopicMatch]>]) -> Result<(), StoreError> {
    let rows: Vec<NewItemTopic<'_>> = items
        .iter()
        .flat_map(|l| {
            l.values.iter().map(|t| NewItemTopic {
                item_id: l.item_id,
                topic: &t.slug,
                matched: to_json(&t.matched),
                sort_at: l.sort_at,
            })
        })
        .collect();
    super::write_rows!(conn, item_topics::table, &rows, INSERT_CHUNK);
    Ok(())
}

/// The topics of each of `item_ids`, in slug order.
pub fn for_items(
    conn: &mut DbConn,
    item_ids: &[i64],
) -> Result<HashMap<i64, Vec<TopicMatch>>, StoreError> {
    let mut out: HashMap<i64, Vec<TopicMatch>> = HashMap::new();
    for chunk in item_ids.chunks(500) {
        let rows: Vec<(i64, String, String)> = item_topics::table
            .filter(item_topics::item_id.eq_any(chunk))
            .order((item_topics::item_id.asc(), item_topics::topic.asc()))
            .select((
                item_topics::item_id,
                item_topics::topic,
                item_topics::matched,
            ))
            .load(conn)?;
        for (item_id, slug, matched) in rows {
            out.entry(item_id).or_default().push(TopicMatch {
                slug,
                matched: json_list(&matched)?,
            });
        }
    }
    Ok(out)
}

/// How many items each topic holds.
pub fn counts(conn: &mut DbConn) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = item_topics::table
        .group_by(item_topics::topic)
        .select((item_topics::topic, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
