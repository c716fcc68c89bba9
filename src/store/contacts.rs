//! Queries on `contacts`.

use serde::Serialize;

use super::db::{Db, Row, args};
use super::{StoreError, list_of};

/// A contact as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub roles: Vec<String>,
    pub language: Option<String>,
    pub home: Option<String>,
    pub zones: Vec<String>,
    pub discreet: bool,
    pub active: bool,
    pub opted_out: bool,
    /// Category codes they want alerts for; empty: all.
    pub categories: Vec<String>,
    /// The least severity they want alerts for; `None`: their zones' rules decide.
    pub min_severity: Option<u8>,
    /// A monitor's expected cadence in hours; `None`: their zones', else the default.
    pub checkin_every_hours: Option<u32>,
    #[serde(skip)]
    pub pin_hash: Option<String>,
    /// Wrong PINs in a row (three lock the contact out of phone broadcasts).
    #[serde(skip)]
    pub pin_failures: u32,
    /// Their duress word's keyed hash (`crate::duress`).
    #[serde(skip)]
    pub duress_hash: Option<String>,
    /// Since when their reports are marked: they said their duress word.
    pub duress_since: Option<i64>,
}

impl Contact {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

const COLUMNS: &str = "id, phone, name, roles, language, home, zones, discreet, active, opted_out,
    pin_hash, categories, min_severity, pin_failures, checkin_every_hours, duress_hash, duress_since";

fn from_row(r: &Row<'_>) -> Result<Contact, StoreError> {
    Ok(Contact {
        id: r.get(0)?,
        phone: r.get(1)?,
        name: r.get(2)?,
        roles: list_of(&r.get::<String>(3)?),
        language: r.get(4)?,
        home: r.get(5)?,
        zones: list_of(&r.get::<String>(6)?),
        discreet: r.get(7)?,
        active: r.get(8)?,
        opted_out: r.get(9)?,
        pin_hash: r.get(10)?,
        categories: list_of(&r.get::<String>(11)?),
        min_severity: r.get(12)?,
        pin_failures: r.get(13)?,
        checkin_every_hours: r.get(14)?,
        duress_hash: r.get(15)?,
        duress_since: r.get(16)?,
    })
}

pub fn by_phone(db: &Db<'_>, phone: &str) -> Result<Option<Contact>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE phone = ?1");
    db.query_opt(&sql, args![phone], from_row)
}

pub fn by_id(db: &Db<'_>, id: i64) -> Result<Option<Contact>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = ?1");
    db.query_opt(&sql, args![id], from_row)
}

/// Newest first, below `before`.
pub fn list(db: &Db<'_>, limit: u32, before: Option<i64>) -> Result<Vec<Contact>, StoreError> {
    search(db, "", limit, before)
}

/// Newest first, those whose name or number contains `words` (any case).
pub fn search(
    db: &Db<'_>,
    words: &str,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<Contact>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts WHERE id < ?1
           AND (?3 = '' OR instr(lower(name), lower(?3)) > 0 OR instr(phone, ?3) > 0)
         ORDER BY id DESC LIMIT ?2"
    );
    db.query_map(
        &sql,
        args![before.unwrap_or(i64::MAX), limit, words.trim()],
        from_row,
    )
}

/// Creates the contact, or replaces every field of the one with that phone (an import
/// row is the whole truth about a person); the opt-out is the person's own, and stays.
pub fn upsert(db: &Db<'_>, c: &Contact, now: i64) -> Result<i64, StoreError> {
    db.execute(
        "INSERT INTO contacts (phone, name, roles, language, home, zones, discreet, active,
                               pin_hash, categories, min_severity, created_at, updated_at,
                               checkin_every_hours)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)
         ON CONFLICT (phone) DO UPDATE SET name = ?2, roles = ?3, language = ?4, home = ?5,
             zones = ?6, discreet = ?7, active = ?8, pin_hash = coalesce(?9, contacts.pin_hash),
             pin_failures = CASE WHEN ?9 IS NULL THEN contacts.pin_failures ELSE 0 END,
             categories = ?10, min_severity = ?11, updated_at = ?12, checkin_every_hours = ?13",
        args![
            c.phone,
            c.name,
            c.roles.join(";"),
            c.language,
            c.home,
            c.zones.join(";"),
            c.discreet,
            c.active,
            c.pin_hash,
            c.categories.join(";"),
            c.min_severity,
            now,
            c.checkin_every_hours
        ],
    )?;
    let id: i64 = db.value("SELECT id FROM contacts WHERE phone = ?1", args![c.phone])?;
    set_zones(db, id, &c.zones)?;
    Ok(id)
}

/// Counts a wrong PIN; returns the wrong PINs in a row.
pub fn pin_failed(db: &Db<'_>, id: i64, now: i64) -> Result<u32, StoreError> {
    db.value(
        "UPDATE contacts SET pin_failures = pin_failures + 1, updated_at = ?2 WHERE id = ?1
             RETURNING pin_failures",
        args![id, now],
    )
}

/// A right PIN: the count of wrong ones starts again.
pub fn pin_right(db: &Db<'_>, id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE contacts SET pin_failures = 0 WHERE id = ?1 AND pin_failures > 0",
        args![id],
    )?;
    Ok(())
}

/// Rebuilds the zone index of every contact (at start-up: the folding may have changed).
pub fn index_zones(db: &Db<'_>) -> Result<(), StoreError> {
    let all: Vec<(i64, String)> = db.query_map(
        "SELECT id, zones FROM contacts WHERE zones != ''",
        args![],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    )?;
    db.execute("DELETE FROM contact_zones", args![])?;
    for (id, zones) in all {
        set_zones(db, id, &list_of(&zones))?;
    }
    Ok(())
}

/// The zone index fan-out searches: each zone folded, as `zones::Zones` names them.
fn set_zones(db: &Db<'_>, id: i64, zones: &[String]) -> Result<(), StoreError> {
    db.execute("DELETE FROM contact_zones WHERE contact_id = ?1", args![id])?;
    for zone in zones {
        db.execute(
            "INSERT INTO contact_zones (contact_id, zone) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
            args![id, crate::text::fold(zone)],
        )?;
    }
    Ok(())
}

/// Deletes a contact; the reports they filed stay, with their number.
pub fn delete(db: &Db<'_>, id: i64) -> Result<bool, StoreError> {
    db.execute(
        "UPDATE reports SET contact_id = NULL WHERE contact_id = ?1",
        args![id],
    )?;
    Ok(db.execute("DELETE FROM contacts WHERE id = ?1", args![id])? == 1)
}

/// STOP and REPRISE: kept for anyone who sends them, registered or not (a number that was
/// not registered stays inactive: sending STOP registers nobody).
pub fn set_opted_out(
    db: &Db<'_>,
    phone: &str,
    opted_out: bool,
    now: i64,
) -> Result<(), StoreError> {
    // A STOP kept as a pseudonym past retention becomes the number's own row again (the
    // row may be referenced by old reports: it is renamed, not deleted).
    db.execute(
        "UPDATE contacts SET phone = ?1
         WHERE phone = ?2 AND NOT EXISTS (SELECT 1 FROM contacts WHERE phone = ?1)",
        args![phone, db.pseudonym(phone)?],
    )?;
    db.execute(
        "INSERT INTO contacts (phone, opted_out, active, created_at, updated_at)
         VALUES (?1, ?2, 0, ?3, ?3)
         ON CONFLICT (phone) DO UPDATE SET opted_out = ?2, updated_at = ?3",
        args![phone, opted_out, now],
    )?;
    Ok(())
}

/// LANGUE: the reply language of a registered contact.
pub fn set_language(db: &Db<'_>, phone: &str, language: &str, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE contacts SET language = ?2, updated_at = ?3 WHERE phone = ?1",
        args![phone, language, now],
    )?;
    Ok(())
}

/// Sets contact `id`'s duress word (its keyed hash); `false` if there is no such contact.
pub fn set_duress_hash(db: &Db<'_>, id: i64, hash: &str) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE contacts SET duress_hash = ?2 WHERE id = ?1",
        args![id, hash],
    )?;
    Ok(n == 1)
}

/// Contact `id` said their duress word at `at`: their reports are marked from then on.
pub fn mark_duress(db: &Db<'_>, id: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE contacts SET duress_since = coalesce(duress_since, ?2) WHERE id = ?1",
        args![id, at],
    )?;
    Ok(())
}

/// Clears contact `id`'s duress mark; `false` if there is no such contact.
pub fn clear_duress(db: &Db<'_>, id: i64) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE contacts SET duress_since = NULL WHERE id = ?1",
        args![id],
    )?;
    Ok(n == 1)
}

/// Contact `id`'s zones, as the keys other tables use (folded).
pub fn zone_keys(db: &Db<'_>, id: i64) -> Result<Vec<String>, StoreError> {
    db.query_map(
        "SELECT zone FROM contact_zones WHERE contact_id = ?1",
        args![id],
        |r| r.get(0),
    )
}
