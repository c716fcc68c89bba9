//! Contacts: monitors, responders and coordinators, as coordinators enter them (a CSV
//! import or the admin API), checked before anything is stored. Each bad row is named
//! with its line and what is wrong with it; the good rows go in together.

mod manage;

pub use manage::{ContactError, Contacts, Listed, import_file};

use phonenumber::country::Id as Country;
use serde::Deserialize;

use crate::fanout::ZoneNames;
use crate::gazetteer::{Gazetteer, Near};
use crate::keywords::Vocabulary;
use crate::phone::Address;
use crate::store::contacts::Contact;

/// The roles a contact may have. `safety` contacts hear a monitor's duress word.
pub const ROLES: [&str; 4] = ["monitor", "responder", "coordinator", "safety"];

/// A contact as given, before checks.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub phone: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub language: Option<String>,
    /// A gazetteer id or a place name that resolves to one place.
    pub home: Option<String>,
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub discreet: bool,
    pub active: Option<bool>,
    /// Category codes a responder wants alerts for; empty: all.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The least severity (1 to 5) a responder wants alerts for.
    pub min_severity: Option<u8>,
    /// Hours between a monitor's expected signs of life (0: none); unset: their zones'.
    pub checkin_every_hours: Option<u32>,
    /// Coordinators' PIN for SMS commands; stored as an argon2 hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// What checking needs.
#[derive(Debug, Clone)]
pub struct Checks<'a> {
    pub country: Country,
    pub vocabulary: &'a Vocabulary,
    pub gazetteer: &'a Gazetteer,
    /// The zones in force: a responder's zone nobody knows would never be alerted.
    pub zones: ZoneNames<'a>,
}

/// Checks one contact; the error names the field.
pub fn check(input: ContactInput, checks: &Checks<'_>) -> Result<Contact, String> {
    check_keeping(input, checks, &[])
}

/// Checks a contact changed, whose zones `kept` it had already: a zone deleted since, or
/// not yet heard of by this node, does not stop a change to something else.
pub fn check_keeping(
    input: ContactInput,
    checks: &Checks<'_>,
    kept: &[String],
) -> Result<Contact, String> {
    let phone = Address::parse(&input.phone, checks.country).map_err(|e| format!("phone: {e}"))?;
    if !phone.as_str().starts_with('+') {
        return Err("phone: not a mobile number".into());
    }
    let roles: Vec<String> = input
        .roles
        .iter()
        .map(|r| r.trim().to_lowercase())
        .filter(|r| !r.is_empty())
        .collect();
    if let Some(bad) = roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(format!(
            "roles: `{bad}` is not monitor, responder, coordinator or safety"
        ));
    }
    let language = given(input.language.as_deref())
        .map(|code| language(code, checks.vocabulary))
        .transpose()?;
    let home = given(input.home.as_deref())
        .map(|h| home_id(h, checks.gazetteer))
        .transpose()?;
    let pin_hash = input.pin.as_deref().map(hash_pin).transpose()?;
    let categories = categories(&input.categories)?;
    let zones = zones(&input.zones, &checks.zones, kept)?;
    if let Some(bad) = input.min_severity.filter(|s| !(1..=5).contains(s)) {
        return Err(format!("min_severity: {bad} is not 1 to 5"));
    }
    Ok(Contact {
        id: 0,
        phone: phone.as_str().to_owned(),
        name: input.name.trim().to_owned(),
        roles,
        language,
        home,
        zones,
        discreet: input.discreet,
        active: input.active.unwrap_or(true),
        opted_out: false,
        categories,
        min_severity: input.min_severity,
        pin_hash,
        pin_failures: 0,
        checkin_every_hours: input.checkin_every_hours,
        duress_hash: None,
        duress_since: None,
    })
}

/// Zones as given, trimmed, each one that fan-out matches (`ZoneNames::reaches`) or one
/// of those `kept`.
fn zones(given: &[String], known: &ZoneNames<'_>, kept: &[String]) -> Result<Vec<String>, String> {
    let zones: Vec<String> = given
        .iter()
        .map(|z| z.trim().to_owned())
        .filter(|z| !z.is_empty())
        .collect();
    match zones
        .iter()
        .find(|z| !known.reaches(z) && !kept.contains(z))
    {
        Some(bad) => Err(format!(
            "zones: `{bad}` is no zone and no admin unit; its responders would never be alerted"
        )),
        None => Ok(zones),
    }
}

/// Category codes, as the keyword files name them (`ATT`, `enl`).
fn categories(given: &[String]) -> Result<Vec<String>, String> {
    given
        .iter()
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .map(|code| {
            crate::keywords::Category::ALL
                .into_iter()
                .find(|c| c.code() == code)
                .map(|c| c.code().to_owned())
                .ok_or_else(|| format!("categories: `{code}` is not a category code"))
        })
        .collect()
}

/// An optional field, trimmed; empty is not given.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A language with a keyword file, by its code.
fn language(code: &str, vocabulary: &Vocabulary) -> Result<String, String> {
    vocabulary
        .get(code)
        .map(|l| l.code.clone())
        .ok_or_else(|| format!("language: no keyword file for `{code}`"))
}

/// A home given as a gazetteer id, or a name that is one place.
fn home_id(given: &str, gazetteer: &Gazetteer) -> Result<String, String> {
    if let Some(row) = gazetteer.by_id(given) {
        return Ok(gazetteer.place(row).id.to_string());
    }
    match gazetteer.resolve(&crate::text::fold(given), None, Near::default()) {
        crate::gazetteer::Resolution::One(row) => Ok(gazetteer.place(row).id.to_string()),
        crate::gazetteer::Resolution::Several(_) => Err(format!(
            "home: `{given}` is several places; give its gazetteer id"
        )),
        crate::gazetteer::Resolution::None => {
            Err(format!("home: no place `{given}` in the gazetteer"))
        }
    }
}

/// An argon2 hash of a PIN of 4 to 8 digits.
fn hash_pin(pin: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err("pin: 4 to 8 digits".into());
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("pin: {e}"))
}

/// Whether `pin` is the one `hash` was made from.
pub fn verify_pin(hash: &str, pin: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok()
    })
}

/// One CSV row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// Reads a contacts CSV (`phone,name,roles,language,home,zones,discreet`, and optionally
/// `categories,min_severity,checkin_every_hours`; roles, zones and categories separated by `;`): the checked
/// contacts, and the rows refused with why.
pub fn read_csv(text: &str, checks: &Checks<'_>) -> (Vec<Contact>, Vec<Rejected>) {
    #[derive(Deserialize)]
    struct Row {
        phone: String,
        name: Option<String>,
        roles: Option<String>,
        language: Option<String>,
        home: Option<String>,
        zones: Option<String>,
        discreet: Option<String>,
        categories: Option<String>,
        min_severity: Option<u8>,
        checkin_every_hours: Option<u32>,
    }
    let list = |s: Option<String>| {
        s.unwrap_or_default()
            .split(';')
            .map(str::to_owned)
            .collect()
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (n, row) in reader.deserialize::<Row>().enumerate() {
        let line = n as u64 + 2;
        let checked = row.map_err(|e| e.to_string()).and_then(|row| {
            let discreet = yes_no(row.discreet.as_deref().unwrap_or(""))?;
            let input = ContactInput {
                phone: row.phone,
                name: row.name.unwrap_or_default(),
                roles: list(row.roles),
                language: row.language,
                home: row.home,
                zones: list(row.zones),
                discreet,
                active: None,
                categories: list(row.categories),
                min_severity: row.min_severity,
                checkin_every_hours: row.checkin_every_hours,
                pin: None,
            };
            check(input, checks)
        });
        match checked {
            Ok(contact) => good.push(contact),
            Err(reason) => bad.push(Rejected { line, reason }),
        }
    }
    (good, bad)
}

fn yes_no(value: &str) -> Result<bool, String> {
    match crate::text::fold(value).as_str() {
        "" | "0" | "no" | "non" | "false" | "n" => Ok(false),
        "1" | "yes" | "oui" | "true" | "y" | "o" => Ok(true),
        other => Err(format!("discreet: `{other}` is not yes or no")),
    }
}
