//! One attempt at sending a claimed message, in its own task: the provider's answer, or
//! shutdown's grace running out, becomes what the recorder commits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use super::Outbound;
use super::health::Change;
use super::worker::Done;
use crate::gsm7::Encoding;
use crate::provider::{Channel, Outgoing, SendOutcome};
use crate::store::outbound::Claimed;

/// One attempt, in its own task.
pub(super) struct SendTask {
    pub(super) out: Arc<Outbound>,
    pub(super) channel: Arc<Channel>,
    pub(super) tx: mpsc::Sender<Done>,
    pub(super) shutdown: CancellationToken,
}

impl SendTask {
    pub(super) async fn run(self, msg: Claimed, permit: OwnedSemaphorePermit) {
        let outgoing = Outgoing {
            id: msg.id,
            to: msg.recipient.clone(),
            text: msg.text.clone(),
            encoding: if msg.encoding == "ucs2" {
                Encoding::Ucs2
            } else {
                Encoding::Gsm7
            },
        };
        let started = Instant::now();
        // After shutdown, an attempt gets the grace period to finish, then is abandoned.
        let grace = self.out.shutdown_grace;
        let deadline = async {
            self.shutdown.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let outcome = tokio::select! {
            outcome = self.out.client.send(&self.channel, &outgoing) => Some(outcome),
            () = deadline => None,
        };
        // Observed before the slot is freed: a pause the provider asked for is in force
        // before the next message can take the slot.
        if let Some(outcome) = &outcome {
            self.observe(outcome, started.elapsed());
        }
        drop(permit);
        let done = match outcome {
            Some(outcome) => Done::Attempted(msg, outcome),
            None => Done::Abandoned { msg, started: true },
        };
        let _ = self.tx.send(done).await;
    }

    fn observe(&self, outcome: &SendOutcome, took: Duration) {
        let id = &self.channel.id;
        self.out.metrics.send_latency(id, took.as_secs_f64());
        let Some(lane) = self.out.lanes.get(id) else {
            return;
        };
        match lane.health.record(outcome, Instant::now()) {
            Some(Change::Down) => {
                tracing::warn!(channel = %id, "channel down after repeated transport failures");
                self.out.metrics.channel_up(id, false);
            }
            Some(Change::Up) => {
                tracing::info!(channel = %id, "channel up again");
                self.out.metrics.channel_up(id, true);
            }
            None => {}
        }
    }
}
