//! Twilio: form-encoded inbound SMS and status callbacks, signed with `X-Twilio-Signature`.

use super::{Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest};

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    let p = req.form();
    Ok(Batch::one(InboundDraft {
        provider_message_id: Some(p.require_non_empty("MessageSid")?.to_owned()),
        sender: p.require_non_empty("From")?.to_owned(),
        recipient: p.non_empty("To").map(str::to_owned),
        text: p.require("Body")?.to_owned(),
        // Twilio sends no receive time with inbound messages.
        provider_ts: None,
        raw: req.raw(),
        concat: None,
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = req.params();
    let (Some(sid), Some(value)) = (p.non_empty("MessageSid"), p.non_empty("MessageStatus")) else {
        // Twilio sends other callbacks to the same URL; they carry nothing for us.
        return Ok(Batch::empty());
    };
    let error_code = p
        .non_empty("ErrorCode")
        .filter(|c| *c != "0")
        .map(str::to_owned);
    Ok(Batch::one(StatusDraft {
        provider_message_id: Some(sid.to_owned()),
        // Our outbound id, when the callback URL we gave carries `?ref=`.
        reference: req.query().non_empty("ref").map(str::to_owned),
        status: map_status(value, error_code.as_deref()),
        provider_status: value.to_owned(),
        error_code,
        raw: req.raw(),
    }))
}

/// Twilio's message status values. Error 30036 is Twilio's "validity period expired".
fn map_status(value: &str, error_code: Option<&str>) -> Option<DeliveryStatus> {
    Some(match value {
        "accepted" | "scheduled" | "queued" => DeliveryStatus::Queued,
        "sending" | "sent" | "partially_delivered" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "failed" | "undelivered" if error_code == Some("30036") => DeliveryStatus::Expired,
        "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}
