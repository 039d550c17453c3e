//! The slug that names a topic in URLs (`/feeds/{slug}.rss`) and in the store.

use std::fmt;

/// Names that routes use for other purposes and so cannot be topic slugs.
const RESERVED: &[&str] = &["all", "tags", "search"];

/// A topic slug: 1–64 characters of lowercase ASCII letters, digits and `-`, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicSlug(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TopicSlugError {
    #[error("a topic slug must be 1 to 64 characters long")]
    Length,
    #[error("a topic slug may only hold lowercase ASCII letters, digits and '-', found {0:?}")]
    BadChar(char),
    #[error("{0:?} is reserved and cannot be a topic slug")]
    Reserved(String),
}

impl TopicSlug {
    /// Check `raw` and take it as a topic slug.
    pub fn parse(raw: &str) -> Result<Self, TopicSlugError> {
        if raw.is_empty() || raw.len() > 64 {
            return Err(TopicSlugError::Length);
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(TopicSlugError::BadChar(c));
        }
        if RESERVED.contains(&raw) {
            return Err(TopicSlugError::Reserved(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_slugs() {
        assert_eq!(
            TopicSlug::parse("tiktok-shop").map(|s| s.to_string()),
            Ok("tiktok-shop".into())
        );
    }

    #[test]
    fn refuses_uppercase_reserved_and_empty_slugs() {
        assert_eq!(
            TopicSlug::parse("TikTok"),
            Err(TopicSlugError::BadChar('T'))
        );
        assert_eq!(
            TopicSlug::parse("all"),
            Err(TopicSlugError::Reserved("all".into()))
        );
        assert_eq!(TopicSlug::parse(""), Err(TopicSlugError::Length));
        assert_eq!(TopicSlug::parse("a.b"), Err(TopicSlugError::BadChar('.')));
    }
}
