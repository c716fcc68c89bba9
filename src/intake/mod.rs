//! Stage 2 shell, intake: each stored inbound message read exactly once. Floods and loops
//! are skipped; commands are carried out; reports are parsed, stored with the place and
//! how it was found, and answered through the outbound queue.
//!
//! Reading a message, storing its report and queueing its reply commit together, with the
//! message marked read: a crash before leaves it unread (read again at start-up), after
//! leaves it done. Nothing is lost, nothing is doubled.

mod plan;
mod record;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::ReportsConfig;
use crate::fanout::{Fanout, Tx};
use crate::incident::fuse::FusionRules;
use crate::outbound::Outbound;
use crate::reports::Reports;
use crate::store::reports::{self as queries, Unread};
use crate::store::{Store, StoreError, contacts};
use plan::Plan;

/// An idle intake looks for unread messages this often (a wake-up comes sooner).
const POLL: Duration = Duration::from_millis(500);
/// Messages read per round.
const BATCH: usize = 64;
/// A flooding sender is told once in this long that their messages are ignored.
const FLOOD_NOTICE_EVERY: Duration = Duration::from_secs(600);

/// The intake stage.
#[derive(Debug)]
pub struct Intake {
    store: Store,
    reports: Arc<Reports>,
    outbound: Arc<Outbound>,
    config: plan::Policy,
    fusion: Arc<FusionRules>,
    fanout: Arc<Fanout>,
    wake: Notify,
    /// When each flooding sender was last told (bounded: old senders fall out).
    flood_noticed: quick_cache::sync::Cache<String, i64>,
}

impl Intake {
    pub fn new(
        store: Store,
        reports: Arc<Reports>,
        outbound: Arc<Outbound>,
        config: &ReportsConfig,
        fusion: FusionRules,
        fanout: Arc<Fanout>,
    ) -> Self {
        Self {
            store,
            reports,
            outbound,
            config: plan::Policy {
                unknown_senders: config.unknown_senders,
                choice_timeout: Duration::from_secs(config.choice_timeout_secs),
            },
            fusion: Arc::new(fusion),
            fanout,
            wake: Notify::new(),
            flood_noticed: quick_cache::sync::Cache::new(10_000),
        }
    }

    /// The parser's resources (vocabulary, gazetteer, templates).
    pub fn reports(&self) -> &Arc<Reports> {
        &self.reports
    }

    /// A new message was stored.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Reads messages until shutdown; a round in progress is finished first.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let read = self.round().await;
            match read {
                Ok(0) => {}
                Ok(_) => continue,
                Err(e) => tracing::error!(error = %e, "intake round failed"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                () = shutdown.cancelled() => {}
            }
        }
    }

    /// Reads the oldest unread messages; returns how many.
    async fn round(&self) -> Result<usize, StoreError> {
        let unread = self.store.read(|c| queries::unread(c, BATCH)).await?;
        for message in &unread {
            self.read_one(message.clone()).await?;
        }
        Ok(unread.len())
    }

    async fn read_one(&self, message: Unread) -> Result<(), StoreError> {
        let sender = message.sender.clone();
        let contact = self
            .store
            .read(move |c| contacts::by_phone(c, &sender))
            .await?;
        let received =
            DateTime::<Utc>::from_timestamp_millis(message.received_at).unwrap_or_else(Utc::now);
        let notice = message.throttled && self.first_flood_notice(&message.sender);
        // A message that trips a bug in the parser must not stop every message after it.
        let planned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plan::plan(
                &message,
                contact,
                received,
                &self.reports,
                &self.config,
                notice,
            )
        }));
        let Ok(plan) = planned else {
            tracing::error!(
                inbound_id = message.id,
                "reading the message failed; it is set aside"
            );
            let id = message.id;
            self.store
                .write(move |c| queries::mark_read(c, id, "error"))
                .await?;
            return Ok(());
        };
        self.commit(message.id, plan).await
    }

    /// Whether a flooding sender is due the rate-limit notice (and note that they got it).
    fn first_flood_notice(&self, sender: &str) -> bool {
        let now = self.store.now_ms();
        let window = i64::try_from(FLOOD_NOTICE_EVERY.as_millis()).unwrap_or(i64::MAX);
        let due = self
            .flood_noticed
            .get(sender)
            .is_none_or(|last| now - last >= window);
        if due {
            self.flood_noticed.insert(sender.to_owned(), now);
        }
        due
    }

    /// Marks the message read and carries out its plan, in one transaction.
    async fn commit(&self, inbound_id: i64, plan: Plan) -> Result<(), StoreError> {
        let (reports, outbound) = (Arc::clone(&self.reports), Arc::clone(&self.outbound));
        let (fusion, fanout) = (Arc::clone(&self.fusion), Arc::clone(&self.fanout));
        let plan = Arc::new(plan);
        let now = self.store.now_ms();
        let channels = self
            .store
            .write(move |conn| {
                if !queries::mark_read(conn, inbound_id, plan.state())? {
                    return Ok(Vec::new());
                }
                let out = plan::Out {
                    conn,
                    reports: &reports,
                    outbound: &outbound,
                    fusion: &fusion,
                    fanout: &fanout,
                    now,
                };
                plan::apply(&out, &plan, inbound_id)
            })
            .await?;
        for channel in channels {
            self.outbound.wake(&channel);
        }
        Ok(())
    }

    /// Pending place choices past their time expire, with a notice to their senders.
    pub async fn expire_choices(&self) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let before =
            now - i64::try_from(self.config.choice_timeout.as_millis()).unwrap_or(i64::MAX);
        let (reports, outbound) = (Arc::clone(&self.reports), Arc::clone(&self.outbound));
        let (fusion, fanout) = (Arc::clone(&self.fusion), Arc::clone(&self.fanout));
        let channels = self
            .store
            .write(move |conn| {
                let expired = queries::expire_pending(conn, before, now)?;
                let out = plan::Out {
                    conn,
                    reports: &reports,
                    outbound: &outbound,
                    fusion: &fusion,
                    fanout: &fanout,
                    now,
                };
                plan::notices(&out, &expired)
            })
            .await?;
        for channel in channels {
            self.outbound.wake(&channel);
        }
        Ok(())
    }

    /// Updates that waited their interval, and escalations past their deadline.
    pub async fn sweep_alerts(&self) -> Result<(), StoreError> {
        let now = self.store.now_ms();
        let (outbound, fanout) = (Arc::clone(&self.outbound), Arc::clone(&self.fanout));
        let channels = self
            .store
            .write(move |conn| {
                let tx = Tx {
                    conn,
                    outbound: &outbound,
                    now,
                };
                fanout.sweep(&tx)
            })
            .await?;
        for channel in channels {
            self.outbound.wake(&channel);
        }
        Ok(())
    }

    /// The fan-out stage (zones are changed through it).
    pub fn fanout(&self) -> &Arc<Fanout> {
        &self.fanout
    }
}
