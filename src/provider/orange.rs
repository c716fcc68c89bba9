//! Orange SMS API (GSMA OneAPI): JSON inbound notifications and delivery receipts; the send
//! API behind an OAuth2 client-credentials token.
//!
//! Orange gives no message id in either: inbound messages are deduplicated by content, and
//! delivery receipts are matched by the `callbackData` we sent.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::send::{self, Answer, Failure, Fault, Outgoing, ProviderClient, SendOutcome};
use super::{
    Batch, Channel, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest,
    parse_time,
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

/// The channel's access token, fetched on first use, refreshed before it expires and after
/// a 401. One fetch at a time: concurrent sends wait for it instead of each asking; a fetch
/// that failed is answered from memory for a few seconds instead of being asked again by
/// every waiting send.
#[derive(Debug, Default)]
pub struct TokenCache {
    state: Mutex<TokenState>,
}

#[derive(Debug, Default)]
struct TokenState {
    token: Option<Token>,
    failed: Option<(Instant, SendOutcome)>,
}

#[derive(Debug, Clone)]
struct Token {
    value: SecretString,
    refresh_at: Instant,
}

/// How long a failed token fetch is remembered.
const FAILURE_KEPT: Duration = Duration::from_secs(5);

impl TokenCache {
    async fn get(
        &self,
        client: &ProviderClient,
        channel: &Channel,
    ) -> Result<SecretString, SendOutcome> {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        if let Some(token) = state.token.as_ref().filter(|t| t.refresh_at > now) {
            return Ok(token.value.clone());
        }
        if let Some((at, outcome)) = &state.failed
            && now.saturating_duration_since(*at) < FAILURE_KEPT
        {
            return Err(replayed(outcome));
        }
        match fetch_token(client, channel).await {
            Ok(fresh) => {
                let value = fresh.value.clone();
                *state = TokenState {
                    token: Some(fresh),
                    failed: None,
                };
                Ok(value)
            }
            Err(outcome) => {
                state.failed = Some((Instant::now(), outcome.clone()));
                Err(outcome)
            }
        }
    }

    /// Forgets `used` (a 401 said it is no longer good), unless a newer one replaced it.
    async fn invalidate(&self, used: &SecretString) {
        let mut state = self.state.lock().await;
        if state
            .token
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == used.expose_secret())
        {
            state.token = None;
        }
    }
}

/// A remembered token failure, as the sends that did not ask see it: not a transport
/// failure of theirs, or one timeout would count once per waiting send and mark the
/// channel down.
fn replayed(outcome: &SendOutcome) -> SendOutcome {
    match outcome {
        SendOutcome::Retry(failure) => SendOutcome::Retry(Failure {
            transport: false,
            ..failure.clone()
        }),
        other => other.clone(),
    }
}

/// `POST {base}/oauth/v3/token`, basic auth with the client credentials.
async fn fetch_token(client: &ProviderClient, channel: &Channel) -> Result<Token, SendOutcome> {
    let s = &channel.send;
    let id = send::setting(s.client_id.as_deref(), "client_id")?;
    let secret = send::secret(s.client_secret.as_ref(), "client_secret")?;
    let request = client
        .http()
        .post(format!("{}/oauth/v3/token", s.base_url))
        .basic_auth(id, Some(secret))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("grant_type", "client_credentials")]);
    let (status, retry_after, body) = send::fetch(request).await.map_err(SendOutcome::Retry)?;
    let answer = Answer {
        status,
        retry_after,
        body: &body,
    };
    read_token(&answer, Instant::now())
}

/// A token is refreshed at 90% of its life, so no send goes out with one about to expire.
fn read_token(answer: &Answer<'_>, now: Instant) -> Result<Token, SendOutcome> {
    if let Some(outcome) = answer.common() {
        return Err(outcome);
    }
    let body: Value = match serde_json::from_str(answer.body) {
        Ok(body) if answer.status.is_success() => body,
        _ => return Err(answer.unexpected("token refused")),
    };
    let Some(value) = body.get("access_token").and_then(Value::as_str) else {
        return Err(answer.unexpected("token answer without access_token"));
    };
    // Orange sends `expires_in` as a string; OAuth says a number. Take either.
    let lifetime = match body.get("expires_in") {
        Some(Value::String(s)) => s.parse().ok(),
        Some(v) => v.as_u64(),
        None => None,
    }
    .unwrap_or(3600);
    Ok(Token {
        value: SecretString::from(value.to_owned()),
        refresh_at: now + Duration::from_secs(lifetime * 9 / 10),
    })
}

/// Sends with the cached token; a 401 fetches a new one and tries once more.
pub(super) async fn send(
    client: &ProviderClient,
    channel: &Channel,
    msg: &Outgoing,
) -> SendOutcome {
    let mut outcome = SendOutcome::Retry(Failure::new("not sent", None));
    for _ in 0..2 {
        let token = match channel.send.token.get(client, channel).await {
            Ok(token) => token,
            Err(outcome) => return outcome,
        };
        let request = match send_request(client, channel, msg, &token) {
            Ok(request) => request,
            Err(outcome) => return outcome,
        };
        outcome = client.round_trip(request, read_send).await;
        if !is_unauthorized(&outcome) {
            break;
        }
        channel.send.token.invalidate(&token).await;
    }
    outcome
}

fn is_unauthorized(outcome: &SendOutcome) -> bool {
    matches!(outcome, SendOutcome::Rejected { failure, .. } if failure.code.as_deref() == Some("http 401"))
}

fn tel(number: &str) -> String {
    if number.starts_with("tel:") {
        number.to_owned()
    } else {
        format!("tel:{number}")
    }
}

/// `POST {base}/smsmessaging/v1/outbound/{tel:+sender}/requests`. Our id goes as the
/// `clientCorrelator` (Orange's idempotency key) and as `callbackData`, which receipts echo.
fn send_request(
    client: &ProviderClient,
    channel: &Channel,
    msg: &Outgoing,
    token: &SecretString,
) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let s = &channel.send;
    let sender = tel(send::setting(s.sender.as_deref(), "sender")?);
    let mut request = json!({
        "address": tel(&msg.to),
        "senderAddress": sender,
        "outboundSMSTextMessage": { "message": msg.text },
        "clientCorrelator": msg.id.to_string(),
    });
    if let Some(url) = client.status_url(channel) {
        request["receiptRequest"] = json!({ "notifyURL": url, "callbackData": msg.id.to_string() });
    }
    let path: String = form_urlencoded::byte_serialize(sender.as_bytes()).collect();
    Ok(client
        .http()
        .post(format!(
            "{}/smsmessaging/v1/outbound/{path}/requests",
            s.base_url
        ))
        .bearer_auth(token.expose_secret())
        .json(&json!({ "outboundSMSMessageRequest": request })))
}

/// 201 is accepted (the request id ends `resourceURL`); exceptions say whose fault.
fn read_send(answer: &Answer<'_>) -> SendOutcome {
    if let Some(outcome) = answer.common() {
        return outcome;
    }
    let body: Value = serde_json::from_str(answer.body).unwrap_or_default();
    if answer.status.is_success() {
        let url = str_at(&body, &["outboundSMSMessageRequest", "resourceURL"]);
        return SendOutcome::Accepted {
            provider_message_id: url.and_then(|u| u.rsplit('/').next()).map(str::to_owned),
            provider_status: None,
        };
    }
    if answer.status == reqwest::StatusCode::UNAUTHORIZED {
        return send::rejected("token refused", Some("http 401".into()), Fault::Channel);
    }
    let exception = ["serviceException", "policyException"]
        .iter()
        .find_map(|kind| body.get("requestError")?.get(kind));
    let Some(exception) = exception else {
        return answer.unexpected("request refused");
    };
    let id = exception
        .get("messageId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let text = exception
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("rejected");
    // Only SVC0004 ("no valid addresses") is surely the number's; other service errors
    // (invalid input, often the sender) and policy errors (bundle, quota) are the channel's.
    let fault = if id == "SVC0004" {
        Fault::Number
    } else {
        Fault::Channel
    };
    send::rejected(text, Some(id.to_owned()), fault)
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::provider::send::{answer, kind_of};

    #[test]
    fn send_answers_are_read_by_exception() {
        let accepted = r#"{"outboundSMSMessageRequest":{"resourceURL":"https://x/requests/or-1"}}"#;
        let cases = [
            ("accepted", answer(201, accepted), "accepted"),
            (
                "bad number",
                answer(
                    400,
                    r#"{"requestError":{"serviceException":{"messageId":"SVC0004","text":"No valid addresses"}}}"#,
                ),
                "number",
            ),
            (
                "no bundle",
                answer(
                    403,
                    r#"{"requestError":{"policyException":{"messageId":"POL0001","text":"Expired bundle"}}}"#,
                ),
                "channel",
            ),
            ("expired token", answer(401, r#"{"code":42}"#), "channel"),
            ("outage", answer(503, ""), "retry"),
        ];
        for (name, answer, expected) in cases {
            assert_eq!(kind_of(&read_send(&answer)), expected, "{name}");
        }
        let SendOutcome::Accepted {
            provider_message_id,
            ..
        } = read_send(&answer(201, accepted))
        else {
            panic!("accepted");
        };
        assert_eq!(provider_message_id.as_deref(), Some("or-1"));
    }

    #[test]
    fn tokens_are_refreshed_at_nine_tenths_of_their_life() {
        let now = Instant::now();
        let cases = [
            (r#"{"access_token":"t","expires_in":"3600"}"#, Some(3240)),
            (
                r#"{"access_token":"t","expires_in":7776000}"#,
                Some(6998400),
            ),
            (r#"{"access_token":"t"}"#, Some(3240)),
            (r#"{"error":"invalid_client"}"#, None),
        ];
        for (body, expected) in cases {
            let token = read_token(&answer(200, body), now).ok();
            assert_eq!(
                token.map(|t| (t.refresh_at - now).as_secs()),
                expected,
                "{body}"
            );
        }
    }
}
