//! Orange SMS API (GSMA OneAPI): JSON inbound notifications and delivery receipts.
//!
//! Orange gives no message id in either: inbound messages are deduplicated by content, and
//! delivery receipts are matched by the `callbackData` we sent.

use serde_json::Value;

use super::{
    Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest, parse_time,
};

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, key| v.get(key))?.as_str()
}

fn strip_tel(address: &str) -> &str {
    address.strip_prefix("tel:").unwrap_or(address)
}

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    let body: Value = req.json()?;
    const ROOT: &str = "inboundSMSMessageNotification.inboundSMSMessage";
    let msg = body
        .get("inboundSMSMessageNotification")
        .and_then(|n| n.get("inboundSMSMessage"))
        .ok_or_else(|| PayloadError::Missing(ROOT.into()))?;
    let field = |name: &str| format!("{ROOT}.{name}");
    let sender = str_at(msg, &["senderAddress"]).filter(|s| !s.is_empty());
    Ok(Batch::one(InboundDraft {
        provider_message_id: str_at(msg, &["messageId"]).map(str::to_owned),
        sender: strip_tel(sender.ok_or_else(|| PayloadError::Missing(field("senderAddress")))?)
            .to_owned(),
        recipient: str_at(msg, &["destinationAddress"]).map(|a| strip_tel(a).to_owned()),
        text: str_at(msg, &["message"])
            .ok_or_else(|| PayloadError::Missing(field("message")))?
            .to_owned(),
        provider_ts: str_at(msg, &["dateTime"])
            .map(|t| parse_time(&field("dateTime"), t))
            .transpose()?,
        raw: body.to_string(),
        concat: None,
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let body: Value = req.json()?;
    const ROOT: &str = "deliveryInfoNotification";
    let info = &["deliveryInfoNotification", "deliveryInfo", "deliveryStatus"];
    let value = str_at(&body, info)
        .ok_or_else(|| PayloadError::Missing(format!("{ROOT}.deliveryInfo.deliveryStatus")))?;
    let reference = str_at(&body, &[ROOT, "callbackData"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| PayloadError::Missing(format!("{ROOT}.callbackData")))?;
    Ok(Batch::one(StatusDraft {
        provider_message_id: None,
        reference: Some(reference.to_owned()),
        status: map_status(value),
        provider_status: value.to_owned(),
        error_code: None,
        raw: body.to_string(),
    }))
}

/// OneAPI delivery statuses; only the handset or "impossible" is final.
fn map_status(value: &str) -> Option<DeliveryStatus> {
    Some(match value {
        "DeliveredToTerminal" => DeliveryStatus::Delivered,
        "DeliveredToNetwork"
        | "MessageWaiting"
        | "DeliveryUncertain"
        | "DeliveryNotificationNotSupported" => DeliveryStatus::Sent,
        "DeliveryImpossible" => DeliveryStatus::Failed,
        _ => return None,
    })
}
