//! Incident fusion (`[incidents]`): which reports tell of one event.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;
use crate::keywords::Category;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IncidentsConfig {
    /// Reports of one event are at most this far apart in time...
    pub window_hours: u64,
    /// ...or this, by category code (displacement lasts days).
    pub windows_hours: BTreeMap<String, u64>,
    /// ...and at most this far apart in space (or in the same commune).
    pub radius_km: f64,
    pub radii_km: BTreeMap<String, f64>,
    /// Categories one event is reported under by different eyes.
    pub families: Vec<Vec<String>>,
}

impl Default for IncidentsConfig {
    fn default() -> Self {
        Self {
            window_hours: 6,
            windows_hours: BTreeMap::from([("DEP".to_owned(), 48)]),
            radius_km: 15.0,
            radii_km: BTreeMap::new(),
            families: vec![vec!["ATT".into(), "ASS".into()]],
        }
    }
}

pub(super) fn category(field: &str, code: &str) -> Result<Category, ConfigError> {
    Category::ALL
        .into_iter()
        .find(|c| c.code() == code)
        .ok_or_else(|| ConfigError::invalid(field, format!("`{code}` is not a category code")))
}

impl IncidentsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        super::positive("incidents.window_hours", self.window_hours)?;
        if self.radius_km.is_nan() || self.radius_km <= 0.0 {
            return Err(ConfigError::invalid(
                "incidents.radius_km",
                "must be greater than 0",
            ));
        }
        for code in self.windows_hours.keys() {
            category(&format!("incidents.windows_hours.{code}"), code)?;
        }
        for (code, km) in &self.radii_km {
            let field = format!("incidents.radii_km.{code}");
            category(&field, code)?;
            if km.is_nan() || *km <= 0.0 {
                return Err(ConfigError::invalid(field, "must be greater than 0"));
            }
        }
        for (i, family) in self.families.iter().enumerate() {
            for code in family {
                category(&format!("incidents.families[{i}]"), code)?;
            }
        }
        Ok(())
    }
}
