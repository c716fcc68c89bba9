//! Queries on `broadcasts`, and the contacts a broadcast may reach.

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, list_of};

/// A broadcast as asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBroadcast {
    pub zone: String,
    pub text: String,
    pub roles: Vec<String>,
    pub languages: Vec<String>,
    pub created_by: String,
    /// The coordinator who asked by phone (their broadcast waits for confirmation).
    pub contact_id: Option<i64>,
}

/// Stores a broadcast: pending (with the code that confirms it) when asked by phone.
pub fn create(conn: &Connection, b: &NewBroadcast, now: i64) -> Result<i64, StoreError> {
    let status = if b.contact_id.is_some() {
        "pending"
    } else {
        "sent"
    };
    conn.prepare_cached(
        "INSERT INTO broadcasts (zone, text, roles, languages, created_by, created_at, status,
                                 contact_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        b.zone,
        b.text,
        b.roles.join(";"),
        b.languages.join(";"),
        b.created_by,
        now,
        status,
        b.contact_id
    ])?;
    let id = conn.last_insert_rowid();
    if b.contact_id.is_some() {
        conn.prepare_cached("UPDATE broadcasts SET code = ?2 WHERE id = ?1")?
            .execute(params![id, confirmation_code(id)])?;
    }
    Ok(id)
}

/// The code that confirms pending broadcast `id` (`OUI 7`): one digit, since a
/// coordinator has one pending broadcast at a time.
pub fn confirmation_code(id: i64) -> i64 {
    id.rem_euclid(9) + 1
}

/// The messages are queued: the broadcast is sent, to `n` recipients.
pub fn set_sent(conn: &Connection, id: i64, n: usize) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE broadcasts SET recipients = ?2, status = 'sent' WHERE id = ?1")?
        .execute(params![id, i64::try_from(n).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// Drops the contact's pending broadcasts (a new one replaces them).
pub fn drop_pending(conn: &Connection, contact_id: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE broadcasts SET status = 'dropped' WHERE contact_id = ?1 AND status = 'pending'",
    )?
    .execute([contact_id])?;
    Ok(())
}

/// Broadcasts asked for before `before` and never confirmed.
pub fn expire_pending(conn: &Connection, before: i64) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE broadcasts SET status = 'expired' WHERE status = 'pending' AND created_at < ?1",
        )?
        .execute([before])?)
}

/// The contact's pending broadcast with this code, asked for since `since`.
pub fn pending(
    conn: &Connection,
    contact_id: i64,
    code: i64,
    since: i64,
) -> Result<Option<(i64, NewBroadcast)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, zone, text, roles, languages, created_by FROM broadcasts
             WHERE contact_id = ?1 AND status = 'pending' AND code = ?2 AND created_at >= ?3",
        )?
        .query_row(params![contact_id, code, since], |r| {
            Ok((
                r.get(0)?,
                NewBroadcast {
                    zone: r.get(1)?,
                    text: r.get(2)?,
                    roles: list_of(&r.get::<_, String>(3)?),
                    languages: list_of(&r.get::<_, String>(4)?),
                    created_by: r.get(5)?,
                    contact_id: Some(contact_id),
                },
            ))
        })
        .optional()?)
}

/// A contact a broadcast may reach: number, roles, language, home, zones (folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    pub phone: String,
    pub roles: Vec<String>,
    pub language: Option<String>,
    pub home: Option<String>,
    pub zones: Vec<String>,
}

/// Every active contact who did not send STOP.
pub fn reachable(conn: &Connection) -> Result<Vec<Reachable>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT phone, roles, language, home, zones FROM contacts
         WHERE active = 1 AND opted_out = 0",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Reachable {
            phone: r.get(0)?,
            roles: list_of(&r.get::<_, String>(1)?),
            language: r.get(2)?,
            home: r.get(3)?,
            zones: list_of(&r.get::<_, String>(4)?)
                .iter()
                .map(|z| crate::text::fold(z))
                .collect(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A broadcast and how its messages stand: (zone, text, recipients, created_at, status),
/// and a count by status.
pub type Standing = ((String, String, i64, i64, String), Vec<(String, i64)>);

pub fn standing(conn: &Connection, id: i64) -> Result<Option<Standing>, StoreError> {
    let head = conn
        .prepare_cached(
            "SELECT zone, text, recipients, created_at, status FROM broadcasts WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some(head) = head else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM outbound_messages WHERE broadcast_id = ?1 GROUP BY status",
    )?;
    let counts = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Some((head, counts)))
}

/// A broadcast as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub zone: String,
    pub text: String,
    pub recipients: i64,
    pub created_at: i64,
    pub status: String,
}

/// The newest broadcasts, newest first.
pub fn recent(conn: &Connection, limit: u32) -> Result<Vec<Listed>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, zone, text, recipients, created_at, status FROM broadcasts
         ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Listed {
            id: r.get(0)?,
            zone: r.get(1)?,
            text: r.get(2)?,
            recipients: r.get(3)?,
            created_at: r.get(4)?,
            status: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
