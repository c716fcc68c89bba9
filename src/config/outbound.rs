//! Outbound configuration: routing, segment limits, retries, channel health.

use serde::Deserialize;

use super::{ChannelConfig, ChannelKind, ConfigError, positive};

/// How messages leave (`[outbound]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// Numbers no route matches go here. Unset: the first channel that can send, no fallback.
    pub default_route: Option<DefaultRoute>,
    /// Longest matching prefix wins.
    pub routes: Vec<RouteConfig>,
    pub max_segments: SegmentLimits,
    pub retry: RetryConfig,
    /// A message claimed for sending longer than this goes back to the queue (a send stuck
    /// past every timeout, or a worker that died).
    pub claim_timeout_secs: u64,
    /// A channel whose sends fail at the transport this many times in a row is marked down.
    pub down_after_failures: u32,
    /// While down, one message is tried this often; its success brings the channel back.
    pub probe_every_secs: u64,
    /// Whole provider request, connection included.
    pub send_timeout_secs: u64,
    pub connect_timeout_secs: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            default_route: None,
            routes: Vec::new(),
            max_segments: SegmentLimits::default(),
            retry: RetryConfig::default(),
            claim_timeout_secs: 300,
            down_after_failures: 5,
            probe_every_secs: 30,
            send_timeout_secs: 30,
            connect_timeout_secs: 10,
        }
    }
}

/// `[outbound.default_route]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultRoute {
    pub channel: String,
    #[serde(default)]
    pub fallbacks: Vec<String>,
}

/// `[[outbound.routes]]`: numbers starting with `prefix` go through `channel`, then `fallbacks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// An E.164 prefix: `+22376`.
    pub prefix: String,
    pub channel: String,
    #[serde(default)]
    pub fallbacks: Vec<String>,
}

/// Most segments a message may take, by purpose. Longer messages are refused at enqueue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentLimits {
    pub reply: u32,
    pub alert: u32,
    pub broadcast: u32,
    pub system: u32,
}

impl Default for SegmentLimits {
    fn default() -> Self {
        Self {
            reply: 1,
            alert: 1,
            broadcast: 3,
            system: 1,
        }
    }
}

/// Retries of failed sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Delay after the first failure, doubled after each further one.
    pub base_secs: u64,
    pub max_delay_secs: u64,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// A message not sent after this is failed: an alert hours late misleads.
    pub max_age_secs: u64,
    /// Each delay is spread by up to this fraction either way.
    pub jitter: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            base_secs: 5,
            max_delay_secs: 600,
            max_attempts: 8,
            max_age_secs: 6 * 3600,
            jitter: 0.2,
        }
    }
}

impl OutboundConfig {
    pub(super) fn validate(&self, channels: &[ChannelConfig]) -> Result<(), ConfigError> {
        let limits = &self.max_segments;
        for (name, value) in [
            ("reply", limits.reply),
            ("alert", limits.alert),
            ("broadcast", limits.broadcast),
            ("system", limits.system),
        ] {
            positive(&format!("outbound.max_segments.{name}"), value.into())?;
        }
        positive(
            "outbound.retry.max_attempts",
            self.retry.max_attempts.into(),
        )?;
        positive("outbound.retry.base_secs", self.retry.base_secs)?;
        if !(0.0..1.0).contains(&self.retry.jitter) {
            return Err(ConfigError::invalid(
                "outbound.retry.jitter",
                "must be at least 0 and below 1",
            ));
        }
        positive("outbound.claim_timeout_secs", self.claim_timeout_secs)?;
        if self.claim_timeout_secs <= self.send_timeout_secs {
            return Err(ConfigError::invalid(
                "outbound.claim_timeout_secs",
                "must be longer than outbound.send_timeout_secs, or sends in flight would be claimed twice",
            ));
        }
        positive(
            "outbound.down_after_failures",
            self.down_after_failures.into(),
        )?;
        positive("outbound.probe_every_secs", self.probe_every_secs)?;
        positive("outbound.send_timeout_secs", self.send_timeout_secs)?;
        positive("outbound.connect_timeout_secs", self.connect_timeout_secs)?;
        if let Some(route) = &self.default_route {
            check_route(
                "outbound.default_route",
                &route.channel,
                &route.fallbacks,
                channels,
            )?;
        }
        for (i, route) in self.routes.iter().enumerate() {
            let field = format!("outbound.routes[{i}]");
            let digits = route.prefix.strip_prefix('+').unwrap_or_default();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::invalid(
                    format!("{field}.prefix"),
                    "must be + followed by digits (an E.164 prefix such as +22376)",
                ));
            }
            check_route(&field, &route.channel, &route.fallbacks, channels)?;
        }
        Ok(())
    }
}

/// Every channel a route names exists, once, and can send.
fn check_route(
    field: &str,
    channel: &str,
    fallbacks: &[String],
    channels: &[ChannelConfig],
) -> Result<(), ConfigError> {
    let names = std::iter::once(("channel".to_owned(), channel)).chain(
        fallbacks
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("fallbacks[{i}]"), f.as_str())),
    );
    let mut seen = Vec::new();
    for (name, id) in names {
        let field = format!("{field}.{name}");
        let Some(config) = channels.iter().find(|c| c.id == id) else {
            return Err(ConfigError::invalid(field, format!("no channel `{id}`")));
        };
        if seen.contains(&id) {
            return Err(ConfigError::invalid(
                field,
                format!("`{id}` is named twice"),
            ));
        }
        seen.push(id);
        if let Some(missing) = missing_send_setting(config) {
            return Err(ConfigError::invalid(
                field,
                format!("channel `{id}` cannot send: set its `{missing}`"),
            ));
        }
    }
    Ok(())
}

/// The first setting a channel of this kind needs to send and lacks.
pub(crate) fn missing_send_setting(c: &ChannelConfig) -> Option<&'static str> {
    let needs: &[(&str, bool)] = match c.kind {
        ChannelKind::Sim => &[],
        ChannelKind::Africastalking => &[
            ("username", c.username.is_some()),
            ("api_key", c.api_key.is_some()),
        ],
        ChannelKind::Twilio => &[
            ("account_sid", c.account_sid.is_some()),
            ("sender", c.sender.is_some()),
        ],
        ChannelKind::Infobip => &[("api_key", c.api_key.is_some())],
        ChannelKind::Vonage => &[
            ("api_key", c.api_key.is_some()),
            ("api_secret", c.api_secret.is_some()),
            ("sender", c.sender.is_some()),
        ],
        ChannelKind::Orange => &[
            ("client_id", c.client_id.is_some()),
            ("client_secret", c.client_secret.is_some()),
            ("sender", c.sender.is_some()),
        ],
        ChannelKind::Kannel => &[
            ("username", c.username.is_some()),
            ("password", c.password.is_some()),
            ("base_url", c.base_url.is_some()),
        ],
    };
    needs
        .iter()
        .find(|(_, present)| !present)
        .map(|(name, _)| *name)
}
