//! Queries on `broadcasts`, and the contacts a broadcast may reach.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A broadcast as asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBroadcast {
    pub zone: String,
    pub text: String,
    pub roles: Vec<String>,
    pub languages: Vec<String>,
    pub created_by: String,
}

pub fn create(conn: &Connection, b: &NewBroadcast, now: i64) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO broadcasts (zone, text, roles, languages, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        b.zone,
        b.text,
        b.roles.join(";"),
        b.languages.join(";"),
        b.created_by,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_recipients(conn: &Connection, id: i64, n: usize) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE broadcasts SET recipients = ?2 WHERE id = ?1")?
        .execute(params![id, n as i64])?;
    Ok(())
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
    let list = |s: String, fold: bool| -> Vec<String> {
        s.split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| {
                if fold {
                    crate::text::fold(x)
                } else {
                    x.to_owned()
                }
            })
            .collect()
    };
    let rows = stmt.query_map([], |r| {
        Ok(Reachable {
            phone: r.get(0)?,
            roles: list(r.get(1)?, false),
            language: r.get(2)?,
            home: r.get(3)?,
            zones: list(r.get(4)?, true),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A broadcast and how its messages stand: (zone, text, recipients, created_at), and a
/// count by status.
pub type Standing = ((String, String, i64, i64), Vec<(String, i64)>);

pub fn standing(conn: &Connection, id: i64) -> Result<Option<Standing>, StoreError> {
    let head = conn
        .prepare_cached("SELECT zone, text, recipients, created_at FROM broadcasts WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
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
