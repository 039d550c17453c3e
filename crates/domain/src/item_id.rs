//! The store's id of an item: what URLs (`/items/{id}`, `/go/{id}`), cursors and stories name an
//! item by. A type of its own so that an item id is never taken for a count, a limit or another
//! table's id.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// An item's id in the store: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ItemId(i64);

impl ItemId {
    /// The id the store gave a row (the store's own numbers are taken as they are).
    pub const fn of_row(id: i64) -> Self {
        Self(id)
    }

    /// The number, for the store's queries.
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// A store row's id (diesel reads `items.id` through this: `deserialize_as = i64`).
impl From<i64> for ItemId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An id as a URL writes it: a positive decimal integer.
impl FromStr for ItemId {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Self)
            .ok_or_else(|| format!("an item id is a positive integer, got {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_urls_are_positive_integers() {
        assert_eq!("42".parse::<ItemId>().map(ItemId::get), Ok(42));
        assert_eq!(ItemId::of_row(42).to_string(), "42");
        for bad in ["0", "-3", "4.2", "", "x", "99999999999999999999"] {
            assert!(bad.parse::<ItemId>().is_err(), "{bad}");
        }
    }
}
