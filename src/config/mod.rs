//! Typed configuration: a TOML file, then `VIGIE_` environment overrides, validated once.
//!
//! Everything the gateway needs is read here at start-up and passed down; nothing reads the
//! environment or the file later. A bad value stops start-up with a message naming the field
//! (`channels[1].auth_token: required for kind twilio`).

mod alerts;
mod channels;
mod console;
mod silence;
mod incidents;
mod outbound;
mod reports;
mod storage;

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use alerts::{AlertsConfig, Circle, Subscription, ZoneDefinition};
pub use channels::{ChannelConfig, ChannelKind, SignatureMethod};
pub use console::ConsoleConfig;
pub use incidents::IncidentsConfig;
pub(crate) use outbound::missing_send_setting;
pub use outbound::{DefaultRoute, OutboundConfig, RetryConfig, RouteConfig, SegmentLimits};
pub use reports::{ReportsConfig, SeverityRules, UnknownSenders};
pub use silence::SilenceConfig;
pub use storage::Backend;
pub use storage::{StorageConfig, Synchronous};

/// The whole configuration, as loaded and validated.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Bearer token for the admin API; without it the admin API answers 401.
    #[serde(default, deserialize_with = "lenient_secret")]
    pub admin_token: Option<SecretString>,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub inbound: InboundConfig,
    #[serde(default)]
    pub outbound: OutboundConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
    #[serde(default)]
    pub incidents: IncidentsConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub zones: Vec<ZoneDefinition>,
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    #[serde(default)]
    pub console: ConsoleConfig,
    #[serde(default)]
    pub silence: SilenceConfig,
}

/// The HTTP listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The base URL providers call (scheme, host, port). Twilio signs the full URL it called,
    /// so behind a TLS proxy this must be the public `https://` address, not ours.
    pub public_url: Option<String>,
    /// A request taking longer than this is answered 408; providers retry.
    pub request_timeout_secs: u64,
    /// Longest wait for in-flight requests and worker steps at shutdown.
    pub shutdown_grace_secs: u64,
    /// A client that has not sent a request's headers within this is disconnected.
    pub header_read_timeout_secs: u64,
    /// Most connections open at once; more wait until one closes.
    pub max_connections: usize,
    /// Threads serving requests. Unset: one per core but one, which the storage writer
    /// thread keeps for itself (on two cores, splitting both between the two halves makes
    /// them preempt each other; see BENCHMARKS.md).
    pub worker_threads: Option<usize>,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the
    /// client; unset, every client is the address that connected.
    pub trusted_proxies: Vec<String>,
}

impl ServerConfig {
    /// The trusted proxies, read; the error names the entry.
    pub fn proxies(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, given)| {
                let given = given.trim();
                given
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| given.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError::invalid(
                            format!("server.trusted_proxies[{i}]"),
                            format!("`{given}` is not an address or a CIDR range"),
                        )
                    })
            })
            .collect()
    }

    /// Whether only this machine reaches the listener: on loopback, with no reverse proxy
    /// in front passing others' requests on.
    pub fn local_only(&self) -> bool {
        self.listen.ip().is_loopback() && self.trusted_proxies.is_empty()
    }

    /// The request threads to start.
    pub fn worker_threads(&self) -> usize {
        self.worker_threads.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
            cores.saturating_sub(1).max(1)
        })
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            request_timeout_secs: 30,
            shutdown_grace_secs: 20,
            header_read_timeout_secs: 10,
            max_connections: 1024,
            worker_threads: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Logging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter (`info`, `vigie=debug`); `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// How inbound messages are accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundConfig {
    /// Country used to read national numbers when a channel names none (ISO 3166-1 alpha-2).
    pub default_country: String,
    /// Longer texts are stored cut to this many characters, flagged `truncated`.
    pub max_text_chars: usize,
    /// Without a provider id, the same sender, recipient and text within this window is one message.
    pub dedupe_window_secs: u64,
    /// Parts of a concatenated SMS still incomplete after this are stored as they are.
    pub concat_timeout_secs: u64,
    pub rate_limit: RateLimitConfig,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            default_country: "ML".into(),
            max_text_chars: 1600,
            dedupe_window_secs: 120,
            concat_timeout_secs: 300,
            rate_limit: RateLimitConfig::default(),
        }
    }
}

/// Per-sender flood limit: messages over it are stored, flagged `throttled`, and get no reply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_minute: 10,
            burst: 10,
        }
    }
}

/// A configuration that could not be loaded or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Load(String),
    #[error("invalid configuration: {field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Config {
    /// Reads `path`, applies `VIGIE_*` environment overrides (`VIGIE_SERVER__LISTEN`,
    /// `VIGIE_ADMIN_TOKEN`), and validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        if !path.exists() {
            return Err(ConfigError::invalid(
                "--config",
                format!("{} does not exist", path.display()),
            ));
        }
        // The admin token is read as written: figment would read `0123` as the number 123.
        let env = Env::prefixed("VIGIE_").split("__").ignore(&["admin_token"]);
        let mut figment = Figment::from(Toml::file(path)).merge(env);
        if let Ok(token) = std::env::var("VIGIE_ADMIN_TOKEN") {
            figment = figment.merge(("admin_token", token));
        }
        Self::extract(figment)
    }

    /// Parses a TOML document without environment overrides (tests, `vigie check` on text).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::extract(Figment::from(Toml::string(text)))
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract().map_err(from_figment)?;
        if config.reports.countries.is_empty() {
            config.reports.countries = vec![config.inbound.default_country.clone()];
        }
        config.storage.resolve_url()?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot: references between fields, ranges, provider needs.
    pub fn validate(&self) -> Result<(), ConfigError> {
        channels::parse_country(&self.inbound.default_country)
            .map_err(|reason| ConfigError::invalid("inbound.default_country", reason))?;
        positive("inbound.max_text_chars", self.inbound.max_text_chars as u64)?;
        positive(
            "inbound.rate_limit.per_minute",
            self.inbound.rate_limit.per_minute.into(),
        )?;
        positive(
            "inbound.rate_limit.burst",
            self.inbound.rate_limit.burst.into(),
        )?;
        positive("storage.batch_max", self.storage.batch_max as u64)?;
        positive("storage.readers", self.storage.readers as u64)?;
        positive("storage.connections", self.storage.connections as u64)?;
        if let Some(threads) = self.server.worker_threads {
            positive("server.worker_threads", threads as u64)?;
        }
        positive(
            "server.request_timeout_secs",
            self.server.request_timeout_secs,
        )?;
        positive(
            "server.header_read_timeout_secs",
            self.server.header_read_timeout_secs,
        )?;
        positive("server.max_connections", self.server.max_connections as u64)?;
        self.server.proxies()?;
        if self
            .admin_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().trim().is_empty())
        {
            return Err(ConfigError::invalid("admin_token", "must not be empty"));
        }
        if let Some(url) = &self.server.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        channels::validate_all(&self.channels, self.server.public_url.is_some())?;
        self.console.validate()?;
        self.silence.validate()?;
        channels::validate_exposure(&self.channels, &self.server)?;
        self.reports.validate()?;
        self.incidents.validate()?;
        self.alerts.validate()?;
        alerts::validate_zones(&self.zones)?;
        self.outbound.validate(&self.channels)
    }
}

/// Names the field first: `server.listen: invalid socket address syntax (in config/vigie.toml)`.
fn from_figment(e: figment::Error) -> ConfigError {
    let Some(first) = e.into_iter().next() else {
        return ConfigError::Load("unknown error".into());
    };
    let source = first.metadata.as_ref().map(|m| match &m.source {
        Some(source) => source.to_string(),
        None => m.name.to_string(),
    });
    let reason = match source {
        Some(source) => format!("{} (in {source})", first.kind),
        None => first.kind.to_string(),
    };
    if first.path.is_empty() {
        return ConfigError::Load(reason);
    }
    ConfigError::invalid(field_path(&first.path), reason)
}

/// `["channels", "0", "kind"]` as `channels[0].kind`, the way validation names fields.
fn field_path(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment.to_lowercase());
        }
    }
    out
}

fn positive(field: &str, value: u64) -> Result<(), ConfigError> {
    if value == 0 {
        return Err(ConfigError::invalid(field, "must be greater than 0"));
    }
    Ok(())
}

/// Accepts a secret given as a number too: an environment value like `VIGIE_ADMIN_TOKEN=12345`
/// reaches serde as an integer.
pub(crate) fn lenient_secret<'de, D>(de: D) -> Result<Option<SecretString>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Int(i64),
        Float(f64),
    }
    Ok(Option::<Raw>::deserialize(de)?.map(|raw| {
        let text = match raw {
            Raw::Text(s) => s,
            Raw::Int(n) => n.to_string(),
            Raw::Float(f) => f.to_string(),
        };
        SecretString::from(text)
    }))
}

#[cfg(test)]
mod tests;
