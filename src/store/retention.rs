//! Purging what a seized server should not hold: raw texts and every number older than the
//! retention period. Incidents, their counts and reports' facts stay; a report's reporter,
//! an alert's or acknowledgement's responder, and a number known only from its STOP become
//! their pseudonym (`pseudonym()`, a keyed hash), so sources still count as distinct and a
//! STOP still holds. A round touches at most `limit` rows of each table: a backlog of years
//! is purged in many short write jobs, with alerts' writes between them.

use serde::Serialize;

use super::StoreError;
use super::db::{Db, args};

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

    /// Rows' keys and numbers, at most `limit` of them (`?1` the cut-off, `?2` the limit).
    fn numbered(&mut self, sql: &str) -> Result<Vec<(i64, String)>, StoreError> {
        let limit = i64::try_from(self.limit).unwrap_or(i64::MAX);
        let rows = self.db.query_map(sql, args![self.before, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        self.more |= rows.len() >= self.limit;
        Ok(rows)
    }

    /// Each row `select` names (key, number) rewritten by `update` (`?1` the key, `?2` the
    /// number's pseudonym); how many.
    fn pseudonymize(&mut self, select: &str, update: &str) -> Result<usize, StoreError> {
        let rows = self.numbered(select)?;
        for (id, phone) in &rows {
            let pseudonym = self.db.pseudonym(phone)?;
            self.db.execute(update, args![id, pseudonym])?;
        }
        Ok(rows.len())
    }
}

/// Numbers outside messages: in delivery reports' payloads, alerts, acknowledgements and
/// check-ins, and contacts that are nothing but a STOP.
fn purge_numbers(bounded: &mut Bounded<'_, '_>) -> Result<(), StoreError> {
    bounded.run(
        "UPDATE delivery_reports SET raw = '' WHERE id IN (SELECT id FROM delivery_reports
         WHERE received_at < ?1 AND raw != '' LIMIT ?2)",
    )?;
    // Only for incidents quiet since: a live incident's alerts are still matched by number
    // (updates, acknowledgements). A row a later one already stands for is dropped.
    forget_responders(bounded, &ALERTS)?;
    forget_responders(bounded, &ACKNOWLEDGEMENTS)?;
    bounded.pseudonymize(
        "SELECT id, phone FROM checkins WHERE at < ?1 AND phone NOT LIKE 'R-%' LIMIT ?2",
        "UPDATE checkins SET phone = ?2, comment = '' WHERE id = ?1",
    )?;
    bounded.pseudonymize(
        "SELECT id, phone FROM contacts
         WHERE opted_out = 1 AND active = 0 AND name = '' AND roles = ''
           AND updated_at < ?1 AND phone NOT LIKE 'R-%' LIMIT ?2",
        "UPDATE contacts SET phone = ?2 WHERE id = ?1",
    )?;
    Ok(())
}

/// Empties at most `limit` rows of each table of what was received, filed or sent before
/// `before` (unix ms). Messages not yet read and messages still to send are left alone.
pub fn purge(db: &Db<'_>, before: i64, limit: usize) -> Result<Round, StoreError> {
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
        "UPDATE inbound_parts SET text = '', raw = '', sender = 'purged' WHERE id IN
         (SELECT id FROM inbound_parts
           WHERE received_at < ?1 AND message_id IS NOT NULL AND sender != 'purged' LIMIT ?2)",
    )?;
    // Reports' reporters become their pseudonyms and their free text goes.
    let reports = bounded.pseudonymize(
        "SELECT id, reporter FROM reports
             WHERE created_at < ?1 AND status != 'pending' AND reporter NOT LIKE 'R-%' LIMIT ?2",
        "UPDATE reports SET reporter = ?2, description = '' WHERE id = ?1",
    )?;
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

/// How a table of responders' numbers is purged: its rows about quiet incidents, each
/// named by a key and its number (`select`), set to a pseudonym unless another row already
/// stands for it (`forget`: key, number, pseudonym), and otherwise dropped (`drop`).
struct Responders {
    select: &'static str,
    forget: &'static str,
    drop: &'static str,
}

const ALERTS: Responders = Responders {
    select: "SELECT id, phone FROM alerts WHERE phone NOT LIKE 'R-%' AND incident_id IN
             (SELECT id FROM incidents WHERE updated_at < ?1) LIMIT ?2",
    forget: "UPDATE alerts SET phone = ?3 WHERE id = ?1 AND phone = ?2 AND NOT EXISTS
             (SELECT 1 FROM alerts AS o WHERE o.incident_id = alerts.incident_id
                AND o.phone = ?3 AND o.version = alerts.version AND o.level = alerts.level)",
    drop: "DELETE FROM alerts WHERE id = ?1 AND phone = ?2",
};

/// Acknowledgements are keyed by incident and number: the key here is the incident.
const ACKNOWLEDGEMENTS: Responders = Responders {
    select: "SELECT incident_id, phone FROM acknowledgements WHERE phone NOT LIKE 'R-%'
             AND incident_id IN (SELECT id FROM incidents WHERE updated_at < ?1) LIMIT ?2",
    forget: "UPDATE acknowledgements SET phone = ?3 WHERE incident_id = ?1 AND phone = ?2
             AND NOT EXISTS (SELECT 1 FROM acknowledgements AS o
               WHERE o.incident_id = ?1 AND o.phone = ?3)",
    drop: "DELETE FROM acknowledgements WHERE incident_id = ?1 AND phone = ?2",
};

/// A batch of a table's rows about incidents quiet since the cut-off: each number becomes
/// its pseudonym, or the row goes when another already stands for that pseudonym. The batch
/// is chosen once, so the rows dropped are the ones just tried, never the next ones.
fn forget_responders(bounded: &mut Bounded<'_, '_>, table: &Responders) -> Result<(), StoreError> {
    for (key, phone) in &bounded.numbered(table.select)? {
        let pseudonym = bounded.db.pseudonym(phone)?;
        if bounded
            .db
            .execute(table.forget, args![key, phone, pseudonym])?
            == 0
        {
            bounded.db.execute(table.drop, args![key, phone])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::on_both;

    fn count(db: &Db<'_>, sql: &str) -> Result<i64, StoreError> {
        db.value(sql, args![])
    }

    #[test]
    fn a_backlog_is_purged_in_bounded_rounds() {
        on_both(|db| {
            for i in 1..=1201_i64 {
                db.execute(
                    "INSERT INTO inbound_messages (channel, sender, text, received_at,
                         content_hash, raw, state)
                     VALUES ('sim', '+22376123456', 'ATT Koro', 0, ?1, 'raw', 'done')",
                    args![i],
                )?;
            }
            let mut rounds = Vec::new();
            for _ in 0..4 {
                let round = purge(db, 1, 500)?;
                rounds.push((round.purged.messages, round.more));
            }
            assert_eq!(rounds, [(500, true), (500, true), (201, false), (0, false)]);
            let sql = "SELECT count(*) FROM inbound_messages WHERE sender != 'purged'";
            assert_eq!(count(db, sql)?, 0);
            Ok(())
        });
    }

    /// Alerts of a quiet incident become pseudonyms round after round: none is dropped
    /// for lack of being tried; an acknowledgement too, and a check-in.
    #[test]
    fn every_alert_of_a_long_backlog_keeps_its_row_as_a_pseudonym() {
        on_both(|db| {
            db.execute(
                "INSERT INTO incidents (id, category, first_time, last_time, lat, lon,
                     precision, sources, counts, created_at, updated_at)
                 VALUES (1, 'ATT', 0, 0, 14, -3, 3, 1, '{}', 0, 0)",
                args![],
            )?;
            for i in 0..1200_i64 {
                db.execute(
                    "INSERT INTO alerts (incident_id, version, phone, language, kind, created_at)
                     VALUES (1, 1, ?1, 'fr', 'alert', 0)",
                    args![format!("+2237000{i:04}")],
                )?;
            }
            db.execute(
                "INSERT INTO acknowledgements (incident_id, phone, at) VALUES (1, '+22370000001', 0)",
                args![],
            )?;
            while purge(db, 1, 500)?.more {}
            let left = "SELECT count(*) FROM alerts WHERE phone NOT LIKE 'R-%'";
            assert_eq!(
                (count(db, "SELECT count(*) FROM alerts")?, count(db, left)?),
                (1200, 0)
            );
            let acks = "SELECT count(*) FROM acknowledgements WHERE phone LIKE 'R-%'";
            assert_eq!(count(db, acks)?, 1);
            Ok(())
        });
    }
}
