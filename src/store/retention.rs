//! Purging what a seized server should not hold: raw texts and every number older than the
//! retention period. Incidents, their counts and reports' facts stay; a report's reporter,
//! an alert's or acknowledgement's responder, and a number known only from its STOP become
//! their pseudonym (`pseudonym()`, a keyed hash), so sources still count as distinct and a
//! STOP still holds. A round touches at most `limit` rows of each table: a backlog of years
//! is purged in many short write jobs, with alerts' writes between them.

use serde::Serialize;

use super::StoreError;
use super::db::{Db, args};
use crate::privacy::Pseudonyms;

/// What a purge emptied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub messages: usize,
    pub reports: usize,
    pub sent: usize,
}

impl Purged {
    pub fn add(&mut self, other: Self) {
        self.messages += other.messages;
        self.reports += other.reports;
        self.sent += other.sent;
    }
}

/// One round: what it emptied, and whether anything is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub purged: Purged,
    pub more: bool,
}

/// Runs statements over at most `limit` rows each (`?1` the cut-off, `?2` the limit),
/// remembering whether one of them had more to do.
struct Bounded<'a, 'c> {
    db: &'a Db<'c>,
    before: i64,
    limit: usize,
    more: bool,
}

impl Bounded<'_, '_> {
    fn run(&mut self, sql: &str) -> Result<usize, StoreError> {
        let limit = i64::try_from(self.limit).unwrap_or(i64::MAX);
        let n = self.db.execute(sql, args![self.before, limit])?;
        self.more |= n >= self.limit;
        Ok(n)
    }
}

/// Numbers outside messages: in delivery reports' payloads, alerts, acknowledgements and
/// check-ins, and contacts that are nothing but a STOP.
fn purge_numbers(bounded: &mut Bounded<'_, '_>) -> Result<(), StoreError> {
    bounded.run(
        "UPDATE delivery_reports SET raw = '' WHERE rowid IN (SELECT rowid FROM delivery_reports
         WHERE received_at < ?1 AND raw != '' LIMIT ?2)",
    )?;
    // Only for incidents quiet since: a live incident's alerts are still matched by number
    // (updates, acknowledgements). A row a later one already stands for is dropped.
    for table in ["alerts", "acknowledgements"] {
        forget_responders(bounded, table)?;
    }
    bounded.run(
        "UPDATE checkins SET phone = pseudonym(phone), comment = '' WHERE rowid IN
         (SELECT rowid FROM checkins WHERE at < ?1 AND phone NOT LIKE 'R-%' LIMIT ?2)",
    )?;
    bounded.run(
        "UPDATE contacts SET phone = pseudonym(phone) WHERE rowid IN (SELECT rowid FROM contacts
         WHERE opted_out = 1 AND active = 0 AND name = '' AND roles = ''
           AND updated_at < ?1 AND phone NOT LIKE 'R-%' LIMIT ?2)",
    )?;
    Ok(())
}

/// Empties at most `limit` rows of each table of what was received, filed or sent before
/// `before` (unix ms). Messages not yet read and messages still to send are left alone.
pub fn purge(
    db: &Db<'_>,
    before: i64,
    limit: usize,
    pseudonyms: &Pseudonyms,
) -> Result<Round, StoreError> {
    let mut bounded = Bounded {
        db,
        before,
        limit,
        more: false,
    };
    // The content hash covers the sender: with few numbers to try, it would give it back.
    let messages = bounded.run(
        "UPDATE inbound_messages SET text = '', raw = '', sender = 'purged', content_hash = 0
         WHERE id IN (SELECT id FROM inbound_messages
           WHERE received_at < ?1 AND state != 'new' AND sender != 'purged' LIMIT ?2)",
    )?;
    bounded.run(
        "UPDATE inbound_parts SET text = '', raw = '', sender = 'purged' WHERE rowid IN
         (SELECT rowid FROM inbound_parts
           WHERE received_at < ?1 AND message_id IS NOT NULL AND sender != 'purged' LIMIT ?2)",
    )?;
    let reports = forget_reporters(&mut bounded, pseudonyms)?;
    let sent = bounded.run(
        "UPDATE outbound_messages SET text = '', recipient = 'purged' WHERE id IN
         (SELECT id FROM outbound_messages
           WHERE created_at < ?1 AND status IN ('sent', 'delivered', 'failed', 'expired')
             AND recipient != 'purged' LIMIT ?2)",
    )?;
    purge_numbers(&mut bounded)?;
    // USSD sessions hold the caller's number and what they typed; their reports live on
    // as inbound messages and reports, purged above.
    bounded.run(
        "DELETE FROM ussd_steps WHERE (session, text) IN (SELECT session, text FROM ussd_steps
         WHERE session IN (SELECT id FROM ussd_sessions WHERE updated_at < ?1) LIMIT ?2)",
    )?;
    bounded.run(
        "DELETE FROM ussd_sessions WHERE id IN (SELECT id FROM ussd_sessions
         WHERE updated_at < ?1
           AND NOT EXISTS (SELECT 1 FROM ussd_steps WHERE session = ussd_sessions.id)
         LIMIT ?2)",
    )?;
    Ok(Round {
        purged: Purged {
            messages,
            reports,
            sent,
        },
        more: bounded.more,
    })
}

/// A batch of a table's rows about incidents quiet since the cut-off: each number becomes
/// its pseudonym, or the row goes when another already stands for that pseudonym. The batch
/// is chosen once, so the rows dropped are the ones just tried, never the next ones.
fn forget_responders(bounded: &mut Bounded<'_, '_>, table: &str) -> Result<(), StoreError> {
    let limit = i64::try_from(bounded.limit).unwrap_or(i64::MAX);
    let batch: Vec<i64> = bounded.db.query_map(
        &format!(
            "SELECT rowid FROM {table} WHERE phone NOT LIKE 'R-%' AND incident_id IN
             (SELECT id FROM incidents WHERE updated_at < ?1) LIMIT ?2"
        ),
        args![bounded.before, limit],
        |r| r.get(0),
    )?;
    let forget = format!("UPDATE OR IGNORE {table} SET phone = pseudonym(phone) WHERE rowid = ?1");
    let drop = format!("DELETE FROM {table} WHERE rowid = ?1 AND phone NOT LIKE 'R-%'");
    for rowid in &batch {
        bounded.db.execute(&forget, args![rowid])?;
        bounded.db.execute(&drop, args![rowid])?;
    }
    bounded.more |= batch.len() >= bounded.limit;
    Ok(())
}

/// Reports' reporters become their pseudonyms and their free text goes.
fn forget_reporters(
    bounded: &mut Bounded<'_, '_>,
    pseudonyms: &Pseudonyms,
) -> Result<usize, StoreError> {
    let limit = i64::try_from(bounded.limit).unwrap_or(i64::MAX);
    let old: Vec<(i64, String)> = bounded.db.query_map(
        "SELECT id, reporter FROM reports
             WHERE created_at < ?1 AND status != 'pending' AND reporter NOT LIKE 'R-%' LIMIT ?2",
        args![bounded.before, limit],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (id, reporter) in &old {
        bounded.db.execute(
            "UPDATE reports SET reporter = ?2, description = '' WHERE id = ?1",
            args![id, pseudonyms.of(reporter)],
        )?;
    }
    bounded.more |= old.len() >= bounded.limit;
    Ok(old.len())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn a_backlog_is_purged_in_bounded_rounds() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations().to_latest(&mut conn).unwrap();
        super::super::install_pseudonyms(&conn, "k").unwrap();
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1201)
             INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash, raw,
                 state)
             SELECT 'sim', '+22376123456', 'ATT Koro', 0, i, 'raw', 'done' FROM n;",
        )
        .unwrap();
        let pseudonyms = Pseudonyms::new("k");
        let rounds: Vec<(usize, bool)> = std::iter::repeat_with(|| {
            let round = purge(&Db::sqlite(&conn), 1, 500, &pseudonyms).unwrap();
            (round.purged.messages, round.more)
        })
        .take(4)
        .collect();
        assert_eq!(rounds, [(500, true), (500, true), (201, false), (0, false)]);
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM inbound_messages WHERE sender != 'purged'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
    }

    /// Alerts of a quiet incident become pseudonyms round after round: none is dropped
    /// for lack of being tried.
    #[test]
    fn every_alert_of_a_long_backlog_keeps_its_row_as_a_pseudonym() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations().to_latest(&mut conn).unwrap();
        super::super::install_pseudonyms(&conn, "k").unwrap();
        conn.execute_batch(
            "INSERT INTO incidents (id, category, first_time, last_time, lat, lon, precision,
                 sources, counts, created_at, updated_at)
             VALUES (1, 'ATT', 0, 0, 14, -3, 3, 1, '{}', 0, 0);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
             INSERT INTO alerts (incident_id, version, phone, language, kind, created_at)
             SELECT 1, 1, '+2237000' || printf('%04d', i), 'fr', 'alert', 0 FROM n;",
        )
        .unwrap();
        let pseudonyms = Pseudonyms::new("k");
        while purge(&Db::sqlite(&conn), 1, 500, &pseudonyms).unwrap().more {}
        let (rows, numbers): (i64, i64) = conn
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE phone NOT LIKE 'R-%') FROM alerts",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((rows, numbers), (1200, 0));
    }
}
