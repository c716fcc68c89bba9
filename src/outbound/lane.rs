//! One channel's queue state in memory: its worker's wake-up, its health, the claims its
//! worker holds, which the claim timeout must not take back, and the messages handed to it
//! claimed already.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use tokio::sync::Notify;

use crate::store::outbound::Claimed;

use super::health::Health;

/// Most messages waiting in memory for a worker to take them (`Lane::hand`).
const HANDED_MAX: usize = 1024;

/// One channel's queue state in memory.
#[derive(Debug)]
pub(super) struct Lane {
    pub(super) wake: Notify,
    pub(super) health: Health,
    /// Ids its worker has claimed and not yet recorded: a claim held by a live worker is
    /// never released by the claim timeout, however long its batch waits.
    pub(super) held: Mutex<HashSet<i64>>,
    /// Messages queued already claimed for its worker (`Outbound::queue_in`), held, not yet
    /// taken by it, oldest first.
    pub(super) handed: Mutex<Vec<Claimed>>,
    /// Until when (unix ms) this node owns the channel (`ownership`): for ever on SQLite.
    pub(super) owned_until: AtomicI64,
    /// Its worker is running: messages are handed only then, never to a lane whose worker
    /// has stopped or not started (start-up queues again what was left `sending`, and a
    /// handed copy would then be sent twice).
    pub(super) running: AtomicBool,
}

impl Lane {
    pub(super) fn hold(&self, ids: impl Iterator<Item = i64>) {
        if let Ok(mut held) = self.held.lock() {
            held.extend(ids);
        }
    }

    pub(super) fn let_go(&self, ids: impl Iterator<Item = i64>) {
        if let Ok(mut held) = self.held.lock() {
            for id in ids {
                held.remove(&id);
            }
        }
    }

    /// Its worker runs: it may be handed messages.
    pub(super) fn runs(&self) {
        self.running.store(true, Ordering::Relaxed);
    }

    /// Its worker stopped: nothing is held any more, and what it was handed and did not
    /// take is returned, to be queued again (else the claim timeout would).
    pub(super) fn let_go_all(&self) -> Vec<Claimed> {
        self.running.store(false, Ordering::Relaxed);
        let handed =
            std::mem::take(&mut *self.handed.lock().unwrap_or_else(PoisonError::into_inner));
        if let Ok(mut held) = self.held.lock() {
            held.clear();
        }
        handed
    }

    /// Whether its worker may be handed a message claimed as it is queued: the channel is
    /// this node's, up, not held off by the provider, and its worker keeps up (a flood
    /// on a slow channel waits in the database, not in memory).
    pub(super) fn takes(&self, now: i64) -> bool {
        self.running.load(Ordering::Relaxed)
            && self.owns(now)
            && !self.health.is_down()
            && self.health.pause_left(Instant::now()).is_none()
            && self.handed.lock().is_ok_and(|h| h.len() < HANDED_MAX)
    }

    /// Hands its worker a message claimed for it, held until its outcome is recorded.
    pub(super) fn hand(&self, claimed: Claimed) {
        self.hold(std::iter::once(claimed.id));
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        handed.push(claimed);
        drop(handed);
        self.wake.notify_one();
    }

    /// Up to `n` of the messages it was handed, oldest first.
    pub(super) fn take_handed(&self, n: usize) -> Vec<Claimed> {
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        let n = n.min(handed.len());
        handed.drain(..n).collect()
    }

    /// Puts back, first in line and still held, what its worker took and had no room for
    /// in its batch.
    pub(super) fn hand_back(&self, mut surplus: Vec<Claimed>) {
        let mut handed = self.handed.lock().unwrap_or_else(PoisonError::into_inner);
        surplus.append(&mut handed);
        *handed = surplus;
    }

    /// Whether this node may claim now: it owns the channel with time to spare, so a
    /// lease renewed late never lets two nodes send at once.
    pub(super) fn owns(&self, now: i64) -> bool {
        now.saturating_add(super::ownership::MARGIN_MS) < self.owned_until.load(Ordering::Relaxed)
    }

    pub(super) fn owned_until(&self, until: i64) {
        self.owned_until.store(until, Ordering::Relaxed);
    }

    pub(super) fn holds(&self, id: i64) -> bool {
        self.held.lock().is_ok_and(|held| held.contains(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane() -> Lane {
        Lane {
            wake: Notify::new(),
            health: Health::new(3),
            held: Mutex::default(),
            handed: Mutex::default(),
            owned_until: AtomicI64::new(i64::MAX),
            running: AtomicBool::new(true),
        }
    }

    fn claimed(id: i64) -> Claimed {
        Claimed {
            id,
            recipient: "+22370000001".into(),
            text: "Recu 1".into(),
            encoding: "gsm7".into(),
            attempts: 1,
            created_at: 0,
            fallbacks: Vec::new(),
            priority: 2,
            claimed_at: 0,
            arrived_at: None,
        }
    }

    #[test]
    fn what_a_worker_is_handed_is_held_and_taken_oldest_first() {
        let lane = lane();
        assert!(lane.takes(0));
        for id in [4, 5, 6] {
            lane.hand(claimed(id));
        }
        assert!(lane.holds(5), "held, so the claim timeout leaves it");
        let ids = |taken: Vec<Claimed>| taken.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(lane.take_handed(2)), [4, 5]);
        assert_eq!(ids(lane.take_handed(2)), [6]);
        assert!(lane.take_handed(2).is_empty());
        assert!(lane.holds(6), "held until its outcome is recorded");
    }

    #[test]
    fn a_stopped_worker_gives_up_what_it_was_handed_and_is_handed_no_more() {
        let lane = lane();
        lane.hand(claimed(7));
        let left = lane.let_go_all();
        assert_eq!(left.iter().map(|c| c.id).collect::<Vec<_>>(), [7]);
        assert!(lane.take_handed(10).is_empty());
        assert!(!lane.holds(7));
        assert!(!lane.takes(0), "until a worker runs again");
        lane.runs();
        assert!(lane.takes(0));
    }

    #[test]
    fn what_a_batch_had_no_room_for_goes_back_first_in_line_and_held() {
        let lane = lane();
        lane.hand(claimed(9));
        lane.hold([3, 4].into_iter());
        lane.hand_back(vec![claimed(3), claimed(4)]);
        let ids = |taken: Vec<Claimed>| taken.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(lane.take_handed(10)), [3, 4, 9]);
        assert!(lane.holds(3) && lane.holds(9));
    }

    #[test]
    fn a_worker_behind_is_handed_no_more() {
        let lane = lane();
        for id in 0..HANDED_MAX as i64 {
            lane.hand(claimed(id));
        }
        assert!(!lane.takes(0));
        lane.take_handed(1);
        assert!(lane.takes(0));
    }

    #[test]
    fn a_channel_not_ours_takes_nothing_claimed() {
        let lane = lane();
        lane.owned_until(0);
        assert!(!lane.takes(0));
    }
}
