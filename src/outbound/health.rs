//! Whether a channel is up: down after N transport failures in a row, up again after any
//! answer from the provider (the worker probes a down channel with one message at a time).
//! Also the pause a throttling provider asked for.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::provider::SendOutcome;

/// Longest a throttling provider holds the channel; a longer ask is honoured by the
/// throttled message's own retry time, while the rest of the queue goes on at a slower pace.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// A change worth logging and exporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Down,
    Up,
}

#[derive(Debug)]
pub struct Health {
    threshold: u32,
    failures: AtomicU32,
    down: AtomicBool,
    paused_until: Mutex<Option<Instant>>,
    /// Set by a throttling answer, taken by the worker to slow its pace.
    throttled: AtomicBool,
}

impl Health {
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold,
            failures: AtomicU32::new(0),
            down: AtomicBool::new(false),
            paused_until: Mutex::new(None),
            throttled: AtomicBool::new(false),
        }
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// Counts an attempt's outcome; says when the channel went down or came back.
    pub fn record(&self, outcome: &SendOutcome, now: Instant) -> Option<Change> {
        let transport = match outcome {
            SendOutcome::Retry(f) => {
                if f.throttled {
                    self.throttled.store(true, Ordering::Relaxed);
                    let asked = f.retry_after.unwrap_or(Duration::from_secs(1));
                    self.pause_until(now + asked.min(MAX_PAUSE));
                }
                f.transport
            }
            _ => false,
        };
        if transport {
            let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            let went_down = failures >= self.threshold && !self.down.swap(true, Ordering::Relaxed);
            return went_down.then_some(Change::Down);
        }
        self.failures.store(0, Ordering::Relaxed);
        self.down
            .swap(false, Ordering::Relaxed)
            .then_some(Change::Up)
    }

    fn pause_until(&self, until: Instant) {
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        }
    }

    /// Whether a throttling answer came since the last call.
    pub fn take_throttled(&self) -> bool {
        self.throttled.swap(false, Ordering::Relaxed)
    }

    /// How long the provider asked us to hold off, from `now`.
    pub fn pause_left(&self, now: Instant) -> Option<Duration> {
        let paused = self.paused_until.lock().ok()?;
        paused
            .and_then(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{Failure, Fault};

    #[test]
    fn down_after_consecutive_transport_failures_up_after_an_answer() {
        let transport = SendOutcome::Retry(Failure {
            transport: true,
            ..Failure::new("timeout", None)
        });
        let throttled = SendOutcome::Retry(Failure {
            throttled: true,
            ..Failure::new("429", None)
        });
        let rejected = SendOutcome::Rejected {
            failure: Failure::new("bad number", None),
            fault: Fault::Number,
        };
        let accepted = SendOutcome::Accepted {
            provider_message_id: None,
            provider_status: None,
        };
        let steps = [
            (&transport, None, false),
            (&transport, None, false),
            (&accepted, None, false),
            (&transport, None, false),
            (&transport, None, false),
            (&transport, Some(Change::Down), true),
            (&transport, None, true),
            (&throttled, Some(Change::Up), false),
            (&transport, None, false),
            (&rejected, None, false),
        ];
        let health = Health::new(3);
        let now = Instant::now();
        for (i, (outcome, change, down)) in steps.into_iter().enumerate() {
            assert_eq!(health.record(outcome, now), change, "step {i}");
            assert_eq!(health.is_down(), down, "step {i}");
        }
    }

    #[test]
    fn throttling_pauses_the_channel_for_what_it_asked() {
        let health = Health::new(3);
        let now = Instant::now();
        let asked = SendOutcome::Retry(Failure {
            throttled: true,
            retry_after: Some(Duration::from_secs(5)),
            ..Failure::new("429", None)
        });
        assert_eq!(health.pause_left(now), None);
        health.record(&asked, now);
        assert!(health.take_throttled());
        assert!(!health.take_throttled(), "taken once");
        assert_eq!(health.pause_left(now), Some(Duration::from_secs(5)));
        assert_eq!(health.pause_left(now + Duration::from_secs(6)), None);
        let an_hour = SendOutcome::Retry(Failure {
            throttled: true,
            retry_after: Some(Duration::from_secs(3600)),
            ..Failure::new("429", None)
        });
        health.record(&an_hour, now);
        assert_eq!(health.pause_left(now), Some(MAX_PAUSE), "held at most 30 s");
    }
}
