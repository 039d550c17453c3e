//! Dates as feeds really write them: RFC 822 and its common mistakes, RFC 3339, ISO 8601
//! without a zone, and the formats Chinese sites use ("2023-08-10 20:42:39",
//! "2023年8月10日 20:42", "08-10 20:42"). A date without a zone is read in the source's zone;
//! "CST" from a source in China means China Standard Time (+08:00), not US Central.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
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
    numeric(s, tz).or_else(|| by_formats(s, tz, now))
}

/// Everything `parse_date` reads after RFC 3339, by trying formats in turn.
fn by_formats(s: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
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

/// The all-numbers shape most Chinese sites use, read without trying format strings one after
/// another: `2023-08-10 20:42[:39[.123]]` (also with `/` or `.` between the date's parts, `T`
/// before the time), then nothing (the source's zone), `Z`, or an offset (`+08:00`, `+0800`,
/// after a space or not). None sends anything else, or an impossible date, the long way round.
fn numeric(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    use chrono::{FixedOffset, NaiveTime};
    let b = s.as_bytes();
    let mut at = 0;
    // Up to `max` digits (at least `min`) at `at`.
    let digits = |at: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *at;
        let mut v = 0u32;
        while *at < b.len() && *at - start < max && b[*at].is_ascii_digit() {
            v = v * 10 + u32::from(b[*at] - b'0');
            *at += 1;
        }
        (*at - start >= min).then_some(v)
    };
    let year = digits(&mut at, 4, 4)?;
    let sep = *b.get(at).filter(|c| matches!(c, b'-' | b'/' | b'.'))?;
    at += 1;
    let month = digits(&mut at, 1, 2)?;
    (b.get(at) == Some(&sep)).then_some(())?;
    at += 1;
    let day = digits(&mut at, 1, 2)?;
    // `T` only in the ISO shape; `/` and `.` dates carry neither fractions nor zones.
    let iso = sep == b'-';
    matches!((b.get(at), iso), (Some(b' '), _) | (Some(b'T'), true)).then_some(())?;
    at += 1;
    let hour = digits(&mut at, 1, 2)?;
    (b.get(at) == Some(&b':')).then_some(())?;
    at += 1;
    let minute = digits(&mut at, 2, 2)?;
    let (mut second, mut nano) = (0, 0);
    let with_seconds = b.get(at) == Some(&b':');
    if with_seconds {
        at += 1;
        second = digits(&mut at, 2, 2)?;
        if iso && b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            let frac = digits(&mut at, 1, 9)?;
            nano = frac * 10u32.pow(9 - u32::try_from(at - start).ok()?);
        }
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let naive = date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?);
    let rest = &s[at..];
    let zone = rest.strip_prefix(' ').unwrap_or(rest);
    if zone.is_empty() {
        return if rest.is_empty() {
            local(naive, tz)
        } else {
            None
        };
    }
    // A zone after minutes without seconds is left to the formats (they read only some).
    if !iso || !with_seconds {
        return None;
    }
    if zone == "Z" {
        return Some(naive.and_utc());
    }
    let zb = zone.as_bytes();
    let sign = match zb.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let digit = |i: usize| {
        zb.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i32::from(c - b'0'))
    };
    let (h, m) = match zb.len() {
        5 => (1, 3),
        6 if zb[3] == b':' => (1, 4),
        _ => return None,
    };
    let hh = digit(h)? * 10 + digit(h + 1)?;
    let mm = digit(m)? * 10 + digit(m + 1)?;
    if hh >= 24 || mm >= 60 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hh * 3600 + mm * 60))?;
    naive
        .and_local_timezone(offset)
        .single()
        .map(|d| d.to_utc())
}

/// Rewrite the usual mistakes into something chrono reads: zone names and "GMT+8" offsets as
/// numbers (a Chinese source's "CST" as +08:00), "+08:00" as "+0800", "Sept" as "Sep", "Z"
/// after a space, a trailing "(CST)" comment.
fn tidy(s: &str, tz: Tz) -> String {
    let mut words: Vec<&str> = s.split_whitespace().collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.starts_with('(') && w.ends_with(')'))
    {
        words.pop();
    }
    let mut out: Vec<String> = words
        .iter()
        .map(|w| {
            if w.eq_ignore_ascii_case("sept") {
                "Sep".to_owned()
            } else {
                (*w).to_owned()
            }
        })
        .collect();
    if out.len() > 1
        && let Some(last) = out.last_mut()
        && let Some(offset) = zone_offset(last, CHINA_ZONES.contains(&tz))
    {
        *last = offset;
    }
    let s = out.join(" ");
    if let Some(head) = s.strip_suffix('Z')
        && head.contains(' ')
        && head.ends_with(|c: char| c.is_ascii_digit())
        && !head.contains(',')
    {
        return format!("{head}+0000");
    }
    s
}

/// A zone written after the time, as a numeric offset ("+0800"), or None if it is not one.
fn zone_offset(word: &str, china: bool) -> Option<String> {
    let upper = word.to_ascii_uppercase();
    let named = match upper.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "-0000" => Some("+0000"),
        "CST" if china => Some("+0800"),
        "EST" => Some("-0500"),
        "EDT" | "AST" => Some("-0400"),
        "CST" => Some("-0600"),
        "CDT" => Some("-0500"),
        "MST" => Some("-0700"),
        "MDT" => Some("-0600"),
        "PST" => Some("-0800"),
        "PDT" => Some("-0700"),
        "BST" | "CET" | "WAT" => Some("+0100"),
        "CEST" | "EET" => Some("+0200"),
        "EEST" | "MSK" => Some("+0300"),
        "ICT" | "WIB" => Some("+0700"),
        "CCT" | "HKT" | "SGT" | "MYT" | "PHT" | "AWST" => Some("+0800"),
        "JST" | "KST" => Some("+0900"),
        "AEST" => Some("+1000"),
        "AEDT" => Some("+1100"),
        _ => None,
    };
    if let Some(n) = named {
        return Some(n.to_owned());
    }
    // "GMT+8", "UTC+08:00", "GMT-0500", "+08:00".
    let rest = ["GMT", "UTC", "UT"]
        .iter()
        .find_map(|p| upper.strip_prefix(p))
        .unwrap_or(&upper);
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => ('+', &rest[1..]),
        b'-' => ('-', &rest[1..]),
        _ => return None,
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() <= 2 => (digits, "0"),
        None if digits.len() == 4 => digits.split_at(2),
        None => return None,
    };
    if h.is_empty() || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then(|| format!("{sign}{h:02}{m:02}"))
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

/// "08-10 20:42", "8月10日 20:42", or a day alone ("12-06", "12/06", "12月6日", the start of
/// that day): this year, unless that lies more than a day ahead.
fn without_year(s: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let year = now.with_timezone(&tz).year();
    for f in ["%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d"] {
        for y in [year, year - 1] {
            let day = [format!("{y}-{s}"), format!("{y}年{s}"), format!("{y}/{s}")]
                .iter()
                .find_map(|text| NaiveDate::parse_from_str(text, f).ok());
            if let Some(day) = day {
                let at = local(day.and_time(chrono::NaiveTime::MIN), tz)?;
                if at <= now + chrono::Duration::days(1) {
                    return Some(at);
                }
            }
        }
    }
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

/// A date as a web page prints it: whatever [`parse_date`] reads, the relative forms portals
/// print (`刚刚`, `5分钟前`, `3小时前`, `2天前`, `昨天 10:20`, `前天 08:00`, `今天 09:15`,
/// `3 hours ago`, `yesterday`), read against `now` in `tz`, and a date inside other words
/// (`发布时间：2023-08-10 20:42`, `来源：雨果网 2023年08月08日 16:05`).
pub fn page_date(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() || s.chars().count() > 200 {
        return None;
    }
    // Whole seconds: a date read against the fetch time carries no finer truth, and a stored
    // date must compare equal to itself on every backend (Postgres keeps microseconds).
    parse_date(s, tz, now)
        .or_else(|| relative(s, tz, now))
        .or_else(|| embedded(s, tz, now))
        .and_then(|d| d.with_nanosecond(0))
}

/// `刚刚`, `N秒/分钟/小时/天/周前`, `昨天/前天/今天 [HH:MM]`, and their English forms.
fn relative(s: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let folded: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let t = folded.as_str();
    if matches!(t, "刚刚" | "刚才" | "just now" | "now") {
        return Some(now);
    }
    // "3小时前", "3 小时前", "3 hours ago", "an hour ago".
    let ago = t
        .strip_suffix('前')
        .or_else(|| t.strip_suffix("以前"))
        .or_else(|| t.strip_suffix(" ago"));
    if let Some(ago) = ago {
        let ago = ago.trim();
        let split = ago.find(|c: char| !c.is_ascii_digit()).unwrap_or(ago.len());
        let (number, unit) = ago.split_at(split);
        let n: i64 = match number {
            "" if unit.starts_with("an ") || unit.starts_with("a ") => 1,
            "" if unit.starts_with('半') => 0,
            n => n.parse().ok()?,
        };
        let unit = unit
            .trim()
            .trim_start_matches("an ")
            .trim_start_matches("a ")
            .trim_start_matches('个');
        let minutes = match unit {
            "秒" | "秒钟" | "second" | "seconds" | "sec" | "secs" => {
                return now.checked_sub_signed(chrono::Duration::try_seconds(n)?);
            }
            "分" | "分钟" | "minute" | "minutes" | "min" | "mins" => Some(n),
            "小时" | "钟头" | "hour" | "hours" | "hr" | "hrs" => n.checked_mul(60),
            "半小时" => Some(30),
            "天" | "日" | "day" | "days" => n.checked_mul(24 * 60),
            "周" | "星期" | "礼拜" | "week" | "weeks" => n.checked_mul(7 * 24 * 60),
            // A month ago is as precise as a list page gets; 30 days is close enough to sort.
            "月" | "month" | "months" => n.checked_mul(30 * 24 * 60),
            _ => return None,
        }?;
        // A count too large for any calendar is no date (the storable range is checked where
        // the item is normalized).
        return now.checked_sub_signed(chrono::Duration::try_minutes(minutes)?);
    }
    // "昨天 10:20", "yesterday 10:20", "今天", a bare "10:20" (today).
    let (days_back, rest) = [
        ("前天", 2),
        ("昨天", 1),
        ("昨日", 1),
        ("今天", 0),
        ("今日", 0),
        ("yesterday", 1),
        ("today", 0),
    ]
    .iter()
    .find_map(|(word, back)| t.strip_prefix(word).map(|rest| (*back, rest.trim())))
    .or_else(|| t.contains(':').then_some((0, t)))?;
    let local_now = now.with_timezone(&tz);
    let day = local_now.date_naive() - chrono::Duration::days(days_back);
    let rest = rest.trim_start_matches(['-', ',']).trim();
    let time = if rest.is_empty() {
        // A day without a time: its start, unless that is today (then now).
        if days_back == 0 {
            return Some(now);
        }
        chrono::NaiveTime::MIN
    } else {
        chrono::NaiveTime::parse_from_str(rest, "%H:%M")
            .or_else(|_| chrono::NaiveTime::parse_from_str(rest, "%H:%M:%S"))
            .ok()?
    };
    let at = local(day.and_time(time), tz)?;
    // "10:20" with no day, printed before 10:20 came today, meant yesterday.
    Some(
        if at > now + chrono::Duration::minutes(5) && days_back == 0 {
            at - chrono::Duration::days(1)
        } else {
            at
        },
    )
}

/// The first thing in `s` shaped like a date, read by [`parse_date`].
fn embedded(s: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    static SHAPE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}[-/月]\d{1,2}日?)(\s*\d{1,2}:\d{2}(:\d{2})?)?",
        )
        .ok()
    });
    let found = SHAPE.as_ref()?.find(s)?;
    let text = found.as_str();
    parse_date(text, tz, now).or_else(|| {
        // "2023年08月08日16:05" reads; so does "2023年08月08日 16:05".
        let spaced = text.replacen('日', "日 ", 1);
        parse_date(&spaced, tz, now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_dates_absolute_relative_and_embedded() {
        let tz = Tz::Asia__Shanghai;
        // 2026-12-04 14:30 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 6, 30, 0).unwrap()
            + chrono::Duration::nanoseconds(1234);
        let whole = now.with_nanosecond(0).unwrap();
        let at = |y, mo, d, h, mi| {
            tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let cases = [
            (
                "2023-08-10 20:42:39",
                Some(at(2023, 8, 10, 20, 42) + chrono::Duration::seconds(39)),
            ),
            ("2023/08/09 09:30", Some(at(2023, 8, 9, 9, 30))),
            ("2023年08月08日 16:05", Some(at(2023, 8, 8, 16, 5))),
            ("2023-08-07", Some(at(2023, 8, 7, 0, 0))),
            ("08-10 20:42", Some(at(2026, 8, 10, 20, 42))),
            // A day with no year and no time: its start, this year or, ahead, last year.
            ("12-03", Some(at(2026, 12, 3, 0, 0))),
            ("12/03", Some(at(2026, 12, 3, 0, 0))),
            ("12月3日", Some(at(2026, 12, 3, 0, 0))),
            ("12-25", Some(at(2025, 12, 25, 0, 0))),
            ("3小时前", Some(whole - chrono::Duration::hours(3))),
            ("3 小时前", Some(whole - chrono::Duration::hours(3))),
            ("15分钟前", Some(whole - chrono::Duration::minutes(15))),
            ("2天前", Some(whole - chrono::Duration::days(2))),
            ("1周前", Some(whole - chrono::Duration::weeks(1))),
            ("2个月前", Some(whole - chrono::Duration::days(60))),
            // Counts past any calendar are no date, and never a panic.
            ("99999999999999999天前", None),
            ("9223372036854775807秒前", None),
            ("9223372036854775807 weeks ago", None),
            ("刚刚", Some(whole)),
            ("半小时前", Some(whole - chrono::Duration::minutes(30))),
            ("昨天 10:20", Some(at(2026, 12, 3, 10, 20))),
            ("前天 08:00", Some(at(2026, 12, 2, 8, 0))),
            ("今天 09:15", Some(at(2026, 12, 4, 9, 15))),
            ("09:15", Some(at(2026, 12, 4, 9, 15))),
            ("23:50", Some(at(2026, 12, 3, 23, 50))),
            ("3 hours ago", Some(whole - chrono::Duration::hours(3))),
            ("an hour ago", Some(whole - chrono::Duration::hours(1))),
            ("Yesterday 10:20", Some(at(2026, 12, 3, 10, 20))),
            ("发布时间：2023-08-10 20:42", Some(at(2023, 8, 10, 20, 42))),
            (
                "来源：雨果网 2023年08月08日 16:05",
                Some(at(2023, 8, 8, 16, 5)),
            ),
            ("2023年08月08日16:05 阅读 1200", Some(at(2023, 8, 8, 16, 5))),
            ("阅读全文", None),
            ("3个苹果前", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(page_date(text, tz, now), want, "{text}");
        }
    }

    proptest::proptest! {
        /// The quick reader of all-numbers dates says what the format strings say, or leaves
        /// the text to them.
        #[test]
        fn numeric_dates_read_as_the_formats_do(
            s in r"20[0-9]{2}[-/.][01]?[0-9][-/.][0-3]?[0-9][ T][0-2]?[0-9]:[0-5][0-9](:[0-6][0-9](\.[0-9]{1,9})?)?( ?(Z|[+-][01][0-9]:?[0-5][0-9]|CST|x))?"
        ) {
            let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
            for tz in [Tz::Asia__Shanghai, Tz::UTC, Tz::America__New_York] {
                // Where both read it they agree (the quick reader also takes a few the formats
                // miss, such as "2000-1-1T0:00:00Z").
                if let (Some(quick), Some(slow)) = (numeric(&s, tz), by_formats(&s, tz, now)) {
                    proptest::prop_assert_eq!(quick, slow, "{}", s);
                }
            }
        }

        /// The usual shapes are all read by the quick reader, as the formats read them.
        #[test]
        fn usual_numeric_dates_take_the_quick_way(
            y in 1990..2040i32, mo in 1..=12u32, d in 1..=28u32, h in 0..24u32, mi in 0..60u32,
            sec in 0..60u32, form in 0..6usize
        ) {
            let s = match form {
                0 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}"),
                1 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}"),
                2 => format!("{y}/{mo:02}/{d:02} {h:02}:{mi:02}"),
                3 => format!("{y}.{mo}.{d} {h:02}:{mi:02}:{sec:02}"),
                4 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}.250 +0800"),
                _ => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{sec:02}Z"),
            };
            let now = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
            let quick = numeric(&s, Tz::Asia__Shanghai);
            proptest::prop_assert!(quick.is_some(), "{}", s);
            proptest::prop_assert_eq!(quick, by_formats(&s, Tz::Asia__Shanghai, now), "{}", s);
        }
    }

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
        for (text, want) in [
            ("Mon, 22 Oct 2026 10:00:00 GMT", "2026-10-22T10:00:00+00:00"),
            (
                "Thursday, 22 October 2026 10:00:00 GMT",
                "2026-10-22T10:00:00+00:00",
            ),
            (
                "Thu, 22 Oct 2026 10:00:00 GMT+8",
                "2026-10-22T02:00:00+00:00",
            ),
            (
                "Thu, 22 Oct 2026 10:00:00 UTC+08:00",
                "2026-10-22T02:00:00+00:00",
            ),
            (
                "Thu, 22 Oct 2026 10:00:00 GMT-0500",
                "2026-10-22T15:00:00+00:00",
            ),
            ("Fri, 2 Oct 2026 9:05:00 EST", "2026-10-02T14:05:00+00:00"),
            ("Fri, 2 Oct 2026 9:05:00 PDT", "2026-10-02T16:05:00+00:00"),
            ("thu, 22 oct 2026 10:00:00 gmt", "2026-10-22T10:00:00+00:00"),
            ("22 Oct 2026 10:00:00 +08:00", "2026-10-22T02:00:00+00:00"),
            (
                "Thu, 22 Sept 2026 10:00:00 GMT",
                "2026-09-22T10:00:00+00:00",
            ),
        ] {
            assert_eq!(utc(text, SH).as_deref(), Some(want), "{text}");
        }
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
