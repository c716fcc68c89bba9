//! Live changes for consoles: after each commit, the new rows of `changes` (written by
//! triggers in the committing transaction) are read once and handed to every open stream.
//! A change says what changed and which one, never a text or a number; each stream keeps
//! what its caller may see. A stream that was cut asks for what came after the last id it
//! saw.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::store::changes::{self, Change, Mark};
use crate::store::db::Dialect;
use crate::store::{Store, StoreError};

/// Changes read per round; a console further behind reloads its page.
pub const CATCH_UP: u32 = 500;
/// Changes kept for consoles that were cut off.
const KEEP_MS: i64 = 24 * 3_600_000;

/// The hub.
#[derive(Debug)]
pub struct Live {
    store: Store,
    sender: broadcast::Sender<Change>,
    /// Cancelled when the hub stops: open streams end, so shutdown need not wait for them.
    closing: CancellationToken,
}

impl Live {
    pub fn new(store: Store) -> Arc<Self> {
        let (sender, _) = broadcast::channel(4096);
        Arc::new(Self {
            store,
            sender,
            closing: CancellationToken::new(),
        })
    }

    /// Resolves when the hub stops.
    pub fn closed(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.closing.clone().cancelled_owned()
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    /// The changes a stream at `mark` (a page's, or its last event's) may have missed,
    /// oldest first (at most `CATCH_UP`): on PostgreSQL some below its mark too, committed
    /// after it was read.
    pub async fn unseen(&self, mark: Mark) -> Result<Vec<Change>, StoreError> {
        self.store
            .read(move |c| changes::unseen(c, &mark, REREAD, CATCH_UP))
            .await
    }

    /// Reads what each commit added and sends it on, until shutdown; forgets old changes
    /// once an hour.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut commits = self.store.commits();
        let mut cursor = match self.store.read(changes::last).await {
            Ok(last) => Cursor::new(last, self.store.dialect()),
            Err(e) => {
                tracing::error!(error = %e, "live changes cannot start");
                return;
            }
        };
        let mut prune = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { break },
                _ = prune.tick() => {
                    if let Err(e) = self.store.write(|c| changes::prune(c, KEEP_MS)).await {
                        tracing::warn!(error = %e, "old live changes not pruned");
                    }
                    continue;
                }
                () = shutdown.cancelled() => break,
            }
            self.forward(&mut cursor).await;
        }
        self.closing.cancel();
    }

    /// Sends every change after the cursor.
    async fn forward(&self, cursor: &mut Cursor) {
        loop {
            let from = cursor.from();
            let found = match self
                .store
                .read(move |c| changes::after(c, from, CATCH_UP))
                .await
            {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "live changes not read");
                    return;
                }
            };
            let full = found.len() == CATCH_UP as usize;
            let found = cursor.fresh(found);
            // One event per thing changed in a round: a broadcast's thousand deliveries
            // make one refresh, not a thousand.
            let mut newest = std::collections::HashMap::new();
            for change in &found {
                newest.insert((change.kind, change.subject), change.id);
            }
            for change in found {
                if newest.get(&(change.kind, change.subject)) == Some(&change.id) {
                    // Nobody listening is no error.
                    let _ = self.sender.send(change);
                }
            }
            if !full {
                return;
            }
        }
    }
}

/// Where the hub is in `changes`. On PostgreSQL, ids are taken in one order and committed
/// in another (several transactions, several nodes): a change may appear below the last
/// one sent, so the last `REREAD` ids are read again and those already sent skipped.
#[derive(Debug)]
struct Cursor {
    last: i64,
    reread: i64,
    sent: std::collections::BTreeSet<i64>,
}

/// Ids read again on PostgreSQL: more than the transactions in flight at once.
const REREAD: i64 = 256;

impl Cursor {
    fn new(last: i64, dialect: Dialect) -> Self {
        let reread = match dialect {
            Dialect::Sqlite => 0,
            Dialect::Postgres => REREAD,
        };
        Self {
            last,
            reread,
            sent: std::collections::BTreeSet::new(),
        }
    }

    fn from(&self) -> i64 {
        self.last.saturating_sub(self.reread)
    }

    /// The changes not sent yet among those read, now counted as sent.
    fn fresh(&mut self, found: Vec<Change>) -> Vec<Change> {
        let fresh: Vec<Change> = found
            .into_iter()
            .filter(|c| self.reread == 0 || self.sent.insert(c.id))
            .collect();
        self.last = fresh.iter().map(|c| c.id).fold(self.last, i64::max);
        let keep_from = self.from();
        self.sent = self.sent.split_off(&keep_from);
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::changes::Kind;

    fn changes(ids: &[i64]) -> Vec<Change> {
        ids.iter()
            .map(|&id| Change {
                id,
                kind: Kind::Incident,
                subject: id,
                seen: None,
            })
            .collect()
    }

    fn ids(found: &[Change]) -> Vec<i64> {
        found.iter().map(|c| c.id).collect()
    }

    /// On PostgreSQL a change committed late below the last one sent is sent when it
    /// appears, and nothing twice; on SQLite the cursor only moves forward.
    #[test]
    fn a_change_committed_out_of_order_is_sent_once() {
        let mut cursor = Cursor::new(10, Dialect::Postgres);
        assert_eq!(cursor.from(), 10 - REREAD);
        assert_eq!(ids(&cursor.fresh(changes(&[11, 13]))), [11, 13]);
        assert_eq!(ids(&cursor.fresh(changes(&[11, 12, 13]))), [12]);
        assert_eq!(ids(&cursor.fresh(changes(&[11, 12, 13, 14]))), [14]);
        let mut cursor = Cursor::new(10, Dialect::Sqlite);
        assert_eq!(cursor.from(), 10);
        assert_eq!(ids(&cursor.fresh(changes(&[11, 13]))), [11, 13]);
        assert_eq!(cursor.from(), 13);
    }
}
