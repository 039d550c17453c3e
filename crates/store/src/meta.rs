//! The `meta` table: small facts about the store itself.

use diesel::prelude::*;

use super::schema::meta;
use super::{DbConn, StoreError, on_backend};

/// The key under which the fingerprint of the rules that classified the stored items is kept.
pub const RULES_FINGERPRINT: &str = "rules_fingerprint";

/// The key whose value changes whenever what the feeds show may have changed: items stored or
/// updated, topics or tags rewritten, stories clustered. Web processes compare it with the
/// value they last saw to know when their rendered feeds are stale.
pub const ITEMS_CHANGED: &str = "items_changed";

/// Record that the items changed (a new, unique value under [`ITEMS_CHANGED`]).
pub fn touch_items(conn: &mut DbConn) -> Result<(), StoreError> {
    let stamp = format!(
        "{}-{}",
        chrono::Utc::now().timestamp_micros(),
        uuid::Uuid::new_v4().simple()
    );
    set(conn, ITEMS_CHANGED, &stamp)
}

pub fn get(conn: &mut DbConn, key: &str) -> Result<Option<String>, StoreError> {
    Ok(meta::table
        .find(key)
        .select(meta::value)
        .first(conn)
        .optional()?)
}

pub fn set(conn: &mut DbConn, key: &str, value: &str) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(meta::table)
        .values((meta::key.eq(key), meta::value.eq(value)))
        .on_conflict(meta::key)
        .do_update()
        .set(meta::value.eq(value))
        .execute(c))?;
    Ok(())
}

/// The value under `key`, set to `value` first when there is none; the first process to set it
/// wins, and every process reads the same value back.
pub fn get_or_init(conn: &mut DbConn, key: &str, value: &str) -> Result<String, StoreError> {
    on_backend!(conn, |c| diesel::insert_into(meta::table)
        .values((meta::key.eq(key), meta::value.eq(value)))
        .on_conflict(meta::key)
        .do_nothing()
        .execute(c))?;
    Ok(get(conn, key)?.unwrap_or_else(|| value.to_owned()))
}

/// The key under which the image route's signing key is kept when the environment gives none.
pub const IMAGE_KEY: &str = "image_key";
