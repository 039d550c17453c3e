//! Turn fetched bytes into feed-rs's model: RSS 0.9x/1.0/2.0, Atom and JSON Feed. Dates are
//! read by our own parser (which knows the source's time zone), and feed-rs's invented ids are
//! switched off so that `normalize` can compute a stable identity itself.

pub mod dates;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use feed_rs::model::Feed;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: {0}")]
    Feed(String),
    #[error("empty document")]
    Empty,
}

/// Parse `bytes`, reading zone-less dates in `tz`; `now` bounds dates that lack a year.
///
/// feed-rs is given no base URI on purpose: it would resolve relative links against the fetch
/// URL, while the feed's own link must come first; `normalize` resolves them in that order.
pub fn parse_feed(bytes: &[u8], tz: Tz, now: DateTime<Utc>) -> Result<Feed, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let parser = feed_rs::parser::Builder::new()
        // An empty id tells normalize that the upstream gave none.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |text| dates::parse_date(text, tz, now))
        .build();
    parser
        .parse(bytes)
        .map_err(|e| ParseError::Feed(e.to_string()))
}
