//! Queries on `broadcasts`, and the contacts a broadcast may reach.

use super::db::{Db, args};
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
pub fn create(db: &Db<'_>, b: &NewBroadcast, now: i64) -> Result<i64, StoreError> {
    let status = if b.contact_id.is_some() {
        "pending"
    } else {
        "sent"
    };
    let id = db
        .insert_id(
            "INSERT INTO broadcasts (zone, text, roles, languages, created_by, created_at, status,
                                 contact_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            args![
                b.zone,
                b.text,
                b.roles.join(";"),
                b.languages.join(";"),
                b.created_by,
                now,
                status,
                b.contact_id
            ],
        )?
        .ok_or(StoreError::NoRow)?;
    if b.contact_id.is_some() {
        db.execute(
            "UPDATE broadcasts SET code = ?2 WHERE id = ?1",
            args![id, confirmation_code(id)],
        )?;
    }
    Ok(id)
}

/// The code that confirms pending broadcast `id` (`OUI 7`): one digit, since a
/// coordinator has one pending broadcast at a time.
pub fn confirmation_code(id: i64) -> i64 {
    id.rem_euclid(9) + 1
}

/// The messages are queued: the broadcast is sent, to `n` recipients.
pub fn set_sent(db: &Db<'_>, id: i64, n: usize) -> Result<(), StoreError> {
    db.execute(
        "UPDATE broadcasts SET recipients = ?2, status = 'sent' WHERE id = ?1",
        args![id, i64::try_from(n).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// Drops the contact's pending broadcasts (a new one replaces them).
pub fn drop_pending(db: &Db<'_>, contact_id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE broadcasts SET status = 'dropped' WHERE contact_id = ?1 AND status = 'pending'",
        args![contact_id],
    )?;
    Ok(())
}

/// Broadcasts asked for before `before` and never confirmed.
pub fn expire_pending(db: &Db<'_>, before: i64) -> Result<usize, StoreError> {
    db.execute(
        "UPDATE broadcasts SET status = 'expired' WHERE status = 'pending' AND created_at < ?1",
        args![before],
    )
}

/// The contact's pending broadcast with this code, asked for since `since`.
pub fn pending(
    db: &Db<'_>,
    contact_id: i64,
    code: i64,
    since: i64,
) -> Result<Option<(i64, NewBroadcast)>, StoreError> {
    db.query_opt(
        "SELECT id, zone, text, roles, languages, created_by FROM broadcasts
             WHERE contact_id = ?1 AND status = 'pending' AND code = ?2 AND created_at >= ?3",
        args![contact_id, code, since],
        |r| {
            Ok((
                r.get(0)?,
                NewBroadcast {
                    zone: r.get(1)?,
                    text: r.get(2)?,
                    roles: list_of(&r.get::<String>(3)?),
                    languages: list_of(&r.get::<String>(4)?),
                    created_by: r.get(5)?,
                    contact_id: Some(contact_id),
                },
            ))
        },
    )
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
pub fn reachable(db: &Db<'_>) -> Result<Vec<Reachable>, StoreError> {
    db.query_map(
        "SELECT phone, roles, language, home, zones FROM contacts
         WHERE active = 1 AND opted_out = 0",
        args![],
        |r| {
            Ok(Reachable {
                phone: r.get(0)?,
                roles: list_of(&r.get::<String>(1)?),
                language: r.get(2)?,
                home: r.get(3)?,
                zones: list_of(&r.get::<String>(4)?)
                    .iter()
                    .map(|z| crate::text::fold(z))
                    .collect(),
            })
        },
    )
}

/// A broadcast and how its messages stand: (zone, text, recipients, created_at, status),
/// and a count by status.
pub type Standing = ((String, String, i64, i64, String), Vec<(String, i64)>);

pub fn standing(db: &Db<'_>, id: i64) -> Result<Option<Standing>, StoreError> {
    let head = db.query_opt(
        "SELECT zone, text, recipients, created_at, status FROM broadcasts WHERE id = ?1",
        args![id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let Some(head) = head else {
        return Ok(None);
    };
    let counts = db.query_map(
        "SELECT status, count(*) FROM outbound_messages WHERE broadcast_id = ?1 GROUP BY status",
        args![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
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
pub fn recent(db: &Db<'_>, limit: u32) -> Result<Vec<Listed>, StoreError> {
    db.query_map(
        "SELECT id, zone, text, recipients, created_at, status FROM broadcasts
         ORDER BY id DESC LIMIT ?1",
        args![limit],
        |r| {
            Ok(Listed {
                id: r.get(0)?,
                zone: r.get(1)?,
                text: r.get(2)?,
                recipients: r.get(3)?,
                created_at: r.get(4)?,
                status: r.get(5)?,
            })
        },
    )
}
