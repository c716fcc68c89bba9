//! Stage 2 shell, intake: each stored inbound message read exactly once. Floods and loops
//! are skipped; commands are carried out; reports are parsed, stored with the place and
//! how it was found, and answered through the outbound queue.
//!
//! Reading a message, storing its report and queueing its reply commit together, with the
//! message marked read: a crash before leaves it unread (read again at start-up), after
//! leaves it done. Nothing is lost, nothing is doubled.

mod apply;
mod broadcast;
mod checkin;
mod drafts;
mod duress;
mod out;
mod plan;
pub(crate) mod record;
mod rounds;
mod sweeps;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::ReportsConfig;
use crate::fanout::Fanout;
use crate::incident::fuse::FusionRules;
use crate::outbound::Outbound;
use crate::privacy::Pseudonyms;
use crate::reports::Reports;
use crate::silence::operators::Operators;
use crate::store::db::Dialect;
use crate::store::unread::{self, Unread};
use crate::store::{Store, StoreError, contacts};
use plan::Plan;
use rounds::{Committing, ROUND_MIN, Round, finish, in_flight, next_size, yields_to};

/// A message and its plan (`None`: reading it failed).
type Planned = (i64, Option<Arc<Plan>>);

/// An idle intake looks for unread messages this often (a wake-up comes sooner).
const POLL: Duration = Duration::from_millis(500);

/// How long a node's claim on the messages of its round holds (PostgreSQL): a node that
/// dies leaves them, and their senders' next messages, to the others this long.
const CLAIM_LEASE_MS: i64 = 15_000;
/// A message that fails this many times is set aside (`error`) so it stops nobody.
const FAILURES_KEPT: u32 = 3;
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
    /// Which operator each sender is on, for their signs of life.
    operators: Arc<Operators>,
    /// The key duress words are hashed with; `None`: none are looked for.
    pseudonyms: Option<Pseudonyms>,
    wake: Notify,
    /// How often each message failed to be carried out.
    failures: Mutex<HashMap<i64, u32>>,
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
                ussd_timeout: Duration::from_secs(config.ussd_session_timeout_secs),
            },
            fusion: Arc::new(fusion),
            fanout,
            operators: Arc::default(),
            pseudonyms: None,
            wake: Notify::new(),
            failures: Mutex::new(HashMap::new()),
            flood_noticed: quick_cache::sync::Cache::new(10_000),
        }
    }

    /// Names each sender's operator in their signs of life.
    pub fn with_operators(mut self, operators: Arc<Operators>) -> Self {
        self.operators = operators;
        self
    }

    /// Looks for contacts' duress words, hashed with this key.
    pub fn with_pseudonyms(mut self, pseudonyms: Pseudonyms) -> Self {
        self.pseudonyms = Some(pseudonyms);
        self
    }

    /// The parser's resources (vocabulary, gazetteer, templates).
    pub fn reports(&self) -> &Arc<Reports> {
        &self.reports
    }

    /// A new message was stored.
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Reads messages until shutdown; rounds in progress are finished first. Rounds
    /// overlap: up to `in_flight` are carried out at once, and the next is read and planned
    /// meanwhile, without their senders (a sender's next message may hang on one: a place
    /// choice, a language). A routine round waits for an urgent one (`yields_to`).
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut committing: VecDeque<Committing> = VecDeque::new();
        let mut size = ROUND_MIN;
        while !shutdown.is_cancelled() {
            while committing.front().is_some_and(|c| c.task.is_finished()) {
                finish(committing.pop_front()).await;
            }
            let busy = committing
                .iter()
                .flat_map(|c| c.senders.iter().cloned())
                .collect();
            match self.prepare(busy, size).await {
                Ok(Some(next)) => {
                    size = next_size(size, next.behind);
                    while committing.len() >= in_flight(next.full)
                        || committing.iter().any(|c| yields_to(next.urgent, c.urgent))
                    {
                        finish(committing.pop_front()).await;
                    }
                    committing.push_back(self.start_commit(next));
                    continue;
                }
                Ok(None) if !committing.is_empty() => {
                    finish(committing.pop_front()).await;
                    continue;
                }
                Ok(None) => size = ROUND_MIN,
                Err(e) => tracing::error!(error = %e, "intake round failed"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                () = shutdown.cancelled() => {}
            }
        }
        while let Some(round) = committing.pop_front() {
            finish(Some(round)).await;
        }
    }

    /// Reads the next `size` unread messages (the most urgent first, at most one per sender,
    /// none of `busy`'s) and plans them, off the request threads; `None` when there is none.
    async fn prepare(
        self: &Arc<Self>,
        busy: HashSet<String>,
        size: usize,
    ) -> Result<Option<Round>, StoreError> {
        let me = Arc::clone(self);
        let (node, now) = (self.store.node().to_owned(), self.store.now_ms());
        let (mut round, mut plans) = self
            .store
            .read(move |c| {
                let round = unread::next_round(c, size, &busy, &node, now)?;
                let plans = round
                    .iter()
                    .map(|m| Ok((m.id, me.plan_one(m, contacts::by_phone(c, &m.sender)?))))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok((round, plans))
            })
            .await?;
        let oldest = round.iter().map(|m| m.received_at).min();
        let full = round.len() >= size;
        let behind = rounds::behind(round.len(), size, oldest, now);
        if self.store.dialect() == Dialect::Postgres && !round.is_empty() {
            let claimed = self.claim(&round, now).await?;
            round.retain(|m| claimed.contains(&m.id));
            plans.retain(|(id, _)| claimed.contains(id));
        }
        if round.is_empty() {
            return Ok(None);
        }
        let plans = self.complete_drafts(&round, plans).await?;
        let urgent = round.iter().any(|m| m.may_alert);
        let senders = round.into_iter().map(|m| m.sender).collect();
        Ok(Some(Round {
            senders,
            plans,
            full,
            behind,
            urgent,
        }))
    }

    /// Claims a round's messages for this node for `CLAIM_LEASE_MS` (several nodes read
    /// one database): those another node took meanwhile are left to it.
    async fn claim(&self, round: &[Unread], now: i64) -> Result<HashSet<i64>, StoreError> {
        let ids: Vec<i64> = round.iter().map(|m| m.id).collect();
        let node = self.store.node().to_owned();
        let until = now + CLAIM_LEASE_MS;
        self.store
            .write(move |db| unread::claim(db, &ids, &node, now, until))
            .await
    }

    /// Carries the round out in the background; its senders are busy until it is done.
    fn start_commit(self: &Arc<Self>, round: Round) -> Committing {
        let me = Arc::clone(self);
        let task = tokio::spawn(async move {
            if let Err(e) = me.commit(round.plans).await {
                tracing::error!(error = %e, "intake round failed");
            }
        });
        Committing {
            senders: round.senders,
            urgent: round.urgent,
            task,
        }
    }

    /// The message's plan; `None` if reading it failed (it is then set aside).
    /// A duress word in it is taken out before it is read, so it is read, and answered,
    /// as if the word had never been there.
    fn plan_one(&self, message: &Unread, contact: Option<contacts::Contact>) -> Option<Plan> {
        let Some(said) = self.duress_in(message, contact.as_ref()) else {
            return self.plan_with(message, contact, crate::parse::parse);
        };
        let cleaned = Unread {
            text: said.cleaned.clone(),
            ..message.clone()
        };
        // Even a message the parser chokes on raises its alert and loses its word.
        let mut plan = self
            .plan_with(&cleaned, contact.clone(), crate::parse::parse)
            .unwrap_or_else(|| Plan {
                sender: message.sender.clone(),
                contact,
                step: plan::Step::Skip,
                choice_timeout: self.config.choice_timeout,
                sign: Some((message.received_at, crate::store::signs::Via::Sms)),
                duress: None,
            });
        plan.duress = Some(said);
        Some(plan)
    }

    /// The message's plan as `parser` reads it; `None` if reading it failed.
    fn plan_with(
        &self,
        message: &Unread,
        contact: Option<contacts::Contact>,
        parser: plan::Parser,
    ) -> Option<Plan> {
        let received =
            DateTime::<Utc>::from_timestamp_millis(message.received_at).unwrap_or_else(Utc::now);
        let notice = message.throttled && self.first_flood_notice(&message.sender);
        // A message that trips a bug in the parser must not stop every message after it.
        let planned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            plan::plan(
                message,
                contact,
                received,
                &self.reports,
                &self.config,
                notice,
                parser,
            )
        }));
        if planned.is_err() {
            tracing::error!(
                inbound_id = message.id,
                "reading the message failed; it is set aside"
            );
        }
        planned.ok()
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

    /// Marks each message read and carries out its plan, all in one transaction: a crash
    /// leaves every one of them unread, to be read again. If the round fails, its
    /// messages are carried out one by one, so one that cannot be stops only itself (and
    /// is set aside after `FAILURES_KEPT` tries).
    async fn commit(&self, plans: Vec<(i64, Option<Plan>)>) -> Result<(), StoreError> {
        let plans: Vec<Planned> = plans
            .into_iter()
            .map(|(id, plan)| (id, plan.map(Arc::new)))
            .collect();
        let round = self.write_round(plans.clone()).await;
        if let Err(e) = round {
            tracing::warn!(error = %e, "a round failed; its messages are carried out one by one");
            for planned in plans {
                let id = planned.0;
                if let Err(e) = self.write_round(vec![planned]).await {
                    self.failed(id, &e).await?;
                }
            }
        }
        Ok(())
    }

    async fn write_round(&self, plans: Vec<Planned>) -> Result<(), StoreError> {
        self.carry_out(move |out| {
            for (inbound_id, plan) in &plans {
                apply::one(out, *inbound_id, plan.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    /// Runs `f` in the next write with all a plan needs (the channels it queued messages
    /// on are woken once it is committed).
    async fn carry_out<F>(&self, f: F) -> Result<(), StoreError>
    where
        F: Fn(&apply::Out<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        let (reports, outbound) = (Arc::clone(&self.reports), Arc::clone(&self.outbound));
        let (fusion, fanout) = (Arc::clone(&self.fusion), Arc::clone(&self.fanout));
        let operators = Arc::clone(&self.operators);
        let now = self.store.now_ms();
        self.store
            .write(move |conn| {
                let out = apply::Out {
                    conn,
                    reports: &reports,
                    outbound: &outbound,
                    fusion: &fusion,
                    fanout: &fanout,
                    operators: &operators,
                    now,
                    touched: Default::default(),
                    nearby: Default::default(),
                };
                f(&out)?;
                out.settle()
            })
            .await
    }

    /// A message could not be carried out: left unread to be tried again, and set aside
    /// with the error once it has failed too often (a storage fault fails every message
    /// alike, so nothing is set aside while the database cannot be written), or at once if
    /// it tripped a bug, which it would trip again.
    async fn failed(&self, id: i64, e: &StoreError) -> Result<(), StoreError> {
        let failures = {
            let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            let n = failures.entry(id).or_insert(0);
            *n += 1;
            *n
        };
        tracing::error!(error = %e, inbound_id = id, failures, "carrying the message out failed");
        if failures >= FAILURES_KEPT || matches!(e, StoreError::Panicked(_)) {
            let error = e.to_string();
            self.store
                .write(move |c| unread::set_aside(c, id, &error))
                .await?;
            self.failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
        Ok(())
    }

    /// The fan-out stage (zones are changed through it).
    pub fn fanout(&self) -> &Arc<Fanout> {
        &self.fanout
    }
}
