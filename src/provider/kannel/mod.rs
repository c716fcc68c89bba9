//! Kannel `sms-service` (`post-url` with `%p %P %I %T %c` in the query, the SMS body as the
//! POST body) and `dlr-url` reports.
//!
//! The delivery-report URL we give Kannel carries our outbound id as `id`, `%d` as `status`,
//! `%F` (the SMSC's message id) as `fid` and `%A` (the SMSC's answer) as `reply`.

mod text;

use axum::http::header;

use super::send::{self, Answer, Fault, SendOutcome, SendRequest};
use super::{
    Batch, DeliveryStatus, InboundDraft, PayloadError, StatusDraft, WebhookRequest, parse_time,
};

pub(super) fn inbound(req: &WebhookRequest) -> Result<Batch<InboundDraft>, PayloadError> {
    // When the body is the SMS itself, its words are no parameters.
    let p = if body_is_message(req) {
        req.query()
    } else {
        req.params()
    };
    let text = message(req)?;
    Ok(Batch::one(InboundDraft {
        provider_message_id: p.non_empty("id").map(str::to_owned),
        sender: p.require_non_empty("sender")?.to_owned(),
        recipient: p.non_empty("to").map(str::to_owned),
        text,
        provider_ts: p.non_empty("ts").map(|t| parse_time("ts", t)).transpose()?,
        raw: req.raw(),
        concat: None,
    }))
}

/// The SMS text: the POST body as Kannel's `post-url` sends it, else `message` (`%b`) in
/// the form or query; decoded by `X-Kannel-Coding` (or `coding`, `%c`) and the charset of
/// the `Content-Type` (or `charset`, `%C`). With `omit-empty`, an empty SMS has neither.
fn content_type(req: &WebhookRequest) -> &str {
    req.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Whether the body is the SMS as it came (`post-url`), not a form.
fn body_is_message(req: &WebhookRequest) -> bool {
    let form = content_type(req)
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded");
    !req.body.is_empty() && !form
}

fn message(req: &WebhookRequest) -> Result<String, PayloadError> {
    let content_type = content_type(req);
    let (bytes, body_charset) = if body_is_message(req) {
        (
            Some(std::borrow::Cow::Borrowed(&req.body[..])),
            charset_of(content_type),
        )
    } else {
        let query = req.uri.query().unwrap_or_default().as_bytes();
        let found =
            text::raw_param(&req.body, "message").or_else(|| text::raw_param(query, "message"));
        (found, None)
    };
    let Some(bytes) = bytes else {
        return Ok(String::new());
    };
    let p = if body_is_message(req) {
        req.query()
    } else {
        req.params()
    };
    let coding = req
        .headers
        .get("x-kannel-coding")
        .and_then(|v| v.to_str().ok())
        .or_else(|| p.non_empty("coding"))
        .map_or(Ok(0), |c| c.trim().parse::<u8>())
        .map_err(|_| unreadable(text::Unreadable::Coding))?;
    let charset = body_charset.or_else(|| p.non_empty("charset"));
    text::decode(&bytes, coding, charset).map_err(unreadable)
}

fn unreadable(why: text::Unreadable) -> PayloadError {
    PayloadError::bad(why.field(), why.reason())
}

/// The `charset` parameter of a `Content-Type` value.
fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim())
    })
}

pub(super) fn status(req: &WebhookRequest) -> Result<Batch<StatusDraft>, PayloadError> {
    let p = req.params();
    let value = p.require_non_empty("status")?;
    let code: u32 = value
        .parse()
        .map_err(|_| PayloadError::bad("status", "is not a DLR type (a number)"))?;
    let status = map_status(code);
    Ok(Batch::one(StatusDraft {
        // The SMSC's own id of the message (`%F`), when it gave one.
        provider_message_id: p.non_empty("fid").map(str::to_owned),
        reference: Some(p.require_non_empty("id")?.to_owned()),
        status,
        provider_status: value.to_owned(),
        // The SMSC's answer (`%A`) says why a message failed; on success it is no error.
        error_code: p
            .non_empty("reply")
            .filter(|_| status == Some(DeliveryStatus::Failed))
            .map(str::to_owned),
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

/// `GET {sendsms}?username&password&from&to&text&dlr-mask&dlr-url`. The report URL carries
/// our id and Kannel's `%d` (report type), `%F` (SMSC id) and `%A` (SMSC answer). Unicode goes as UTF-16BE
/// with `coding=2` and no `charset`: Kannel builds without iconv refuse `charset=utf8`.
pub(super) fn send_request(r: &SendRequest<'_>) -> Result<reqwest::RequestBuilder, SendOutcome> {
    let (http, msg, s) = (r.http, r.msg, &r.channel.send);
    let status_url = r.status_url.clone();
    let username = send::setting(s.username.as_deref(), "username")?;
    let password = send::secret(s.password.as_ref(), "password")?;
    let text: Vec<u8> = match msg.encoding {
        crate::gsm7::Encoding::Gsm7 => msg.text.as_bytes().to_vec(),
        crate::gsm7::Encoding::Ucs2 => msg.text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
    };
    let encode = |bytes: &[u8]| form_urlencoded::byte_serialize(bytes).collect::<String>();
    let mut query = format!(
        "username={}&password={}&to={}&text={}",
        encode(username.as_bytes()),
        encode(password.as_bytes()),
        encode(msg.to.as_bytes()),
        encode(&text),
    );
    if let Some(sender) = &s.sender {
        query.push_str(&format!("&from={}", encode(sender.as_bytes())));
    }
    if msg.encoding == crate::gsm7::Encoding::Ucs2 {
        query.push_str("&coding=2");
    }
    if let Some(url) = status_url {
        let dlr = send::with_query(&url, &format!("id={}&status=%d&fid=%F&reply=%A", msg.id));
        query.push_str(&format!("&dlr-mask=27&dlr-url={}", encode(dlr.as_bytes())));
    }
    Ok(http.get(send::with_query(&s.base_url, &query)))
}

/// Kannel answers `0: Accepted for delivery` (2xx) or an error line; only the status counts,
/// and every refusal is the channel's.
pub(super) fn read_send(answer: &Answer<'_>) -> SendOutcome {
    if let Some(outcome) = answer.common() {
        return outcome;
    }
    let line = answer.body.trim();
    if answer.status.is_success() {
        return SendOutcome::Accepted {
            provider_message_id: None,
            provider_status: Some(line.to_owned()),
        };
    }
    // Kannel names no number-level refusal: "Not routable" means it has no route to an
    // operator, which another channel may have.
    send::rejected(
        line,
        Some(format!("http {}", answer.status.as_u16())),
        Fault::Channel,
    )
}

#[cfg(test)]
mod send_tests {
    use super::*;
    use crate::provider::send::{answer, kind_of};

    #[test]
    fn answers_are_read_by_status() {
        let cases = [
            ("accepted", 202, "0: Accepted for delivery", "accepted"),
            (
                "not routable",
                403,
                "Not routable. Do not try again.",
                "channel",
            ),
            (
                "bad login",
                403,
                "Authorization failed for sendsms",
                "channel",
            ),
            ("smsbox down", 503, "", "retry"),
        ];
        for (name, status, body, expected) in cases {
            let answer = answer(status, body);
            assert_eq!(kind_of(&read_send(&answer)), expected, "{name}");
        }
    }
}
