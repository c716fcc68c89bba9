//! Live changes for consoles: after each commit, the new rows of `changes` (written by
//! triggers in the committing transaction) are read once and handed to every open stream.
//! A change says what changed and which one, never a text or a number; each stream keeps
//! what its caller may see. A stream that was cut asks for what came after the last id it
//! saw.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::store::changes::{self, Change};
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

    /// The changes after `id` still kept, oldest first (at most `CATCH_UP`).
    pub async fn since(&self, id: i64) -> Result<Vec<Change>, StoreError> {
        self.store
            .read(move |c| changes::after(c, id, CATCH_UP))
            .await
    }

    /// Reads what each commit added and sends it on, until shutdown; forgets old changes
    /// once an hour.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut commits = self.store.commits();
        let mut last = match self.store.read(changes::last).await {
            Ok(last) => last,
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
            last = self.forward(last).await;
        }
        self.closing.cancel();
    }

    /// Sends every change after `last`; returns the last one sent.
    async fn forward(&self, mut last: i64) -> i64 {
        loop {
            let after = last;
            let found = match self
                .store
                .read(move |c| changes::after(c, after, CATCH_UP))
                .await
            {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "live changes not read");
                    return last;
                }
            };
            let full = found.len() == CATCH_UP as usize;
            if let Some(newest) = found.last() {
                last = newest.id;
            }
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
                return last;
            }
        }
    }
}
