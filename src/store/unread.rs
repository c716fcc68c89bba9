//! The intake's view of `inbound_messages`: what is still to read and in which order, and
//! marking it read in the same transaction as its report and reply.

use std::collections::HashSet;
use std::ops::ControlFlow;

use super::StoreError;
use super::db::{Db, Dialect, Row, args};

/// A stored inbound message the intake has not read yet.
#[derive(Debug, Clone)]
pub struct Unread {
    pub id: i64,
    pub sender: String,
    pub text: String,
    /// When it was sent, as far as we believe the provider (`clock::sent_at`).
    pub received_at: i64,
    pub throttled: bool,
    pub is_loop: bool,
    /// The language chosen in a USSD menu, for a report made there.
    pub language: Option<String>,
    pub channel: String,
    /// Triaged at the door as a message that may raise an alert (a report's category
    /// word, a responder's `OK`), and not a flood's repeat.
    pub may_alert: bool,
}

/// The reading order's last `priority` (`inbound::insert`): messages that cannot alert.
const ROUTINE: i64 = 2;

/// Rows of the reading order looked at per message wanted: enough to find other senders
/// past one sender's run of messages.
const SCAN_PER_MESSAGE: usize = 8;

/// The next messages to read, at most `limit`: the most urgent first (`priority`, then
/// arrival), one per sender, and each its sender's oldest unread message, so a sender's
/// messages are read in their order (a digit after the report it answers). A flood's
/// throttled messages are only skipped, so several of one sender may come together.
/// Senders in `busy` (a round with a message of theirs is still being carried out) wait,
/// whatever their messages.
///
/// On PostgreSQL, senders with a message another node claims (`claim`) are left to it.
pub fn next_round(
    db: &Db<'_>,
    limit: usize,
    busy: &HashSet<String>,
    node: &str,
    now: i64,
) -> Result<Vec<Unread>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let others_claims = match db.dialect() {
        Dialect::Sqlite => "",
        Dialect::Postgres => {
            "AND NOT EXISTS (SELECT 1 FROM inbound_messages o WHERE o.sender = m.sender
               AND o.state = 'new' AND o.claimed_until > ?2 AND o.claimed_by != ?3)"
        }
    };
    // Cast: a bare `LIMIT ?` is prepared again at each use (`outbound::claim`).
    let sql = format!(
        "SELECT {UNREAD_COLUMNS} FROM inbound_messages m WHERE state = 'new'
         {others_claims} ORDER BY priority, id LIMIT CAST(?1 AS BIGINT)"
    );
    let scan = limit.saturating_mul(SCAN_PER_MESSAGE) as i64;
    let mut walk = Walk {
        limit,
        busy,
        senders: HashSet::new(),
        taken: HashSet::new(),
        round: Vec::with_capacity(limit),
    };
    let step = |r: &Row<'_>| walk.step(db, r);
    match db.dialect() {
        Dialect::Sqlite => db.visit(&sql, args![scan], step)?,
        Dialect::Postgres => db.visit(&sql, args![scan, now, node], step)?,
    }
    Ok(walk.round)
}

/// The walk through the reading order, taking each sender's head once.
struct Walk<'a> {
    limit: usize,
    busy: &'a HashSet<String>,
    senders: HashSet<String>,
    taken: HashSet<i64>,
    round: Vec<Unread>,
}

impl Walk<'_> {
    /// Looks at the next row of the reading order; stops once the round is full. A row is
    /// decoded only if it is taken: most of a busy walk is others' repeats.
    fn step(&mut self, db: &Db<'_>, r: &Row<'_>) -> Result<ControlFlow<()>, StoreError> {
        let sender: String = r.get(1)?;
        if self.busy.contains(&sender) {
            return Ok(ControlFlow::Continue(()));
        }
        let (throttled, priority): (bool, i64) = (r.get(4)?, r.get(8)?);
        let head = if throttled {
            Some(unread_row(r)?)
        } else if self.senders.contains(&sender) {
            None
        } else if priority == ROUTINE {
            self.senders.insert(sender);
            Some(unread_row(r)?)
        } else {
            // Urgent messages are walked first: the sender may have older routine ones.
            let head = head_of(db, &sender, r)?;
            self.senders.insert(sender);
            head
        };
        // A sender's oldest may be a throttled repeat the walk meets again later.
        let taken = &mut self.taken;
        self.round.extend(head.filter(|m| taken.insert(m.id)));
        Ok(if self.round.len() == self.limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }
}

const UNREAD_COLUMNS: &str = "id, sender, text, provider_ts, throttled, is_loop, language, \
     channel, priority, received_at";

fn unread_row(r: &Row<'_>) -> Result<Unread, StoreError> {
    Ok(Unread {
        id: r.get(0)?,
        sender: r.get(1)?,
        text: r.get(2)?,
        received_at: crate::clock::sent_at(r.get(3)?, r.get(9)?),
        throttled: r.get(4)?,
        is_loop: r.get(5)?,
        language: r.get(6)?,
        channel: r.get(7)?,
        may_alert: r.get::<i64>(8)? < ROUTINE,
    })
}

/// A sender's oldest unread message, met at `row` of the walk or older. Found in the index
/// alone when it is the one met, as it mostly is: no second read of the row.
fn head_of(db: &Db<'_>, sender: &str, met: &Row<'_>) -> Result<Option<Unread>, StoreError> {
    let oldest: Option<i64> = db.value(
        "SELECT min(id) FROM inbound_messages WHERE state = 'new' AND sender = ?1",
        args![sender],
    )?;
    match oldest {
        // Read meanwhile by another node.
        None => Ok(None),
        Some(id) if id == met.get::<i64>(0)? => unread_row(met).map(Some),
        Some(id) => {
            let sql = format!(
                "SELECT {UNREAD_COLUMNS} FROM inbound_messages WHERE id = ?1 AND state = 'new'"
            );
            db.query_opt(&sql, args![id], unread_row)
        }
    }
}

/// Claims messages `ids` of a round for `node` until `until`, where no other node holds
/// a live claim on them, skipping rows another node is claiming this instant; returns
/// those claimed. PostgreSQL only: on SQLite one intake reads.
pub fn claim(
    db: &Db<'_>,
    ids: &[i64],
    node: &str,
    now: i64,
    until: i64,
) -> Result<HashSet<i64>, StoreError> {
    let mut claimed = HashSet::with_capacity(ids.len());
    for id in ids {
        let n = db.execute(
            "UPDATE inbound_messages SET claimed_by = ?2, claimed_until = ?4
             WHERE id = (SELECT id FROM inbound_messages WHERE id = ?1 AND state = 'new'
                 AND (claimed_until IS NULL OR claimed_until <= ?3 OR claimed_by = ?2)
                 FOR UPDATE SKIP LOCKED)",
            args![id, node, now, until],
        )?;
        if n == 1 {
            claimed.insert(*id);
        }
    }
    Ok(claimed)
}

/// Marks a message read (`done`, or `skipped` for floods and loops); `false` if it was
/// already, so a second reader changes nothing.
pub fn mark_read(db: &Db<'_>, id: i64, state: &str) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE inbound_messages SET state = ?2 WHERE id = ?1 AND state = 'new'",
        args![id, state],
    )?;
    Ok(n == 1)
}

/// Sets an unread message aside, with why it could not be carried out.
pub fn set_aside(db: &Db<'_>, id: i64, error: &str) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE inbound_messages SET state = 'error', error = ?2 WHERE id = ?1 AND state = 'new'",
        args![id, error],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::on_both;

    /// An unread message: sender, priority, throttled.
    type Message = (&'static str, i64, bool);

    /// A case: its name, the unread messages in arrival order, the round's size, the busy
    /// senders, and the texts read.
    type Case = (
        &'static str,
        Vec<Message>,
        usize,
        Vec<&'static str>,
        Vec<&'static str>,
    );

    /// These unread messages, in arrival order, and no other.
    fn with(db: &Db<'_>, messages: &[Message]) -> Result<(), StoreError> {
        db.execute("DELETE FROM inbound_messages", args![])?;
        for (i, (sender, priority, throttled)) in messages.iter().enumerate() {
            db.execute(
                "INSERT INTO inbound_messages (channel, sender, text, received_at, content_hash,
                    raw, priority, throttled)
                 VALUES ('sim', ?1, ?2, ?3, ?3, '', ?4, ?5)",
                args![sender, format!("m{i}"), i as i64, priority, throttled],
            )?;
        }
        Ok(())
    }

    fn read(db: &Db<'_>, limit: usize, busy: &[&str], node: &str) -> Vec<String> {
        let busy = busy.iter().map(|s| (*s).to_owned()).collect();
        next_round(db, limit, &busy, node, 1_000)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect()
    }

    #[test]
    fn the_urgent_come_first_each_sender_in_order_and_no_flood_holds_anyone_up() {
        let routine = |s| (s, 2, false);
        let cases: Vec<Case> = vec![
            (
                "arrival order when nothing is urgent",
                vec![routine("a"), routine("b"), routine("c")],
                10,
                vec![],
                vec!["m0", "m1", "m2"],
            ),
            (
                "a known monitor's attack before a backlog",
                vec![routine("a"), routine("b"), routine("c"), ("m", 0, false)],
                2,
                vec![],
                vec!["m3", "m0"],
            ),
            (
                "a known sender before an unknown one",
                vec![routine("a"), ("u", 1, false), ("m", 0, false)],
                2,
                vec![],
                vec!["m2", "m1"],
            ),
            (
                "a sender's older message first: the digit before the next report",
                vec![routine("a"), routine("m"), ("m", 0, false)],
                2,
                vec![],
                vec!["m1", "m0"],
            ),
            (
                "one message per sender a round",
                vec![routine("a"), routine("a"), routine("b")],
                10,
                vec![],
                vec!["m0", "m2"],
            ),
            (
                "a flooder's throttled repeats are skipped together, others still read",
                vec![("f", 2, true), ("f", 2, true), ("f", 2, true), routine("b")],
                10,
                vec![],
                vec!["m0", "m1", "m2", "m3"],
            ),
            (
                "a sender still being carried out waits",
                vec![("m", 0, false), routine("a")],
                10,
                vec!["m"],
                vec!["m1"],
            ),
            (
                "a throttled oldest brought forward is read once",
                vec![("m", 2, true), ("m", 0, false)],
                10,
                vec![],
                vec!["m0"],
            ),
            (
                "a flooder still being carried out waits, repeats and all",
                vec![("f", 2, true), ("f", 2, true), routine("b")],
                10,
                vec!["f"],
                vec!["m2"],
            ),
        ];
        on_both(|db| {
            for (name, messages, limit, busy, expected) in &cases {
                with(db, messages)?;
                assert_eq!(read(db, *limit, busy, "one"), *expected, "{name}");
            }
            Ok(())
        });
    }

    /// The intake keeps routine rounds behind those that may alert (`intake::rounds`).
    #[test]
    fn a_message_read_says_whether_it_may_alert() {
        on_both(|db| {
            with(db, &[("m", 0, false), ("u", 1, false), ("a", 2, false)])?;
            let read: Vec<(String, bool)> = next_round(db, 10, &HashSet::new(), "one", 1_000)?
                .into_iter()
                .map(|m| (m.text, m.may_alert))
                .collect();
            let expected = [("m0", true), ("m1", true), ("m2", false)].map(|(t, a)| (t.into(), a));
            assert_eq!(read, expected);
            Ok(())
        });
    }

    /// Nodes sharing a PostgreSQL database: a sender another node claims is left to it
    /// until its claim runs out, so one sender's messages are read by one node, in order.
    #[test]
    fn a_claimed_sender_is_left_to_its_node_until_the_lease_runs_out() {
        on_both(|db| {
            if db.dialect() == Dialect::Sqlite {
                return Ok(());
            }
            with(db, &[("a", 2, false), ("a", 2, false), ("b", 2, false)])?;
            let a1: i64 = db.value("SELECT id FROM inbound_messages WHERE text = 'm0'", args![])?;
            assert_eq!(claim(db, &[a1], "one", 1_000, 5_000)?.len(), 1);
            assert_eq!(read(db, 10, &[], "two"), ["m2"], "b only");
            assert_eq!(read(db, 10, &[], "one"), ["m0", "m2"]);
            assert!(claim(db, &[a1], "two", 1_000, 5_000)?.is_empty());
            let later: Vec<String> = next_round(db, 10, &HashSet::new(), "two", 6_000)?
                .into_iter()
                .map(|m| m.text)
                .collect();
            assert_eq!(later, ["m0", "m2"], "the lease ran out");
            assert_eq!(claim(db, &[a1], "two", 6_000, 9_000)?.len(), 1);
            Ok(())
        });
    }
}
