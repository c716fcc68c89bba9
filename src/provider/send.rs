//! Provider send APIs: one reqwest client, one request builder and one answer reader per
//! provider (in each provider's file), and what an answer means for the queue.
//!
//! Answer readers are pure (`status, Retry-After, body` in, [`SendOutcome`] out) so every
//! provider's error table is a unit test; the HTTP round trip is tested against provider
//! doubles in `tests/`.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, StatusCode, header::RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};

use super::{Channel, africastalking, infobip, kannel, orange, twilio, vonage};
use crate::config::ChannelKind;
use crate::gsm7::Encoding;

/// One message, as a provider request needs it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Our outbound id: sent as the client reference where the provider takes one.
    pub id: i64,
    /// E.164, with `+`.
    pub to: String,
    pub text: String,
    pub encoding: Encoding,
}

/// What a provider's request builder gets.
#[derive(Debug)]
pub(crate) struct SendRequest<'a> {
    pub http: &'a Client,
    pub channel: &'a Channel,
    pub msg: &'a Outgoing,
    /// Our delivery-report URL, when the provider takes one per message.
    pub status_url: Option<String>,
}

/// What a send attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// The provider took the message; delivery reports tell the rest.
    Accepted {
        provider_message_id: Option<String>,
        provider_status: Option<String>,
    },
    /// Delivered already (the `sim` channel).
    Delivered,
    /// Worth trying again: transport error, timeout, 5xx, throttling.
    Retry(Failure),
    /// Will not succeed as it is.
    Rejected { failure: Failure, fault: Fault },
}

/// Why an attempt did not go through.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub reason: String,
    /// The provider's own code (`21211`, `SVC0004`, `http 503`).
    pub code: Option<String>,
    pub retry_after: Option<Duration>,
    /// The provider asked us to slow down.
    pub throttled: bool,
    /// The provider could not be reached or failed itself: counts toward marking it down.
    pub transport: bool,
}

impl Failure {
    /// A failure; digit runs in `reason` are hidden, as provider texts may quote the number.
    pub fn new(reason: impl Into<String>, code: Option<String>) -> Self {
        Self {
            reason: without_numbers(&reason.into()),
            code,
            retry_after: None,
            throttled: false,
            transport: false,
        }
    }
}

/// Whose fault a permanent rejection is: the number's fails the message; the channel's
/// (credit, credentials, sender) moves it to the next fallback channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Number,
    Channel,
}

/// An HTTP answer, as readers see it.
#[derive(Debug)]
pub(crate) struct Answer<'a> {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: &'a str,
}

impl Answer<'_> {
    /// The reading shared by every provider: 429 throttles, 5xx is the provider's trouble,
    /// 401/403 is ours to fix in the config. `None`: the provider's own reader decides.
    pub(crate) fn common(&self) -> Option<SendOutcome> {
        let code = Some(format!("http {}", self.status.as_u16()));
        let status = self.status;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Some(SendOutcome::Retry(Failure {
                retry_after: self.retry_after,
                throttled: true,
                ..Failure::new("provider is throttling", code)
            }));
        }
        if status.is_server_error() {
            return Some(SendOutcome::Retry(Failure {
                transport: true,
                ..Failure::new(format!("provider error {status}"), code)
            }));
        }
        None
    }

    /// The first entry of `messages` in a 2xx JSON answer (Infobip, Vonage); the common
    /// reading (throttling, provider errors) first.
    pub(crate) fn first_message(&self) -> Result<serde_json::Value, SendOutcome> {
        if let Some(outcome) = self.common() {
            return Err(outcome);
        }
        let body: serde_json::Value = match serde_json::from_str(self.body) {
            Ok(body) if self.status.is_success() => body,
            _ => return Err(self.unexpected("request refused")),
        };
        body.pointer("/messages/0")
            .cloned()
            .ok_or_else(|| self.unexpected("no message in answer"))
    }

    /// An answer the reader did not expect, failed on the channel's side: a client error
    /// that no provider code explains is more likely our request than the number.
    pub(crate) fn unexpected(&self, what: &str) -> SendOutcome {
        let snippet: String = self.body.chars().take(120).collect();
        rejected(
            format!("{what}: {} {snippet}", self.status.as_u16()),
            Some(format!("http {}", self.status.as_u16())),
            Fault::Channel,
        )
    }
}

pub(crate) fn rejected(
    reason: impl Into<String>,
    code: Option<String>,
    fault: Fault,
) -> SendOutcome {
    SendOutcome::Rejected {
        failure: Failure::new(reason, code),
        fault,
    }
}

/// Sends through every provider with one HTTP client.
#[derive(Debug, Clone)]
pub struct ProviderClient {
    http: Client,
    /// Base URL providers call back (`server.public_url`); without it no per-message delivery
    /// report URL is given.
    public_url: Option<String>,
}

impl ProviderClient {
    pub fn new(
        public_url: Option<String>,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> reqwest::Result<Self> {
        let http = Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, public_url })
    }

    /// One attempt. Never fails: every error is an outcome the queue acts on.
    pub async fn send(&self, channel: &Channel, msg: &Outgoing) -> SendOutcome {
        match channel.kind {
            ChannelKind::Sim => SendOutcome::Delivered,
            ChannelKind::Orange => orange::send(self, channel, msg).await,
            _ => {
                let request = match self.build(channel, msg) {
                    Ok(request) => request,
                    Err(missing) => return missing,
                };
                self.round_trip(request, |answer| match channel.kind {
                    ChannelKind::Africastalking => africastalking::read_send(answer),
                    ChannelKind::Twilio => twilio::read_send(answer),
                    ChannelKind::Infobip => infobip::read_send(answer),
                    ChannelKind::Vonage => vonage::read_send(answer),
                    _ => kannel::read_send(answer),
                })
                .await
            }
        }
    }

    fn build(&self, channel: &Channel, msg: &Outgoing) -> Result<RequestBuilder, SendOutcome> {
        let request = SendRequest {
            http: &self.http,
            channel,
            msg,
            status_url: self.status_url(channel),
        };
        match channel.kind {
            ChannelKind::Africastalking => africastalking::send_request(&request),
            ChannelKind::Twilio => twilio::send_request(&request),
            ChannelKind::Infobip => infobip::send_request(&request),
            ChannelKind::Vonage => vonage::send_request(&request),
            _ => kannel::send_request(&request),
        }
    }

    pub(crate) fn http(&self) -> &Client {
        &self.http
    }

    /// Our delivery-report URL for `channel`, with its secret; `None` without a public URL.
    pub(crate) fn status_url(&self, channel: &Channel) -> Option<String> {
        let base = self.public_url.as_deref()?.trim_end_matches('/');
        let mut url = format!("{base}/webhooks/{}/status", channel.id);
        if let Some(secret) = &channel.secret {
            let token: String =
                form_urlencoded::byte_serialize(secret.expose_secret().as_bytes()).collect();
            url.push_str(&format!("?{}={token}", super::request::TOKEN_PARAM));
        }
        Some(url)
    }

    /// Sends `request` and reads the answer; transport failures become retries.
    pub(crate) async fn round_trip(
        &self,
        request: RequestBuilder,
        read: impl FnOnce(&Answer<'_>) -> SendOutcome,
    ) -> SendOutcome {
        match fetch(request).await {
            Ok((status, retry_after, body)) => read(&Answer {
                status,
                retry_after,
                body: &body,
            }),
            Err(failure) => SendOutcome::Retry(failure),
        }
    }
}

/// Status, `Retry-After` and body of one request; a transport error as a retryable failure.
pub(crate) async fn fetch(
    request: RequestBuilder,
) -> Result<(StatusCode, Option<Duration>, String), Failure> {
    let transport = |e: reqwest::Error| {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else {
            "transport error"
        };
        // Without the URL: it may carry credentials (Kannel).
        Failure {
            transport: true,
            ..Failure::new(format!("{what}: {}", e.without_url()), Some(what.into()))
        }
    };
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| crate::outbound::retry::parse_retry_after(v, chrono::Utc::now()));
    let body = response.text().await.map_err(transport)?;
    Ok((status, retry_after, body))
}

/// A channel setting the config check guarantees for routed channels; a channel reached
/// anyway without it fails its messages over to the next channel.
pub(crate) fn setting<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, SendOutcome> {
    value.ok_or_else(|| {
        rejected(
            format!("channel setting `{name}` is missing"),
            None,
            Fault::Channel,
        )
    })
}

pub(crate) fn secret<'a>(
    value: Option<&'a SecretString>,
    name: &str,
) -> Result<&'a str, SendOutcome> {
    setting(value.map(|s| s.expose_secret()), name)
}

/// `text` with every run of 6 or more digits hidden: a provider's error text may quote the
/// recipient's number, and it ends up in `last_error`.
fn without_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 6 {
            out.push_str("[number]");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// `url` with `query` appended, whether or not it has a query already.
pub(crate) fn with_query(url: &str, query: &str) -> String {
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}{query}")
}

/// `+22376123456` as providers that want no `+` take it.
pub(crate) fn digits(e164: &str) -> &str {
    e164.strip_prefix('+').unwrap_or(e164)
}

/// An answer for table tests.
#[cfg(test)]
pub(crate) fn answer(status: u16, body: &str) -> Answer<'_> {
    Answer {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
        retry_after: None,
        body,
    }
}

/// An outcome in one word, for table tests: `accepted`, `retry`, `number`, `channel`.
#[cfg(test)]
pub(crate) fn kind_of(outcome: &SendOutcome) -> &'static str {
    match outcome {
        SendOutcome::Accepted { .. } | SendOutcome::Delivered => "accepted",
        SendOutcome::Retry(_) => "retry",
        SendOutcome::Rejected {
            fault: Fault::Number,
            ..
        } => "number",
        SendOutcome::Rejected {
            fault: Fault::Channel,
            ..
        } => "channel",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_hidden_in_provider_texts() {
        let cases = [
            (
                "Invalid phone number: +22376123456",
                "Invalid phone number: +[number]",
            ),
            ("error 21211 at 10:42", "error 21211 at 10:42"),
            ("22376123456", "[number]"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(super::without_numbers(text), expected, "{text}");
        }
    }
}
