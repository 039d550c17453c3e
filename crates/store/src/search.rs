//! The search index: on Postgres the `items.search_doc` tsvector (GIN-indexed), on SQLite the
//! contentless FTS5 table `item_search` (rowid = item id). Both hold the tokens
//! [`crossfeed_rules::search`] makes, taken verbatim: no text search configuration, dictionary or
//! extension is involved.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Nullable, Text, Timestamp};

use super::{DbConn, StoreError};
use crate::domain::ItemId;
use crossfeed_rules::search::Query;

/// An item's tokens: its title's and its body's.
#[derive(Debug, Clone)]
pub struct Document {
    pub item_id: i64,
    pub title: Vec<String>,
    pub body: Vec<String>,
}

/// Write (or rewrite) the index entries of `docs`. Run it in the transaction that marks the
/// items processed.
pub fn index(conn: &mut DbConn, docs: &[Document]) -> Result<(), StoreError> {
    if docs.is_empty() {
        return Ok(());
    }
    match conn {
        DbConn::Pg(c) => {
            // One statement for the batch: the arrays are unnested into rows.
            let ids: Vec<i64> = docs.iter().map(|d| d.item_id).collect();
            let vectors: Vec<String> = docs.iter().map(tsvector_literal).collect();
            diesel::sql_query(
                "UPDATE items AS i SET search_doc = v.doc::tsvector \
                 FROM unnest($1::bigint[], $2::text[]) AS v(id, doc) WHERE i.id = v.id",
            )
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<Text>, _>(vectors)
            .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            for d in docs {
                diesel::sql_query("DELETE FROM item_search WHERE rowid = ?")
                    .bind::<BigInt, _>(d.item_id)
                    .execute(c)?;
                diesel::sql_query("INSERT INTO item_search (rowid, title, body) VALUES (?, ?, ?)")
                    .bind::<BigInt, _>(d.item_id)
                    .bind::<Text, _>(d.title.join(" "))
                    .bind::<Text, _>(d.body.join(" "))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// The highest position a tsvector records, and the most positions per lexeme.
const MAX_POSITION: usize = 16_383;
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// `doc` as tsvector input text (`'lexeme':1A,4A 'other':7`): lexemes verbatim, with
/// positions, title positions weighted A so that ts_rank favours title matches. Written out
/// rather than built by `to_tsvector`, whose parser would split or drop CJK text depending
/// on the database's locale.
pub fn tsvector_literal(doc: &Document) -> String {
    let mut positions: std::collections::BTreeMap<&str, Vec<String>> =
        std::collections::BTreeMap::new();
    let title = doc.title.iter().map(|t| (t, "A"));
    let body = doc.body.iter().map(|t| (t, ""));
    for (i, (token, weight)) in title.chain(body).enumerate().take(MAX_POSITION) {
        let list = positions.entry(token.as_str()).or_default();
        if list.len() < MAX_POSITIONS_PER_LEXEME {
            list.push(format!("{}{weight}", i + 1));
        }
    }
    let mut out = String::new();
    for (lexeme, at) in positions {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('\'');
        out.push_str(&lexeme.replace('\\', "\\\\").replace('\'', "''"));
        out.push_str("':");
        out.push_str(&at.join(","));
    }
    out
}

/// What a search is limited to, besides the query.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub topic: Option<String>,
    pub tag: Option<String>,
    pub source: Option<String>,
    /// Only items dated at or after this.
    pub since: Option<NaiveDateTime>,
    /// Only items listed after this one in newest-first order (a feed's next page).
    pub before: Option<crate::domain::Cursor>,
}

/// An item that matched, with the backend's measure of how well (higher is better; comparable
/// only within one search).
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub id: ItemId,
    #[diesel(sql_type = Timestamp)]
    pub sort_at: NaiveDateTime,
    #[diesel(sql_type = Double)]
    pub relevance: f64,
}

/// The newest `limit` items matching `query` and `filter`, newest first, each with its
/// relevance. (Ranking by relevance and recency happens over these, in Rust, the same way on
/// both backends.)
pub fn matches(
    conn: &mut DbConn,
    query: &Query,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Hit>, StoreError> {
    let before_at = filter.before.map(|c| c.sort_at.naive_utc());
    let before_id = filter.before.map_or(0, |c| c.id.get());
    // Each filter is bound even when absent (NULL); Postgres plans with the values, so an
    // absent filter costs nothing. `before` is the keyset condition of `store::keyset`, written
    // in SQL because these queries are (full-text matching has no diesel DSL on either backend).
    let hits = match conn {
        // Ranked after the cut, so that ts_rank reads the `limit` chosen documents only: the
        // planner either walks the date index and stops at `limit` matches (a common word) or
        // collects the few matches from the GIN index and keeps the top `limit` (a rare one).
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT m.id, m.sort_at, ts_rank(m.search_doc, CAST($1 AS tsquery))::float8 AS relevance \
             FROM (SELECT i.id, i.sort_at, i.search_doc FROM items i \
             WHERE i.search_doc @@ CAST($1 AS tsquery) \
               AND ($2::text IS NULL OR i.id IN \
                    (SELECT item_id FROM item_topics WHERE topic = $2)) \
               AND ($3::text IS NULL OR i.id IN (SELECT item_id FROM item_tags WHERE tag = $3)) \
               AND ($4::text IS NULL OR i.source_id = $4) \
               AND ($5::timestamp IS NULL OR i.sort_at >= $5) \
               AND ($7::timestamp IS NULL OR i.sort_at < $7 OR (i.sort_at = $7 AND i.id < $8)) \
             ORDER BY i.sort_at DESC, i.id DESC LIMIT $6) AS m \
             ORDER BY m.sort_at DESC, m.id DESC",
        )
        .bind::<Text, _>(query.to_tsquery())
        .bind::<Nullable<Text>, _>(filter.topic.as_deref())
        .bind::<Nullable<Text>, _>(filter.tag.as_deref())
        .bind::<Nullable<Text>, _>(filter.source.as_deref())
        .bind::<Nullable<Timestamp>, _>(filter.since)
        .bind::<BigInt, _>(limit)
        .bind::<Nullable<Timestamp>, _>(before_at)
        .bind::<BigInt, _>(before_id)
        .load(c)?,
        // FTS5 hands over every match, so the cost here follows the matches; bm25 adds little
        // beside the join. Ranking only the chosen rows in a second statement was slower: each
        // rowid lookup seeks the term's doclists again.
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT i.id, i.sort_at, -bm25(item_search, 10.0, 1.0) AS relevance \
             FROM item_search JOIN items i ON i.id = item_search.rowid \
             WHERE item_search MATCH ?1 \
               AND (?2 IS NULL OR i.id IN (SELECT item_id FROM item_topics WHERE topic = ?2)) \
               AND (?3 IS NULL OR i.id IN (SELECT item_id FROM item_tags WHERE tag = ?3)) \
               AND (?4 IS NULL OR i.source_id = ?4) \
               AND (?5 IS NULL OR i.sort_at >= ?5) \
               AND (?7 IS NULL OR i.sort_at < ?7 OR (i.sort_at = ?7 AND i.id < ?8)) \
             ORDER BY i.sort_at DESC, i.id DESC LIMIT ?6",
        )
        .bind::<Text, _>(query.to_fts5())
        .bind::<Nullable<Text>, _>(filter.topic.as_deref())
        .bind::<Nullable<Text>, _>(filter.tag.as_deref())
        .bind::<Nullable<Text>, _>(filter.source.as_deref())
        .bind::<Nullable<Timestamp>, _>(filter.since)
        .bind::<BigInt, _>(limit)
        .bind::<Nullable<Timestamp>, _>(before_at)
        .bind::<BigInt, _>(before_id)
        .load(c)?,
    };
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsvector_text_weights_the_title_and_quotes_lexemes() {
        let doc = Document {
            item_id: 1,
            title: vec!["物流".into(), "it's".into()],
            body: vec!["物流".into(), "a\\b".into()],
        };
        assert_eq!(tsvector_literal(&doc), r"'a\\b':4 'it''s':2A '物流':1A,3");
    }
}
