//! Queries on `zones`: definitions kept as JSON under their folded code.

use super::StoreError;
use super::db::{Db, args};
use crate::config::ZoneDefinition;
use crate::text::fold;

fn parse(json: &str) -> Result<ZoneDefinition, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Sqlite(format!("zone definition: {e}")))
}

/// Every zone, by code.
pub fn all(db: &Db<'_>) -> Result<Vec<ZoneDefinition>, StoreError> {
    let rows = db.query_map("SELECT definition FROM zones ORDER BY key", args![], |r| {
        r.get::<String>(0)
    })?;
    rows.iter().map(|json| parse(json)).collect()
}

pub fn get(db: &Db<'_>, code: &str) -> Result<Option<ZoneDefinition>, StoreError> {
    let json: Option<String> = db.query_opt(
        "SELECT definition FROM zones WHERE key = ?1",
        args![fold(code)],
        |r| r.get(0),
    )?;
    json.as_deref().map(parse).transpose()
}

/// Creates or replaces a zone; returns whether it is new.
pub fn put(db: &Db<'_>, zone: &ZoneDefinition, now: i64) -> Result<bool, StoreError> {
    let json = serde_json::to_string(zone).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let key = fold(&zone.code);
    let existed = db.query_opt("SELECT 1 FROM zones WHERE key = ?1", args![key], |_| Ok(()))?;
    db.execute(
        "INSERT INTO zones (key, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (key) DO UPDATE SET definition = ?2, updated_at = ?3",
        args![key, json, now],
    )?;
    Ok(existed.is_none())
}

pub fn delete(db: &Db<'_>, code: &str) -> Result<bool, StoreError> {
    Ok(db.execute("DELETE FROM zones WHERE key = ?1", args![fold(code)])? == 1)
}
