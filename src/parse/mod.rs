//! Turn fetched bytes into feed-rs's model: RSS 0.9x/1.0/2.0, Atom and JSON Feed. The bytes are
//! decoded to UTF-8 first (`charset`), dates are read by our own parser (which knows the
//! source's time zone), and feed-rs's invented ids are switched off so that `normalize` can
//! compute a stable identity itself.

pub mod charset;
pub mod dates;
pub mod discover;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feed_rs::model::Feed;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: {0}")]
    Feed(String),
    #[error("empty document")]
    Empty,
    #[error("an HTML page that advertises no feed (no <link rel=\"alternate\"> to a feed)")]
    Html,
}

/// Parse `bytes` (with the HTTP charset, if any), reading zone-less dates in `tz`; `now` bounds
/// dates that lack a year.
///
/// feed-rs resolves relative URLs as it parses (and drops relative enclosure URLs when it has no
/// base), but the feed's own link must win over the fetch URL, which feed-rs cannot know yet. So
/// it resolves against [`PLACEHOLDER_BASE`], and `normalize` rebases what points there.
pub fn parse_feed(
    bytes: &[u8],
    http_charset: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Feed, ParseError> {
    let decoded = charset::to_utf8(bytes, http_charset);
    parse_text(&decoded.text, tz, now)
}

/// A base no real URL has; see [`parse_feed`]. Deep, so that `../` references survive.
pub const PLACEHOLDER_BASE: &str = "https://base.crossfeed.invalid/__crossfeed__/a/b/c/d/e/f/";

/// Parse text already decoded to UTF-8.
pub fn parse_text(text: &str, tz: Tz, now: DateTime<Utc>) -> Result<Feed, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    if discover::looks_like_html(text) {
        return Err(ParseError::Html);
    }
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(PLACEHOLDER_BASE))
        // An empty id tells normalize that the upstream gave none.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |text| dates::parse_date(text, tz, now))
        .build();
    parser
        .parse(text.as_bytes())
        .map_err(|e| ParseError::Feed(e.to_string()))
}

/// The hours (0–23, GMT) an RSS feed's `<skipHours>` asks readers not to poll in.
pub fn skip_hours(text: &str) -> Vec<u32> {
    let Some(start) = text.find("<skipHours>") else {
        return Vec::new();
    };
    let Some(len) = text[start..].find("</skipHours>") else {
        return Vec::new();
    };
    let block = &text[start..start + len];
    let mut hours: Vec<u32> = block
        .split("<hour>")
        .skip(1)
        .filter_map(|part| part.split("</hour>").next()?.trim().parse().ok())
        .filter(|h| *h < 24)
        .collect();
    hours.sort_unstable();
    hours.dedup();
    hours
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_hours_are_read_from_the_channel() {
        let rss = "<rss><channel><skipHours><hour>0</hour><hour> 23 </hour><hour>99</hour><hour>x</hour></skipHours></channel></rss>";
        assert_eq!(skip_hours(rss), vec![0, 23]);
        assert!(skip_hours("<rss></rss>").is_empty());
    }

    #[test]
    fn html_and_empty_documents_are_not_feeds() {
        let now = Utc::now();
        assert!(matches!(
            parse_text("  ", Tz::UTC, now),
            Err(ParseError::Empty)
        ));
        assert!(matches!(
            parse_text("<!DOCTYPE html><html></html>", Tz::UTC, now),
            Err(ParseError::Html)
        ));
        assert!(matches!(
            parse_text("\u{0}\u{1}binary", Tz::UTC, now),
            Err(ParseError::Feed(_))
        ));
    }
}
