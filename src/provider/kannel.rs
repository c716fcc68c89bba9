//! Kannel `sms-service` (`post-url` with `%p %P %b %I %T` in the query) and `dlr-url` reports.
//!
//! The delivery-report URL we give Kannel carries our outbound id as `id` and `%d` as `status`.

use super::{
    Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest, parse_time,
};

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    let p = req.params();
    Ok(Batch::one(InboundDraft {
        provider_message_id: p.non_empty("id").map(str::to_owned),
        sender: p.require_non_empty("sender")?.to_owned(),
        recipient: p.non_empty("to").map(str::to_owned),
        // With `omit-empty`, an empty SMS arrives without `message`.
        text: p.get("message").unwrap_or_default().to_owned(),
        provider_ts: p.non_empty("ts").map(|t| parse_time("ts", t)).transpose()?,
        raw: req.raw(),
        concat: None,
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = req.params();
    let value = p.require_non_empty("status")?;
    let code: u32 = value
        .parse()
        .map_err(|_| PayloadError::bad("status", format!("`{value}` is not a DLR type")))?;
    Ok(Batch::one(StatusDraft {
        provider_message_id: None,
        reference: Some(p.require_non_empty("id")?.to_owned()),
        status: map_status(code),
        provider_status: value.to_owned(),
        error_code: p.non_empty("reply").map(str::to_owned),
        raw: req.raw(),
    }))
}

/// Kannel DLR types. A handset or SMSC failure (2, 16) is final: retrying is the outbound
/// queue's decision, never a side effect of a report.
fn map_status(code: u32) -> Option<DeliveryStatus> {
    Some(match code {
        1 => DeliveryStatus::Delivered,
        2 | 16 => DeliveryStatus::Failed,
        4 => DeliveryStatus::Queued,
        8 => DeliveryStatus::Sent,
        _ => return None,
    })
}
