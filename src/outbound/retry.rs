//! When to try a failed send again: exponential backoff with jitter, the provider's
//! `Retry-After` honoured, and a give-up rule on attempts and age. Pure: the caller brings
//! the clock and the random draw, so every rule is a table test.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    /// No delay is longer than this (a `Retry-After` included).
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// A message older than this is not retried: an alert hours late misleads.
    pub max_age: Duration,
    /// Each delay is spread by up to this fraction either way, so a provider outage does
    /// not end with every queued message retried in the same second.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
            max_attempts: 8,
            max_age: Duration::from_secs(6 * 3600),
            jitter: 0.2,
        }
    }
}

/// What a failed attempt calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this delay.
    RetryIn(Duration),
    /// Stop: the message is failed.
    GiveUp(GiveUpReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUpReason {
    TooManyAttempts,
    TooOld,
}

impl RetryPolicy {
    /// After `attempts` failed attempts of a message `age` old: retry when, or give up.
    /// `retry_after` is the provider's own ask; `draw` is uniform in [0, 1).
    pub fn decide(
        &self,
        attempts: u32,
        age: Duration,
        retry_after: Option<Duration>,
        draw: f64,
    ) -> Decision {
        if attempts >= self.max_attempts {
            return Decision::GiveUp(GiveUpReason::TooManyAttempts);
        }
        let delay = retry_after.map_or_else(
            || self.backoff(attempts, draw),
            |asked| asked.min(self.max_delay),
        );
        if age + delay > self.max_age {
            return Decision::GiveUp(GiveUpReason::TooOld);
        }
        Decision::RetryIn(delay)
    }

    /// `base × 2^(attempts−1)`, capped, spread by the jitter.
    fn backoff(&self, attempts: u32, draw: f64) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1 << doublings).min(self.max_delay);
        let spread = 1.0 + self.jitter * (2.0 * draw.clamp(0.0, 1.0) - 1.0);
        raw.mul_f64(spread).min(self.max_delay)
    }
}

/// Reads an HTTP `Retry-After` header: delay-seconds or an HTTP date, from `now`. A date
/// already past and anything unreadable are `None` (the backoff applies).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    // A date already past (or clocks that disagree) leaves the backoff in charge.
    (at.with_timezone(&Utc) - now)
        .to_std()
        .ok()
        .filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn decisions_follow_backoff_retry_after_and_limits() {
        let policy = RetryPolicy {
            jitter: 0.0,
            max_attempts: 12,
            ..RetryPolicy::default()
        };
        let cases = [
            (
                "first failure waits the base",
                1,
                S(0),
                None,
                Decision::RetryIn(S(5)),
            ),
            ("then doubles", 2, S(10), None, Decision::RetryIn(S(10))),
            (
                "and doubles again",
                4,
                S(60),
                None,
                Decision::RetryIn(S(40)),
            ),
            (
                "capped at max_delay",
                9,
                S(600),
                None,
                Decision::RetryIn(S(600)),
            ),
            (
                "retry-after honoured",
                1,
                S(0),
                Some(S(30)),
                Decision::RetryIn(S(30)),
            ),
            (
                "retry-after capped",
                1,
                S(0),
                Some(S(7200)),
                Decision::RetryIn(S(600)),
            ),
            (
                "attempts exhausted",
                12,
                S(60),
                None,
                Decision::GiveUp(GiveUpReason::TooManyAttempts),
            ),
            (
                "too old to matter",
                2,
                S(6 * 3600 - 5),
                None,
                Decision::GiveUp(GiveUpReason::TooOld),
            ),
        ];
        for (name, attempts, age, retry_after, expected) in cases {
            assert_eq!(
                policy.decide(attempts, age, retry_after, 0.5),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn jitter_spreads_within_its_fraction() {
        let policy = RetryPolicy::default();
        for (draw, expected) in [(0.0, 4.0), (0.5, 5.0), (0.999_999, 6.0)] {
            let Decision::RetryIn(delay) = policy.decide(1, S(0), None, draw) else {
                panic!("{draw}")
            };
            assert!(
                (delay.as_secs_f64() - expected).abs() < 0.01,
                "draw {draw}: {delay:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cases = [
            (" 120 ", Some(S(120))),
            ("Wed, 21 Oct 2026 07:28:00 GMT", Some(S(60))),
            ("Wed, 21 Oct 2026 07:00:00 GMT", None),
            ("-1", None),
            ("soon", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), expected, "{value}");
        }
    }
}
