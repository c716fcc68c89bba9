//! Stage 7, delivery: provider delivery reports, normalised and stored.
//!
//! Reports are kept as received, keyed by channel and provider message id (or the id of ours
//! that the provider echoes), and applied to their outbound message in the same
//! transaction. A report that arrives before the send call returned waits, unapplied, until
//! the sender records the provider's id. Unknown provider statuses are stored
//! with no normalised status, logged, and answered 200: a provider that invents a status must
//! not be made to retry forever.

use std::sync::Arc;

use crate::metrics::Metrics;
use crate::provider::{Batch, Channel, PayloadError, StatusDraft};
use crate::store::delivery::{self as queries, NewReport};
use crate::store::{Store, StoreError};

/// Why a delivery-report request was not stored.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The delivery stage.
#[derive(Debug)]
pub struct Delivery {
    store: Store,
    metrics: Arc<Metrics>,
}

impl Delivery {
    pub fn new(store: Store, metrics: Arc<Metrics>) -> Self {
        Self { store, metrics }
    }

    /// Stores the reports of one request; returns how many were new.
    pub async fn record(
        &self,
        channel: &Channel,
        batch: Batch<StatusDraft>,
    ) -> Result<usize, DeliveryError> {
        for error in &batch.rejected {
            tracing::warn!(channel = %channel.id, %error, "delivery report entry skipped");
        }
        if batch.items.is_empty() {
            return match batch.rejected.into_iter().next() {
                Some(first) => Err(first.into()),
                None => Ok(0),
            };
        }
        let received_at = self.store.now_ms();
        let reports: Vec<NewReport> = batch
            .items
            .into_iter()
            .map(|d| self.report(channel, d, received_at))
            .collect();
        let statuses: Vec<&'static str> = reports
            .iter()
            .map(|r| r.status.unwrap_or("unknown"))
            .collect();
        let new = self
            .store
            .write(move |conn| {
                reports
                    .iter()
                    .map(|r| queries::insert(conn, r))
                    .collect::<Result<Vec<bool>, _>>()
            })
            .await?;
        for status in statuses {
            self.metrics.delivery_report(&channel.id, status);
        }
        Ok(new.into_iter().filter(|n| *n).count())
    }

    fn report(&self, channel: &Channel, draft: StatusDraft, received_at: i64) -> NewReport {
        if draft.status.is_none() {
            tracing::warn!(
                channel = %channel.id,
                provider_status = %draft.provider_status,
                "unknown delivery status kept without a normalised status"
            );
        }
        NewReport {
            channel: channel.id.clone(),
            provider_message_id: draft.provider_message_id,
            reference: draft.reference,
            status: draft.status.map(|s| s.as_str()),
            provider_status: draft.provider_status,
            error_code: draft.error_code,
            raw: draft.raw,
            received_at,
        }
    }
}
