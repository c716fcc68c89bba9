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
}

/// The changes after `after`, oldest first, at most `limit`.
pub fn after(db: &Db<'_>, after: i64, limit: u32) -> Result<Vec<Change>, StoreError> {
    db.query_map(
        "SELECT id, kind, subject FROM changes WHERE id > ?1 ORDER BY id LIMIT ?2",
        args![after, limit],
        |r| {
            Ok(Change {
                id: r.get(0)?,
                kind: Kind::of(&r.get::<String>(1)?),
                subject: r.get(2)?,
            })
        },
    )
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
