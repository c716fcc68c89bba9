//! Twilio: form-encoded inbound SMS and status callbacks, signed with `X-Twilio-Signature`.

use super::send::{self, Answer, Fault, SendOutcome, SendRequest};
use super::{Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest};

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    let p = req.form();
    Ok(Batch::one(InboundDraft {
        provider_message_id: Some(p.require_non_empty("MessageSid")?.to_owned()),
        sender: p.require_non_empty("From")?.to_owned(),
        recipient: p.non_empty("To").map(str::to_owned),
        text: decode_body(p.require("Body")?),
        // Twilio sends no receive time with inbound messages.
        provider_ts: None,
        raw: req.raw(),
        concat: None,
    }))
}

/// Twilio sometimes hands over a concatenated SMS as Base64 text. A body that is long,
/// unbroken, valid Base64 and mostly printable once decoded is taken to be one; nobody types
/// 60 characters without a space on a keypad.
fn decode_body(body: &str) -> String {
    use base64::Engine;
    let looks_encoded =
        body.len() >= 60 && body.len().is_multiple_of(4) && !body.chars().any(char::is_whitespace);
    if !looks_encoded {
        return body.to_owned();
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded {
        Some(text) if mostly_printable(&text) => text,
        _ => body.to_owned(),
    }
}

fn mostly_printable(text: &str) -> bool {
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    printable * 2 >= text.chars().count()
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

/// `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth, form fields. The
/// status callback carries our id as `ref`, so its reports match even before `sid` is stored.
pub(super) fn send_request(r: &SendRequest<'_>) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let (http, channel, msg, s) = (r.http, r.channel, r.msg, &r.channel.send);
    let status_url = r.status_url.clone();
    let sid = send::setting(s.account_sid.as_deref(), "account_sid")?;
    let token = send::secret(channel.twilio_auth_token.as_ref(), "auth_token")?;
    let from = send::setting(s.sender.as_deref(), "sender")?;
    let mut form = vec![
        ("To", msg.to.clone()),
        ("From", from.to_owned()),
        ("Body", msg.text.clone()),
    ];
    if let Some(url) = status_url {
        let callback = send::with_query(&url, &format!("ref={}", msg.id));
        form.push(("StatusCallback", callback));
    }
    Ok(http
        .post(format!(
            "{}/2010-04-01/Accounts/{sid}/Messages.json",
            s.base_url
        ))
        .basic_auth(sid, Some(token))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form))
}

/// Twilio error codes that mean the number will never take this message.
const NUMBER_CODES: &[u64] = &[21211, 21214, 21610, 21612, 21614];

/// A 2xx with a `sid` is accepted; errors carry Twilio's `code`.
pub(super) fn read_send(answer: &Answer<'_>) -> SendOutcome {
    if let Some(outcome) = answer.common() {
        return outcome;
    }
    let Ok(body) = serde_json::from_str::<serde_json::Value>(answer.body) else {
        return answer.unexpected("unexpected answer");
    };
    let text = |key: &str| body.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    if answer.status.is_success() {
        return match text("sid") {
            Some(sid) => SendOutcome::Accepted {
                provider_message_id: Some(sid),
                provider_status: text("status"),
            },
            None => answer.unexpected("accepted without a sid"),
        };
    }
    let Some(code) = body.get("code").and_then(|c| c.as_u64()) else {
        return answer.unexpected("error without a code");
    };
    let reason = text("message").unwrap_or_else(|| "rejected".into());
    let fault = if NUMBER_CODES.contains(&code) {
        Fault::Number
    } else {
        Fault::Channel
    };
    send::rejected(reason, Some(code.to_string()), fault)
}

#[cfg(test)]
mod tests {
    use super::{decode_body, read_send};
    use crate::provider::send::{answer, kind_of};

    #[test]
    fn answers_are_read_by_status_and_code() {
        let error = |code: u32| format!(r#"{{"code":{code},"message":"m","status":400}}"#);
        let cases = [
            (
                "accepted",
                201,
                r#"{"sid":"SM1","status":"queued"}"#.to_owned(),
                "accepted",
            ),
            ("invalid to", 400, error(21211), "number"),
            ("unsubscribed", 400, error(21610), "number"),
            ("bad from", 400, error(21606), "channel"),
            ("geo permission", 400, error(21408), "channel"),
            ("auth", 401, error(20003), "channel"),
            ("throttled", 429, error(20429), "retry"),
            ("outage", 503, String::new(), "retry"),
            ("no sid", 201, "{}".to_owned(), "channel"),
        ];
        for (name, status, body, expected) in cases {
            let answer = answer(status, &body);
            assert_eq!(kind_of(&read_send(&answer)), expected, "{name}");
        }
    }

    #[test]
    fn base64_bodies_are_decoded_and_plain_ones_kept() {
        let report = "ATT Koro 3 morts 2 blesses ce matin vers 6h, les assaillants sont partis vers Dinangourou";
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, report);
        let cases = [
            ("plain report", "ATT Koro 3 morts", "ATT Koro 3 morts"),
            ("encoded long report", encoded.as_str(), report),
            ("short base64-looking word", "QVRU", "QVRU"),
            ("long word, not base64", &"x".repeat(61), &"x".repeat(61)),
        ];
        for (name, body, expected) in cases {
            assert_eq!(decode_body(body), expected, "{name}");
        }
    }
}
