//! Dates as feeds really write them: RFC 822 and its common mistakes, RFC 3339, ISO 8601
//! without a zone, and the formats Chinese sites use ("2023-08-10 20:42:39",
//! "2023年8月10日 20:42", "08-10 20:42"). A date without a zone is read in the source's zone;
//! "CST" from a source in China means China Standard Time (+08:00), not US Central.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Zones whose "CST" is China Standard Time.
const CHINA_ZONES: &[Tz] = &[
    Tz::Asia__Shanghai,
    Tz::Asia__Chongqing,
    Tz::Asia__Chungking,
    Tz::Asia__Harbin,
    Tz::Asia__Urumqi,
    Tz::Asia__Hong_Kong,
    Tz::Asia__Macau,
    Tz::Asia__Taipei,
    Tz::PRC,
    Tz::ROC,
];

/// Naive date-time formats, tried in order after the zoned ones.
const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日 %H时%M分",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
];

/// Formats with an explicit numeric offset that RFC 3339 parsing refuses.
const ZONED_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M %z",
    "%d %B %Y %H:%M:%S %z",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"];

/// Parse `text` as a date; zone-less values are read in `tz`. `now` supplies the year when a
/// date has none (the most recent such date not after `now`).
pub fn parse_date(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.to_utc());
    }
    let s = tidy(s, tz);
    if let Ok(d) = DateTime::parse_from_rfc2822(&s) {
        return Some(d.to_utc());
    }
    let no_weekday = strip_weekday(&s);
    for f in ZONED_FORMATS {
        if let Ok(d) = DateTime::parse_from_str(no_weekday, f) {
            return Some(d.to_utc());
        }
    }
    for f in NAIVE_FORMATS {
        if let Ok(n) = NaiveDateTime::parse_from_str(no_weekday, f) {
            return local(n, tz);
        }
    }
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(no_weekday, f) {
            return local(d.and_hms_opt(0, 0, 0)?, tz);
        }
    }
    without_year(no_weekday, tz, now)
}

/// Rewrite the usual mistakes into something chrono reads: zone names it does not know, a
/// Chinese "CST", single-digit hours, full month names, "Z" after a space.
fn tidy(s: &str, tz: Tz) -> String {
    let mut s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    for (name, offset) in [(" UTC", " +0000"), (" Z", " +0000"), (" -0000", " +0000")] {
        if let Some(head) = s.strip_suffix(name) {
            s = format!("{head}{offset}");
        }
    }
    if CHINA_ZONES.contains(&tz) {
        for name in [" CST", " CCT", " HKT"] {
            if let Some(head) = s.strip_suffix(name) {
                s = format!("{head} +0800");
            }
        }
    }
    if let Some(head) = s.strip_suffix('Z')
        && head.contains(' ')
        && head.ends_with(|c: char| c.is_ascii_digit())
        && !head.contains(',')
    {
        s = format!("{head}+0000");
    }
    s
}

/// Drop a leading weekday ("Mon, ", "Thurs, ", "星期一 "), which is often wrong or localized.
fn strip_weekday(s: &str) -> &str {
    if let Some((head, rest)) = s.split_once(", ")
        && !head.is_empty()
        && head.chars().all(|c| c.is_alphabetic())
    {
        return rest;
    }
    s
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    // In a DST gap, take the first valid instant after it.
    tz.from_local_datetime(&n)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(n + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.to_utc())
}

/// "08-10 20:42" or "8月10日 20:42": this year, unless that lies more than a day ahead.
fn without_year(s: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let year = now.with_timezone(&tz).year();
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
        "%Y年%m月%d日%H:%M",
    ] {
        for y in [year, year - 1] {
            if let Ok(n) = NaiveDateTime::parse_from_str(&format!("{y}-{s}"), f)
                .or_else(|_| NaiveDateTime::parse_from_str(&format!("{y}年{s}"), f))
            {
                let at = local(n, tz)?;
                if at <= now + chrono::Duration::days(1) {
                    return Some(at);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap()
    }

    fn utc(text: &str, tz: Tz) -> Option<String> {
        parse_date(text, tz, now()).map(|d| d.to_rfc3339())
    }

    const SH: Tz = Tz::Asia__Shanghai;

    #[test]
    fn standard_formats_keep_their_zone() {
        assert_eq!(
            utc("2026-11-20T10:00:00+08:00", SH).as_deref(),
            Some("2026-11-20T02:00:00+00:00")
        );
        assert_eq!(
            utc("Fri, 20 Nov 2026 10:00:00 GMT", SH).as_deref(),
            Some("2026-11-20T10:00:00+00:00")
        );
        assert_eq!(
            utc("Fri, 20 Nov 2026 10:00:00 +0800", Tz::UTC).as_deref(),
            Some("2026-11-20T02:00:00+00:00")
        );
    }

    #[test]
    fn rfc822_mistakes_are_forgiven() {
        // Wrong weekday, full month name, single-digit hour, "UTC".
        assert_eq!(
            utc("Mon, 20 November 2026 9:05:00 UTC", SH).as_deref(),
            Some("2026-11-20T09:05:00+00:00")
        );
        assert_eq!(
            utc("Thurs, 19 Nov 2026 10:00:00 Z", SH).as_deref(),
            Some("2026-11-19T10:00:00+00:00")
        );
    }

    #[test]
    fn cst_is_china_time_for_a_chinese_source_and_us_central_elsewhere() {
        assert_eq!(
            utc("Fri, 20 Nov 2026 10:00:00 CST", SH).as_deref(),
            Some("2026-11-20T02:00:00+00:00")
        );
        assert_eq!(
            utc("Fri, 20 Nov 2026 10:00:00 CST", Tz::America__Chicago).as_deref(),
            Some("2026-11-20T16:00:00+00:00")
        );
    }

    #[test]
    fn chinese_site_formats_are_read_in_the_source_zone() {
        for text in [
            "2026-11-20 20:42:39",
            "2026/11/20 20:42:39",
            "2026年11月20日 20:42:39",
            "2026-11-20T20:42:39",
        ] {
            assert_eq!(
                utc(text, SH).as_deref(),
                Some("2026-11-20T12:42:39+00:00"),
                "{text}"
            );
        }
        assert_eq!(
            utc("2026年11月20日 20:42", SH).as_deref(),
            Some("2026-11-20T12:42:00+00:00")
        );
        assert_eq!(
            utc("2026-11-20", SH).as_deref(),
            Some("2026-11-19T16:00:00+00:00")
        );
        assert_eq!(
            utc("Fri, 20 Nov 2026 10:00:00", SH).as_deref(),
            Some("2026-11-20T02:00:00+00:00")
        );
    }

    #[test]
    fn a_missing_year_is_the_latest_one_not_in_the_future() {
        assert_eq!(
            utc("11-20 20:42", SH).as_deref(),
            Some("2026-11-20T12:42:00+00:00")
        );
        // 20 December would be ahead of "now" (26 November 2026), so it is last year's.
        assert_eq!(
            utc("12-20 08:00", SH).as_deref(),
            Some("2025-12-20T00:00:00+00:00")
        );
    }

    #[test]
    fn nonsense_is_none() {
        for text in ["", "yesterday", "2026-13-45 99:00", "刚刚"] {
            assert_eq!(utc(text, SH), None, "{text}");
        }
    }
}
