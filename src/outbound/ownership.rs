//! Several nodes on one PostgreSQL database share the queue: each channel is sent by one
//! node at a time, so a channel's send rate holds across nodes and a claimed message is
//! sent by the node that claimed it. The owner renews a lease on the channel; when a node
//! dies, another takes the channel once the lease has run out, and with it the dead node's
//! claims (`store::postgres::owners::own_channel`). On SQLite the one node owns every
//! channel.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Outbound;
use crate::store::Store;
use crate::store::db::Dialect;
use crate::store::postgres::owners::own_channel;

/// How long an owner's lease runs: a dead node's channels wait this long for another.
const LEASE_MS: i64 = 15_000;

/// How often an owner renews, and how often the others look for a channel to take.
const RENEW_EVERY: Duration = Duration::from_secs(3);

/// An owner stops claiming this long before its lease runs out, in case it cannot renew.
pub(super) const MARGIN_MS: i64 = 5_000;

/// Until when a node owns its channels at start: for ever on SQLite, not yet on
/// PostgreSQL (until `keep` takes them).
pub(super) fn owned_from_start(store: &Store) -> i64 {
    match store.dialect() {
        Dialect::Sqlite => i64::MAX,
        Dialect::Postgres => 0,
    }
}

/// Takes and keeps `channel` for this node while it runs (PostgreSQL). It is not given up
/// at shutdown: sends still finishing then must not be taken over.
pub(super) async fn keep(out: Arc<Outbound>, channel: String, shutdown: CancellationToken) {
    let Some(lane) = out.lanes.get(&channel) else {
        return;
    };
    while !shutdown.is_cancelled() {
        let (now, node, id) = (
            out.store.now_ms(),
            out.store.node().to_owned(),
            channel.clone(),
        );
        let until = now + LEASE_MS;
        let owned = out
            .store
            .write(move |db| own_channel(db, &id, &node, now, until))
            .await;
        match owned {
            Ok(Some(released)) => {
                lane.owned_until(until);
                if released > 0 {
                    tracing::warn!(channel = %channel, released, "channel taken over; the previous owner's claims are queued again");
                }
                lane.wake.notify_one();
            }
            Ok(None) => lane.owned_until(0),
            // The lease runs out by itself if the database stays away.
            Err(e) => {
                tracing::error!(channel = %channel, error = %e, "cannot renew the channel's lease")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RENEW_EVERY) => {}
            () = shutdown.cancelled() => {}
        }
    }
}
