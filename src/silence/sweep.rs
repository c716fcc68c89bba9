//! The silence sweep: at start-up and then every `silence.sweep_every_secs`, it looks (on a
//! reader) for monitors overdue and zones gone quiet, then writes what is due in one
//! transaction: reminders, words to coordinators, silences opened and closed, each SMS in
//! the durable queue. Each write checks again that the silence it answers is the one
//! looked at, so a sign of life that came meanwhile is never answered with a reminder.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::baseline::Rules;
use super::look::{Look, Paces};
use super::operators::Operators;
use super::{DAY_MS, HOUR_MS};
use crate::config::SilenceConfig;
use crate::fanout::Fanout;
use crate::metrics::Metrics;
use crate::outbound::Outbound;
use crate::privacy::Pseudonyms;
use crate::store::{Store, StoreError};

/// Old signs of life are forgotten this often.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// The settings a sweep judges by.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub checkin_every_hours: u32,
    pub grace_ms: i64,
    pub remind_discreet: bool,
    pub rules: Rules,
    pub every: Duration,
}

impl Settings {
    fn from_config(c: &SilenceConfig) -> Self {
        Self {
            checkin_every_hours: c.checkin_every_hours,
            grace_ms: i64::from(c.grace_hours) * HOUR_MS,
            remind_discreet: c.remind_discreet,
            rules: Rules {
                min_monitors: c.min_monitors,
                history_ms: i64::from(c.history_days) * DAY_MS,
                several: c.several,
            },
            every: Duration::from_secs(c.sweep_every_secs),
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub reminded: usize,
    pub told: usize,
    pub opened: usize,
    pub closed: usize,
}

/// The silence stage.
#[derive(Debug)]
pub struct Sweeper {
    pub(super) store: Store,
    pub(super) outbound: Arc<Outbound>,
    pub(super) fanout: Arc<Fanout>,
    pub(super) pseudonyms: Pseudonyms,
    pub(super) operators: Arc<Operators>,
    pub(super) settings: Settings,
    metrics: Arc<Metrics>,
    /// Each zone's pace as last read.
    pub(super) paces: Mutex<Paces>,
}

/// What the sweep needs from the rest of the gateway.
#[derive(Debug)]
pub struct Parts {
    pub store: Store,
    pub outbound: Arc<Outbound>,
    pub fanout: Arc<Fanout>,
    pub pseudonyms: Pseudonyms,
    pub operators: Arc<Operators>,
    pub metrics: Arc<Metrics>,
}

impl Sweeper {
    pub fn new(parts: Parts, config: &SilenceConfig) -> Self {
        Self {
            store: parts.store,
            outbound: parts.outbound,
            fanout: parts.fanout,
            pseudonyms: parts.pseudonyms,
            operators: parts.operators,
            settings: Settings::from_config(config),
            metrics: parts.metrics,
            paces: Mutex::new(Paces::default()),
        }
    }

    /// Sweeps now, then every `sweep_every_secs`, until shutdown; forgets old signs of life
    /// every ten minutes, a bounded batch each time.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut purged: Option<std::time::Instant> = None;
        loop {
            match self.store.leads(crate::store::Sweep::Silence).await {
                Ok(true) => self.sweep_and_forget(&mut purged).await,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "cannot tell whether this node sweeps"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.settings.every) => {}
            }
        }
    }

    /// A sweep, and now and then old signs forgotten.
    async fn sweep_and_forget(self: &Arc<Self>, purged: &mut Option<std::time::Instant>) {
        if let Err(e) = self.sweep().await {
            tracing::error!(error = %e, "the silence sweep failed");
        }
        if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            *purged = Some(std::time::Instant::now());
            if let Err(e) = self.forget_old_signs().await {
                tracing::error!(error = %e, "cannot forget old signs of life");
            }
        }
    }

    /// Signs older than twice the history a zone's pace is read from serve no judgement
    /// (each contact keeps their latest message as `last_sign_at`), unless an open
    /// silence's pace still needs them.
    async fn forget_old_signs(&self) -> Result<(), StoreError> {
        let history = self.settings.rules.history_ms;
        let before = self.store.now_ms() - 2 * history;
        let n = self
            .store
            .write(move |conn| {
                let needed = crate::store::silence::oldest_needed(conn, history)?;
                let before = needed.map_or(before, |n| n.min(before));
                crate::store::signs::purge(conn, before)
            })
            .await?;
        if n > 0 {
            tracing::info!(signs = n, "old signs of life forgotten");
        }
        Ok(())
    }

    /// One sweep: look, then write what is due.
    pub async fn sweep(self: &Arc<Self>) -> Result<Swept, StoreError> {
        let started = std::time::Instant::now();
        let now = self.store.now_ms();
        let me = Arc::clone(self);
        let look = Arc::new(self.store.read(move |conn| me.look(conn, now)).await?);
        let (overdue, open) = (look.overdue, look.open_after);
        let swept = if look.is_empty() {
            Swept::default()
        } else {
            self.carry_out(look, now).await?
        };
        self.metrics
            .silence()
            .swept(overdue, open, started.elapsed());
        if swept != Swept::default() {
            tracing::info!(
                reminded = swept.reminded,
                told = swept.told,
                opened = swept.opened,
                closed = swept.closed,
                "silence sweep"
            );
        }
        Ok(swept)
    }

    /// Writes what the look found due, in one transaction (its SMS' senders are woken
    /// once it is committed).
    async fn carry_out(self: &Arc<Self>, look: Arc<Look>, now: i64) -> Result<Swept, StoreError> {
        let me = Arc::clone(self);
        self.store
            .write(move |conn| me.write(conn, &look, now))
            .await
    }
}

impl Look {
    fn is_empty(&self) -> bool {
        self.remind.is_empty()
            && self.tell.is_empty()
            && self.open.is_empty()
            && self.close.is_empty()
            && self.changed.is_empty()
    }
}
