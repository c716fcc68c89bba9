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
