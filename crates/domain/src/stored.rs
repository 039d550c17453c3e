//! An item as the store holds it: the normalized item with its store id, dates, topics, tags
//! and story; and a position in a newest-first listing of such items.

use chrono::{DateTime, Utc};

use super::{Item, ItemId, SourceId, Tag, TopicMatch};

/// A stored item with what the store adds to it.
#[derive(Debug, Clone)]
pub struct StoredItem {
    /// The store's own id (used in URLs).
    pub id: ItemId,
    pub source_id: SourceId,
    pub item: Item,
    /// `published`, else `updated`, else when crossfeed first saw the item.
    pub sort_at: DateTime<Utc>,
    /// True when the item had no date and `sort_at` is the first-seen time.
    pub date_is_first_seen: bool,
    pub first_seen_at: DateTime<Utc>,
    /// When the row was last inserted or changed.
    pub changed_at: DateTime<Utc>,
    pub topics: Vec<TopicMatch>,
    pub tags: Vec<Tag>,
    /// The item's story: the id of its cluster's first-seen item.
    pub cluster_id: Option<ItemId>,
    /// The other items of its cluster, when the listing asked for them (deduplicated feeds,
    /// one item).
    pub also_reported_by: Vec<ClusterMember>,
}

/// Another report of the same story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMember {
    pub id: ItemId,
    pub source_id: SourceId,
    pub title: Option<String>,
    pub link: Option<String>,
}

impl StoredItem {
    /// How many items tell this story (1 when it stands alone or members were not loaded).
    pub fn cluster_size(&self) -> usize {
        1 + self.also_reported_by.len()
    }
}

/// A position in a newest-first listing: the sort time and id of the last item a page showed.
/// Written as `<unix microseconds>.<id>` in URLs; keyset paging, so a page stays right while
/// new items arrive above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort_at: DateTime<Utc>,
    pub id: ItemId,
}

impl Cursor {
    /// The cursor just past `item`.
    pub fn after(item: &StoredItem) -> Self {
        Cursor {
            sort_at: item.sort_at,
            id: item.id,
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.sort_at.timestamp_micros(), self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a cursor (as given in a next link)");
        let (micros, id) = s.split_once('.').ok_or_else(bad)?;
        let micros: i64 = micros.parse().map_err(|_| bad())?;
        let id = ItemId::of_row(id.parse().map_err(|_| bad())?);
        let sort_at = DateTime::from_timestamp_micros(micros)
            .and_then(super::instant::storable)
            .ok_or_else(bad)?;
        Ok(Cursor { sort_at, id })
    }
}
