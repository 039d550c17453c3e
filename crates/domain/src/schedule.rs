//! When a source is polled: a fixed interval ("every 10m") or a 6-field cron expression
//! ("0 */10 * * * *", seconds first). A schedule only computes the next due time; the
//! scheduler decides what to do with it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// The shortest interval an "every" schedule may ask for, to stay polite to upstreams.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// A parsed polling schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    raw: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Every(Duration),
    Cron(Box<Cron>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("bad interval in {raw:?}: {reason} (write e.g. \"every 10m\" or \"every 1h30m\")")]
    Interval { raw: String, reason: String },
    #[error("interval {raw:?} is shorter than the minimum of 1 minute")]
    TooShort { raw: String },
    #[error(
        "bad cron expression {raw:?}: {reason} (6 fields, seconds first, e.g. \"0 */10 * * * *\")"
    )]
    Cron { raw: String, reason: String },
}

impl Schedule {
    /// Parse "every <duration>" or a 6-field cron expression.
    pub fn parse(raw: &str) -> Result<Self, ScheduleError> {
        let trimmed = raw.trim();
        if let Some(rest) = trimmed.strip_prefix("every") {
            let interval =
                humantime::parse_duration(rest.trim()).map_err(|e| ScheduleError::Interval {
                    raw: raw.to_owned(),
                    reason: e.to_string(),
                })?;
            if interval < MIN_INTERVAL {
                return Err(ScheduleError::TooShort {
                    raw: raw.to_owned(),
                });
            }
            return Ok(Self {
                raw: trimmed.to_owned(),
                kind: Kind::Every(interval),
            });
        }
        let fields = trimmed.split_whitespace().count();
        if fields != 6 {
            return Err(ScheduleError::Cron {
                raw: raw.to_owned(),
                reason: format!("expected 6 fields, found {fields}"),
            });
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Disallowed)
            .build()
            .parse(trimmed)
            .map_err(|e| ScheduleError::Cron {
                raw: raw.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            raw: trimmed.to_owned(),
            kind: Kind::Cron(Box::new(cron)),
        })
    }

    /// The next due time strictly after `after`; cron fields are read in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        match &self.kind {
            Kind::Every(interval) => {
                after + chrono::Duration::from_std(*interval).unwrap_or(chrono::Duration::MAX)
            }
            Kind::Cron(cron) => cron
                .find_next_occurrence(&after.with_timezone(&tz), false)
                .map(|t| t.with_timezone(&Utc))
                // An expression that never fires again (e.g. 31 February) polls once a day.
                .unwrap_or(after + chrono::Duration::days(1)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, h, m, s)
            .single()
            .unwrap()
    }

    #[test]
    fn every_adds_the_interval() {
        let s = Schedule::parse("every 1h30m").unwrap();
        assert_eq!(s.next_after(at(1, 0, 0), Tz::UTC), at(2, 30, 0));
    }

    #[test]
    fn cron_finds_the_next_slot_in_the_source_timezone() {
        let s = Schedule::parse("0 */10 * * * *").unwrap();
        assert_eq!(s.next_after(at(1, 3, 7), Tz::UTC), at(1, 10, 0));
        // 08:00 in Shanghai is 00:00 UTC.
        let daily = Schedule::parse("0 0 8 * * *").unwrap();
        assert_eq!(
            daily.next_after(at(1, 0, 0), Tz::Asia__Shanghai),
            at(0, 0, 0) + chrono::Duration::days(1)
        );
    }

    #[test]
    fn refuses_bad_schedules() {
        assert!(matches!(
            Schedule::parse("every soon"),
            Err(ScheduleError::Interval { .. })
        ));
        assert!(matches!(
            Schedule::parse("every 5s"),
            Err(ScheduleError::TooShort { .. })
        ));
        assert!(matches!(
            Schedule::parse("*/10 * * * *"),
            Err(ScheduleError::Cron { .. })
        ));
        assert!(matches!(
            Schedule::parse("0 99 * * * *"),
            Err(ScheduleError::Cron { .. })
        ));
    }
}
