//! Row locks that more than one table's writer takes. A leaf of the store: it reads the tables
//! and calls no other store module, so that the link tables (`item_tags`, `item_topics`) and
//! `items` can all use it without depending on each other. Locks are taken on Postgres only:
//! SQLite has one writer at a time, so a plain read is enough there.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::items;
use super::{DbConn, StoreError};

/// One item's rows in a link table (`item_topics`, `item_tags`): the item, its sort time (the
/// link tables keep a copy for their date-ordered walks) and what it links to.
#[derive(Debug)]
pub struct Links<'a, T: ?Sized> {
    pub item_id: i64,
    pub sort_at: NaiveDateTime,
    pub values: &'a T,
}

// By hand: the derives would ask `T: Clone`, and only the reference is copied.
impl<T: ?Sized> Clone for Links<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Links<'_, T> {}

/// Ids per lookup (well under SQLite's parameter limit).
const LOOKUP_CHUNK: usize = 500;

/// The rows of `rows` whose item is still stored, each such item locked against deletion until
/// the transaction ends (Postgres: `FOR KEY SHARE`, as a foreign key check takes it, but once
/// per statement rather than once per row). Run it before giving items written earlier new
/// topic or tag rows: no foreign key stops an orphan row on Postgres (migration 000009). SQLite
/// has one writer at a time, so a plain lookup is enough there.
pub fn keep_stored<'a, T: ?Sized>(
    conn: &mut DbConn,
    rows: &[Links<'a, T>],
) -> Result<Vec<Links<'a, T>>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|l| l.item_id).collect();
    let mut stored = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(LOOKUP_CHUNK) {
        let query = items::table
            .filter(items::id.eq_any(chunk))
            .select(items::id);
        let found: Vec<i64> = match conn {
            DbConn::Pg(c) => query.for_key_share().load(c)?,
            DbConn::Sqlite(c) => query.load(c)?,
        };
        stored.extend(found);
    }
    Ok(rows
        .iter()
        .filter(|l| stored.contains(&l.item_id))
        .copied()
        .collect())
}

/// Load the rows of `$query` on `$conn`, claiming them: on Postgres
/// `FOR UPDATE SKIP LOCKED`, so that rows another process is working on are passed over and two
/// processes never take the same ones; on SQLite a plain load. What every job that takes a batch
/// of rows to work on (polls, clustering, keywords, articles) uses. `$query` is written out once
/// per backend, so it may be an expression whose type depends on the backend (`as_select()`).
macro_rules! load_claimed {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::DbConn::Pg(c) => $query.for_update().skip_locked().load(c),
            $crate::DbConn::Sqlite(c) => $query.load(c),
        }
    };
}
pub(crate) use load_claimed;
