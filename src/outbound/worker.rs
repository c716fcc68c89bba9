//! One channel's sender: claims due messages, takes those it was handed claimed as they
//! were queued (`Lane::hand`), sends each within the channel's rate and in-flight limits,
//! and hands outcomes to a recorder that commits them in batches.
//!
//! A message is `sending` from its claim until its outcome is committed. A crash anywhere
//! in between leaves it `sending`, and start-up queues it again: at least once, with our id
//! given to the providers that take a client reference.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::attempt::SendTask;
use super::pace::Pace;
use super::recorder::{self, RECORD_MAX};
use super::{Lane, Outbound};
use crate::provider::{Channel, SendOutcome};
use crate::store::outbound::{self as queries, Claimed};

/// An idle worker looks for due messages (retries coming due) this often.
const POLL: Duration = Duration::from_millis(500);
/// Most messages claimed at once; fewer on slow channels, so an alert queued meanwhile
/// does not wait behind a long claimed batch.
const CLAIM_MAX: usize = 256;

/// What became of a claimed message.
pub(super) enum Done {
    Attempted(Claimed, SendOutcome),
    /// Shutdown came before the attempt finished: back to the queue. `started`: the request
    /// may have reached the provider, so the attempt still counts.
    Abandoned {
        msg: Claimed,
        started: bool,
    },
}

pub(super) struct Worker {
    out: Arc<Outbound>,
    channel: Arc<Channel>,
}

impl Worker {
    pub(super) fn new(out: Arc<Outbound>, channel: Arc<Channel>) -> Self {
        Self { out, channel }
    }

    fn lane(&self) -> Option<&Lane> {
        self.out.lanes.get(&self.channel.id).map(|l| &**l)
    }

    pub(super) async fn run(self, shutdown: CancellationToken) {
        let (tx, rx) = mpsc::channel(RECORD_MAX * 2);
        let recorder = tokio::spawn(recorder::record(
            Arc::clone(&self.out),
            self.channel.id.clone(),
            rx,
        ));
        let sends = TaskTracker::new();
        self.claim_loop(&tx, &sends, &shutdown).await;
        sends.close();
        sends.wait().await;
        drop(tx);
        if recorder.await.is_err() {
            tracing::error!(channel = %self.channel.id, "outcome recorder failed");
        }
        tracing::debug!(channel = %self.channel.id, "sender stopped");
    }

    async fn claim_loop(
        &self,
        tx: &mpsc::Sender<Done>,
        sends: &TaskTracker,
        shutdown: &CancellationToken,
    ) {
        let settings = &self.channel.send;
        let mut pace = Pace::new(settings.rate, Instant::now());
        let in_flight = Arc::new(Semaphore::new(settings.max_in_flight as usize));
        let mut next_probe = Instant::now();
        if let Some(lane) = self.lane() {
            lane.runs();
        }
        while !shutdown.is_cancelled() {
            if tx.is_closed() {
                tracing::error!(channel = %self.channel.id, "outcome recorder gone: sending stops");
                return;
            }
            if self.wait_out_pause(&mut pace, shutdown).await {
                continue;
            }
            self.give_back_if_down(tx).await;
            let limit = match self.capacity(pace.batch(CLAIM_MAX), &mut next_probe).await {
                Some(limit) => limit,
                None => {
                    self.idle(
                        shutdown,
                        next_probe.saturating_duration_since(Instant::now()),
                    )
                    .await;
                    continue;
                }
            };
            let claimed = self.claim_with_handed(limit, tx).await;
            if claimed.is_empty() {
                self.idle(shutdown, POLL).await;
                continue;
            }
            let dispatch = Dispatch {
                tx,
                sends,
                shutdown,
                in_flight: &in_flight,
                pace: &mut pace,
            };
            self.dispatch(claimed, dispatch).await;
        }
    }

    /// While the channel is down, what it was handed goes back to the queue, to move on to
    /// its fallbacks like the rest.
    async fn give_back_if_down(&self, tx: &mpsc::Sender<Done>) {
        let Some(lane) = self.lane().filter(|l| l.health.is_down()) else {
            return;
        };
        give_back(tx, lane.take_handed(usize::MAX)).await;
    }

    /// How many to claim now: the batch, or while the channel is down a single probe when
    /// one is due (its queued messages with fallbacks having moved on).
    async fn capacity(&self, batch: usize, next_probe: &mut Instant) -> Option<usize> {
        let lane = self.lane()?;
        if !lane.health.is_down() {
            return Some(batch);
        }
        self.move_to_fallbacks().await;
        let now = Instant::now();
        if now < *next_probe {
            return None;
        }
        *next_probe = now + self.out.probe_every;
        Some(1)
    }

    async fn move_to_fallbacks(&self) {
        let channel = self.channel.id.clone();
        let now = self.out.store.now_ms();
        let moved = self
            .out
            .store
            .write(move |c| queries::reroute_queued(c, &channel, now, CLAIM_MAX))
            .await;
        match moved {
            Ok(moved) => {
                if !moved.is_empty() {
                    tracing::info!(channel = %self.channel.id, moved = moved.len(), "channel down: messages moved to fallbacks");
                }
            }
            Err(e) => {
                tracing::error!(channel = %self.channel.id, error = %e, "cannot move messages to fallbacks")
            }
        }
    }

    async fn idle(&self, shutdown: &CancellationToken, wait: Duration) {
        let Some(lane) = self.lane() else { return };
        tokio::select! {
            () = lane.wake.notified() => {}
            () = tokio::time::sleep(wait.min(POLL)) => {}
            () = shutdown.cancelled() => {}
        }
    }

    /// Claims due messages and adds all it was handed; the `limit` most urgent are sent. Of
    /// the rest, what it was handed stays in hand, first in line, and what it claimed goes
    /// back to the queue, where the upkeep still sees it. So a reply handed while a
    /// broadcast fills the queue waits for one batch, not for all of it, and is never sent
    /// after a later one.
    async fn claim_with_handed(&self, limit: usize, tx: &mpsc::Sender<Done>) -> Vec<Claimed> {
        let mut claimed = self.claim(limit).await;
        let Some(lane) = self.lane() else {
            return claimed;
        };
        let handed = lane.take_handed(usize::MAX);
        if handed.is_empty() {
            return claimed;
        }
        let from_queue: HashSet<i64> = claimed.iter().map(|c| c.id).collect();
        claimed.extend(handed);
        claimed.sort_by_key(|c| (c.priority, c.id));
        if claimed.len() > limit {
            let (back, kept): (Vec<_>, Vec<_>) = claimed
                .split_off(limit)
                .into_iter()
                .partition(|c| from_queue.contains(&c.id));
            lane.hand_back(kept);
            give_back(tx, back).await;
        }
        claimed
    }

    /// Claims due messages; a quick read first, so an idle channel never takes the writer.
    async fn claim(&self, limit: usize) -> Vec<Claimed> {
        let now = self.out.store.now_ms();
        if !self.lane().is_some_and(|l| l.owns(now)) {
            return Vec::new();
        }
        let channel = self.channel.id.clone();
        let due = self
            .out
            .store
            .read(move |c| queries::has_due(c, &channel, now))
            .await;
        if !matches!(due, Ok(true)) {
            if let Err(e) = due {
                tracing::error!(channel = %self.channel.id, error = %e, "cannot read the queue");
            }
            return Vec::new();
        }
        let channel = self.channel.id.clone();
        match self
            .out
            .store
            .write(move |c| queries::claim(c, &channel, now, limit))
            .await
        {
            Ok(claimed) => {
                if let Some(lane) = self.lane() {
                    lane.hold(claimed.iter().map(|c| c.id));
                }
                claimed
            }
            Err(e) => {
                tracing::error!(channel = %self.channel.id, error = %e, "cannot claim messages");
                Vec::new()
            }
        }
    }

    /// Nothing is claimed while the provider asks us to hold off, so what is due when the
    /// pause ends goes out in priority order, alerts first; and the first claim after it
    /// is sized for the slower pace. Says whether it waited.
    async fn wait_out_pause(&self, pace: &mut Pace, shutdown: &CancellationToken) -> bool {
        let Some(pause) = self.pause_left() else {
            return false;
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.cancelled() => {}
        }
        self.adjust_pace(pace);
        true
    }

    fn pause_left(&self) -> Option<Duration> {
        self.lane()?.health.pause_left(Instant::now())
    }

    /// Slower after a throttling answer, relaxed after calm.
    fn adjust_pace(&self, pace: &mut Pace) {
        let Some(lane) = self.lane() else { return };
        let now = Instant::now();
        if lane.health.take_throttled() {
            pace.throttled(now);
            tracing::info!(channel = %self.channel.id, rate = ?pace.rate(), "provider throttling: sending slower");
        } else {
            pace.relax(now);
        }
    }

    /// Starts a send for each message as capacity and rate allow. On shutdown, or when the
    /// provider asks us to hold off, the rest go back to the queue unattempted: an alert
    /// queued during a pause must not wait behind a batch claimed before it.
    async fn dispatch(&self, claimed: Vec<Claimed>, d: Dispatch<'_>) {
        let mut claimed = claimed.into_iter();
        while let Some(msg) = claimed.next() {
            let ready = tokio::select! {
                permit = self.ready(d.in_flight, &mut *d.pace) => permit,
                () = d.shutdown.cancelled() => None,
            };
            let Some(permit) = ready else {
                give_back(d.tx, std::iter::once(msg).chain(claimed)).await;
                return;
            };
            let send = SendTask {
                out: Arc::clone(&self.out),
                channel: Arc::clone(&self.channel),
                tx: d.tx.clone(),
                shutdown: d.shutdown.clone(),
            };
            d.sends.spawn(send.run(msg, permit));
        }
    }

    /// Waits for a free in-flight slot and the pace; `None` if the provider asked us to
    /// hold off meanwhile.
    async fn ready(
        &self,
        in_flight: &Arc<Semaphore>,
        pace: &mut Pace,
    ) -> Option<OwnedSemaphorePermit> {
        let permit = Arc::clone(in_flight).acquire_owned().await.ok()?;
        if self.pause_left().is_some() {
            return None;
        }
        self.adjust_pace(pace);
        pace.until_ready().await;
        // A throttling answer may have come while waiting for the pace.
        self.pause_left().is_none().then_some(permit)
    }
}

/// What dispatching needs from the claim loop.
struct Dispatch<'a> {
    tx: &'a mpsc::Sender<Done>,
    sends: &'a TaskTracker,
    shutdown: &'a CancellationToken,
    in_flight: &'a Arc<Semaphore>,
    pace: &'a mut Pace,
}

/// Hands `messages`, claimed and never tried, to the recorder to be queued again.
async fn give_back(tx: &mpsc::Sender<Done>, messages: impl IntoIterator<Item = Claimed>) {
    for msg in messages {
        let done = Done::Abandoned {
            msg,
            started: false,
        };
        let _ = tx.send(done).await;
    }
}

/// Runs a channel's worker until shutdown, starting it again if it stops (its recorder
/// failed) or panics: a channel must not go quiet until the next restart.
pub(super) async fn supervise(
    out: Arc<Outbound>,
    channel: Arc<Channel>,
    shutdown: CancellationToken,
) {
    loop {
        let worker = Worker::new(Arc::clone(&out), Arc::clone(&channel));
        let ended = tokio::spawn(worker.run(shutdown.clone())).await;
        let left = out
            .lanes
            .get(&channel.id)
            .map(|lane| lane.let_go_all())
            .unwrap_or_default();
        if shutdown.is_cancelled() {
            // Left `sending`: start-up queues them again.
            return;
        }
        out.queue_again(left).await;
        match ended {
            Ok(()) => tracing::error!(channel = %channel.id, "sender stopped; starting it again"),
            // Not what a panic said: it may quote a number or a text.
            Err(e) => tracing::error!(
                channel = %channel.id,
                panicked = e.is_panic(),
                "sender failed; starting it again"
            ),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
