//! The identifier of an upstream source, as written in the configuration and used in URLs.

use std::fmt;

/// A source identifier: 1–64 characters of ASCII letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SourceIdError {
    #[error("a source id must not be empty")]
    Empty,
    #[error("a source id must be at most 64 characters, this one has {0}")]
    TooLong(usize),
    #[error("a source id may only hold ASCII letters, digits, '-', '_' and '.', found {0:?}")]
    BadChar(char),
}

impl SourceId {
    /// Check `raw` and take it as a source id.
    pub fn parse(raw: &str) -> Result<Self, SourceIdError> {
        if raw.is_empty() {
            return Err(SourceIdError::Empty);
        }
        let len = raw.chars().count();
        if len > 64 {
            return Err(SourceIdError::TooLong(len));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(SourceIdError::BadChar(c));
        }
        Ok(Self(raw.to_owned()))
    }

    /// An id the store holds: checked when its source was configured, so taken as it is.
    pub fn of_stored(id: String) -> Self {
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SourceId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for ok in ["cifnews", "amz-seller.blog_2", "A1"] {
            assert_eq!(
                SourceId::parse(ok).map(|s| s.to_string()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn refuses_empty_long_and_odd_ids() {
        assert_eq!(SourceId::parse(""), Err(SourceIdError::Empty));
        assert_eq!(
            SourceId::parse(&"a".repeat(65)),
            Err(SourceIdError::TooLong(65))
        );
        assert_eq!(SourceId::parse("雨果网"), Err(SourceIdError::BadChar('雨')));
        assert_eq!(SourceId::parse("a/b"), Err(SourceIdError::BadChar('/')));
    }
}
