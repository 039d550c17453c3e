//! The `item_topics` table: which topics each item belongs to and what matched.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::item_topics;
use super::{DbConn, StoreError, json_list, on_backend, to_json};
use crate::domain::TopicMatch;

#[derive(Insertable)]
#[diesel(table_name = item_topics)]
struct NewItemTopic<'a> {
    item_id: i64,
    topic: &'a str,
    matched: String,
}

/// Replace the topics of `item_id` with `topics`.
pub fn replace(conn: &mut DbConn, item_id: i64, topics: &[TopicMatch]) -> Result<(), StoreError> {
    diesel::delete(item_topics::table.filter(item_topics::item_id.eq(item_id))).execute(conn)?;
    if topics.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewItemTopic<'_>> = topics
        .iter()
        .map(|t| NewItemTopic {
            item_id,
            topic: &t.slug,
            matched: to_json(&t.matched),
        })
        .collect();
    on_backend!(conn, |c| diesel::insert_into(item_topics::table)
        .values(&rows)
        .execute(c))?;
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
