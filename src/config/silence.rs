//! `[silence]`: how Vigie tells a quiet place from one cut off: when a monitor is overdue,
//! when a zone's silence counts, and which operator a number is on.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;

/// The silence settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SilenceConfig {
    /// Hours between a monitor's expected signs of life, unless their own or their zone's
    /// setting says otherwise; 0: none expected.
    pub checkin_every_hours: u32,
    /// Hours past the cadence before a monitor is overdue.
    pub grace_hours: u32,
    /// Reminders go to monitors marked discreet too (a reminder may expose them).
    pub remind_discreet: bool,
    /// Zones with fewer active monitors are not judged.
    pub min_monitors: usize,
    /// Days of history a zone's usual pace is read from.
    pub history_days: u32,
    /// Messages a zone would usually have sent during a silence before it counts.
    pub several: f64,
    /// Seconds between sweeps (1 to 60): overdue monitors and quiet zones are looked for
    /// at start-up and then this often.
    pub sweep_every_secs: u64,
    /// Mobile operators by E.164 prefix (`"+2237" = "Orange"`); the longest prefix wins.
    pub operators: BTreeMap<String, String>,
}

impl Default for SilenceConfig {
    fn default() -> Self {
        Self {
            checkin_every_hours: 72,
            grace_hours: 6,
            remind_discreet: false,
            min_monitors: 3,
            history_days: 14,
            several: 4.0,
            sweep_every_secs: 60,
            operators: mali(),
        }
    }
}

/// Mali's mobile ranges, from libphonenumber's carrier data (Apache-2.0): Sotelma is Moov
/// Africa Malitel, Atel is Telecel.
fn mali() -> BTreeMap<String, String> {
    let ranges = [
        ("+2235", "Telecel"),
        ("+2236", "Moov Africa Malitel"),
        ("+2237", "Orange"),
        ("+22382", "Orange"),
        ("+22383", "Orange"),
        ("+22384", "Orange"),
        ("+22389", "Moov Africa Malitel"),
        ("+22390", "Orange"),
        ("+22391", "Orange"),
        ("+22392", "Orange"),
        ("+22393", "Orange"),
        ("+22394", "Orange"),
        ("+22395", "Moov Africa Malitel"),
        ("+22396", "Moov Africa Malitel"),
        ("+22397", "Moov Africa Malitel"),
        ("+22398", "Moov Africa Malitel"),
        ("+22399", "Moov Africa Malitel"),
    ];
    ranges
        .into_iter()
        .map(|(prefix, name)| (prefix.to_owned(), name.to_owned()))
        .collect()
}

impl SilenceConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.history_days == 0 {
            return Err(ConfigError::invalid(
                "silence.history_days",
                "must be at least 1",
            ));
        }
        if self.min_monitors == 0 {
            return Err(ConfigError::invalid(
                "silence.min_monitors",
                "must be at least 1",
            ));
        }
        if !(1..=60).contains(&self.sweep_every_secs) {
            return Err(ConfigError::invalid(
                "silence.sweep_every_secs",
                "must be 1 to 60: a silence is looked for at least once a minute",
            ));
        }
        if !(self.several.is_finite() && self.several > 0.0) {
            return Err(ConfigError::invalid("silence.several", "must be above 0"));
        }
        for (prefix, name) in &self.operators {
            let digits = prefix.strip_prefix('+').unwrap_or_default();
            if !(1..=12).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::invalid(
                    format!("silence.operators.\"{prefix}\""),
                    "an E.164 prefix: + and digits",
                ));
            }
            if name.trim().is_empty() {
                return Err(ConfigError::invalid(
                    format!("silence.operators.\"{prefix}\""),
                    "the operator's name is empty",
                ));
            }
        }
        Ok(())
    }
}
