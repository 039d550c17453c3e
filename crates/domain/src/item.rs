//! A normalized item: what every upstream entry becomes before it is classified and stored,
//! and what `crossfeed parse` prints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One normalized upstream entry. Missing values are `None` or empty, never invented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Absolute URL of the item's picture: media:thumbnail, itunes:image, an image attachment,
    /// else the first image in the content.
    #[serde(default)]
    pub image: Option<String>,
}

impl Item {
    /// The summary (else the content) as plain text, for lists, snippets and descriptions.
    pub fn summary_text(&self) -> String {
        self.summary
            .as_deref()
            .or(self.content.as_deref())
            .map(crate::text::text_of_sanitized)
            .unwrap_or_default()
    }
}

/// An item's summary and content as plain text, worked out once per item for the stages that
/// read them (topic matching, duplicate signatures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainText {
    pub summary: Option<String>,
    pub content: Option<String>,
}

impl PlainText {
    pub fn of(item: &Item) -> Self {
        Self {
            summary: item.summary.as_deref().map(crate::text::text_of_sanitized),
            content: item.content.as_deref().map(crate::text::text_of_sanitized),
        }
    }
}

/// A media file attached to an item (podcast audio, image, video).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    pub url: String,
    #[serde(rename = "type")]
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

/// An item's membership in one topic, with what matched (for explaining it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMatch {
    pub slug: String,
    pub matched: Vec<Matched>,
}

/// One piece of evidence for a topic: which rule matched what, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "MatchedRepr")]
pub struct Matched {
    /// The keyword, regex or category as written in the configuration.
    pub term: String,
    /// `keyword`, `all_of`, `regex` or `category`.
    pub rule: String,
    /// `title`, `summary`, `content` or `categories` (empty when unknown).
    pub field: String,
}

/// Accepts the bare keyword strings written by crossfeed before matches recorded their rule
/// and field.
#[derive(Deserialize)]
#[serde(untagged)]
enum MatchedRepr {
    Full {
        term: String,
        rule: String,
        field: String,
    },
    Bare(String),
}

impl From<MatchedRepr> for Matched {
    fn from(r: MatchedRepr) -> Self {
        match r {
            MatchedRepr::Full { term, rule, field } => Matched { term, rule, field },
            MatchedRepr::Bare(term) => Matched {
                term,
                rule: "keyword".into(),
                field: String::new(),
            },
        }
    }
}

/// A tag on an item. `key` is the folded form that identifies it (and appears in URLs);
/// `label` is how it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub label: String,
    pub kind: TagKind,
}

/// Where a tag came from, in the order tags are preferred.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    /// An upstream category.
    #[default]
    Category,
    /// One of the source's configured tags.
    Source,
    /// A keyword extracted from the text.
    Keyword,
}

impl TagKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TagKind::Category => "category",
            TagKind::Source => "source",
            TagKind::Keyword => "keyword",
        }
    }
}

impl std::str::FromStr for TagKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "category" => Ok(TagKind::Category),
            "source" => Ok(TagKind::Source),
            "keyword" => Ok(TagKind::Keyword),
            other => Err(format!("unknown tag kind {other:?}")),
        }
    }
}

/// An item with the topics and tags the rules gave it, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub item: Item,
    pub topics: Vec<TopicMatch>,
    pub tags: Vec<Tag>,
    /// The item's link without tracking parameters (see `dedupe`).
    pub canonical_link: Option<String>,
    /// MinHash signature of the item's text (see `dedupe`).
    pub signature: Option<super::Signature>,
}
