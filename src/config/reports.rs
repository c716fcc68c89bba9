//! Report reading (`[reports]`): where the words, places and reply templates are, and the
//! monitors' time zone.

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// One `<lang>.toml` per language.
    pub keywords_dir: PathBuf,
    /// `<lang>/<name>.txt` reply templates.
    pub templates_dir: PathBuf,
    /// Replies go in this language when the sender's is unknown and cannot be detected.
    pub default_language: String,
    /// The gazetteer files, in the shipped CSV format.
    pub gazetteers: Vec<PathBuf>,
    /// A network's own villages and spellings, same format, added to the above.
    pub extra_gazetteers: Vec<PathBuf>,
    /// Admin boundaries (GeoJSON) for coordinates; none disables coordinates.
    pub boundaries: Option<PathBuf>,
    /// IANA time zone of `hier`, `ce matin`, `14h30`.
    pub time_zone: String,
    /// Reports from numbers not in the contacts: filed as they are, filed marked
    /// unverified, or refused with a reply.
    pub unknown_senders: UnknownSenders,
    /// A report waiting for its sender's place choice expires after this.
    pub choice_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnknownSenders {
    Accept,
    Unverified,
    Refuse,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self {
            keywords_dir: "keywords".into(),
            templates_dir: "templates/sms".into(),
            default_language: "fr".into(),
            gazetteers: vec![
                "data/sahel_gazetteer.csv".into(),
                "data/sahel_osm_places.csv".into(),
            ],
            extra_gazetteers: Vec::new(),
            boundaries: Some("data/sahel_admin_boundaries.geojson".into()),
            time_zone: "Africa/Bamako".into(),
            unknown_senders: UnknownSenders::Unverified,
            choice_timeout_secs: 30 * 60,
        }
    }
}

impl ReportsConfig {
    pub fn time_zone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.time_zone.parse().map_err(|_| {
            ConfigError::invalid(
                "reports.time_zone",
                format!(
                    "`{}` is not an IANA time zone (Africa/Bamako)",
                    self.time_zone
                ),
            )
        })
    }

    /// Every gazetteer file, the extra ones last.
    pub fn gazetteer_files(&self) -> Vec<PathBuf> {
        self.gazetteers
            .iter()
            .chain(&self.extra_gazetteers)
            .cloned()
            .collect()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.time_zone()?;
        if self.gazetteers.is_empty() && self.extra_gazetteers.is_empty() {
            return Err(ConfigError::invalid(
                "reports.gazetteers",
                "name at least one gazetteer file",
            ));
        }
        Ok(())
    }
}
