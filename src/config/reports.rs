//! Report reading (`[reports]`): where the words, places and reply templates are, and the
//! monitors' time zone.

use std::collections::BTreeMap;
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
    /// `<lang>/<screen>.txt` USSD menu screens.
    pub ussd_templates_dir: PathBuf,
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
    /// The USSD provider ends a session after this long; a session cut before its report
    /// was sent is then closed, and its caller told by SMS how to finish the report.
    pub ussd_session_timeout_secs: u64,
    pub severity: SeverityRules,
    /// The deployment's countries, most preferred first (`["ML", "BF", "NE"]`): a place's
    /// own name there outranks homonyms elsewhere and alternate names. Empty:
    /// `inbound.default_country`.
    pub countries: Vec<String>,
}

/// How severe a report is, 1 to 5: the category's base, raised by counts (spec section 3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityRules {
    /// Base severity by category code; a category not listed (RAS) has none.
    pub base: BTreeMap<String, u8>,
    /// Added to the base when anyone was killed or abducted.
    pub raise_if_victims: u8,
    /// At or above any of these counts the severity is 5.
    pub killed_for_max: u32,
    pub abducted_for_max: u32,
    pub displaced_for_max: u32,
}

impl Default for SeverityRules {
    fn default() -> Self {
        let base = [
            ("ATT", 4),
            ("EEI", 4),
            ("ENL", 4),
            ("ASS", 4),
            ("CONF", 3),
            ("DEP", 3),
            ("VBG", 3),
            ("VOL", 2),
            ("MEN", 2),
            ("PRES", 2),
            ("MAN", 2),
            ("CAT", 2),
            ("SAN", 2),
            ("PAIX", 1),
        ];
        Self {
            base: base.into_iter().map(|(c, n)| (c.to_owned(), n)).collect(),
            raise_if_victims: 1,
            killed_for_max: 5,
            abducted_for_max: 10,
            displaced_for_max: 100,
        }
    }
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
            ussd_templates_dir: "templates/ussd".into(),
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
            ussd_session_timeout_secs: 180,
            severity: SeverityRules::default(),
            countries: Vec::new(),
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
        for (i, country) in self.countries.iter().enumerate() {
            super::channels::parse_country(country).map_err(|reason| {
                ConfigError::invalid(format!("reports.countries[{i}]"), reason)
            })?;
        }
        for (code, level) in &self.severity.base {
            let field = format!("reports.severity.base.{code}");
            if !crate::keywords::Category::ALL
                .iter()
                .any(|c| c.code() == code)
            {
                return Err(ConfigError::invalid(field, "not a category code"));
            }
            if !(1..=5).contains(level) {
                return Err(ConfigError::invalid(field, "must be 1 to 5"));
            }
        }
        // A draft is kept 30 minutes from its last step: the code sent once the session is
        // over must leave most of them.
        if !(10..=600).contains(&self.ussd_session_timeout_secs) {
            return Err(ConfigError::invalid(
                "reports.ussd_session_timeout_secs",
                "must be 10 to 600 (a draft is kept 30 minutes)",
            ));
        }
        if self.gazetteers.is_empty() && self.extra_gazetteers.is_empty() {
            return Err(ConfigError::invalid(
                "reports.gazetteers",
                "name at least one gazetteer file",
            ));
        }
        Ok(())
    }
}
