//! Core types shared by every stage: identifiers, schedules, the normalized item and the item
//! as stored. This module imports nothing else from the crate.

mod item;
mod item_id;
mod schedule;
mod source_id;
mod stored;
mod timing;
mod topic_slug;

pub mod database_url;
pub mod instant;
pub mod page;
pub mod proxies;
pub mod redact;
pub mod signature;

pub use item::{Classified, Enclosure, Item, Matched, PlainText, Tag, TagKind, TopicMatch};
pub use item_id::ItemId;
pub use schedule::{Schedule, ScheduleError};
pub use signature::Signature;
pub use source_id::{SourceId, SourceIdError};
pub use stored::{ClusterMember, Cursor, StoredItem};
pub use timing::{Freshness, Timing};
pub use topic_slug::{TopicSlug, TopicSlugError};
