//! Prometheus metrics, registered once and passed down (no global registry).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

mod exposition;
mod flood;
mod silence;

pub use exposition::Format;
pub use flood::{Flood, Until};
pub use silence::Silence;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelOutcome {
    channel: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelStatus {
    channel: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SendLabels {
    channel: String,
    outcome: &'static str,
    /// The provider's error code; empty when none.
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

/// The webhook routes whose answer time is measured.
#[derive(Debug, Clone, Copy)]
pub enum WebhookRoute {
    Sms,
    Status,
    Ussd,
}

const INBOUND_HELP: &str = "Inbound webhook messages by channel and outcome \
    (stored, duplicate, part, throttled, loop, unauthorized, malformed)";

/// Registers `metric` and hands back a handle to it (metrics are cheap shared handles).
fn registered<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

/// Every metric the gateway exposes on `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    inbound: Family<ChannelOutcome, Counter>,
    delivery_reports: Family<ChannelStatus, Counter>,
    /// Per route, looked up once: the family's lookup would cost on every request.
    sms_seconds: Histogram,
    status_seconds: Histogram,
    ussd_seconds: Histogram,
    batch_sizes: Histogram,
    database_bytes: Gauge,
    queue_depth: Family<ChannelStatus, Gauge>,
    send_seconds: Family<ChannelLabel, Histogram, fn() -> Histogram>,
    sends: Family<SendLabels, Counter>,
    channel_up: Family<ChannelLabel, Gauge>,
    incidents: Family<Kind, Counter>,
    alerts: Family<Kind, Counter>,
    first_alert_seconds: Histogram,
    ack_seconds: Histogram,
    escalations: Counter,
    alert_sweeps: Counter,
    flood: Flood,
    silence: Silence,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("vigie");
        let webhook_seconds = registered(
            &mut r,
            "webhook_duration_seconds",
            "Webhook answer time by route",
            Family::<Route, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram),
        );
        // One statement each: `get_or_create` returns a read guard, and a second call that
        // inserts needs the write lock.
        let sms_seconds = webhook_seconds
            .get_or_create(&Route { route: "sms" })
            .clone();
        let status_seconds = webhook_seconds
            .get_or_create(&Route { route: "status" })
            .clone();
        let ussd_seconds = webhook_seconds
            .get_or_create(&Route { route: "ussd" })
            .clone();
        Self {
            inbound: registered(&mut r, "inbound_messages", INBOUND_HELP, Family::default()),
            delivery_reports: registered(
                &mut r,
                "delivery_reports",
                "Delivery reports by channel and normalised status",
                Family::default(),
            ),
            sms_seconds,
            status_seconds,
            ussd_seconds,
            batch_sizes: registered(
                &mut r,
                "writer_batch_size",
                "Writes committed together in one transaction",
                Histogram::new(exponential_buckets(1.0, 2.0, 11)),
            ),
            database_bytes: registered(
                &mut r,
                "database_size_bytes",
                "Database and write-ahead log size on disk",
                Gauge::default(),
            ),
            queue_depth: registered(
                &mut r,
                "outbound_queue_depth",
                "Outbound messages waiting (queued) or being sent, by channel",
                Family::default(),
            ),
            send_seconds: registered(
                &mut r,
                "send_duration_seconds",
                "Provider send call time by channel",
                Family::new_with_constructor(latency_histogram),
            ),
            sends: registered(
                &mut r,
                "sends",
                "Send attempts by channel, outcome (sent, delivered, retry, rerouted, failed) \
                 and provider error code",
                Family::default(),
            ),
            channel_up: registered(
                &mut r,
                "channel_up",
                "1 while a channel takes sends, 0 while it is marked down",
                Family::default(),
            ),
            incidents: registered(
                &mut r,
                "incidents",
                "Reports filed by what they did: opened an incident or fused into one",
                Family::default(),
            ),
            alerts: registered(
                &mut r,
                "alerts_enqueued",
                "Alert SMS queued, by kind (alert, update, escalation)",
                Family::default(),
            ),
            first_alert_seconds: registered(
                &mut r,
                "first_alert_seconds",
                "Time from an incident being opened (its first report filed by the intake, \
                 not received: see alert_latency_seconds) to its first alert queued",
                // 10 ms to about 12 hours.
                Histogram::new(exponential_buckets(0.01, 4.0, 16)),
            ),
            ack_seconds: registered(
                &mut r,
                "acknowledgement_seconds",
                "Time from an incident's first alert to its first acknowledgement",
                // 10 s to about 11 hours.
                Histogram::new(exponential_buckets(10.0, 2.0, 13)),
            ),
            escalations: registered(
                &mut r,
                "escalations",
                "Unacknowledged alerts escalated a level",
                Counter::default(),
            ),
            alert_sweeps: registered(
                &mut r,
                "alert_sweeps",
                "Sweeps for due updates and escalations completed: flat means none are sent",
                Counter::default(),
            ),
            flood: Flood::register(&mut r),
            silence: Silence::register(&mut r),
            registry: r,
        }
    }

    /// Monitors overdue, zones quiet.
    pub fn silence(&self) -> &Silence {
        &self.silence
    }

    /// The alert latency and the intake's backlog.
    pub fn flood(&self) -> &Flood {
        &self.flood
    }

    /// A filed report opened an incident (`opened`) or joined one (`fused`).
    pub fn incident(&self, kind: &'static str) {
        self.incidents.get_or_create(&Kind { kind }).inc();
    }

    pub fn alerts_enqueued(&self, kind: &'static str, n: usize) {
        if n > 0 {
            self.alerts.get_or_create(&Kind { kind }).inc_by(n as u64);
        }
    }

    pub fn first_alert(&self, after_ms: i64) {
        self.first_alert_seconds
            .observe(after_ms.max(0) as f64 / 1000.0);
    }

    pub fn acknowledged(&self, after_ms: i64) {
        self.ack_seconds.observe(after_ms.max(0) as f64 / 1000.0);
    }

    pub fn escalated(&self) {
        self.escalations.inc();
    }

    pub fn alerts_swept(&self) {
        self.alert_sweeps.inc();
    }

    /// Sets the depth of every sending channel; statuses absent from `counts` are 0.
    pub fn queue_depth<'a>(
        &self,
        channels: impl Iterator<Item = &'a String>,
        counts: &[(String, String, i64)],
    ) {
        for channel in channels {
            for status in ["queued", "sending"] {
                let n = counts
                    .iter()
                    .find(|(c, s, _)| c == channel && s == status)
                    .map_or(0, |(_, _, n)| *n);
                let labels = ChannelStatus {
                    channel: channel.clone(),
                    status: status.to_owned(),
                };
                self.queue_depth.get_or_create(&labels).set(n);
            }
        }
    }

    pub fn send_latency(&self, channel: &str, seconds: f64) {
        let labels = ChannelLabel {
            channel: channel.to_owned(),
        };
        self.send_seconds.get_or_create(&labels).observe(seconds);
    }

    pub fn send_outcome(&self, channel: &str, outcome: &'static str, code: Option<&str>) {
        let labels = SendLabels {
            channel: channel.to_owned(),
            outcome,
            code: code.unwrap_or_default().to_owned(),
        };
        self.sends.get_or_create(&labels).inc();
    }

    pub fn channel_up(&self, channel: &str, up: bool) {
        let labels = ChannelLabel {
            channel: channel.to_owned(),
        };
        self.channel_up.get_or_create(&labels).set(i64::from(up));
    }

    pub fn inbound(&self, channel: &str, outcome: &'static str) {
        let labels = ChannelOutcome {
            channel: channel.to_owned(),
            outcome,
        };
        self.inbound.get_or_create(&labels).inc();
    }

    pub fn delivery_report(&self, channel: &str, status: &str) {
        let labels = ChannelStatus {
            channel: channel.to_owned(),
            status: status.to_owned(),
        };
        self.delivery_reports.get_or_create(&labels).inc();
    }

    pub fn webhook_latency(&self, route: WebhookRoute, seconds: f64) {
        match route {
            WebhookRoute::Sms => self.sms_seconds.observe(seconds),
            WebhookRoute::Status => self.status_seconds.observe(seconds),
            WebhookRoute::Ussd => self.ussd_seconds.observe(seconds),
        }
    }

    /// The histogram the store's writer records its batch sizes in.
    pub fn batch_sizes(&self) -> Histogram {
        self.batch_sizes.clone()
    }

    /// The exposition in `format`, with the database size read now.
    pub fn render(&self, database_bytes: u64, format: Format) -> String {
        self.database_bytes
            .set(i64::try_from(database_bytes).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        match format {
            Format::OpenMetrics => out,
            Format::Text004 => exposition::text_004(&out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_created_and_rendered() {
        let metrics = Metrics::new();
        metrics.inbound("sim", "stored");
        metrics.webhook_latency(WebhookRoute::Sms, 0.001);
        for format in [Format::Text004, Format::OpenMetrics] {
            let text = metrics.render(4096, format);
            assert!(
                text.contains(r#"vigie_inbound_messages_total{channel="sim",outcome="stored"} 1"#),
                "{text}"
            );
            assert!(text.contains("vigie_database_size_bytes 4096"), "{text}");
        }
    }
}
