//! Queries on `api_tokens`.

use serde::Serialize;

use super::StoreError;
use super::db::{Db, args};
use crate::access::{Caller, Role};

/// A token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub zones: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Stores a token's digest; returns its id.
pub fn create(
    db: &Db<'_>,
    name: &str,
    caller: &Caller,
    digest: &str,
    now: i64,
) -> Result<i64, StoreError> {
    db.insert_id(
        "INSERT INTO api_tokens (name, role, zones, digest, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![
            name,
            caller.role.as_str(),
            caller.zones.join(";"),
            digest,
            now
        ],
    )?
    .ok_or(StoreError::NoRow)
}

/// The caller a token digest stands for, unless unknown or revoked.
pub fn caller(db: &Db<'_>, digest: &str) -> Result<Option<Caller>, StoreError> {
    let row: Option<(i64, String, String)> = db.query_opt(
        "SELECT id, role, zones FROM api_tokens WHERE digest = ?1 AND revoked_at IS NULL",
        args![digest],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(row.and_then(|(id, role, zones)| {
        Some(Caller {
            who: format!("token {id}"),
            role: Role::parse(&role)?,
            zones: zones
                .split(';')
                .filter(|z| !z.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }))
}

pub fn list(db: &Db<'_>) -> Result<Vec<TokenRow>, StoreError> {
    db.query_map(
        "SELECT id, name, role, zones, created_at, revoked_at FROM api_tokens ORDER BY id",
        args![],
        |r| {
            Ok(TokenRow {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                zones: r
                    .get::<String>(3)?
                    .split(';')
                    .filter(|z| !z.is_empty())
                    .map(str::to_owned)
                    .collect(),
                created_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        },
    )
}

/// Revokes a token; `false` if there is none with that id (or it was revoked already).
pub fn revoke(db: &Db<'_>, id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(db.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        args![id, now],
    )? == 1)
}
