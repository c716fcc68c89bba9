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
use crate::silence::operators::Operators;
use crate::store::delivery::{self as queries, NewReport};
use crate::store::signs::{self, Sign, Via};
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
    /// Which operator each number is on, for the sign of life a delivery is.
    operators: Arc<Operators>,
}

impl Delivery {
    pub fn new(store: Store, metrics: Arc<Metrics>, operators: Arc<Operators>) -> Self {
        Self {
            store,
            metrics,
            operators,
        }
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
        let operators = Arc::clone(&self.operators);
        let new = self
            .store
            .write(move |conn| {
                let mut new = Vec::with_capacity(reports.len());
                for r in &reports {
                    let stored = queries::insert(conn, r)?;
                    // An SMS delivered means their phone is on and in reach.
                    if let Some(to) = &stored.delivered_to {
                        let sign = Sign {
                            at: r.received_at,
                            via: Via::Delivery,
                            operator: operators.of(to),
                        };
                        signs::record_by_phone(conn, to, &sign)?;
                    }
                    new.push(stored.new);
                }
                Ok(new)
            })
            .await?;
        for status in statuses {
            self.metrics.delivery_report(&channel.id, status);
        }
        Ok(new.into_iter().filter(|n| *n).count())
    }

    fn report(&self, channel: &Channel, draft: StatusDraft, received_at: i64) -> NewReport {
        if draft.status.is_none() {
            // The provider's word is the caller's text: stored with the report, not logged.
            tracing::warn!(
                channel = %channel.id,
                provider_status.chars = draft.provider_status.chars().count(),
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
