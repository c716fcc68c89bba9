//! Twilio: form-encoded inbound SMS and status callbacks, signed with `X-Twilio-Signature`.

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

#[cfg(test)]
mod tests {
    use super::decode_body;

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
