//! The configured channels, resolved once at start-up.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use phonenumber::country::Id as Country;
use secrecy::SecretString;

use crate::config::{ChannelKind, Config, ConfigError, SignatureMethod};
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
            };
            channels.by_id.insert(c.id.clone(), Arc::new(channel));
        }
        Ok(channels)
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Channel>> {
        self.by_id.get(id)
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

fn parse_country(field: &str, code: &str) -> Result<Country, ConfigError> {
    code.parse()
        .map_err(|_| ConfigError::invalid(field, format!("`{code}` is not a country code")))
}
