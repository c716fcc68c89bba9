//! Wall-clock time as the gateway stores it: unix milliseconds.

use chrono::{DateTime, TimeZone, Utc};

/// Now, in unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored timestamp as RFC 3339, for the API.
pub fn to_rfc3339(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t: DateTime<Utc>| t.to_rfc3339())
}
