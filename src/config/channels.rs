//! Channel configuration: one provider account each.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, lenient_secret};

/// One configured provider account (`[[channels]]`).
///
/// Fields a kind does not use are ignored; fields a kind needs are checked by `validate_all`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// Appears in webhook URLs: `/webhooks/{id}/sms`.
    pub id: String,
    pub kind: ChannelKind,
    /// Shared secret the provider presents as `?token=` or as the basic-auth password.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub secret: Option<SecretString>,
    /// Our sender id or number on this account; inbound messages from it are loops.
    pub sender: Option<String>,
    /// Country for reading national numbers on this channel (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Twilio account SID (sending).
    pub account_sid: Option<String>,
    /// Twilio auth token: signs inbound webhooks and authenticates sends.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub auth_token: Option<SecretString>,
    /// Africa's Talking or Kannel user name.
    pub username: Option<String>,
    /// Africa's Talking, Infobip or Vonage API key.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub api_key: Option<SecretString>,
    /// Vonage API secret.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub api_secret: Option<SecretString>,
    /// Vonage signature secret: when set, inbound webhooks must carry a valid `sig`.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub signature_secret: Option<SecretString>,
    #[serde(default)]
    pub signature_method: SignatureMethod,
    /// Orange OAuth2 client credentials.
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_secret")]
    pub client_secret: Option<SecretString>,
    /// Kannel password.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub password: Option<SecretString>,
    /// Provider API base URL (Infobip account URL, Kannel `sendsms` URL, test doubles).
    pub base_url: Option<String>,
    /// Messages sent per second at most; 0 for no limit. Default: 20, and no limit for `sim`.
    pub send_per_second: Option<u32>,
    /// Messages that may go at once after a quiet spell. Default: `send_per_second`.
    pub send_burst: Option<u32>,
    /// Provider requests in flight at once.
    #[serde(default = "default_in_flight")]
    pub max_in_flight: u32,
    /// Fold text to GSM-7 before sending (`é` → `e`), so French fits one 160-character
    /// segment instead of a 70-character UCS-2 one.
    #[serde(default = "yes")]
    pub fold_gsm7: bool,
}

fn default_in_flight() -> u32 {
    8
}

fn yes() -> bool {
    true
}

impl ChannelConfig {
    /// The send rate in force: messages per second, `None` for no limit.
    pub fn send_rate(&self) -> Option<(u32, u32)> {
        let default = if self.kind == ChannelKind::Sim { 0 } else { 20 };
        let per_second = self.send_per_second.unwrap_or(default);
        (per_second > 0).then(|| (per_second, self.send_burst.unwrap_or(per_second).max(1)))
    }
}

/// The provider a channel speaks to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Africastalking,
    Twilio,
    Infobip,
    Vonage,
    Orange,
    Kannel,
    /// Built in: messages stay in the database, for demos and local use.
    Sim,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Africastalking => "africastalking",
            Self::Twilio => "twilio",
            Self::Infobip => "infobip",
            Self::Vonage => "vonage",
            Self::Orange => "orange",
            Self::Kannel => "kannel",
            Self::Sim => "sim",
        }
    }
}

/// Vonage's webhook signature algorithms.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SignatureMethod {
    /// MD5 of the sorted parameters followed by the secret (Vonage's default).
    #[default]
    Md5hash,
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

pub(super) fn parse_country(code: &str) -> Result<phonenumber::country::Id, String> {
    code.parse()
        .map_err(|_| format!("`{code}` is not an ISO 3166-1 alpha-2 country code"))
}

/// A `sim` channel without a secret lets anyone who reaches the port file reports as any
/// number: on this machine only, with no reverse proxy passing others' requests on.
pub(super) fn validate_exposure(
    channels: &[ChannelConfig],
    server: &super::ServerConfig,
) -> Result<(), ConfigError> {
    let reached = if !server.listen.ip().is_loopback() {
        format!("on {}, which other machines reach", server.listen)
    } else if !server.trusted_proxies.is_empty() {
        "behind server.trusted_proxies, through which other machines reach it".to_owned()
    } else {
        return Ok(());
    };
    match channels
        .iter()
        .position(|c| c.kind == ChannelKind::Sim && c.secret.is_none())
    {
        Some(i) => Err(ConfigError::invalid(
            format!("channels[{i}].secret"),
            format!(
                "a sim channel without a secret {reached}, lets anyone file reports as any \
                 number: set a secret, remove the channel, or listen on 127.0.0.1 alone"
            ),
        )),
        None => Ok(()),
    }
}

pub(super) fn validate_all(
    channels: &[ChannelConfig],
    has_public_url: bool,
) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for (i, channel) in channels.iter().enumerate() {
        let field = |name: &str| format!("channels[{i}].{name}");
        if !valid_id(&channel.id) {
            return Err(ConfigError::invalid(
                field("id"),
                "use 1-32 characters a-z, 0-9, - or _",
            ));
        }
        if !seen.insert(channel.id.as_str()) {
            return Err(ConfigError::invalid(
                field("id"),
                format!("`{}` is used twice", channel.id),
            ));
        }
        if let Some(country) = &channel.country {
            parse_country(country)
                .map_err(|reason| ConfigError::invalid(field("country"), reason))?;
        }
        validate_kind(channel, has_public_url)
            .map_err(|(name, reason)| ConfigError::invalid(field(name), reason))?;
        if channel.max_in_flight == 0 {
            return Err(ConfigError::invalid(
                field("max_in_flight"),
                "must be greater than 0",
            ));
        }
        if let Some(url) = &channel.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::invalid(
                field("base_url"),
                "must start with http:// or https://",
            ));
        }
    }
    Ok(())
}

fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// What each kind needs to receive webhooks safely.
fn validate_kind(
    channel: &ChannelConfig,
    has_public_url: bool,
) -> Result<(), (&'static str, String)> {
    let required =
        |name: &'static str| (name, format!("required for kind {}", channel.kind.as_str()));
    if channel.kind != ChannelKind::Sim && channel.secret.is_none() {
        return Err(required("secret"));
    }
    let secrets = [
        ("secret", &channel.secret),
        ("auth_token", &channel.auth_token),
        ("signature_secret", &channel.signature_secret),
    ];
    for (name, secret) in secrets {
        if secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().trim().is_empty())
        {
            // An empty secret would let a request with `?token=` through.
            return Err((name, "must not be empty".into()));
        }
    }
    if channel.kind == ChannelKind::Twilio {
        if channel.auth_token.is_none() {
            return Err(required("auth_token"));
        }
        if !has_public_url {
            return Err((
                "kind",
                "twilio signs the public URL: set server.public_url".into(),
            ));
        }
    }
    Ok(())
}
