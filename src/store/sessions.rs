//! Queries on `console_sessions`.

use super::StoreError;
use super::db::{Db, args};

/// A live session as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    /// The digest of the token it was opened with.
    pub token_digest: String,
    pub csrf: String,
    pub created_at: i64,
    pub seen_at: i64,
}

pub fn create(
    db: &Db<'_>,
    digest: &str,
    token_digest: &str,
    csrf: &str,
    now: i64,
) -> Result<i64, StoreError> {
    db.insert_id(
        "INSERT INTO console_sessions (digest, token_digest, csrf, created_at, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        args![digest, token_digest, csrf, now],
    )?
    .ok_or(StoreError::NoRow)
}

/// The session of a cookie's digest, unless it ended.
pub fn find(db: &Db<'_>, digest: &str) -> Result<Option<SessionRow>, StoreError> {
    db.query_opt(
        "SELECT id, token_digest, csrf, created_at, seen_at FROM console_sessions
         WHERE digest = ?1 AND ended_at IS NULL",
        args![digest],
        |r| {
            Ok(SessionRow {
                id: r.get(0)?,
                token_digest: r.get(1)?,
                csrf: r.get(2)?,
                created_at: r.get(3)?,
                seen_at: r.get(4)?,
            })
        },
    )
}

pub fn touch(db: &Db<'_>, id: i64, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE console_sessions SET seen_at = ?2 WHERE id = ?1",
        args![id, now],
    )?;
    Ok(())
}

pub fn end(db: &Db<'_>, id: i64, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE console_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
        args![id, now],
    )?;
    Ok(())
}

/// Ends every session opened with token `token_id` (it was revoked).
pub fn end_for_token(db: &Db<'_>, token_id: i64, now: i64) -> Result<usize, StoreError> {
    db.execute(
        "UPDATE console_sessions SET ended_at = ?2 WHERE ended_at IS NULL
               AND token_digest = (SELECT digest FROM api_tokens WHERE id = ?1)",
        args![token_id, now],
    )
}

/// Forgets the sessions opened before `before` (unix ms): past their lifetime anyway.
pub fn forget_before(db: &Db<'_>, before: i64) -> Result<usize, StoreError> {
    db.execute(
        "DELETE FROM console_sessions WHERE created_at < ?1",
        args![before],
    )
}
