//! Purging what a seized server should not hold: raw texts and every number older than the
//! retention period. Incidents, their counts and reports' facts stay; a report's reporter,
//! an alert's or acknowledgement's responder, and a number known only from its STOP become
//! their pseudonym (`pseudonym()`, a keyed hash), so sources still count as distinct and a
//! STOP still holds.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::StoreError;
use crate::privacy::Pseudonyms;

/// What a purge emptied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub messages: usize,
    pub reports: usize,
    pub sent: usize,
}

/// Numbers outside messages: in delivery reports' payloads, alerts, acknowledgements and
/// check-ins, and contacts that are nothing but a STOP.
fn purge_numbers(conn: &Connection, before: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE delivery_reports SET raw = '' WHERE received_at < ?1 AND raw != ''",
        [before],
    )?;
    // Only for incidents quiet since: a live incident's alerts are still matched by number
    // (updates, acknowledgements). A row a later one already stands for is dropped.
    for table in ["alerts", "acknowledgements"] {
        let quiet = "phone NOT LIKE 'R-%' AND incident_id IN
                     (SELECT id FROM incidents WHERE updated_at < ?1)";
        conn.execute(
            &format!("UPDATE OR IGNORE {table} SET phone = pseudonym(phone) WHERE {quiet}"),
            [before],
        )?;
        conn.execute(&format!("DELETE FROM {table} WHERE {quiet}"), [before])?;
    }
    conn.execute(
        "UPDATE checkins SET phone = pseudonym(phone), comment = ''
         WHERE at < ?1 AND phone NOT LIKE 'R-%'",
        [before],
    )?;
    conn.execute(
        "UPDATE contacts SET phone = pseudonym(phone)
         WHERE opted_out = 1 AND active = 0 AND name = '' AND roles = ''
           AND updated_at < ?1 AND phone NOT LIKE 'R-%'",
        [before],
    )?;
    Ok(())
}

/// Empties what was received, filed or sent before `before` (unix ms). Messages not yet
/// read and messages still to send are left alone.
pub fn purge(
    conn: &Connection,
    before: i64,
    pseudonyms: &Pseudonyms,
) -> Result<Purged, StoreError> {
    // The content hash covers the sender: with few numbers to try, it would give it back.
    let messages = conn.execute(
        "UPDATE inbound_messages SET text = '', raw = '', sender = 'purged', content_hash = 0
         WHERE received_at < ?1 AND state != 'new' AND sender != 'purged'",
        [before],
    )?;
    conn.execute(
        "UPDATE inbound_parts SET text = '', raw = '', sender = 'purged'
         WHERE received_at < ?1 AND message_id IS NOT NULL AND sender != 'purged'",
        [before],
    )?;
    let old: Vec<(i64, String)> = conn
        .prepare(
            "SELECT id, reporter FROM reports
             WHERE created_at < ?1 AND status != 'pending' AND reporter NOT LIKE 'R-%'",
        )?
        .query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut forget =
        conn.prepare_cached("UPDATE reports SET reporter = ?2, description = '' WHERE id = ?1")?;
    for (id, reporter) in &old {
        forget.execute(params![id, pseudonyms.of(reporter)])?;
    }
    let sent = conn.execute(
        "UPDATE outbound_messages SET text = '', recipient = 'purged'
         WHERE created_at < ?1 AND status IN ('sent', 'delivered', 'failed', 'expired')
           AND recipient != 'purged'",
        [before],
    )?;
    purge_numbers(conn, before)?;
    // USSD sessions hold the caller's number and what they typed; their reports live on
    // as inbound messages and reports, purged above.
    conn.execute(
        "DELETE FROM ussd_steps WHERE session IN
             (SELECT id FROM ussd_sessions WHERE updated_at < ?1)",
        [before],
    )?;
    conn.execute("DELETE FROM ussd_sessions WHERE updated_at < ?1", [before])?;
    Ok(Purged {
        messages,
        reports: old.len(),
        sent,
    })
}
