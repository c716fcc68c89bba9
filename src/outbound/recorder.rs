//! Commits a channel's send outcomes in batches: one transaction for up to `RECORD_MAX`
//! messages, each outcome turned into its transition (`decide`), reports that came early
//! applied once the provider's id is stored.
//!
//! An outcome that cannot be committed is tried again, then alone: a message the provider
//! accepted must not go back to the queue and out a second time. One still not committed
//! (the database away for a while) is kept, held, and tried again with the next batch or
//! after `RETRY_KEPT`, until it is: the message is neither left `sending` for the rest of
//! the run nor, after a restart, sent twice.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Outbound;
use super::decide::{Attempt, decide};
use super::worker::Done;
use crate::metrics::Until;
use crate::provider::SendOutcome;
use crate::store::StoreError;
use crate::store::db::Db;
use crate::store::delivery::{any_pending, apply_pending};
use crate::store::outbound::{self as queries, Claimed, Transition};

/// Most outcomes committed in one write.
pub(super) const RECORD_MAX: usize = 512;
/// Tries at committing one batch before its outcomes are committed one by one.
const COMMIT_TRIES: u32 = 8;
/// How long outcomes not committed yet wait to be tried again when no new one comes.
const RETRY_KEPT: Duration = Duration::from_secs(2);

/// What to write for one claimed message.
#[derive(Debug, Clone)]
enum Step {
    /// The attempt's end, as the provider answered at `at` (unix ms): a kept outcome is
    /// dated when it happened, not when it could be written.
    Finish { t: Transition, at: i64 },
    /// Back to the queue; `uncount`: the attempt never started.
    Release { uncount: bool },
}

impl Step {
    /// Whether the message may be sent again if this step is never recorded.
    fn releasable(&self) -> bool {
        matches!(
            self,
            Self::Release { .. }
                | Self::Finish {
                    t: Transition::Retry { .. } | Transition::Reroute { .. },
                    ..
                }
        )
    }
}

/// Runs until every sender of the channel is done and the channel is closed.
pub(super) async fn record(out: Arc<Outbound>, channel: String, mut rx: mpsc::Receiver<Done>) {
    let mut buf = Vec::with_capacity(RECORD_MAX);
    let mut kept: Vec<(Claimed, Step)> = Vec::new();
    loop {
        let closed = if kept.is_empty() {
            rx.recv_many(&mut buf, RECORD_MAX).await == 0
        } else {
            // Kept outcomes are tried again even if no new one comes.
            let more = tokio::time::timeout(RETRY_KEPT, rx.recv_many(&mut buf, RECORD_MAX));
            more.await.is_ok_and(|n| n == 0)
        };
        if closed && kept.is_empty() {
            return;
        }
        let now = out.store.now_ms();
        let mut steps = std::mem::take(&mut kept);
        steps.extend(buf.drain(..).map(|done| step(&out, done, now)));
        let committed = persist(&out, &channel, &steps, now).await;
        settle(&out, &channel, &steps, &committed);
        kept = steps
            .into_iter()
            .zip(committed)
            .filter(|((_, step), ok)| !ok && !step.releasable())
            .map(|(step, _)| step)
            .collect();
        if closed {
            if !kept.is_empty() {
                tracing::error!(%channel, left = kept.len(), "send outcomes not recorded at shutdown; those messages are sent again after a restart");
            }
            return;
        }
    }
}

/// What the committed steps change in memory: their claims let go (and those of retries
/// and releases left to the claim timeout), and the outcomes counted.
fn settle(out: &Outbound, channel: &str, steps: &[(Claimed, Step)], committed: &[bool]) {
    let outcomes = steps.iter().zip(committed);
    if let Some(lane) = out.lanes.get(channel) {
        // An unrecorded send the provider took stays held (and kept), so it is not sent
        // again in this run; an unrecorded retry or release goes back by the claim timeout.
        let done = outcomes
            .clone()
            .filter(|((_, step), ok)| **ok || step.releasable());
        lane.let_go(done.map(|((msg, _), _)| msg.id));
    }
    for ((msg, step), ok) in outcomes {
        let (Step::Finish { t, at }, true) = (step, ok) else {
            continue;
        };
        let (outcome, code) = label(t);
        out.metrics.send_outcome(channel, outcome, code);
        if let (Transition::Sent { .. }, Some(arrived)) = (t, msg.arrived_at) {
            let latency = at.saturating_sub(arrived);
            out.metrics.flood().alert_latency(Until::Accepted, latency);
        }
    }
}

/// Commits the batch; if it keeps failing, each step alone, so one bad step does not sink
/// the others. Says which steps are committed.
async fn persist(out: &Outbound, channel: &str, steps: &[(Claimed, Step)], now: i64) -> Vec<bool> {
    if try_commit(out, channel, steps, now, COMMIT_TRIES).await {
        return vec![true; steps.len()];
    }
    let mut committed = Vec::with_capacity(steps.len());
    for step in steps {
        committed.push(try_commit(out, channel, std::slice::from_ref(step), now, 2).await);
    }
    committed
}

fn step(out: &Outbound, done: Done, now: i64) -> (Claimed, Step) {
    match done {
        Done::Attempted(msg, outcome) => {
            let t = transition(out, &msg, outcome, now);
            (msg, Step::Finish { t, at: now })
        }
        Done::Abandoned { msg, started } => (msg, Step::Release { uncount: !started }),
    }
}

async fn try_commit(
    out: &Outbound,
    channel: &str,
    steps: &[(Claimed, Step)],
    now: i64,
    tries: u32,
) -> bool {
    let mut wait = Duration::from_millis(100);
    for attempt in 1..=tries {
        let (id, for_write) = (channel.to_owned(), steps.to_vec());
        match out
            .store
            .write(move |c| commit(c, &id, &for_write, now))
            .await
        {
            Ok(()) => return true,
            Err(e) if attempt < tries => {
                tracing::warn!(%channel, error = %e, attempt, "cannot record send outcomes yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => tracing::error!(%channel, error = %e, "send outcomes not recorded yet"),
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
    conn: &Db<'_>,
    channel: &str,
    steps: &[(Claimed, Step)],
    now: i64,
) -> Result<(), StoreError> {
    let early_reports = any_pending(conn, channel)?;
    for (msg, step) in steps {
        let (t, at) = match step {
            Step::Finish { t, at } => (t, *at),
            Step::Release { uncount } => {
                queries::unclaim(conn, msg.id, msg.claimed_at, *uncount, now)?;
                continue;
            }
        };
        if queries::finish(conn, msg, t, at)? && early_reports {
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
