//! How alerts fare under load: the time from an SMS reaching our webhook to its alert
//! queued and to the provider accepting it, and what the intake has still to read.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::registered;

/// Up to which step an alert's latency is measured.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Until {
    /// The alert is in the durable outbound queue.
    Queued,
    /// The provider accepted it.
    Accepted,
}

impl Until {
    fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Accepted => "accepted",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UntilLabel {
    until: &'static str,
}

/// The alert latency and the intake's backlog.
#[derive(Debug)]
pub struct Flood {
    queued: Histogram,
    accepted: Histogram,
    backlog: Gauge,
    oldest: Gauge<f64, AtomicU64>,
}

impl Flood {
    pub(super) fn register(r: &mut Registry) -> Self {
        let latency = registered(
            r,
            "alert_latency_seconds",
            "Time from the SMS that raised an incident's first alert reaching our webhook to \
             that alert queued (until=queued, once per alert) and to each of its SMS accepted \
             by the provider (until=accepted, once per recipient)",
            // 10 ms to about 11 minutes.
            Family::<UntilLabel, Histogram, fn() -> Histogram>::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.01, 2.0, 17))
            }),
        );
        let of = |until: Until| {
            let label = UntilLabel {
                until: until.label(),
            };
            latency.get_or_create(&label).clone()
        };
        let (queued, accepted) = (of(Until::Queued), of(Until::Accepted));
        Self {
            queued,
            accepted,
            backlog: registered(
                r,
                "intake_backlog",
                "Inbound messages stored and not read yet",
                Gauge::default(),
            ),
            oldest: registered(
                r,
                "intake_oldest_unread_seconds",
                "How long the oldest unread inbound message has waited (0: none)",
                Gauge::default(),
            ),
        }
    }

    pub fn alert_latency(&self, until: Until, after_ms: i64) {
        let seconds = after_ms.max(0) as f64 / 1000.0;
        match until {
            Until::Queued => self.queued.observe(seconds),
            Until::Accepted => self.accepted.observe(seconds),
        }
    }

    /// The backlog as read now: `unread` messages, the oldest waiting `oldest_ms`.
    pub fn backlog(&self, unread: i64, oldest_ms: Option<i64>) {
        self.backlog.set(unread);
        self.oldest
            .set(oldest_ms.map_or(0.0, |ms| ms.max(0) as f64 / 1000.0));
    }
}
