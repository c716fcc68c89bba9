//! Commits a channel's send outcomes in batches: one transaction for up to `RECORD_MAX`
//! messages, each outcome turned into its transition (`decide`), reports that came early
//! applied once the provider's id is stored.
//!
//! An outcome that cannot be committed is tried again, then alone: a message the provider
//! accepted must not go back to the queue and out a second time. One still not committed
//! (the database away for a while) is kept, its message held, and tried again apart from
//! the batches (`Kept`), so that the message does not stay `sending` for the rest of the
//! run and go out again after a restart. A bug that fails it every time, or `KEEP_FOR`
//! without success, ends the tries: the message then stays `sending` until its claim is
//! released (a restart, another node taking the channel), and goes out again.

use std::sync::Arc;
use std::time::{Duration, Instant};

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
/// How often kept outcomes are tried again, each alone.
const RETRY_KEPT: Duration = Duration::from_secs(2);
/// How long an outcome is kept: a database away longer than this has bigger troubles.
const KEEP_FOR: Duration = Duration::from_secs(600);

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
    let mut kept = Kept::default();
    loop {
        let closed = match kept.next_try {
            None => rx.recv_many(&mut buf, RECORD_MAX).await == 0,
            // Kept outcomes are tried again even if no new one comes.
            Some(at) => tokio::time::timeout_at(at, rx.recv_many(&mut buf, RECORD_MAX))
                .await
                .is_ok_and(|n| n == 0),
        };
        if !buf.is_empty() {
            let now = out.store.now_ms();
            let steps: Vec<(Claimed, Step)> =
                buf.drain(..).map(|done| step(&out, done, now)).collect();
            let committed = persist(&out, &channel, &steps, now).await;
            settle(&out, &channel, &steps, &committed);
            kept.add(steps, &committed);
        }
        if kept.is_due() || closed {
            kept.try_again(&out, &channel).await;
        }
        if closed {
            if !kept.is_empty() {
                tracing::error!(%channel, left = kept.len(), "send outcomes not recorded as the sender stopped; their messages go out again once their claims are released");
            }
            return;
        }
    }
}

/// Outcomes not committed with their batch, tried again each alone every `RETRY_KEPT`.
#[derive(Default)]
struct Kept {
    steps: Vec<(Claimed, Step, Instant)>,
    /// When they are next tried; `None` when none is kept.
    next_try: Option<tokio::time::Instant>,
}

impl Kept {
    fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    fn len(&self) -> usize {
        self.steps.len()
    }

    fn is_due(&self) -> bool {
        self.next_try
            .is_some_and(|at| at <= tokio::time::Instant::now())
    }

    /// Keeps the steps not committed that must not be sent again (retries and releases
    /// go back by the claim timeout).
    fn add(&mut self, steps: Vec<(Claimed, Step)>, committed: &[bool]) {
        let since = Instant::now();
        let unrecorded = steps.into_iter().zip(committed);
        self.steps.extend(
            unrecorded
                .filter(|((_, step), ok)| !**ok && !step.releasable())
                .map(|((msg, step), _)| (msg, step, since)),
        );
        if self.next_try.is_none() && !self.is_empty() {
            self.next_try = Some(tokio::time::Instant::now() + RETRY_KEPT);
        }
    }

    /// Tries each kept step once, alone; keeps those still worth trying.
    async fn try_again(&mut self, out: &Outbound, channel: &str) {
        let now = out.store.now_ms();
        let mut failed = None;
        for (msg, step, since) in std::mem::take(&mut self.steps) {
            let one = [(msg, step)];
            let tried = try_commit(out, channel, &one, now, 1).await;
            let [(msg, step)] = one;
            match tried {
                Ok(()) => settle(out, channel, &[(msg, step)], &[true]),
                Err(e) if worth_trying(&e, since.elapsed()) => {
                    self.steps.push((msg, step, since));
                    failed = Some(e);
                }
                Err(e) => {
                    tracing::error!(%channel, error = %e, "a send outcome given up; its message goes out again once its claim is released");
                }
            }
        }
        if let Some(e) = failed {
            tracing::warn!(%channel, error = %e, kept = self.len(), "kept send outcomes not recorded yet");
        }
        self.next_try = (!self.is_empty()).then(|| tokio::time::Instant::now() + RETRY_KEPT);
    }
}

/// Whether an outcome the database refused is worth trying again: not after a bug (it
/// fails again), not after `KEEP_FOR`.
fn worth_trying(error: &StoreError, kept_for: Duration) -> bool {
    !matches!(error, StoreError::Panicked(_)) && kept_for < KEEP_FOR
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
        // Delivered at once (the sim, some gateways) is accepted too.
        let accepted = matches!(t, Transition::Sent { .. } | Transition::Delivered);
        if let (true, Some(arrived)) = (accepted, msg.arrived_at) {
            let latency = at.saturating_sub(arrived);
            out.metrics.flood().alert_latency(Until::Accepted, latency);
        }
    }
}

/// Commits the batch; if it keeps failing, each step alone, so one bad step does not sink
/// the others. Says which steps are committed.
async fn persist(out: &Outbound, channel: &str, steps: &[(Claimed, Step)], now: i64) -> Vec<bool> {
    if try_commit(out, channel, steps, now, COMMIT_TRIES)
        .await
        .is_ok()
    {
        return vec![true; steps.len()];
    }
    let mut committed = Vec::with_capacity(steps.len());
    for step in steps {
        let alone = try_commit(out, channel, std::slice::from_ref(step), now, 2).await;
        if let Err(e) = &alone {
            tracing::error!(%channel, error = %e, "a send outcome not recorded with its batch");
        }
        committed.push(alone.is_ok());
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
) -> Result<(), StoreError> {
    let mut wait = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        let (id, for_write) = (channel.to_owned(), steps.to_vec());
        let written = out
            .store
            .write(move |c| commit(c, &id, &for_write, now))
            .await;
        match written {
            Err(e) if attempt < tries => {
                tracing::warn!(%channel, error = %e, attempt, "cannot record send outcomes yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(e) => return Err(e),
            Ok(()) => return Ok(()),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_tried_again_while_the_fault_may_pass() {
        let minute = Duration::from_secs(60);
        let cases = [
            (StoreError::Unavailable("down".into()), minute, true),
            (StoreError::Sqlite("disk full".into()), minute, true),
            (StoreError::Conflict, minute, true),
            (StoreError::Sqlite("disk full".into()), KEEP_FOR, false),
            (
                StoreError::Panicked("a write job".into()),
                Duration::ZERO,
                false,
            ),
        ];
        for (error, kept_for, expected) in cases {
            assert_eq!(
                worth_trying(&error, kept_for),
                expected,
                "{error} after {kept_for:?}"
            );
        }
    }
}
