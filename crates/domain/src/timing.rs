//! When to poll a source next, after a success or a failure: its schedule, stretched by what
//! the upstream asked for (Cache-Control max-age, Expires, RSS ttl and skipHours) within
//! configured bounds, with exponential backoff after failures, and jitter so that sources on the
//! same schedule do not all fire in the same second.

use std::time::Duration;

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::Schedule;

/// The bounds every computed time stays within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Never poll a source sooner than this after the last poll.
    pub min_interval: Duration,
    /// Upstream hints (max-age, Expires, ttl) may delay a poll at most this long.
    pub max_interval: Duration,
    /// The most random delay added to a scheduled time.
    pub jitter: Duration,
    /// The first retry delay after a failure; doubled for each further failure.
    pub backoff_base: Duration,
    /// The longest retry delay, also the cap on Retry-After.
    pub backoff_max: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(60),
            max_interval: Duration::from_secs(24 * 3600),
            jitter: Duration::from_secs(30),
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(24 * 3600),
        }
    }
}

/// What the upstream said about its own freshness on a successful poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    /// Do not come back before this (from max-age, Expires or ttl, whichever is latest).
    pub fresh_until: Option<DateTime<Utc>>,
    /// RSS skipHours: hours (0–23, GMT) in which the feed asks not to be polled.
    pub skip_hours: Vec<u32>,
}

fn span(d: Duration) -> Span {
    Span::from_std(d).unwrap_or(Span::MAX)
}

impl Timing {
    /// The next poll after a success at `now`.
    pub fn after_success(
        &self,
        schedule: &Schedule,
        tz: Tz,
        now: DateTime<Utc>,
        freshness: &Freshness,
        key: &str,
    ) -> DateTime<Utc> {
        let floor = now + span(self.min_interval);
        let ceiling = now + span(self.max_interval);
        let hinted = freshness.fresh_until.map_or(now, |t| t.min(ceiling));
        let mut next = schedule.next_after(now, tz).max(floor).max(hinted);
        // skipHours: move to the start of the next hour that is not skipped (at most a day on).
        for _ in 0..24 {
            if !freshness.skip_hours.contains(&next.hour()) {
                break;
            }
            next = (next + Span::hours(1))
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .unwrap_or(next + Span::hours(1));
        }
        next + self.jitter_for(key, now)
    }

    /// The next poll after the `errors`-th failure in a row at `now`.
    pub fn after_failure(
        &self,
        schedule: &Schedule,
        tz: Tz,
        now: DateTime<Utc>,
        errors: u32,
        retry_after: Option<Duration>,
        key: &str,
    ) -> DateTime<Utc> {
        if let Some(wait) = retry_after {
            // The upstream said when: honour it (within bounds), without jitter.
            return now + span(wait.clamp(self.min_interval, self.backoff_max));
        }
        let factor = 2u32.saturating_pow(errors.saturating_sub(1).min(31));
        let backoff = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        let next = schedule
            .next_after(now, tz)
            .max(now + span(backoff))
            .max(now + span(self.min_interval));
        next + self.jitter_for(key, now)
    }

    /// A delay in `[0, jitter)`, fixed for a given source and time so that runs repeat.
    fn jitter_for(&self, key: &str, now: DateTime<Utc>) -> Span {
        let millis = u64::try_from(self.jitter.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return Span::zero();
        }
        let digest = Sha256::digest(format!("{key}\n{}", now.timestamp_millis()).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Span::milliseconds(i64::try_from(u64::from_le_bytes(first) % millis).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn no_jitter() -> Timing {
        Timing {
            jitter: Duration::ZERO,
            ..Timing::default()
        }
    }

    fn every(raw: &str) -> Schedule {
        Schedule::parse(raw).unwrap()
    }

    #[test]
    fn success_follows_the_schedule_but_honours_longer_freshness() {
        let t = no_jitter();
        let fresh = Freshness::default();
        assert_eq!(
            t.after_success(&every("every 10m"), Tz::UTC, now(), &fresh, "s"),
            now() + Span::minutes(10)
        );
        let cached = Freshness {
            fresh_until: Some(now() + Span::hours(2)),
            skip_hours: vec![],
        };
        assert_eq!(
            t.after_success(&every("every 10m"), Tz::UTC, now(), &cached, "s"),
            now() + Span::hours(2)
        );
        // A max-age of a year is capped at max_interval.
        let forever = Freshness {
            fresh_until: Some(now() + Span::days(365)),
            skip_hours: vec![],
        };
        assert_eq!(
            t.after_success(&every("every 10m"), Tz::UTC, now(), &forever, "s"),
            now() + Span::hours(24)
        );
    }

    #[test]
    fn never_sooner_than_the_minimum_interval() {
        let t = Timing {
            min_interval: Duration::from_secs(900),
            ..no_jitter()
        };
        let s = Schedule::parse("0 * * * * *").unwrap();
        assert_eq!(
            t.after_success(&s, Tz::UTC, now(), &Freshness::default(), "s"),
            now() + Span::minutes(15)
        );
    }

    #[test]
    fn skip_hours_move_the_poll_past_them() {
        let t = no_jitter();
        let f = Freshness {
            fresh_until: None,
            skip_hours: vec![10, 11, 12],
        };
        assert_eq!(
            t.after_success(&every("every 10m"), Tz::UTC, now(), &f, "s"),
            now() + Span::hours(3)
        );
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let t = no_jitter();
        let s = every("every 1m");
        let delays: Vec<i64> = (1..=5)
            .map(|n| (t.after_failure(&s, Tz::UTC, now(), n, None, "s") - now()).num_minutes())
            .collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16]);
        assert_eq!(
            t.after_failure(&s, Tz::UTC, now(), 40, None, "s"),
            now() + Span::hours(24)
        );
        // A longer schedule is never shortened by backoff.
        assert_eq!(
            t.after_failure(&every("every 1h"), Tz::UTC, now(), 1, None, "s"),
            now() + Span::hours(1)
        );
    }

    #[test]
    fn retry_after_is_honoured_within_bounds() {
        let t = no_jitter();
        let s = every("every 10m");
        assert_eq!(
            t.after_failure(&s, Tz::UTC, now(), 1, Some(Duration::from_secs(7200)), "s"),
            now() + Span::hours(2)
        );
        assert_eq!(
            t.after_failure(&s, Tz::UTC, now(), 1, Some(Duration::from_secs(5)), "s"),
            now() + Span::minutes(1)
        );
    }

    #[test]
    fn jitter_is_bounded_and_differs_between_sources() {
        let t = Timing::default();
        let s = every("every 10m");
        let a = t.after_success(&s, Tz::UTC, now(), &Freshness::default(), "a") - now();
        let b = t.after_success(&s, Tz::UTC, now(), &Freshness::default(), "b") - now();
        for d in [a, b] {
            assert!(
                d >= Span::minutes(10) && d < Span::minutes(10) + Span::seconds(30),
                "{d}"
            );
        }
        assert_ne!(a, b);
    }
}
