//! A normalized item: what every upstream entry becomes before it is classified and stored,
//! and what `crossfeed parse` prints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One normalized upstream entry. Missing values are `None` or empty, never invented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable identity within its source: the same entry gets the same id on every poll.
    pub id: String,
    /// The upstream's own guid/id, untouched.
    pub guid: Option<String>,
    /// Plain text, markup stripped and entities decoded.
    pub title: Option<String>,
    /// Absolute http(s) URL of the original article.
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    /// Sanitized HTML.
    pub summary: Option<String>,
    /// Sanitized HTML.
    pub content: Option<String>,
    pub categories: Vec<String>,
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
}

/// A media file attached to an item (podcast audio, image, video).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    pub url: String,
    #[serde(rename = "type")]
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

/// An item's membership in one topic, with the keywords that matched (for explaining it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMatch {
    pub slug: String,
    pub matched: Vec<String>,
}
