//! Stage 6, outbound: the durable queue every SMS Vigie writes goes through.
//!
//! `enqueue` routes each message to a channel, folds and measures it (`compose`), and
//! commits the batch in one transaction; nothing is sent that was not stored first. One
//! worker per channel then claims due messages in priority order and sends them within the
//! channel's rate and in-flight limits (`worker`); each outcome becomes a transition
//! (`decide`, with `retry` for the delays), committed in batches (`recorder`), and moves
//! the channel's health (`health`) and pace (`pace`, slower after throttling).

mod attempt;
pub mod compose;
pub mod decide;
pub mod health;
pub mod pace;
mod lane;
mod ownership;
mod recorder;
pub mod retry;
pub mod routing;
mod upkeep;
mod worker;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::config::{Config, SegmentLimits, missing_send_setting};
use crate::metrics::Metrics;
use crate::phone::{Address, AddressCache, AddressError};
use crate::provider::{Channels, ProviderClient};
use crate::store::db::Db;
use crate::store::outbound::{self as queries, NewOutbound};
use crate::store::{Store, StoreError};
pub use compose::{ComposeError, Purpose};
use health::Health;
use lane::Lane;
use phonenumber::country::Id as Country;
use retry::RetryPolicy;
use routing::{Route, RoutingTable};

/// A delivery report that matched no message for this long never will.
const UNMATCHED_REPORTS_KEPT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Recipient numbers kept read.
const ADDRESSES_CACHED: usize = 100_000;

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub to: Address,
    pub text: String,
    pub purpose: Purpose,
    /// What caused it.
    pub inbound_id: Option<i64>,
    pub incident_id: Option<i64>,
    pub broadcast_id: Option<i64>,
}

impl NewMessage {
    pub fn new(to: Address, text: impl Into<String>, purpose: Purpose) -> Self {
        Self {
            to,
            text: text.into(),
            purpose,
            inbound_id: None,
            incident_id: None,
            broadcast_id: None,
        }
    }
}

/// A message as queued.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Queued {
    /// `None`: not queued, the recipient sent STOP (alerts and broadcasts only).
    pub id: Option<i64>,
    pub channel: String,
    pub segments: u32,
    pub encoding: &'static str,
}

/// Why messages were not queued. Nothing of the batch was.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("message {index}: {source}")]
    Compose {
        index: usize,
        #[source]
        source: ComposeError,
    },
    #[error("no channel can send: configure one")]
    NoChannel,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outbound stage.
#[derive(Debug)]
pub struct Outbound {
    store: Store,
    channels: Arc<Channels>,
    routing: Option<RoutingTable>,
    limits: SegmentLimits,
    client: ProviderClient,
    policy: RetryPolicy,
    metrics: Arc<Metrics>,
    lanes: HashMap<String, Arc<Lane>>,
    /// For numbers written without a country code.
    default_country: Country,
    /// Alerts go to the same responders again and again: their numbers are read once.
    addresses: AddressCache,
    claim_timeout: Duration,
    probe_every: Duration,
    shutdown_grace: Duration,
}

impl Outbound {
    pub fn new(
        config: &Config,
        store: Store,
        channels: Arc<Channels>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let out = &config.outbound;
        let client = ProviderClient::new(
            config.server.public_url.clone(),
            Duration::from_secs(out.send_timeout_secs),
            Duration::from_secs(out.connect_timeout_secs),
        )?;
        let lanes = config
            .channels
            .iter()
            .filter(|c| missing_send_setting(c).is_none())
            .map(|c| {
                let lane = Arc::new(Lane {
                    wake: Notify::new(),
                    health: Health::new(out.down_after_failures),
                    held: Mutex::default(),
                    handed: Mutex::default(),
                    owned_until: ownership::owned_from_start(&store).into(),
                    running: false.into(),
                });
                metrics.channel_up(&c.id, true);
                (c.id.clone(), lane)
            })
            .collect();
        let routing = routing::from_config(config);
        if routing.is_none() {
            tracing::warn!("no channel can send: replies and alerts will be refused");
        }
        Ok(Self {
            store,
            channels,
            routing,
            limits: out.max_segments.clone(),
            client,
            policy: RetryPolicy {
                base: Duration::from_secs(out.retry.base_secs),
                max_delay: Duration::from_secs(out.retry.max_delay_secs),
                max_attempts: out.retry.max_attempts,
                max_age: Duration::from_secs(out.retry.max_age_secs),
                jitter: out.retry.jitter,
            },
            metrics,
            lanes,
            addresses: AddressCache::new(ADDRESSES_CACHED),
            default_country: config
                .inbound
                .default_country
                .parse()
                .map_err(|_| anyhow::anyhow!("inbound.default_country: not a country code"))?,
            claim_timeout: Duration::from_secs(out.claim_timeout_secs),
            probe_every: Duration::from_secs(out.probe_every_secs),
            shutdown_grace: Duration::from_secs(config.server.shutdown_grace_secs),
        })
    }

    /// Queues `messages` in one transaction, all or none (their channels' workers are woken
    /// once it is committed).
    pub async fn enqueue(&self, messages: Vec<NewMessage>) -> Result<Vec<Queued>, OutboundError> {
        let rows = messages
            .iter()
            .enumerate()
            .map(|(index, m)| self.prepare(m).map_err(|e| e.at(index)))
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.store.now_ms();
        let batch = rows.clone();
        let ids = self
            .store
            .write(move |conn| queries::insert(conn, &batch, now))
            .await?;
        let mut queued = Vec::with_capacity(ids.len());
        for (id, row) in ids.into_iter().zip(rows) {
            queued.push(Queued {
                id,
                channel: row.channel,
                segments: row.segments,
                encoding: row.encoding,
            });
        }
        Ok(queued)
    }

    /// Routes and composes one message for a caller that inserts it in its own
    /// transaction (with `store::outbound::insert`, then `wake`).
    pub fn prepare_one(&self, m: &NewMessage) -> Result<NewOutbound, OutboundError> {
        self.prepare(m).map_err(|e| e.at(0))
    }

    /// Queues one SMS to `to` in the caller's open transaction (`inbound_id`: the message
    /// it answers), its channel woken once that commits; nothing when it cannot be sent (a
    /// bad number, no route, too long: logged, never with the number or text). The
    /// caller's other writes stand.
    pub fn queue_in(
        &self,
        conn: &Db<'_>,
        (to, text, purpose): (&str, String, Purpose),
        inbound_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let Ok(address) = self.address(to) else {
            tracing::info!(what = purpose.as_str(), "not queued: not a phone number");
            return Ok(());
        };
        let mut message = NewMessage::new(address, text, purpose);
        message.inbound_id = inbound_id;
        let row = match self.prepare_one(&message) {
            Ok(row) => row,
            Err(e) => {
                tracing::warn!(error = %e, what = purpose.as_str(), "not queued");
                return Ok(());
            }
        };
        // Only replies are handed over: an alert is checked against its number's STOP as it
        // is queued, and any other message waits its turn in the queue.
        let taker = (purpose == Purpose::Reply)
            .then(|| self.taker(conn, &row.channel, now))
            .flatten();
        match taker {
            Some(lane) => {
                let claimed = queries::insert_claimed(conn, &row, now)?;
                // Were the hand-over never made (its caller gone after the commit), the
                // claim timeout would queue the message again: late, not lost.
                conn.after_commit(move || lane.hand(claimed));
            }
            None => {
                queries::insert(conn, std::slice::from_ref(&row), now)?;
            }
        }
        Ok(())
    }

    /// The lane whose sender can be handed a message queued now, claimed already: on
    /// SQLite (one node, so no other may claim it), while the channel is up and not held
    /// off; else the message is queued to be claimed.
    fn taker(&self, conn: &Db<'_>, channel: &str, now: i64) -> Option<Arc<Lane>> {
        if conn.dialect() != crate::store::db::Dialect::Sqlite {
            return None;
        }
        self.lanes.get(channel).filter(|l| l.takes(now)).cloned()
    }

    fn prepare(&self, m: &NewMessage) -> Result<NewOutbound, ComposeOrRoute> {
        let route = self.route(&m.to).ok_or(ComposeOrRoute::NoChannel)?;
        let fold = self
            .channels
            .get(&route.channel)
            .is_none_or(|c| c.send.fold_gsm7);
        let composed = compose::compose(&m.text, m.purpose, fold, &self.limits)?;
        Ok(NewOutbound {
            channel: route.channel.clone(),
            fallbacks: route.fallbacks.clone(),
            recipient: m.to.as_str().to_owned(),
            text: composed.text,
            purpose: m.purpose.as_str(),
            priority: m.purpose.priority(),
            inbound_id: m.inbound_id,
            incident_id: m.incident_id,
            broadcast_id: m.broadcast_id,
            segments: composed.segments,
            encoding: compose::encoding_name(composed.encoding),
        })
    }

    /// Whether `text` may be sent for `purpose` on every channel (some fold to GSM-7,
    /// some send it as written): a broadcast is checked once, before its thousands of
    /// messages are composed.
    pub fn check(&self, text: &str, purpose: Purpose) -> Result<(), OutboundError> {
        let folds: BTreeSet<bool> = self.channels.iter().map(|c| c.send.fold_gsm7).collect();
        for fold in folds.into_iter().chain([true]) {
            compose::compose(text, purpose, fold, &self.limits)
                .map_err(|source| OutboundError::Compose { index: 0, source })?;
        }
        Ok(())
    }

    /// How `text` would go out: its encoding and SMS count on the channel sending it in
    /// the most SMS.
    pub fn measure(&self, text: &str) -> crate::gsm7::SmsInfo {
        let folds: BTreeSet<bool> = self.channels.iter().map(|c| c.send.fold_gsm7).collect();
        compose::measure(text, folds.into_iter())
    }

    /// The country of numbers written without a country code.
    pub fn default_country(&self) -> Country {
        self.default_country
    }

    /// Reads a recipient number, national ones in the default country.
    pub fn address(&self, raw: &str) -> Result<Address, AddressError> {
        self.addresses.parse(raw, self.default_country)
    }

    fn route(&self, to: &Address) -> Option<&Route> {
        Some(self.routing.as_ref()?.route(to.as_str()))
    }

    /// Tells a channel's worker that messages are waiting.
    /// Each sending channel and whether it is up, by id.
    pub fn channels_up(&self) -> Vec<(String, bool)> {
        let mut up: Vec<(String, bool)> = self
            .lanes
            .iter()
            .map(|(id, lane)| (id.clone(), !lane.health.is_down()))
            .collect();
        up.sort();
        up
    }

    pub fn wake(&self, channel: &str) {
        if let Some(lane) = self.lanes.get(channel) {
            lane.wake.notify_one();
        }
    }
}

/// Why one message could not be prepared.
#[derive(Debug)]
enum ComposeOrRoute {
    Compose(ComposeError),
    NoChannel,
}

impl From<ComposeError> for ComposeOrRoute {
    fn from(e: ComposeError) -> Self {
        Self::Compose(e)
    }
}

impl ComposeOrRoute {
    fn at(self, index: usize) -> OutboundError {
        match self {
            Self::Compose(source) => OutboundError::Compose { index, source },
            Self::NoChannel => OutboundError::NoChannel,
        }
    }
}
