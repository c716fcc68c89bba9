//! Queries on `changes`: what live consoles are told, after commit.

use super::StoreError;
use super::db::{Db, Dialect, args};

/// What kind of thing changed, as the triggers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Incident,
    Broadcast,
    /// A kind this version does not know (a newer node's); shown to nobody.
    Other,
}

impl Kind {
    /// The name an SSE event carries.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Broadcast => "broadcast",
            Self::Other => "other",
        }
    }

    pub(in crate::store) fn of(name: &str) -> Self {
        match name {
            "incident" => Self::Incident,
            "broadcast" => Self::Broadcast,
            _ => Self::Other,
        }
    }
}

/// One change: what kind of thing, which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub kind: Kind,
    pub subject: i64,
    /// On PostgreSQL, what the read that found it could see (as `Mark::seen`); `None` on
    /// SQLite, where changes commit in id order.
    pub seen: Option<String>,
}

impl Change {
    /// Where a stream that sent this change, and every change its read found before it,
    /// resumes after a cut.
    pub fn mark(&self) -> Mark {
        Mark {
            after: self.id,
            seen: self.seen.clone(),
        }
    }
}

/// The changes after `after`, oldest first, at most `limit`.
pub fn after(db: &Db<'_>, after: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
    // Cast: a bare `LIMIT ?` is prepared again at each use (`outbound::claim`).
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT id, kind, subject, NULL FROM changes WHERE id > ?1 ORDER BY id
             LIMIT CAST(?2 AS BIGINT)"
        }
        Dialect::Postgres => {
            "SELECT id, kind, subject, pg_current_snapshot()::text FROM changes
             WHERE id > ?1 ORDER BY id LIMIT CAST(?2 AS BIGINT)"
        }
    };
    db.query_map(sql, args![after, limit], change_row)
}

fn change_row(r: &super::db::Row<'_>) -> Result<Change, StoreError> {
    Ok(Change {
        id: r.get(0)?,
        kind: Kind::of(&r.get::<String>(1)?),
        subject: r.get(2)?,
        seen: r.get(3)?,
    })
}

/// Where a console page's live stream starts (the newest change when the page was read) or
/// resumes (the last change it was sent), and on PostgreSQL what that read could see, as
/// changes commit out of id order there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mark {
    pub after: i64,
    /// `pg_current_snapshot()` as text (`xmin:xmax:xip,...`); `None` on SQLite.
    pub seen: Option<String>,
}

impl Mark {
    /// A mark as a caller hands it back (a page's query, a stream's last event id); `None`
    /// if `seen` is not a snapshot as `pg_current_snapshot()` writes one.
    pub fn given(after: i64, seen: Option<String>) -> Option<Self> {
        seen.as_deref()
            .is_none_or(is_snapshot)
            .then_some(Self { after, seen })
    }
}

/// The mark of a page about to be read (in a transaction of its own, before the page's).
pub fn mark(db: &Db<'_>) -> Result<Mark, StoreError> {
    let after = last(db)?;
    let seen = match db.dialect() {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some(db.value("SELECT pg_current_snapshot()::text", args![])?),
    };
    Ok(Mark { after, seen })
}

/// The changes a stream at `mark` may not have been sent, oldest first, at most `limit`:
/// those after it, and on PostgreSQL those from `reread` ids below it on that its read
/// could not see (committed since; see `live`).
pub fn unseen(
    db: &Db<'_>,
    mark: &Mark,
    reread: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let Some(seen) = mark
        .seen
        .as_deref()
        .filter(|_| db.dialect() == Dialect::Postgres)
    else {
        return after(db, mark.after, limit);
    };
    db.query_map(
        "SELECT id, kind, subject, pg_current_snapshot()::text FROM changes
         WHERE id > ?2 AND (id > ?1
             OR NOT pg_visible_in_snapshot(tx, CAST(CAST(?3 AS TEXT) AS pg_snapshot)))
         ORDER BY id LIMIT ?4",
        args![mark.after, mark.after.saturating_sub(reread), seen, limit],
        change_row,
    )
}

/// Whether `text` reads as a snapshot `pg_current_snapshot()` wrote: `xmin:xmax:` and the
/// transactions in progress, comma-separated, in order and between the two; checked as
/// PostgreSQL would, so a caller's copy it would refuse (quoting it) is refused first.
fn is_snapshot(text: &str) -> bool {
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let mut parts = text.split(':');
    let (Some(xmin), Some(xmax), Some(xip), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(xmin), Some(xmax)) = (number(xmin), number(xmax)) else {
        return false;
    };
    // A full transaction id whose 32-bit part is 0 is not valid.
    if xmin as u32 == 0 || xmax as u32 == 0 || xmin > xmax {
        return false;
    }
    let mut last = xmin;
    xip.is_empty()
        || xip.split(',').all(|x| match number(x) {
            Some(x) if x >= last && x < xmax => {
                last = x;
                true
            }
            _ => false,
        })
}

/// The newest change's id, pruned or not (0 before the first): ids only ever grow.
pub fn last(db: &Db<'_>) -> Result<i64, StoreError> {
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)"
        }
        // The identity's sequence: its last value, once one was taken.
        Dialect::Postgres => {
            "SELECT coalesce((SELECT last_value FROM changes_id_seq WHERE is_called), 0)"
        }
    };
    db.value(sql, args![])
}

/// Forgets changes older than `keep_ms`, by the database's clock (the one that stamped
/// them): a console away that long reloads its page.
pub fn prune(db: &Db<'_>, keep_ms: i64) -> Result<usize, StoreError> {
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "DELETE FROM changes
             WHERE at < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - ?1"
        }
        Dialect::Postgres => {
            "DELETE FROM changes
             WHERE at < CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT) - ?1"
        }
    };
    db.execute(sql, args![keep_ms])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_two_numbers_and_those_in_progress() {
        let cases = [
            ("100:104:100,102", true),
            ("100:100:", true),
            ("100:104", false),
            ("100:104:100,", false),
            ("x:104:", false),
            ("100:104:1:2", false),
            ("100:104:100;DROP", false),
            ("31:12:", false),
            ("0:12:", false),
            ("100:104:99", false),
            ("100:104:104", false),
            ("100:104:102,101", false),
            ("100:104:+101", false),
            ("1:99999999999999999999:", false),
            ("4294967296:4294967296:", false),
            ("4294967297:4294967300:4294967298", true),
            ("", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_snapshot(text), expected, "{text}");
        }
    }
}
