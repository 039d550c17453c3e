//! Core types shared by every stage: identifiers, schedules and the normalized item. This module
//! imports nothing else from the crate.

mod item;
mod schedule;
mod source_id;
mod timing;
mod topic_slug;

pub mod database_url;
pub mod page;
pub mod proxies;
pub mod redact;
pub mod signature;

pub use item::{Classified, Enclosure, Item, Matched, PlainText, Tag, TagKind, TopicMatch};
pub use schedule::{Schedule, ScheduleError};
pub use signature::Signature;
pub use source_id::{SourceId, SourceIdError};
pub use timing::{Freshness, Timing};
pub use topic_slug::{TopicSlug, TopicSlugError};
