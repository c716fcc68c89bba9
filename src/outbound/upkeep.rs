//! The queue's upkeep: what a previous run left claimed goes back at start, workers start
//! per channel, and, periodically, orphaned claims return and old messages expire.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Outbound, UNMATCHED_REPORTS_KEPT, worker};
use crate::store::outbound as queries;
use crate::store::{StoreError, delivery};

impl Outbound {
    /// Puts back what a previous run left claimed, then starts one worker per channel that
    /// can send. Workers stop when `shutdown` is cancelled, releasing what they hold.
    pub async fn start(
        self: &Arc<Self>,
        tasks: &TaskTracker,
        shutdown: &CancellationToken,
    ) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        // On PostgreSQL other nodes may be sending: claims come back when their channel's
        // owner changes (`ownership`).
        if self.store.dialect() == crate::store::db::Dialect::Sqlite {
            let released = self
                .store
                .write(move |c| queries::release_all(c, now))
                .await?;
            if released > 0 {
                tracing::warn!(
                    released,
                    "messages left sending by the last run are queued again"
                );
            }
        }
        for id in self.lanes.keys() {
            if self.store.dialect() == crate::store::db::Dialect::Postgres {
                tasks.spawn(super::ownership::keep(
                    Arc::clone(self),
                    id.clone(),
                    shutdown.clone(),
                ));
            }
            if let Some(channel) = self.channels.get(id) {
                tasks.spawn(worker::supervise(
                    Arc::clone(self),
                    Arc::clone(channel),
                    shutdown.clone(),
                ));
            }
        }
        Ok(())
    }

    /// Queues again messages a stopped worker was handed and never tried; should that
    /// fail, the claim timeout does it later.
    pub(super) async fn queue_again(&self, left: Vec<queries::Claimed>) {
        if left.is_empty() {
            return;
        }
        let now = self.store.now_ms();
        let claims: Vec<(i64, i64)> = left.iter().map(|c| (c.id, c.claimed_at)).collect();
        let queued = self
            .store
            .write(move |c| {
                for (id, claimed_at) in &claims {
                    // Never tried: the attempt its claim counted is taken back.
                    queries::unclaim(c, *id, *claimed_at, true, now)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = queued {
            tracing::error!(error = %e, "messages handed to a stopped sender wait for the claim timeout");
        }
    }

    /// Periodic upkeep: claims no live worker holds and older than the claim timeout go
    /// back to the queue (a worker that died); messages too old to matter expire; the
    /// queue-depth gauge is refreshed.
    pub async fn housekeeping(&self) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let before = now - ms(self.claim_timeout);
        let stale = self
            .store
            .read(move |c| queries::stale_claims(c, before))
            .await?;
        let orphans: Vec<(i64, i64)> = stale
            .into_iter()
            .filter(|(id, _, channel)| {
                // Another node's claims are its own to finish (or to lose with its lease).
                match self.lanes.get(channel) {
                    Some(lane) => lane.owns(now) && !lane.holds(*id),
                    None => self.store.dialect() == crate::store::db::Dialect::Sqlite,
                }
            })
            .map(|(id, claimed_at, _)| (id, claimed_at))
            .collect();
        let created_before = now - ms(self.policy.max_age);
        let reports_before = now - ms(UNMATCHED_REPORTS_KEPT);
        let (released, expired) = self
            .store
            .write(move |c| {
                let mut released = 0;
                for (id, claimed_at) in &orphans {
                    released += usize::from(queries::unclaim(c, *id, *claimed_at, false, now)?);
                }
                delivery::give_up_unmatched(c, reports_before)?;
                Ok((released, queries::expire_old(c, created_before, now)?))
            })
            .await?;
        if released > 0 {
            tracing::warn!(released, "claims no worker holds are queued again");
        }
        if expired > 0 {
            tracing::warn!(expired, "messages not sent within the maximum age expired");
        }
        let depth = self.store.read(queries::depth).await?;
        self.metrics.queue_depth(self.lanes.keys(), &depth);
        Ok(())
    }
}
