//! Queries on `zones`: definitions kept as JSON under their folded code.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use crate::config::ZoneDefinition;
use crate::text::fold;

fn parse(json: &str) -> Result<ZoneDefinition, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Sqlite(format!("zone definition: {e}")))
}

/// Every zone, by code.
pub fn all(conn: &Connection) -> Result<Vec<ZoneDefinition>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT definition FROM zones ORDER BY key")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.map(|json| parse(&json?)).collect()
}

pub fn get(conn: &Connection, code: &str) -> Result<Option<ZoneDefinition>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT definition FROM zones WHERE key = ?1")?
        .query_row([fold(code)], |r| r.get(0))
        .optional()?;
    json.as_deref().map(parse).transpose()
}

/// Creates or replaces a zone; returns whether it is new.
pub fn put(conn: &Connection, zone: &ZoneDefinition, now: i64) -> Result<bool, StoreError> {
    let json = serde_json::to_string(zone).map_err(|e| StoreError::Sqlite(e.to_string()))?;
    let key = fold(&zone.code);
    let existed = conn
        .prepare_cached("SELECT 1 FROM zones WHERE key = ?1")?
        .exists([&key])?;
    conn.prepare_cached(
        "INSERT INTO zones (key, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (key) DO UPDATE SET definition = ?2, updated_at = ?3",
    )?
    .execute(params![key, json, now])?;
    Ok(!existed)
}

pub fn delete(conn: &Connection, code: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM zones WHERE key = ?1")?
        .execute([fold(code)])?
        == 1)
}
