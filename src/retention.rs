//! Retention: raw SMS texts and reporters' numbers older than `storage.retention_days` are
//! purged (`store::retention`), once an hour by the gateway and on demand by `vigie purge`,
//! so a seized server holds as little as it needs.

use std::sync::Mutex;

use crate::privacy::Pseudonyms;
use crate::store::db::Db;
use crate::store::retention::{Purged, purge};

/// Rows of each table a purge round touches: one short write job, so an alert's write
/// waits for one round at most, never for a backlog of years.
const ROUND_ROWS: usize = 500;
use crate::store::{Store, StoreError};

/// How often the gateway purges.
const EVERY_MS: i64 = 3_600_000;

/// The purge schedule.
#[derive(Debug)]
pub struct Retention {
    store: Store,
    pseudonyms: Pseudonyms,
    keep_ms: Option<i64>,
    last: Mutex<i64>,
}

impl Retention {
    /// `days` 0 keeps everything.
    pub fn new(store: Store, pseudonyms: Pseudonyms, days: u64) -> Self {
        let keep_ms =
            (days > 0).then(|| i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX));
        Self {
            store,
            pseudonyms,
            keep_ms,
            last: Mutex::new(i64::MIN),
        }
    }

    /// Purges if retention is on and the last purge is an hour old.
    pub async fn run_if_due(&self) -> Result<Option<Purged>, StoreError> {
        let Some(keep) = self.keep_ms else {
            return Ok(None);
        };
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
            let pseudonyms = self.pseudonyms.clone();
            let round = self
                .store
                .write(move |c| purge(c, now - keep, ROUND_ROWS, &pseudonyms))
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
pub fn purge_now(
    conn: &mut rusqlite::Connection,
    pseudonyms: &Pseudonyms,
    days: u64,
    now: i64,
) -> Result<Purged, StoreError> {
    let keep = i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let mut purged = Purged::default();
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let round = purge(
            &Db::sqlite(&tx),
            now.saturating_sub(keep),
            ROUND_ROWS,
            pseudonyms,
        )?;
        tx.commit()?;
        purged.add(round.purged);
        if !round.more {
            return Ok(purged);
        }
        // A running gateway's writer waits for the lock: let it in between rounds.
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
