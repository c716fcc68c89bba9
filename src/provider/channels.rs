//! The configured channels, resolved once at start-up.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use phonenumber::country::Id as Country;
use secrecy::SecretString;

use crate::config::{ChannelConfig, ChannelKind, Config, ConfigError, SignatureMethod};
use crate::phone::Address;

/// One provider account, ready for webhooks.
#[derive(Debug)]
pub struct Channel {
    pub id: String,
    pub kind: ChannelKind,
    /// Country for reading national numbers.
    pub country: Country,
    pub secret: Option<SecretString>,
    pub twilio_auth_token: Option<SecretString>,
    pub vonage_signature: Option<(SecretString, SignatureMethod)>,
    pub send: SendSettings,
}

/// What sending through the channel takes: credentials, where, how fast.
#[derive(Debug, Default)]
pub struct SendSettings {
    /// Our number or sender id.
    pub sender: Option<String>,
    pub account_sid: Option<String>,
    pub username: Option<String>,
    pub api_key: Option<SecretString>,
    pub api_secret: Option<SecretString>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub password: Option<SecretString>,
    /// The provider's API, without a trailing `/` (Kannel: the whole `sendsms` URL).
    pub base_url: String,
    pub fold_gsm7: bool,
    /// Messages per second and burst; `None` for no limit.
    pub rate: Option<(u32, u32)>,
    pub max_in_flight: u32,
    /// Orange's OAuth2 access token, shared by every send of the channel.
    pub token: super::orange::TokenCache,
}

/// Every channel, by id, and the numbers we send from.
#[derive(Debug, Default)]
pub struct Channels {
    by_id: HashMap<String, Arc<Channel>>,
    own_numbers: HashSet<Address>,
}

impl Channels {
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let default_country =
            parse_country("inbound.default_country", &config.inbound.default_country)?;
        let mut channels = Self::default();
        for (i, c) in config.channels.iter().enumerate() {
            let country = match &c.country {
                Some(code) => parse_country(&format!("channels[{i}].country"), code)?,
                None => default_country,
            };
            if let Some(sender) = &c.sender {
                let own = Address::parse(sender, country).map_err(|e| {
                    ConfigError::invalid(format!("channels[{i}].sender"), e.to_string())
                })?;
                channels.own_numbers.insert(own);
            }
            let channel = Channel {
                id: c.id.clone(),
                kind: c.kind,
                country,
                secret: c.secret.clone(),
                twilio_auth_token: c
                    .auth_token
                    .clone()
                    .filter(|_| c.kind == ChannelKind::Twilio),
                vonage_signature: c
                    .signature_secret
                    .clone()
                    .filter(|_| c.kind == ChannelKind::Vonage)
                    .map(|s| (s, c.signature_method)),
                send: send_settings(c),
            };
            channels.by_id.insert(c.id.clone(), Arc::new(channel));
        }
        Ok(channels)
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Channel>> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Channel>> {
        self.by_id.values()
    }

    /// The channels of one kind.
    pub fn of_kind(&self, kind: ChannelKind) -> impl Iterator<Item = &Arc<Channel>> {
        self.by_id.values().filter(move |c| c.kind == kind)
    }

    /// Whether `address` is one of our own sender numbers: a message from it is a loop.
    pub fn is_own_number(&self, address: &Address) -> bool {
        self.own_numbers.contains(address)
    }
}

fn send_settings(c: &ChannelConfig) -> SendSettings {
    let base_url = c
        .base_url
        .clone()
        .unwrap_or_else(|| default_base_url(c.kind).to_owned());
    SendSettings {
        sender: c.sender.clone(),
        account_sid: c.account_sid.clone(),
        username: c.username.clone(),
        api_key: c.api_key.clone(),
        api_secret: c.api_secret.clone(),
        client_id: c.client_id.clone(),
        client_secret: c.client_secret.clone(),
        password: c.password.clone(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        fold_gsm7: c.fold_gsm7,
        rate: c.send_rate(),
        max_in_flight: c.max_in_flight,
        token: Default::default(),
    }
}

/// Each provider's production API (Infobip accounts have their own: set `base_url`).
fn default_base_url(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Africastalking => "https://api.africastalking.com",
        ChannelKind::Twilio => "https://api.twilio.com",
        ChannelKind::Infobip => "https://api.infobip.com",
        ChannelKind::Vonage => "https://rest.nexmo.com",
        ChannelKind::Orange => "https://api.orange.com",
        ChannelKind::Kannel | ChannelKind::Sim => "",
    }
}

fn parse_country(field: &str, code: &str) -> Result<Country, ConfigError> {
    code.parse()
        .map_err(|_| ConfigError::invalid(field, format!("`{code}` is not a country code")))
}
