//! Stage 1, inbound: a provider's message becomes one stored, normalised inbound message.
//!
//! Normalises addresses to E.164, flags floods (`throttled`) and loops (our own numbers),
//! cuts over-long texts (`truncated`), keeps parts of concatenated SMS until complete, and
//! stores each message exactly once. `accept` returns only after the write is committed,
//! so the webhook can answer 2xx knowing nothing acknowledged can be lost.

mod triage;

pub use triage::{Triage, Urgency};

use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::InboundConfig;
use crate::metrics::Metrics;
use crate::phone::AddressCache;
use crate::provider::{Batch, Channel, Channels, InboundDraft, PayloadError, sender_field};
use crate::store::db::Db;
use crate::store::inbound::{self as queries, Limits, NewInbound, NewPart, Stored};
use crate::store::{Store, StoreError};

/// Normalised numbers remembered: far more than a national network's monitors.
const ADDRESS_CACHE: usize = 50_000;

/// Why an inbound request was not stored.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to each message of a request.
#[derive(Debug, Default)]
pub struct Accepted {
    pub stored: Vec<Stored>,
    /// Entries of a batch that could not be read (the others were stored).
    pub rejected: Vec<PayloadError>,
}

/// The inbound stage, shared by all webhook requests.
#[derive(Debug)]
pub struct Inbound {
    store: Store,
    channels: Arc<Channels>,
    metrics: Arc<Metrics>,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
    addresses: AddressCache,
    limits: Limits,
    concat_timeout_ms: i64,
    triage: Triage,
}

/// A message ready for the writer.
#[derive(Debug)]
enum Record {
    Whole(NewInbound),
    Part(NewPart),
}

impl Inbound {
    pub fn new(
        store: Store,
        channels: Arc<Channels>,
        metrics: Arc<Metrics>,
        config: &InboundConfig,
        triage: Triage,
    ) -> Self {
        let per_minute = NonZeroU32::new(config.rate_limit.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.rate_limit.burst).unwrap_or(NonZeroU32::MIN);
        Self {
            store,
            channels,
            metrics,
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            addresses: AddressCache::new(ADDRESS_CACHE),
            limits: Limits {
                window_ms: secs_to_ms(config.dedupe_window_secs),
                max_chars: config.max_text_chars,
            },
            concat_timeout_ms: secs_to_ms(config.concat_timeout_secs),
            triage,
        }
    }

    /// Normalises and stores what one webhook request carried; returns once committed.
    pub async fn accept(
        &self,
        channel: &Channel,
        batch: Batch<InboundDraft>,
    ) -> Result<Accepted, InboundError> {
        self.accept_with(channel, batch, |_| Ok(())).await
    }

    /// The same, with `also` written in the same transaction: both are stored or neither
    /// (the console's simulator audits the message it sends).
    pub async fn accept_with<A>(
        &self,
        channel: &Channel,
        batch: Batch<InboundDraft>,
        also: A,
    ) -> Result<Accepted, InboundError>
    where
        A: Fn(&Db<'_>) -> Result<(), StoreError> + Send + 'static,
    {
        let mut rejected = batch.rejected;
        let received_at = self.store.now_ms();
        let mut records = Vec::with_capacity(batch.items.len());
        for draft in batch.items {
            match self.normalise(channel, draft, received_at) {
                Ok(record) => records.push((record, OnceLock::new())),
                Err(e) => rejected.push(e),
            }
        }
        if records.is_empty() {
            return match rejected.into_iter().next() {
                Some(first) => Err(first.into()),
                None => Ok(Accepted::default()),
            };
        }
        for error in &rejected {
            self.metrics.inbound(&channel.id, "malformed");
            tracing::warn!(channel = %channel.id, %error, "inbound batch entry refused");
        }
        let (limits, limiter) = (self.limits, Arc::clone(&self.limiter));
        let results = self
            .store
            .write(move |db| {
                let stored = records
                    .iter()
                    .map(|(r, over)| r.store(db, &limits, &limiter, over))
                    .collect::<Result<Vec<_>, _>>()?;
                also(db)?;
                Ok(stored)
            })
            .await?;
        self.count(channel, &results);
        let stored = results.into_iter().map(|(stored, _)| stored).collect();
        Ok(Accepted { stored, rejected })
    }

    /// Counts each outcome. Every message at info would cost more than storing it, and a
    /// flood would flood the log too: per-message lines are debug, the metrics count them.
    fn count(&self, channel: &Channel, results: &[(Stored, &'static str)]) {
        for (stored, outcome) in results {
            self.metrics.inbound(&channel.id, outcome);
            tracing::debug!(channel = %channel.id, inbound.id = ?stored.id(), outcome, "inbound message");
        }
    }

    fn normalise(
        &self,
        channel: &Channel,
        draft: InboundDraft,
        received_at: i64,
    ) -> Result<Record, PayloadError> {
        let sender = self
            .addresses
            .parse(&draft.sender, channel.country)
            .map_err(|e| PayloadError::bad(sender_field(channel.kind), e.to_string()))?;
        let recipient = draft.recipient.map(|r| {
            self.addresses
                .parse(&r, channel.country)
                .map_or(r, |a| a.as_str().to_owned())
        });
        let (text, truncated) = queries::cut(draft.text, self.limits.max_chars);
        let is_loop = self.channels.is_own_number(&sender);
        let may_alert = self.triage.look(&text) == Urgency::MayAlert;
        let message = NewInbound {
            channel: channel.id.clone(),
            provider_message_id: draft.provider_message_id,
            content_hash: queries::content_hash(sender.as_str(), recipient.as_deref(), &text),
            sender: sender.as_str().to_owned(),
            recipient,
            text,
            truncated,
            is_loop,
            parts: 1,
            incomplete: false,
            provider_ts: draft.provider_ts,
            received_at,
            raw: draft.raw,
            may_alert,
        };
        Ok(match draft.concat {
            None => Record::Whole(message),
            Some(c) => Record::Part(NewPart {
                message,
                concat_ref: c.reference,
                part: c.part,
                total: c.total,
            }),
        })
    }

    /// Stores, as they are, concatenated SMS whose missing parts never came.
    pub async fn flush_expired_parts(&self) -> Result<usize, StoreError> {
        let older_than = self.store.now_ms() - self.concat_timeout_ms;
        let (limits, limiter) = (self.limits, Arc::clone(&self.limiter));
        let count = self
            .store
            .write(move |db| {
                let flushed = queries::flush_expired_parts(db, older_than, &limits)?;
                // Counted against the sender's limit as a whole message is, or lone parts
                // would be a way around it. Asked again if this write runs again: a rare
                // write, which errs towards throttling.
                for message in flushed.iter().filter(|m| !m.is_loop) {
                    if limiter.check_key(&message.sender).is_err() {
                        queries::mark_throttled(db, message.id)?;
                    }
                }
                Ok(flushed.len())
            })
            .await?;
        if count > 0 {
            tracing::info!(count, "incomplete concatenated messages stored as they are");
        }
        Ok(count)
    }

    /// Lets the rate limiter forget senders that have been quiet, bounding its memory.
    pub fn forget_quiet_senders(&self) {
        self.limiter.retain_recent();
    }
}

impl Record {
    /// Stores the record; a new message from a sender over its limit is flagged `throttled`.
    /// `over` keeps the limiter's answer: a write runs again when its batch is replayed
    /// (SQLite, after a neighbour failed) or its transaction retried (PostgreSQL, after a
    /// conflict), and a message must use up its sender's limit once, not at each run. A
    /// write that fails outright is answered 503 and sent again as a new request, which
    /// asks again: that errs towards throttling a flood, never towards losing a message.
    fn store(
        &self,
        db: &Db<'_>,
        limits: &Limits,
        limiter: &DefaultKeyedRateLimiter<String>,
        over: &OnceLock<bool>,
    ) -> Result<(Stored, &'static str), StoreError> {
        let (stored, message) = match self {
            Self::Whole(m) => (queries::insert(db, m, limits)?, m),
            Self::Part(p) => (queries::insert_part(db, p, limits)?, &p.message),
        };
        let outcome = match stored {
            Stored::Duplicate(_) => "duplicate",
            Stored::PartPending => "part",
            Stored::New(_) if message.is_loop => "loop",
            Stored::New(id)
                if *over.get_or_init(|| limiter.check_key(&message.sender).is_err()) =>
            {
                queries::mark_throttled(db, id)?;
                "throttled"
            }
            Stored::New(_) => "stored",
        };
        Ok((stored, outcome))
    }
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::args;
    use crate::store::testing::on_both;

    fn record(id: &str, text: &str) -> Record {
        let sender = "+22376123456";
        Record::Whole(NewInbound {
            channel: "sim".into(),
            provider_message_id: Some(id.into()),
            sender: sender.into(),
            recipient: None,
            text: text.into(),
            truncated: false,
            is_loop: false,
            parts: 1,
            incomplete: false,
            provider_ts: None,
            received_at: 1,
            content_hash: queries::content_hash(sender, None, text),
            raw: String::new(),
            may_alert: true,
        })
    }

    /// A write run again (its batch replayed, its transaction retried) asks the limiter
    /// once: a message within its sender's limit is not throttled by its own second run.
    #[test]
    fn a_write_run_again_uses_up_the_senders_limit_once() {
        on_both(|db| {
            let limiter = RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN));
            let limits = Limits {
                window_ms: 0,
                max_chars: 1_000,
            };
            let (first, over) = (record("m1", "ATT Koro"), OnceLock::new());
            db.execute_batch("SAVEPOINT replay")?;
            assert_eq!(first.store(db, &limits, &limiter, &over)?.1, "stored");
            db.execute_batch("ROLLBACK TO SAVEPOINT replay")?;
            assert_eq!(
                first.store(db, &limits, &limiter, &over)?.1,
                "stored",
                "the same message, run again"
            );
            let (next, over) = (record("m2", "ATT Gao"), OnceLock::new());
            db.execute_batch("SAVEPOINT replay")?;
            assert_eq!(
                next.store(db, &limits, &limiter, &over)?.1,
                "throttled",
                "the sender's next message is over the limit"
            );
            db.execute_batch("ROLLBACK TO SAVEPOINT replay")?;
            assert_eq!(
                next.store(db, &limits, &limiter, &over)?.1,
                "throttled",
                "and flagged again when run again"
            );
            let flagged = "SELECT count(*) FROM inbound_messages WHERE throttled = 1";
            assert_eq!(db.value::<i64>(flagged, args![])?, 1);
            Ok(())
        });
    }
}
