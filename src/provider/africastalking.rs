//! Africa's Talking: form-encoded inbound SMS and delivery reports; the send API.

use super::send::{self, Answer, Failure, Fault, SendOutcome, SendRequest};
use super::{
    Batch, DeliveryStatus, InboundDraft, Params, PayloadError, StatusDraft, UssdStep,
    WebhookRequest, parse_time,
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

/// One step of a USSD session: `sessionId`, `serviceCode`, `phoneNumber`, `networkCode`,
/// and `text`, every answer so far joined with `*` (empty on the first step).
pub(super) fn ussd(req: &WebhookRequest) -> Result<UssdStep, PayloadError> {
    let p = req.form();
    Ok(UssdStep {
        session_id: p.require_non_empty("sessionId")?.to_owned(),
        service_code: p.non_empty("serviceCode").unwrap_or_default().to_owned(),
        phone: p.require_non_empty("phoneNumber")?.to_owned(),
        network_code: p.non_empty("networkCode").map(str::to_owned),
        text: p.require("text")?.to_owned(),
    })
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

/// `POST {base}/version1/messaging`: form fields, the API key in a header. Africa's Talking
/// takes delivery-report URLs per account only (set in its dashboard), never per message.
pub(super) fn send_request(r: &SendRequest<'_>) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let (http, msg, s) = (r.http, r.msg, &r.channel.send);
    let username = send::setting(s.username.as_deref(), "username")?;
    let api_key = send::secret(s.api_key.as_ref(), "api_key")?;
    let mut form = vec![
        ("username", username),
        ("to", msg.to.as_str()),
        ("message", msg.text.as_str()),
    ];
    if let Some(sender) = &s.sender {
        form.push(("from", sender));
    }
    Ok(http
        .post(format!("{}/version1/messaging", s.base_url))
        .header("apiKey", api_key)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form))
}

/// The per-recipient `statusCode` decides: 100–102 accepted; the rest by whose fault.
pub(super) fn read_send(answer: &Answer<'_>) -> SendOutcome {
    if let Some(outcome) = answer.common() {
        return outcome;
    }
    if answer.status == reqwest::StatusCode::UNAUTHORIZED {
        return send::rejected("api key refused", Some("http 401".into()), Fault::Channel);
    }
    let body: serde_json::Value = match serde_json::from_str(answer.body) {
        Ok(body) if answer.status.is_success() => body,
        _ => return answer.unexpected("unexpected answer"),
    };
    let Some(recipient) = body.pointer("/SMSMessageData/Recipients/0") else {
        let message = body
            .pointer("/SMSMessageData/Message")
            .and_then(|m| m.as_str());
        return send::rejected(
            format!("no recipient in answer: {}", message.unwrap_or("")),
            None,
            Fault::Channel,
        );
    };
    let code = recipient
        .get("statusCode")
        .and_then(|c| c.as_u64())
        .unwrap_or(0);
    let status = recipient
        .get("status")
        .and_then(|s| s.as_str())
        .unwrap_or("");
    match code {
        100..=102 => SendOutcome::Accepted {
            provider_message_id: recipient
                .get("messageId")
                .and_then(|m| m.as_str())
                .map(str::to_owned),
            provider_status: Some(status.to_owned()),
        },
        500 | 501 => SendOutcome::Retry(Failure {
            transport: true,
            ..Failure::new(status, Some(code.to_string()))
        }),
        403 | 404 | 406 | 409 => send::rejected(status, Some(code.to_string()), Fault::Number),
        _ => send::rejected(status, Some(code.to_string()), Fault::Channel),
    }
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::provider::send::answer;

    fn recipient(code: u32, status: &str) -> String {
        format!(
            r#"{{"SMSMessageData":{{"Message":"Sent to 1/1","Recipients":[{{"statusCode":{code},"number":"+22376123456","status":"{status}","cost":"XOF 10","messageId":"ATXid_1"}}]}}}}"#
        )
    }

    #[test]
    fn answers_are_read_by_recipient_status_code() {
        let cases = [
            ("sent", 201, recipient(101, "Success"), "accepted"),
            ("queued", 201, recipient(102, "Queued"), "accepted"),
            (
                "invalid number",
                201,
                recipient(403, "InvalidPhoneNumber"),
                "number",
            ),
            (
                "blacklisted",
                201,
                recipient(406, "UserInBlacklist"),
                "number",
            ),
            (
                "no credit",
                201,
                recipient(405, "InsufficientBalance"),
                "channel",
            ),
            (
                "bad sender id",
                201,
                recipient(402, "InvalidSenderId"),
                "channel",
            ),
            (
                "their gateway",
                201,
                recipient(501, "GatewayError"),
                "retry",
            ),
            ("server error", 500, "oops".into(), "retry"),
            ("throttled", 429, "slow down".into(), "retry"),
            (
                "bad key",
                401,
                "The supplied authentication is invalid".into(),
                "channel",
            ),
            ("not json", 201, "<html>".into(), "channel"),
        ];
        for (name, status, body, expected) in cases {
            let answer = answer(status, &body);
            assert_eq!(send::kind_of(&read_send(&answer)), expected, "{name}");
        }
    }
}
