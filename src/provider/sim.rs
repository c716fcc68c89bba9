//! The built-in `sim` channel: a phone played with curl or a test.
//!
//! Inbound: form fields `from`, `text`, optional `date` (RFC 3339), `to` and `id`.
//! Status: form fields `id` (our outbound id) and `status` (one of the normalised values).

use super::{Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest};

/// Africa's Talking's inbound form, from the query or the body, so any demo script fits.
pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    super::africastalking::inbound_fields(&req.params(), req)
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = req.params();
    let value = p.require_non_empty("status")?;
    let status = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Expired,
    ]
    .into_iter()
    .find(|s| s.as_str() == value)
    .ok_or_else(|| {
        PayloadError::bad(
            "status",
            "is not queued, sent, delivered, failed or expired",
        )
    })?;
    Ok(Batch::one(StatusDraft {
        provider_message_id: None,
        reference: Some(p.require_non_empty("id")?.to_owned()),
        status: Some(status),
        provider_status: value.to_owned(),
        error_code: p.non_empty("error").map(str::to_owned),
        raw: req.raw(),
    }))
}
