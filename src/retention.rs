//! Retention: raw SMS texts and reporters' numbers older than `storage.retention_days` are
//! purged (`store::retention`), once an hour by the gateway and on demand by `vigie purge`,
//! so a seized server holds as little as it needs.

use std::sync::Mutex;

use crate::store::retention::{Purged, purge};
use crate::store::{Store, StoreError};

/// Rows of each table a purge round touches: one short write job, so an alert's write
/// waits for one round at most, never for a backlog of years.
const ROUND_ROWS: usize = 500;

/// How often the gateway purges.
const EVERY_MS: i64 = 3_600_000;

/// The purge schedule.
#[derive(Debug)]
pub struct Retention {
    store: Store,
    keep_ms: Option<i64>,
    last: Mutex<i64>,
}

impl Retention {
    /// `days` 0 keeps everything.
    pub fn new(store: Store, days: u64) -> Self {
        let keep_ms =
            (days > 0).then(|| i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX));
        Self {
            store,
            keep_ms,
            last: Mutex::new(i64::MIN),
        }
    }

    /// Purges if retention is on and the last purge is an hour old.
    pub async fn run_if_due(&self) -> Result<Option<Purged>, StoreError> {
        let Some(keep) = self.keep_ms else {
            return Ok(None);
        };
        if !self.store.leads(crate::store::Sweep::Retention).await? {
            return Ok(None);
        }
        let now = self.store.now_ms();
        {
            let mut last = self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if now.saturating_sub(*last) < EVERY_MS {
                return Ok(None);
            }
            *last = now;
        }
        let mut purged = Purged::default();
        loop {
            let round = self
                .store
                .write(move |c| purge(c, now - keep, ROUND_ROWS))
                .await?;
            purged.add(round.purged);
            if !round.more {
                break;
            }
        }
        tracing::info!(
            messages = purged.messages,
            reports = purged.reports,
            sent = purged.sent,
            "purged past retention"
        );
        Ok(Some(purged))
    }
}

/// `vigie purge`: the same on a database, now, a round per transaction so a running
/// gateway's writes go on between them.
pub async fn purge_now(store: &Store, days: u64) -> Result<Purged, StoreError> {
    let keep = i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let before = store.now_ms().saturating_sub(keep);
    let mut purged = Purged::default();
    loop {
        let round = store.write(move |db| purge(db, before, ROUND_ROWS)).await?;
        purged.add(round.purged);
        if !round.more {
            return Ok(purged);
        }
        // A running gateway's writer waits for the lock: let it in between rounds.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
