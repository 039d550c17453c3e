//! The one range of instants the product stores and shows: from 1970-01-01T00:00:00Z to the
//! end of 2200 (UTC). Every format we write can say those (RFC 822 and HTTP dates stop at year
//! 9999 and refuse years before 0 or 1970; Postgres timestamps stop at 294276, SQLite text sorts
//! only four-digit years), and no real news item lies outside them. Dates enter through
//! [`storable`]; whatever reaches a renderer goes through [`shown`], so no stored value, even
//! one written before the range existed, can make a renderer fail.

use chrono::{DateTime, NaiveDate, Utc};

/// The first year an instant may fall in.
pub const FIRST_YEAR: i32 = 1970;
/// The last year an instant may fall in.
pub const LAST_YEAR: i32 = 2200;

/// The earliest storable instant: 1970-01-01T00:00:00Z.
pub fn earliest() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

/// The latest storable instant: the last microsecond of 2200 (UTC).
pub fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(LAST_YEAR + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc() - chrono::Duration::microseconds(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at` when it lies in the range, else None: a date outside it is dropped, never stored.
pub fn storable(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (earliest()..=latest()).contains(&at).then_some(at)
}

/// `at` brought into the range, for showing a value that may predate it.
pub fn shown(at: DateTime<Utc>) -> DateTime<Utc> {
    at.clamp(earliest(), latest())
}

/// `at` as an RFC 822 date (RSS, OPML), total over every instant.
pub fn rfc2822(at: DateTime<Utc>) -> String {
    shown(at).to_rfc2822()
}

/// `at` as an RFC 3339 time, total over every instant and always four-digit years.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    shown(at).to_rfc3339()
}

/// `at` as an RFC 3339 time in whole seconds with `Z` (the API's and the pages' form), total.
pub fn rfc3339_seconds(at: DateTime<Utc>) -> String {
    shown(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `at` as a system time (HTTP dates), total over every instant.
pub fn system_time(at: DateTime<Utc>) -> std::time::SystemTime {
    std::time::SystemTime::from(shown(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn the_range_runs_from_1970_to_the_end_of_2200() {
        assert_eq!(earliest().year(), 1970);
        assert_eq!(latest().year(), 2200);
        assert!(storable(earliest()).is_some());
        assert!(storable(latest()).is_some());
        assert!(storable(earliest() - chrono::Duration::seconds(1)).is_none());
        assert!(storable(latest() + chrono::Duration::microseconds(1)).is_none());
        assert!(storable(DateTime::<Utc>::MIN_UTC).is_none());
        assert!(storable(DateTime::<Utc>::MAX_UTC).is_none());
    }

    #[test]
    fn every_instant_renders_in_every_format() {
        let minus_one = NaiveDate::from_ymd_opt(-1, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|n| n.and_utc());
        for at in [
            Some(DateTime::<Utc>::MIN_UTC),
            Some(DateTime::<Utc>::MAX_UTC),
            minus_one,
            Some(earliest()),
            Some(latest()),
        ]
        .into_iter()
        .flatten()
        {
            assert!(DateTime::parse_from_rfc2822(&rfc2822(at)).is_ok(), "{at:?}");
            assert!(DateTime::parse_from_rfc3339(&rfc3339(at)).is_ok(), "{at:?}");
            assert!(
                DateTime::parse_from_rfc3339(&rfc3339_seconds(at)).is_ok(),
                "{at:?}"
            );
            let http = httpdate::fmt_http_date(system_time(at));
            assert!(httpdate::parse_http_date(&http).is_ok(), "{at:?}");
        }
        assert_eq!(shown(DateTime::<Utc>::MIN_UTC), earliest());
        assert_eq!(shown(DateTime::<Utc>::MAX_UTC), latest());
    }
}
