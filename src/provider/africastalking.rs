//! Africa's Talking: form-encoded inbound SMS and delivery reports.

use super::{
    Batch, DeliveryStatus, InboundDraft, Params, PayloadError, StatusDraft, WebhookRequest,
    parse_time,
};

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    inbound_fields(&req.form(), req)
}

/// Reads `from`, `to`, `text`, `date` and `id`; the sim channel speaks the same form.
pub(super) fn inbound_fields(
    p: &Params<'_>,
    req: &WebhookRequest,
) -> Result<Batch<InboundDraft>, PayloadError> {
    Ok(Batch::one(InboundDraft {
        provider_message_id: p.non_empty("id").map(str::to_owned),
        sender: p.require_non_empty("from")?.to_owned(),
        recipient: p.non_empty("to").map(str::to_owned),
        text: p.require("text")?.to_owned(),
        provider_ts: p
            .non_empty("date")
            .map(|d| parse_time("date", d))
            .transpose()?,
        raw: req.raw(),
        concat: None,
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = req.params();
    let provider_status = p.require_non_empty("status")?;
    Ok(Batch::one(StatusDraft {
        provider_message_id: Some(p.require_non_empty("id")?.to_owned()),
        reference: None,
        status: map_status(provider_status),
        provider_status: provider_status.to_owned(),
        error_code: p.non_empty("failureReason").map(str::to_owned),
        raw: req.raw(),
    }))
}

/// AT's documented values plus `Expired`, which it sends though its docs omit it.
/// `Submitted` (handed to the operator) is not final: sent.
fn map_status(value: &str) -> Option<DeliveryStatus> {
    Some(match value {
        "Sent" | "Submitted" | "Buffered" => DeliveryStatus::Sent,
        "Success" => DeliveryStatus::Delivered,
        "Rejected" | "Failed" => DeliveryStatus::Failed,
        "Expired" => DeliveryStatus::Expired,
        _ => return None,
    })
}
