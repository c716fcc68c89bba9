//! Queries on `settings`: values the gateway makes once and keeps.

use super::StoreError;
use super::db::{Db, args};

/// The value of `name`, if set.
pub fn get(db: &Db<'_>, name: &str) -> Result<Option<String>, StoreError> {
    db.query_opt(
        "SELECT value FROM settings WHERE name = ?1",
        args![name],
        |r| r.get(0),
    )
}

pub fn set(db: &Db<'_>, name: &str, value: &str) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        args![name, value],
    )?;
    Ok(())
}

pub fn remove(db: &Db<'_>, name: &str) -> Result<(), StoreError> {
    db.execute("DELETE FROM settings WHERE name = ?1", args![name])?;
    Ok(())
}
