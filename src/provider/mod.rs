//! Provider wire formats: what each provider's webhooks look like and how they authenticate.
//!
//! Framework-free: the HTTP edge hands over a [`WebhookRequest`] (plain `http` types) and gets
//! back drafts in one shape whatever the provider. One file per provider; the formats are
//! described in `docs/providers.md` of the shared notes.

mod africastalking;
mod auth;
mod channels;
mod infobip;
mod kannel;
mod orange;
mod request;
mod send;
mod signature;
mod sim;
mod twilio;
mod vonage;

pub use auth::{AuthError, authenticate};
pub use channels::{Channel, Channels, SendSettings};
pub use request::{Params, WebhookRequest};
pub use send::{Failure, Fault, Outgoing, ProviderClient, SendOutcome};
pub(crate) use signature::equal as signature_equal;

use crate::config::ChannelKind;

/// An inbound SMS as one provider described it, before normalisation.
#[derive(Debug, Clone, Default)]
pub struct InboundDraft {
    pub provider_message_id: Option<String>,
    pub sender: String,
    pub recipient: Option<String>,
    pub text: String,
    /// When the provider says it received the message (unix ms).
    pub provider_ts: Option<i64>,
    /// The provider's payload for this message, secrets removed.
    pub raw: String,
    /// Set when this is one part of a concatenated SMS that the provider did not reassemble.
    pub concat: Option<ConcatPart>,
}

/// Position of a part in a concatenated SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcatPart {
    pub reference: String,
    pub part: u32,
    pub total: u32,
}

/// A delivery report, normalised.
#[derive(Debug, Clone)]
pub struct StatusDraft {
    /// The provider's id of the outbound message.
    pub provider_message_id: Option<String>,
    /// Our own outbound id, where the provider echoes it back (Kannel, Orange, Vonage client-ref).
    pub reference: Option<String>,
    /// `None` when the provider's status is one we do not know: kept, logged, answered 200.
    pub status: Option<DeliveryStatus>,
    pub provider_status: String,
    pub error_code: Option<String>,
    pub raw: String,
}

/// The one lifecycle every provider's delivery reports map onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting at the provider or operator.
    Queued,
    /// Accepted by the provider or operator; not final.
    Sent,
    Delivered,
    Failed,
    Expired,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }
}

/// What one webhook request carried: the entries understood, and those refused.
#[derive(Debug)]
pub struct Batch<T> {
    pub items: Vec<T>,
    /// Entries of a batch payload (Infobip) that could not be read; the others still count.
    pub rejected: Vec<PayloadError>,
}

impl<T> Batch<T> {
    pub fn one(item: T) -> Self {
        Self {
            items: vec![item],
            rejected: Vec::new(),
        }
    }

    /// A request the provider sends that carries nothing to store (URL checks, empty batches).
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// A payload that does not have the provider's shape. Answered 400, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("missing field `{0}`")]
    Missing(String),
    #[error("bad field `{field}`: {reason}")]
    Bad { field: String, reason: String },
    #[error("body is not valid {format}: {reason}")]
    Syntax {
        format: &'static str,
        reason: String,
    },
    #[error("{0} does not send this request")]
    Unsupported(&'static str),
}

impl PayloadError {
    pub(crate) fn bad(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Bad {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Reads an inbound-SMS webhook of `kind`.
pub fn parse_inbound(
    kind: ChannelKind,
    req: &WebhookRequest,
) -> Result<Batch<InboundDraft>, PayloadError> {
    match kind {
        ChannelKind::Africastalking => africastalking::inbound(req),
        ChannelKind::Twilio => twilio::inbound(req),
        ChannelKind::Infobip => infobip::inbound(req),
        ChannelKind::Vonage => vonage::inbound(req),
        ChannelKind::Orange => orange::inbound(req),
        ChannelKind::Kannel => kannel::inbound(req),
        ChannelKind::Sim => sim::inbound(req),
    }
}

/// Reads a delivery-report webhook of `kind`.
pub fn parse_status(
    kind: ChannelKind,
    req: &WebhookRequest,
) -> Result<Batch<StatusDraft>, PayloadError> {
    match kind {
        ChannelKind::Africastalking => africastalking::status(req),
        ChannelKind::Twilio => twilio::status(req),
        ChannelKind::Infobip => infobip::status(req),
        ChannelKind::Vonage => vonage::status(req),
        ChannelKind::Orange => orange::status(req),
        ChannelKind::Kannel => kannel::status(req),
        ChannelKind::Sim => sim::status(req),
    }
}

/// The field that names the sender in `kind`'s inbound payload, for error messages.
pub fn sender_field(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Africastalking | ChannelKind::Sim => "from",
        ChannelKind::Twilio => "From",
        ChannelKind::Infobip => "results[].from",
        ChannelKind::Vonage => "msisdn",
        ChannelKind::Orange => "inboundSMSMessageNotification.inboundSMSMessage.senderAddress",
        ChannelKind::Kannel => "sender",
    }
}

/// Whether a provider may send inbound SMS with GET (the others POST them).
/// One step of a USSD session, as a provider posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdStep {
    pub session_id: String,
    pub service_code: String,
    pub phone: String,
    pub network_code: Option<String>,
    /// Every answer so far, joined with `*`; empty on the first step.
    pub text: String,
}

/// Reads a USSD step: Africa's Talking's protocol, which the sim channel speaks too.
pub fn parse_ussd(kind: ChannelKind, req: &WebhookRequest) -> Result<UssdStep, PayloadError> {
    match kind {
        ChannelKind::Africastalking | ChannelKind::Sim => africastalking::ussd(req),
        _ => Err(PayloadError::Unsupported(kind.as_str())),
    }
}

pub fn accepts_get(kind: ChannelKind) -> bool {
    matches!(kind, ChannelKind::Vonage | ChannelKind::Kannel)
}

/// Parses a provider timestamp: RFC 3339, Infobip's `+0000` offsets, `YYYY-MM-DD HH:MM:SS`
/// (UTC, Africa's Talking and Vonage), or unix seconds (Kannel). Returns unix ms.
pub(crate) fn parse_time(field: &str, value: &str) -> Result<i64, PayloadError> {
    use chrono::{DateTime, NaiveDateTime};
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(t) = DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(t.timestamp_millis());
    }
    for layout in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, layout) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(secs) = value.parse::<i64>()
        && (0..=253_402_300_799).contains(&secs)
    {
        return Ok(secs * 1000);
    }
    Err(PayloadError::bad(field, "is not a date and time"))
}

#[cfg(test)]
mod tests;
