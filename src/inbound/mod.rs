//! Stage 1, inbound: a provider's message becomes one stored, normalised inbound message.
//!
//! Normalises addresses to E.164, flags floods (`throttled`) and loops (our own numbers),
//! cuts over-long texts (`truncated`), keeps parts of concatenated SMS until complete, and
//! stores each message exactly once. `accept` returns only after the write is committed,
//! so the webhook can answer 2xx knowing nothing acknowledged can be lost.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::clock;
use crate::config::InboundConfig;
use crate::metrics::Metrics;
use crate::phone::{Address, AddressCache};
use crate::provider::{Batch, Channel, Channels, InboundDraft, PayloadError, sender_field};
use crate::store::inbound::{self as queries, NewInbound, NewPart, Stored};
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
    limiter: DefaultKeyedRateLimiter<Address>,
    addresses: AddressCache,
    max_text_chars: usize,
    window_ms: i64,
    concat_timeout_ms: i64,
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
    ) -> Self {
        let per_minute = NonZeroU32::new(config.rate_limit.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(config.rate_limit.burst).unwrap_or(NonZeroU32::MIN);
        Self {
            store,
            channels,
            metrics,
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            addresses: AddressCache::new(ADDRESS_CACHE),
            max_text_chars: config.max_text_chars,
            window_ms: secs_to_ms(config.dedupe_window_secs),
            concat_timeout_ms: secs_to_ms(config.concat_timeout_secs),
        }
    }

    /// Normalises and stores what one webhook request carried; returns once committed.
    pub async fn accept(
        &self,
        channel: &Channel,
        batch: Batch<InboundDraft>,
    ) -> Result<Accepted, InboundError> {
        let mut rejected = batch.rejected;
        let received_at = clock::now_ms();
        let mut records = Vec::with_capacity(batch.items.len());
        for draft in batch.items {
            match self.normalise(channel, draft, received_at) {
                Ok(record) => records.push(record),
                Err(e) => rejected.push(e),
            }
        }
        if records.is_empty() {
            return match rejected.into_iter().next() {
                Some(first) => Err(first.into()),
                None => Ok(Accepted::default()),
            };
        }
        let window = self.window_ms;
        let flags: Vec<&'static str> = records.iter().map(Record::flag).collect();
        let stored = self
            .store
            .write(move |conn| {
                records
                    .iter()
                    .map(|r| r.store(conn, window))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        self.count(channel, &stored, &flags);
        Ok(Accepted { stored, rejected })
    }

    /// Counts each outcome; logs what an operator must notice.
    fn count(&self, channel: &Channel, stored: &[Stored], flags: &[&'static str]) {
        for (result, flag) in stored.iter().zip(flags) {
            let outcome: &'static str = match result {
                Stored::New(_) => flag,
                Stored::Duplicate(_) => "duplicate",
                Stored::PartPending => "part",
            };
            self.metrics.inbound(&channel.id, outcome);
            // Every message at info would cost more than storing it; the metrics count them.
            // Floods and loops stay at info.
            if matches!(outcome, "throttled" | "loop") {
                tracing::info!(channel = %channel.id, inbound.id = ?result.id(), outcome, "inbound message flagged");
            } else {
                tracing::debug!(channel = %channel.id, inbound.id = ?result.id(), outcome, "inbound message accepted");
            }
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
        let (text, truncated) = cut(draft.text, self.max_text_chars);
        let is_loop = self.channels.is_own_number(&sender);
        let throttled = !is_loop && self.limiter.check_key(&sender).is_err();
        tracing::debug!(channel = %channel.id, sender = ?sender, throttled, is_loop, "inbound message normalised");
        let message = NewInbound {
            channel: channel.id.clone(),
            provider_message_id: draft.provider_message_id,
            content_hash: queries::content_hash(sender.as_str(), recipient.as_deref(), &text),
            sender: sender.as_str().to_owned(),
            recipient,
            text,
            truncated,
            throttled,
            is_loop,
            parts: 1,
            incomplete: false,
            provider_ts: draft.provider_ts,
            received_at,
            raw: draft.raw,
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
        let older_than = clock::now_ms() - self.concat_timeout_ms;
        let window = self.window_ms;
        let ids = self
            .store
            .write(move |conn| queries::flush_expired_parts(conn, older_than, window))
            .await?;
        if !ids.is_empty() {
            tracing::info!(
                count = ids.len(),
                "incomplete concatenated messages stored as they are"
            );
        }
        Ok(ids.len())
    }

    /// Lets the rate limiter forget senders that have been quiet, bounding its memory.
    pub fn forget_quiet_senders(&self) {
        self.limiter.retain_recent();
    }
}

impl Record {
    fn store(&self, conn: &rusqlite::Connection, window_ms: i64) -> Result<Stored, StoreError> {
        match self {
            Self::Whole(m) => queries::insert(conn, m, window_ms),
            Self::Part(p) => queries::insert_part(conn, p, window_ms),
        }
    }

    /// The metrics outcome of a new message.
    fn flag(&self) -> &'static str {
        let m = match self {
            Self::Whole(m) => m,
            Self::Part(p) => &p.message,
        };
        if m.is_loop {
            "loop"
        } else if m.throttled {
            "throttled"
        } else {
            "stored"
        }
    }
}

/// `text` cut to `max` characters, and whether it was cut.
fn cut(text: String, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((end, _)) => (text[..end].to_owned(), true),
        None => (text, false),
    }
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn texts_are_cut_on_character_boundaries() {
        let cases = [
            ("short", "abc", 5, "abc", false),
            ("exact", "abcde", 5, "abcde", false),
            ("long", "abcdef", 5, "abcde", true),
            ("accents count once", "éééééé", 5, "ééééé", true),
            ("empty", "", 5, "", false),
        ];
        for (name, text, max, expected, was_cut) in cases {
            assert_eq!(
                cut(text.to_owned(), max),
                (expected.to_owned(), was_cut),
                "{name}"
            );
        }
    }
}
