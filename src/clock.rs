//! Wall-clock time as the gateway stores it: unix milliseconds. The gateway reads it from
//! one `Clock`, so a test can move time forward (an escalation deadline passes) without
//! waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// Now, in unix milliseconds, from the system clock.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The system clock, moved forward by what `advance` added (nothing, outside tests).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 2);
        self.ahead_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// A stored timestamp as RFC 3339, for the API.
pub fn to_rfc3339(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t: DateTime<Utc>| t.to_rfc3339())
}

/// When a message was sent, as far as we believe it: the provider's time (an SMSC may
/// deliver a message hours after it was sent), unless it is before 1970 or after the
/// message reached us (a clock ahead of ours, or a forged date): then when it reached us.
/// A report is dated from it, so no date read from it lies in the future.
pub fn sent_at(provider_ts: Option<i64>, received_at: i64) -> i64 {
    provider_ts
        .filter(|&ts| (0..=received_at).contains(&ts))
        .unwrap_or(received_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_time_is_believed_within_bounds() {
        let now = 1_800_000_000_000;
        let cases = [
            ("none", None, now),
            (
                "hours before",
                Some(now - 5 * 3_600_000),
                now - 5 * 3_600_000,
            ),
            ("as it arrived", Some(now), now),
            ("a second ahead", Some(now + 1_000), now),
            ("in 2099", Some(4_070_908_800_000), now),
            ("before 1970", Some(-8_334_632_851_200_000), now),
            ("the epoch", Some(0), 0),
        ];
        for (name, provider_ts, expected) in cases {
            assert_eq!(sent_at(provider_ts, now), expected, "{name}");
        }
    }
}
