//! Infobip: JSON batches of inbound messages and of delivery reports; the send API.
//!
//! One request carries many entries. An entry we cannot read is refused alone: the others
//! are stored, so one odd entry never makes the provider drop or resend a whole batch.

use serde::Deserialize;
use serde_json::Value;

use super::send::{self, Answer, Fault, SendOutcome, SendRequest};
use super::{
    Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest, parse_time,
};

#[derive(Deserialize)]
struct Envelope {
    results: Option<Vec<Value>>,
}

fn results(req: &WebhookRequest) -> Result<Vec<Value>, PayloadError> {
    let envelope: Envelope = req.json()?;
    envelope
        .results
        .ok_or_else(|| PayloadError::Missing("results".into()))
}

/// Reads every entry with `read`, keeping the failures apart.
fn batch<T>(
    entries: Vec<Value>,
    read: impl Fn(&Value, &dyn Fn(&str) -> String) -> Result<T, PayloadError>,
) -> Batch<T> {
    let mut out = Batch::empty();
    for (i, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("results[{i}].{name}");
        match read(entry, &field) {
            Ok(item) => out.items.push(item),
            Err(e) => out.rejected.push(e),
        }
    }
    out
}

fn text_field<'a>(
    entry: &'a Value,
    name: &str,
    field: &dyn Fn(&str) -> String,
) -> Result<Option<&'a str>, PayloadError> {
    match entry.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(PayloadError::bad(field(name), "expected a string")),
    }
}

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    Ok(batch(results(req)?, |entry, field| {
        let sender = text_field(entry, "from", field)?.filter(|s| !s.is_empty());
        Ok(InboundDraft {
            provider_message_id: text_field(entry, "messageId", field)?.map(str::to_owned),
            sender: sender
                .ok_or_else(|| PayloadError::Missing(field("from")))?
                .to_owned(),
            recipient: text_field(entry, "to", field)?.map(str::to_owned),
            // `cleanText` drops the keyword; the full text is what the monitor typed.
            text: text_field(entry, "text", field)?
                .ok_or_else(|| PayloadError::Missing(field("text")))?
                .to_owned(),
            provider_ts: text_field(entry, "receivedAt", field)?
                .map(|t| parse_time(&field("receivedAt"), t))
                .transpose()?,
            raw: entry.to_string(),
            concat: None,
        })
    }))
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    Ok(batch(results(req)?, |entry, field| {
        let id = text_field(entry, "messageId", field)?.filter(|s| !s.is_empty());
        let status = entry
            .get("status")
            .ok_or_else(|| PayloadError::Missing(field("status")))?;
        let group_id = status.get("groupId").and_then(Value::as_i64);
        let status_id = status.get("id").and_then(Value::as_i64);
        let name = status
            .get("name")
            .or_else(|| status.get("groupName"))
            .and_then(Value::as_str);
        let error = entry
            .get("error")
            .filter(|e| e.get("id").and_then(Value::as_i64).unwrap_or(0) != 0);
        Ok(StatusDraft {
            provider_message_id: Some(
                id.ok_or_else(|| PayloadError::Missing(field("messageId")))?
                    .to_owned(),
            ),
            reference: text_field(entry, "callbackData", field)?.map(str::to_owned),
            status: map_status(group_id, status_id),
            provider_status: name
                .map_or_else(|| format!("{group_id:?}/{status_id:?}"), str::to_owned),
            error_code: error
                .and_then(|e| e.get("name").or_else(|| e.get("id")))
                .map(value_text),
            raw: entry.to_string(),
        })
    }))
}

fn value_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Maps by group id, not name. `DELIVERED_TO_OPERATOR` (status id 2) is not final, and an
/// `EXPIRED` message (validity over) was never delivered: failed.
fn map_status(group_id: Option<i64>, status_id: Option<i64>) -> Option<DeliveryStatus> {
    const DELIVERED_TO_HANDSET: i64 = 5;
    Some(match group_id? {
        1 => DeliveryStatus::Sent,
        3 if status_id == Some(DELIVERED_TO_HANDSET) => DeliveryStatus::Delivered,
        3 => DeliveryStatus::Sent,
        2 | 4 | 5 => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// `POST {base}/sms/3/messages` with `Authorization: App KEY`. Our id rides as
/// `callbackData`, which delivery reports echo.
pub(super) fn send_request(r: &SendRequest<'_>) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let (http, msg, s) = (r.http, r.msg, &r.channel.send);
    let status_url = r.status_url.clone();
    let key = send::secret(s.api_key.as_ref(), "api_key")?;
    let mut message = serde_json::json!({
        "destinations": [{ "to": send::digits(&msg.to) }],
        "content": { "text": msg.text },
        "webhooks": { "callbackData": msg.id.to_string() },
    });
    if let Some(sender) = &s.sender {
        message["sender"] = sender.as_str().into();
    }
    if let Some(url) = status_url {
        message["webhooks"]["delivery"] = serde_json::json!({ "url": url });
    }
    Ok(http
        .post(format!("{}/sms/3/messages", s.base_url))
        .header(reqwest::header::AUTHORIZATION, format!("App {key}"))
        .json(&serde_json::json!({ "messages": [message] })))
}

/// Status groups 1 (pending) and 3 (delivered) are accepted; a rejection names its reason.
pub(super) fn read_send(answer: &Answer<'_>) -> SendOutcome {
    let message = match answer.first_message() {
        Ok(message) => message,
        Err(outcome) => return outcome,
    };
    let status = message.get("status").cloned().unwrap_or_default();
    let name = status.get("name").and_then(Value::as_str).unwrap_or("");
    match status.get("groupId").and_then(Value::as_u64) {
        Some(1 | 3) => SendOutcome::Accepted {
            provider_message_id: message
                .get("messageId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            provider_status: Some(name.to_owned()),
        },
        _ => {
            let description = status.get("description").and_then(Value::as_str);
            let number = ["DESTINATION", "PREFIX", "DND", "MISSING_TO"]
                .iter()
                .any(|n| name.contains(n));
            let fault = if number {
                Fault::Number
            } else {
                Fault::Channel
            };
            send::rejected(description.unwrap_or(name), Some(name.to_owned()), fault)
        }
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::provider::send::{answer, kind_of};

    fn answer_with(group: u32, name: &str) -> String {
        format!(
            r#"{{"bulkId":"b","messages":[{{"messageId":"m1","status":{{"groupId":{group},"groupName":"G","id":1,"name":"{name}","description":"d"}}}}]}}"#
        )
    }

    #[test]
    fn answers_are_read_by_status_group_and_name() {
        let cases = [
            (
                "pending",
                200,
                answer_with(1, "PENDING_ACCEPTED"),
                "accepted",
            ),
            (
                "bad number",
                200,
                answer_with(5, "REJECTED_DESTINATION"),
                "number",
            ),
            (
                "no credit",
                200,
                answer_with(5, "REJECTED_NOT_ENOUGH_CREDITS"),
                "channel",
            ),
            ("outage", 500, String::new(), "retry"),
            ("unauthorized", 401, "{}".to_owned(), "channel"),
        ];
        for (name, status, body, expected) in cases {
            let answer = answer(status, &body);
            assert_eq!(kind_of(&read_send(&answer)), expected, "{name}");
        }
    }
}
