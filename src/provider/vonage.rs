//! Vonage (classic SMS API): inbound SMS and delivery receipts by GET, form POST or JSON POST;
//! the send API.
//!
//! Vonage delivers each part of a long SMS separately; parts are marked with `concat-*`
//! fields and reassembled by the inbound stage.

use std::borrow::Cow;

use serde_json::Value;

use super::send::{self, Answer, Failure, Fault, SendOutcome, SendRequest};
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
            .map_err(|_| PayloadError::bad(name, "is not a whole number"))
    };
    let (total, part) = (number("concat-total")?, number("concat-part")?);
    if total == 0 || part == 0 || part > total {
        return Err(PayloadError::bad(
            "concat-part",
            "is 0 or past concat-total",
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

/// `POST {base}/sms/json`, credentials as form fields; our id as `client-ref`, which
/// delivery receipts echo.
pub(super) fn send_request(r: &SendRequest<'_>) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let (http, msg, s) = (r.http, r.msg, &r.channel.send);
    let status_url = r.status_url.clone();
    let key = send::secret(s.api_key.as_ref(), "api_key")?;
    let api_secret = send::secret(s.api_secret.as_ref(), "api_secret")?;
    let from = send::setting(s.sender.as_deref(), "sender")?;
    let kind = match msg.encoding {
        crate::gsm7::Encoding::Gsm7 => "text",
        crate::gsm7::Encoding::Ucs2 => "unicode",
    };
    let id = msg.id.to_string();
    let mut form = vec![
        ("api_key", key),
        ("api_secret", api_secret),
        ("from", send::digits(from)),
        ("to", send::digits(&msg.to)),
        ("text", msg.text.as_str()),
        ("type", kind),
        ("client-ref", id.as_str()),
    ];
    let callback = status_url.unwrap_or_default();
    if !callback.is_empty() {
        form.push(("status-report-req", "1"));
        form.push(("callback", callback.as_str()));
    }
    Ok(http
        .post(format!("{}/sms/json", s.base_url))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form))
}

/// Vonage answers 200 and puts the outcome in `messages[0].status` (`"0"` is success).
pub(super) fn read_send(answer: &Answer<'_>) -> SendOutcome {
    let message = match answer.first_message() {
        Ok(message) => message,
        Err(outcome) => return outcome,
    };
    let text = |key: &str| message.get(key).and_then(Value::as_str).unwrap_or("");
    let status = text("status");
    let reason = text("error-text");
    let code = Some(status.to_owned());
    match status {
        "0" => SendOutcome::Accepted {
            provider_message_id: Some(text("message-id").to_owned()).filter(|id| !id.is_empty()),
            provider_status: None,
        },
        "1" => SendOutcome::Retry(Failure {
            throttled: true,
            ..Failure::new(reason, code)
        }),
        "5" => SendOutcome::Retry(Failure {
            transport: true,
            ..Failure::new(reason, code)
        }),
        // Unroutable prefix, barred, too long, number de-activated. ("3", invalid parameters,
        // can be any field: the channel's, so a fallback gets its chance.)
        "6" | "7" | "12" | "33" => send::rejected(reason, code, Fault::Number),
        _ => send::rejected(reason, code, Fault::Channel),
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::provider::send::{answer, kind_of};

    fn answer_with(status: &str) -> String {
        format!(
            r#"{{"message-count":"1","messages":[{{"to":"22376123456","message-id":"v1","status":"{status}","error-text":"e"}}]}}"#
        )
    }

    #[test]
    fn answers_are_read_by_message_status() {
        let cases = [
            ("accepted", answer_with("0"), "accepted"),
            ("throttled", answer_with("1"), "retry"),
            ("internal error", answer_with("5"), "retry"),
            ("unroutable number", answer_with("6"), "number"),
            ("invalid parameters", answer_with("3"), "channel"),
            ("barred", answer_with("7"), "number"),
            ("bad credentials", answer_with("4"), "channel"),
            ("quota", answer_with("9"), "channel"),
            ("no messages", "{}".to_owned(), "channel"),
        ];
        for (name, body, expected) in cases {
            let answer = answer(200, &body);
            assert_eq!(kind_of(&read_send(&answer)), expected, "{name}");
        }
    }
}
