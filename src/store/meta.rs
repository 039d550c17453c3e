//! The `meta` table: small facts about the store itself.

use diesel::prelude::*;

use super::schema::meta;
use super::{DbConn, StoreError, on_backend};

/// The key under which the fingerprint of the rules that classified the stored items is kept.
pub const RULES_FINGERPRINT: &str = "rules_fingerprint";

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
