//! Commits a channel's send outcomes in batches: one transaction for up to `RECORD_MAX`
//! messages, each outcome turned into its transition (`decide`), reports that came early
//! applied once the provider's id is stored.
//!
//! An outcome that cannot be committed is tried again: a message the provider accepted
//! must not be left `sending`, to be sent a second time after a restart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Outbound;
use super::decide::{Attempt, decide};
use super::worker::Done;
use crate::clock;
use crate::provider::SendOutcome;
use crate::store::StoreError;
use crate::store::delivery::apply_pending;
use crate::store::outbound::{self as queries, Claimed, Transition};

/// Most outcomes committed in one write.
pub(super) const RECORD_MAX: usize = 512;
/// Tries at committing one batch before its messages are left to the claim timeout.
const COMMIT_TRIES: u32 = 8;

/// What to write for one claimed message.
#[derive(Debug, Clone)]
enum Step {
    Finish(Transition),
    /// Back to the queue; `uncount`: the attempt never started.
    Release {
        uncount: bool,
    },
}

/// Runs until every sender of the channel is done and the channel is closed.
pub(super) async fn record(out: Arc<Outbound>, channel: String, mut rx: mpsc::Receiver<Done>) {
    let mut buf = Vec::with_capacity(RECORD_MAX);
    while rx.recv_many(&mut buf, RECORD_MAX).await > 0 {
        let now = clock::now_ms();
        let steps: Vec<(Claimed, Step)> = buf.drain(..).map(|done| step(&out, done, now)).collect();
        let committed = commit_with_retries(&out, &channel, &steps, now).await;
        if let Some(lane) = out.lanes.get(&channel) {
            // Committed or given up: either way no longer this worker's to hold.
            lane.let_go(steps.iter().map(|(msg, _)| msg.id));
        }
        if !committed {
            continue;
        }
        for (_, step) in &steps {
            let Step::Finish(t) = step else { continue };
            let (outcome, code) = label(t);
            out.metrics.send_outcome(&channel, outcome, code);
            if let Transition::Reroute { channel: next, .. } = t {
                out.wake(next);
            }
        }
    }
}

fn step(out: &Outbound, done: Done, now: i64) -> (Claimed, Step) {
    match done {
        Done::Attempted(msg, outcome) => {
            let t = transition(out, &msg, outcome, now);
            (msg, Step::Finish(t))
        }
        Done::Abandoned { msg, started } => (msg, Step::Release { uncount: !started }),
    }
}

async fn commit_with_retries(
    out: &Outbound,
    channel: &str,
    steps: &[(Claimed, Step)],
    now: i64,
) -> bool {
    let mut wait = Duration::from_millis(100);
    for attempt in 1..=COMMIT_TRIES {
        let (id, for_write) = (channel.to_owned(), steps.to_vec());
        match out
            .store
            .write(move |c| commit(c, &id, &for_write, now))
            .await
        {
            Ok(()) => return true,
            Err(e) if attempt < COMMIT_TRIES => {
                tracing::warn!(%channel, error = %e, attempt, "cannot record send outcomes yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                // Left `sending`: no longer held, so the claim timeout queues them again.
                tracing::error!(%channel, error = %e, "send outcomes not recorded");
            }
        }
    }
    false
}

fn transition(out: &Outbound, msg: &Claimed, outcome: SendOutcome, now: i64) -> Transition {
    let age_ms = u64::try_from(now - msg.created_at).unwrap_or(0);
    let attempt = Attempt {
        attempts: msg.attempts,
        age: Duration::from_millis(age_ms),
        fallbacks: &msg.fallbacks,
        now_ms: now,
    };
    decide(outcome, attempt, &out.policy, fastrand::f64())
}

fn commit(
    conn: &rusqlite::Connection,
    channel: &str,
    steps: &[(Claimed, Step)],
    now: i64,
) -> Result<(), StoreError> {
    for (msg, step) in steps {
        let t = match step {
            Step::Finish(t) => t,
            Step::Release { uncount } => {
                queries::unclaim(conn, msg.id, msg.claimed_at, *uncount, now)?;
                continue;
            }
        };
        if queries::finish(conn, msg, t, now)? {
            // Reports that came while the attempt ran: a `delivered` one even beats a
            // failure, a `sent` one stops a retry of an attempt we thought lost.
            let provider_id = match t {
                Transition::Sent {
                    provider_message_id,
                    ..
                } => provider_message_id.as_deref(),
                _ => None,
            };
            apply_pending(conn, channel, msg.id, provider_id, now)?;
        }
    }
    Ok(())
}

/// A transition as the sends metric counts it.
fn label(t: &Transition) -> (&'static str, Option<&str>) {
    match t {
        Transition::Sent { .. } => ("sent", None),
        Transition::Delivered => ("delivered", None),
        Transition::Retry { code, .. } => ("retry", code.as_deref()),
        Transition::Reroute { code, .. } => ("rerouted", code.as_deref()),
        Transition::Failed { code, .. } => ("failed", code.as_deref()),
    }
}
