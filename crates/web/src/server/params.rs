//! Request parameters, checked once. Each handler's own struct names the parameters it takes
//! (serde refuses any other); these functions turn the raw strings into typed values, or into a
//! 400 naming the bad parameter, so that a limit, a cursor, a topic, a tag or a source reads the
//! same on the feeds, the JSON API and the website. [`Listing`] turns a listing's parameters
//! into the store's [`ItemQuery`].

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::ApiError;
use crate::config::Config;
use crate::domain::{Cursor, ItemId, instant};
use crate::rules::Rules;
use crate::store::items::ItemQuery;
use crate::store::stats::Window;

/// A 400 naming the parameter.
pub fn bad(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadParameter {
        name: name.into(),
        message: message.into(),
    }
}

/// An integer from 1 to `max`, `default` when absent.
pub fn int(name: &str, raw: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(bad(
            name,
            format!("must be an integer from 1 to {max}, got {raw:?}"),
        )),
    }
}

/// `limit`: from 1 to `max`, `default` when absent.
pub fn limit(raw: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    int("limit", raw, as_i64(default), as_i64(max)).map(|n| usize::try_from(n).unwrap_or(default))
}

/// A yes/no parameter: `true`, `1`, `yes` or `false`, `0`, `no`; `default` when absent.
pub fn flag(name: &str, raw: Option<&str>, default: bool) -> Result<bool, ApiError> {
    match raw {
        None => Ok(default),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(bad(name, format!("must be true or false, got {other:?}"))),
    }
}

/// `before`: the cursor of a `next` link.
pub fn cursor(raw: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    raw.map(|raw| raw.parse::<Cursor>().map_err(|m| bad("before", m)))
        .transpose()
}

/// `topic`: a configured topic's slug.
pub fn topic(config: &Config, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(t) if config.topic(t).is_none() => Err(bad("topic", format!("no topic {t:?}"))),
        _ => Ok(raw.map(str::to_owned)),
    }
}

/// `tag`: any spelling that folds to a tag (case, width, Traditional/Simplified, a synonym);
/// its key.
pub fn tag(rules: &Rules, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|raw| {
        rules
            .tagger
            .key(raw)
            .ok_or_else(|| bad("tag", format!("{raw:?} is not a tag")))
    })
    .transpose()
}

/// `source`: a configured source's id.
pub fn source(config: &Config, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(s) if !config.sources.iter().any(|c| c.id.as_str() == s) => {
            Err(bad("source", format!("no source with id {s:?}")))
        }
        _ => Ok(raw.map(str::to_owned)),
    }
}

/// An item id in a path: a positive integer.
pub fn item_id(raw: &str) -> Result<ItemId, ApiError> {
    raw.parse::<ItemId>().map_err(|m| bad("id", m))
}

/// `window`: a day (`24h`, the default) or a week (`7d`).
pub fn window(raw: Option<&str>) -> Result<Window, ApiError> {
    match raw.unwrap_or("24h") {
        "24h" | "1d" | "day" => Ok(Window::Day),
        "7d" | "1w" | "week" => Ok(Window::Week),
        other => Err(bad("window", format!("must be 24h or 7d, got {other:?}"))),
    }
}

/// `since`: an RFC 3339 time or a date (midnight UTC), inside the range of instants the store
/// keeps (`domain::instant`); outside it chrono still parses (`-9999-01-01`) but the store could
/// not compare it.
pub fn since(raw: &str) -> Result<NaiveDateTime, ApiError> {
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
        .ok_or_else(|| {
            bad(
                "since",
                format!("must be a date (2026-11-01) or an RFC 3339 time, got {raw:?}"),
            )
        })?;
    instant::storable(parsed)
        .map(|t| t.naive_utc())
        .ok_or_else(|| {
            bad(
                "since",
                format!(
                    "must be a time between the years {} and {}, got {raw:?}",
                    instant::FIRST_YEAR,
                    instant::LAST_YEAR
                ),
            )
        })
}

/// A listing's parameters as a request gave them (the feeds' and the API's newest-first
/// lists).
#[derive(Debug, Default, Clone, Copy)]
pub struct Listing<'a> {
    pub topic: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub source: Option<&'a str>,
    pub before: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub dedupe: Option<&'a str>,
}

/// What a listing takes when a parameter is absent, and the largest page it gives.
#[derive(Debug, Clone, Copy)]
pub struct ListingDefaults {
    pub limit: i64,
    pub max_limit: i64,
    pub dedupe: bool,
}

impl Listing<'_> {
    /// The store query these parameters ask for, each checked against the configuration and
    /// rules in force; the first bad one is a 400 naming it.
    pub fn query(
        &self,
        config: &Config,
        rules: &Rules,
        defaults: ListingDefaults,
    ) -> Result<ItemQuery, ApiError> {
        let limit = int("limit", self.limit, defaults.limit, defaults.max_limit)?;
        let dedupe = flag("dedupe", self.dedupe, defaults.dedupe)?;
        let before = cursor(self.before)?;
        Ok(ItemQuery {
            topic: topic(config, self.topic)?,
            tag: tag(rules, self.tag)?,
            source: source(config, self.source)?,
            limit,
            dedupe,
            before,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn message(e: ApiError) -> (String, String) {
        match e {
            ApiError::BadParameter { name, message } => (name, message),
            other => panic!("not a bad parameter: {other:?}"),
        }
    }

    #[test]
    fn integers_are_bounded_and_named() {
        assert_eq!(int("limit", None, 50, 200).unwrap(), 50);
        assert_eq!(int("limit", Some("200"), 50, 200).unwrap(), 200);
        for raw in ["0", "201", "-1", "ten", ""] {
            let (name, msg) = message(int("limit", Some(raw), 50, 200).unwrap_err());
            assert_eq!(name, "limit");
            assert!(msg.contains("from 1 to 200"), "{msg}");
        }
        assert_eq!(limit(Some("7"), 10, 50).unwrap(), 7);
    }

    #[test]
    fn flags_take_the_usual_spellings() {
        assert!(flag("dedupe", None, true).unwrap());
        assert!(!flag("dedupe", None, false).unwrap());
        assert!(flag("dedupe", Some("yes"), false).unwrap());
        assert!(!flag("dedupe", Some("0"), true).unwrap());
        let (name, _) = message(flag("dedupe", Some("maybe"), true).unwrap_err());
        assert_eq!(name, "dedupe");
    }

    #[test]
    fn cursors_windows_ids_and_dates_are_checked() {
        assert_eq!(cursor(None).unwrap(), None);
        let c = cursor(Some("1700000000000000.42")).unwrap().unwrap();
        assert_eq!(c.id.get(), 42);
        assert_eq!(message(cursor(Some("42")).unwrap_err()).0, "before");
        assert_eq!(window(None).unwrap(), Window::Day);
        assert_eq!(window(Some("7d")).unwrap(), Window::Week);
        assert_eq!(message(window(Some("1y")).unwrap_err()).0, "window");
        assert_eq!(item_id("12").unwrap().get(), 12);
        assert_eq!(message(item_id("0").unwrap_err()).0, "id");
        assert_eq!(since("2026-11-01").unwrap().year(), 2026);
        assert_eq!(message(since("-9999-01-01").unwrap_err()).0, "since");
        assert_eq!(since("2200-12-31T23:59:59Z").unwrap().year(), 2200);
        assert_eq!(message(since("2201-01-01").unwrap_err()).0, "since");
        assert_eq!(
            message(since("1969-12-31T23:59:59Z").unwrap_err()).0,
            "since"
        );
        // A cursor names a stored position: one outside the storable years is refused.
        let year_10000 = "253402300800000000.7";
        assert_eq!(message(cursor(Some(year_10000)).unwrap_err()).0, "before");
    }
}
