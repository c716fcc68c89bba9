//! One channel's queue state in memory: its worker's wake-up, its health, and the claims
//! its worker holds, which the claim timeout must not take back.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::Notify;

use super::health::Health;

/// One channel's queue state in memory.
#[derive(Debug)]
pub(super) struct Lane {
    pub(super) wake: Notify,
    pub(super) health: Health,
    /// Ids its worker has claimed and not yet recorded: a claim held by a live worker is
    /// never released by the claim timeout, however long its batch waits.
    pub(super) held: Mutex<HashSet<i64>>,
    /// Until when (unix ms) this node owns the channel (`ownership`): for ever on SQLite.
    pub(super) owned_until: AtomicI64,
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

    /// Its worker stopped: nothing is held any more.
    pub(super) fn let_go_all(&self) {
        if let Ok(mut held) = self.held.lock() {
            held.clear();
        }
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
