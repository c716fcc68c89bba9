//! Webhook authentication: the channel secret, then the provider's own signature.

use base64::Engine;
use http::header;
use secrecy::ExposeSecret;

use super::request::TOKEN_PARAM;
use super::{Channel, WebhookRequest, signature, vonage};
use crate::config::ChannelKind;

/// Why a webhook was refused. Nothing is stored for a refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing channel secret: give it as ?token= or as the basic-auth password")]
    MissingSecret,
    #[error("wrong channel secret")]
    WrongSecret,
    #[error("missing {0} signature")]
    MissingSignature(&'static str),
    #[error("invalid {0} signature")]
    BadSignature(&'static str),
}

impl AuthError {
    /// Missing credentials are 401; wrong ones 403.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::MissingSecret | Self::MissingSignature(_))
    }
}

/// Checks the channel secret and, for Twilio and signed Vonage channels, the signature.
/// `public_url` is the base URL providers call, which Twilio signs.
pub fn authenticate(
    channel: &Channel,
    req: &WebhookRequest,
    public_url: Option<&str>,
) -> Result<(), AuthError> {
    if let Some(secret) = &channel.secret {
        let given = req
            .query()
            .get(TOKEN_PARAM)
            .map(str::to_owned)
            .or_else(|| basic_password(req));
        let given = given.ok_or(AuthError::MissingSecret)?;
        if !signature::equal(given.as_bytes(), secret.expose_secret().as_bytes()) {
            return Err(AuthError::WrongSecret);
        }
    }
    match channel.kind {
        ChannelKind::Twilio => check_twilio(channel, req, public_url),
        ChannelKind::Vonage => check_vonage(channel, req),
        _ => Ok(()),
    }
}

fn basic_password(req: &WebhookRequest) -> Option<String> {
    let value = req.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_owned())
}

fn check_twilio(
    channel: &Channel,
    req: &WebhookRequest,
    public_url: Option<&str>,
) -> Result<(), AuthError> {
    const NAME: &str = "X-Twilio-Signature";
    let (Some(token), Some(base)) = (&channel.twilio_auth_token, public_url) else {
        // Configuration validation requires both; refuse rather than accept unsigned.
        return Err(AuthError::BadSignature(NAME));
    };
    let given = req
        .headers
        .get(NAME)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::MissingSignature(NAME))?;
    let path = req.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let form = req.form();
    let signed = signature::twilio_urls(&url).iter().any(|url| {
        let expected = signature::twilio(url, &form, token.expose_secret().as_bytes());
        signature::equal(given.as_bytes(), expected.as_bytes())
    });
    if signed {
        Ok(())
    } else {
        Err(AuthError::BadSignature(NAME))
    }
}

fn check_vonage(channel: &Channel, req: &WebhookRequest) -> Result<(), AuthError> {
    const NAME: &str = "Vonage";
    let Some((secret, method)) = &channel.vonage_signature else {
        return Ok(());
    };
    let params = vonage::params(req).map_err(|_| AuthError::BadSignature(NAME))?;
    let given = params
        .get("sig")
        .ok_or(AuthError::MissingSignature(NAME))?
        .to_ascii_lowercase();
    let expected = signature::vonage(&params, secret.expose_secret().as_bytes(), *method);
    if signature::equal(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::BadSignature(NAME))
    }
}
