//! `[console]`: the coordinators' web console served at `/console`.

use serde::Deserialize;

use super::ConfigError;

/// The console's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve the console (and `/` redirecting to it).
    pub enabled: bool,
    /// A raster tile URL (`https://tile.example.org/{z}/{x}/{y}.png`) drawn under the admin
    /// boundaries. Off by default: tile requests tell a third party which areas
    /// coordinators watch, and need internet.
    pub tiles_url: Option<String>,
    /// A session unused this long ends.
    pub session_idle_mins: u64,
    /// A session ends this long after login, used or not.
    pub session_max_hours: u64,
    /// Login attempts allowed per client address and minute.
    pub logins_per_minute: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            tiles_url: None,
            session_idle_mins: 12 * 60,
            session_max_hours: 7 * 24,
            logins_per_minute: 10,
        }
    }
}

impl ConsoleConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let positive = |field: &str, value: u64| {
            if value == 0 {
                return Err(ConfigError::invalid(field, "must be at least 1"));
            }
            Ok(())
        };
        positive("console.session_idle_mins", self.session_idle_mins)?;
        positive("console.session_max_hours", self.session_max_hours)?;
        positive("console.logins_per_minute", self.logins_per_minute.into())?;
        if let Some(url) = &self.tiles_url
            && !(url.starts_with("https://")
                && ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)))
        {
            return Err(ConfigError::invalid(
                "console.tiles_url",
                "an https:// URL with {z}, {x} and {y}",
            ));
        }
        Ok(())
    }

    /// The origin of the tile URL, for the Content-Security-Policy.
    pub fn tiles_origin(&self) -> Option<&str> {
        let url = self.tiles_url.as_deref()?;
        let rest = url.strip_prefix("https://")?;
        let end = rest.find('/').map_or(url.len(), |i| "https://".len() + i);
        url.get(..end)
    }
}
