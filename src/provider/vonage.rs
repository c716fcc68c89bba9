//! Vonage (classic SMS API): inbound SMS and delivery receipts by GET, form POST or JSON POST.
//!
//! Vonage delivers each part of a long SMS separately; parts are marked with `concat-*`
//! fields and reassembled by the inbound stage.

use std::borrow::Cow;

use serde_json::Value;

use super::{
    Batch, ConcatPart, DeliveryStatus, InboundDraft, Params, PayloadError, StatusDraft,
    WebhookRequest, parse_time,
};

/// Every parameter Vonage sent, whichever way it sent them.
pub(super) fn params(req: &WebhookRequest) -> Result<Params<'_>, PayloadError> {
    if !req.is_json() {
        return Ok(req.params());
    }
    let body: Value = req.json()?;
    let object = body.as_object().ok_or_else(|| PayloadError::Syntax {
        format: "provider JSON",
        reason: "expected an object".into(),
    })?;
    let mut params = req.query();
    params.0.extend(object.iter().map(|(k, v)| {
        let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        (Cow::Owned(k.clone()), Cow::Owned(value))
    }));
    Ok(params)
}

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    let p = params(req)?;
    // Vonage checks a new webhook URL with a request that has no `to`.
    let Some(to) = p.non_empty("to") else {
        return Ok(Batch::empty());
    };
    let binary = p.get("type") == Some("binary");
    let text = if binary {
        String::new()
    } else {
        p.require("text")?.to_owned()
    };
    let concat = concat_part(&p)?;
    let id = p.non_empty("messageId").map(str::to_owned);
    if concat.is_some() && id.is_none() {
        return Err(PayloadError::Missing("messageId".into()));
    }
    Ok(Batch::one(InboundDraft {
        provider_message_id: id,
        sender: p.require_non_empty("msisdn")?.to_owned(),
        recipient: Some(to.to_owned()),
        text,
        provider_ts: p
            .non_empty("message-timestamp")
            .map(|t| parse_time("message-timestamp", t))
            .transpose()?,
        raw: p.to_raw(),
        concat,
    }))
}

fn concat_part(p: &Params<'_>) -> Result<Option<ConcatPart>, PayloadError> {
    if p.get("concat") != Some("true") {
        return Ok(None);
    }
    let number = |name: &str| -> Result<u32, PayloadError> {
        let value = p.require_non_empty(name)?;
        value
            .parse()
            .map_err(|_| PayloadError::bad(name, format!("`{value}` is not a whole number")))
    };
    let (total, part) = (number("concat-total")?, number("concat-part")?);
    if total == 0 || part == 0 || part > total {
        return Err(PayloadError::bad(
            "concat-part",
            format!("part {part} of {total}"),
        ));
    }
    Ok(Some(ConcatPart {
        reference: p.require_non_empty("concat-ref")?.to_owned(),
        part,
        total,
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = params(req)?;
    let Some(id) = p.non_empty("messageId") else {
        return Ok(Batch::empty());
    };
    let value = p.require_non_empty("status")?;
    Ok(Batch::one(StatusDraft {
        provider_message_id: Some(id.to_owned()),
        reference: p.non_empty("client-ref").map(str::to_owned),
        status: map_status(value),
        provider_status: value.to_owned(),
        error_code: p
            .non_empty("err-code")
            .filter(|c| *c != "0")
            .map(str::to_owned),
        raw: p.to_raw(),
    }))
}

fn map_status(value: &str) -> Option<DeliveryStatus> {
    Some(match value {
        "accepted" | "buffered" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "expired" => DeliveryStatus::Expired,
        "failed" | "rejected" => DeliveryStatus::Failed,
        _ => return None,
    })
}
