//! Alerting (`[alerts]`) and zones (`[[zones]]`): who hears of an incident, when, and who
//! hears of it next when nobody answers.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::incidents::category;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// An incident this severe alerts at once...
    pub severity_threshold: u8,
    /// ...a less severe one when this many distinct monitors report it.
    pub sources: u32,
    /// Alerted responders get at most one update per incident this often.
    pub update_interval_mins: u64,
    /// A count (killed, injured, ...) growing by this much is worth an update...
    pub count_step: u32,
    /// ...and so is the number of sources passing one of these.
    pub source_steps: Vec<u32>,
    /// Nobody acknowledged within this long: the alert goes up a level.
    pub deadline_mins: u64,
    /// Levels of escalation at most (the parent zone, its parent, ...).
    pub escalation_levels: u32,
    /// Reporters of an acknowledged incident are told their alert was taken up (never the
    /// discreet ones).
    pub notify_reporters: bool,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            severity_threshold: 3,
            sources: 2,
            update_interval_mins: 30,
            count_step: 3,
            source_steps: vec![3, 5, 10],
            deadline_mins: 30,
            escalation_levels: 2,
            notify_reporters: true,
        }
    }
}

impl AlertsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=5).contains(&self.severity_threshold) {
            return Err(ConfigError::invalid(
                "alerts.severity_threshold",
                "must be 1 to 5",
            ));
        }
        super::positive("alerts.sources", u64::from(self.sources))?;
        super::positive("alerts.count_step", u64::from(self.count_step))?;
        super::positive("alerts.deadline_mins", self.deadline_mins)?;
        if self.source_steps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ConfigError::invalid(
                "alerts.source_steps",
                "must be increasing",
            ));
        }
        Ok(())
    }
}

/// A zone as coordinators define it (in `[[zones]]` or through `/api/zones`). Its admin
/// units are resolved against the gazetteer when zones are loaded.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneDefinition {
    /// How contacts name it (`koro-nord`); compared without case or accents.
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// Gazetteer admin units: region, cercle or commune, by id or name.
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub circles: Vec<Circle>,
    /// GeoJSON geometries (Polygon or MultiPolygon), longitude first.
    #[serde(default)]
    pub polygons: Vec<serde_json::Value>,
    /// Escalation goes to this zone's contacts (a zone code or admin unit)...
    pub parent: Option<String>,
    /// ...or, first, to these numbers.
    #[serde(default)]
    pub escalation: Vec<String>,
    /// Rules of this zone, else `[alerts]`'s.
    pub severity_threshold: Option<u8>,
    pub sources: Option<u32>,
    pub deadline_mins: Option<u64>,
    /// Categories alerted in this zone (codes); empty: all.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Numbers alerted for this zone besides the contacts attached to it.
    #[serde(default)]
    pub subscribers: Vec<Subscription>,
    /// An incident below the severity threshold alerts here only once a coordinator
    /// verified it (`POST /api/incidents/{id}/verify`), however many sources it has.
    #[serde(default)]
    pub verify_low_severity: bool,
    /// Hours between its monitors' expected signs of life, unless their own setting says
    /// otherwise (`[silence]`'s when unset; 0: none).
    pub checkin_every_hours: Option<u32>,
}

/// A number subscribed to a zone's alerts, with what it wants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// International form: `+22370000000`.
    pub phone: String,
    pub language: Option<String>,
    /// Category codes; empty: all.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The least severity (1 to 5).
    pub min_severity: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

impl ZoneDefinition {
    /// What can be checked without the gazetteer; the error names the field under `at`.
    pub fn check(&self, at: &str) -> Result<(), ConfigError> {
        let field = |name: &str| format!("{at}.{name}");
        if self.code.trim().is_empty() || self.code.contains(';') {
            return Err(ConfigError::invalid(field("code"), "a name without `;`"));
        }
        if self.units.is_empty() && self.circles.is_empty() && self.polygons.is_empty() {
            return Err(ConfigError::invalid(
                field("units"),
                "a zone needs units, circles or polygons",
            ));
        }
        self.check_circles(at)?;
        self.check_rules(at)?;
        for code in &self.categories {
            category(&field("categories"), code)?;
        }
        for (i, s) in self.subscribers.iter().enumerate() {
            s.check(&field(&format!("subscribers[{i}]")))?;
        }
        Ok(())
    }

    fn check_circles(&self, at: &str) -> Result<(), ConfigError> {
        let field = |name: &str| format!("{at}.{name}");
        for (i, c) in self.circles.iter().enumerate() {
            let fine = (-90.0..=90.0).contains(&c.lat)
                && (-180.0..=180.0).contains(&c.lon)
                && c.radius_km > 0.0;
            if !fine {
                return Err(ConfigError::invalid(
                    field(&format!("circles[{i}]")),
                    "lat -90 to 90, lon -180 to 180, radius_km above 0",
                ));
            }
        }
        Ok(())
    }

    fn check_rules(&self, at: &str) -> Result<(), ConfigError> {
        let field = |name: &str| format!("{at}.{name}");
        if let Some(t) = self.severity_threshold.filter(|t| !(1..=5).contains(t)) {
            return Err(ConfigError::invalid(
                field("severity_threshold"),
                format!("{t}: must be 1 to 5"),
            ));
        }
        if self.sources == Some(0) {
            return Err(ConfigError::invalid(
                field("sources"),
                "must be greater than 0",
            ));
        }
        if self.deadline_mins == Some(0) {
            return Err(ConfigError::invalid(
                field("deadline_mins"),
                "must be greater than 0",
            ));
        }
        for (i, phone) in self.escalation.iter().enumerate() {
            international(phone, &field(&format!("escalation[{i}]")))?;
        }
        Ok(())
    }
}

impl Subscription {
    fn check(&self, at: &str) -> Result<(), ConfigError> {
        international(&self.phone, &format!("{at}.phone"))?;
        if let Some(s) = self.min_severity.filter(|s| !(1..=5).contains(s)) {
            return Err(ConfigError::invalid(
                format!("{at}.min_severity"),
                format!("{s}: must be 1 to 5"),
            ));
        }
        for code in &self.categories {
            category(&format!("{at}.categories"), code)?;
        }
        Ok(())
    }
}

pub(super) fn validate_zones(zones: &[ZoneDefinition]) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, zone) in zones.iter().enumerate() {
        zone.check(&format!("zones[{i}]"))?;
        if !seen.insert(crate::text::fold(&zone.code)) {
            return Err(ConfigError::invalid(
                format!("zones[{i}].code"),
                format!("`{}` is defined twice", zone.code),
            ));
        }
    }
    Ok(())
}

/// Numbers in zone definitions are written in full, as they are stored and compared.
fn international(phone: &str, field: &str) -> Result<(), ConfigError> {
    let digits = phone.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ConfigError::invalid(
            field,
            format!("`{phone}` is not an international number: + and 8 to 15 digits"),
        ));
    }
    Ok(())
}
