//! Silence as the sweep last saw it: monitors overdue, zones quiet, and the sweep itself.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::registered;

/// The silence sweep's gauges.
#[derive(Debug)]
pub struct Silence {
    overdue: Gauge,
    open: Gauge,
    sweeps: Counter,
    seconds: Histogram,
}

impl Silence {
    pub(super) fn register(r: &mut Registry) -> Self {
        Self {
            overdue: registered(
                r,
                "monitors_overdue",
                "Monitors past their cadence and grace with no sign of life",
                Gauge::default(),
            ),
            open: registered(
                r,
                "silences_open",
                "Zones gone quiet: silences open",
                Gauge::default(),
            ),
            sweeps: registered(
                r,
                "silence_sweeps",
                "Silence sweeps done",
                Counter::default(),
            ),
            seconds: registered(
                r,
                "silence_sweep_seconds",
                "Time a silence sweep takes",
                // 1 ms to about 16 s.
                Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            ),
        }
    }

    /// A sweep found `overdue` monitors and left `open` silences open, in `took`.
    pub fn swept(&self, overdue: usize, open: usize, took: Duration) {
        self.overdue.set(i64::try_from(overdue).unwrap_or(i64::MAX));
        self.open.set(i64::try_from(open).unwrap_or(i64::MAX));
        self.sweeps.inc();
        self.seconds.observe(took.as_secs_f64());
    }
}
