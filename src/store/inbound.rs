//! Queries on `inbound_messages` and `inbound_parts`.

use super::StoreError;
use super::db::{Db, Dialect, Row, args};

/// A normalised inbound message, ready to store.
#[derive(Debug, Clone)]
pub struct NewInbound {
    pub channel: String,
    pub provider_message_id: Option<String>,
    pub sender: String,
    pub recipient: Option<String>,
    pub text: String,
    pub truncated: bool,
    pub is_loop: bool,
    pub parts: u32,
    pub incomplete: bool,
    pub provider_ts: Option<i64>,
    pub received_at: i64,
    pub content_hash: i64,
    pub raw: String,
    /// Its first words may alert (`inbound::Triage`): read early if its sender is known.
    pub may_alert: bool,
}

/// The rules a stored message follows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Without a provider id, the same content within this many ms is one message.
    pub window_ms: i64,
    /// Longer texts (reassembled ones included) are cut and flagged `truncated`.
    pub max_chars: usize,
}

/// `text` cut to `max` characters, and whether it was cut.
pub fn cut(text: String, max: usize) -> (String, bool) {
    match text.char_indices().nth(max) {
        Some((end, _)) => (text[..end].to_owned(), true),
        None => (text, false),
    }
}

/// What storing a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new message with this id.
    New(i64),
    /// The provider sent this one before; it is stored under this id.
    Duplicate(i64),
    /// A part of a concatenated SMS, kept until the others arrive.
    PartPending,
}

impl Stored {
    pub fn id(self) -> Option<i64> {
        match self {
            Self::New(id) | Self::Duplicate(id) => Some(id),
            Self::PartPending => None,
        }
    }
}

/// Stores `msg` once: by provider id when there is one, else by content within `window_ms`.
pub fn insert(db: &Db<'_>, msg: &NewInbound, limits: &Limits) -> Result<Stored, StoreError> {
    if msg.provider_message_id.is_none() {
        if db.dialect() == Dialect::Postgres {
            // Two nodes given the same id-less message at once would both find nothing:
            // they take turns on its content.
            db.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(?1, ?2))",
                args![msg.channel, msg.content_hash],
            )?;
        }
        if let Some(id) = find_same_content(db, msg, limits.window_ms)? {
            return Ok(Stored::Duplicate(id));
        }
    }
    let (text, raw) = (without_nul(&msg.text), without_nul(&msg.raw));
    let inserted = db.insert_id(
        "INSERT INTO inbound_messages (channel, provider_message_id, sender, recipient, text,
            truncated, is_loop, parts, incomplete, provider_ts, received_at, content_hash, raw,
            priority)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
            CASE WHEN ?14 = 0 OR CAST(?7 AS BIGINT) = 1 THEN 2
                 WHEN EXISTS (SELECT 1 FROM contacts WHERE phone = ?3 AND active = 1) THEN 0
                 ELSE 1 END)
         ON CONFLICT (channel, provider_message_id) WHERE provider_message_id IS NOT NULL
         DO NOTHING",
        args![
            msg.channel,
            msg.provider_message_id,
            msg.sender,
            msg.recipient,
            text.as_ref(),
            msg.truncated,
            msg.is_loop,
            msg.parts,
            msg.incomplete,
            msg.provider_ts,
            msg.received_at,
            msg.content_hash,
            raw.as_ref(),
            msg.may_alert
        ],
    )?;
    match inserted {
        Some(id) => Ok(Stored::New(id)),
        None => by_provider_id(db, &msg.channel, msg.provider_message_id.as_deref())
            .map(Stored::Duplicate),
    }
}

/// `text` with any NUL character (a UTF-16 body read as bytes, a UCS-2 U+0000) as U+FFFD:
/// PostgreSQL's text holds no NUL, and both backends must keep the same text.
fn without_nul(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}").into()
    } else {
        text.into()
    }
}

fn by_provider_id(db: &Db<'_>, channel: &str, id: Option<&str>) -> Result<i64, StoreError> {
    db.value(
        "SELECT id FROM inbound_messages WHERE channel = ?1 AND provider_message_id = ?2",
        args![channel, id],
    )
}

/// The same sender, recipient and text around the same time, from a provider that gives no id.
/// The provider's own timestamp is compared when it gave one, so a replayed day of messages
/// keeps messages that were minutes apart when sent.
fn find_same_content(
    db: &Db<'_>,
    msg: &NewInbound,
    window_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let at = msg.provider_ts.unwrap_or(msg.received_at);
    db.query_opt(
        "SELECT id FROM inbound_messages
         WHERE channel = ?1 AND content_hash = ?2 AND provider_message_id IS NULL
           AND abs(coalesce(provider_ts, received_at) - ?3) <= ?4
         LIMIT 1",
        args![msg.channel, msg.content_hash, at, window_ms],
        |row| row.get(0),
    )
}

/// The key of id-less dedupe: the first 8 bytes of SHA-256 over sender, recipient and text.
pub fn content_hash(sender: &str, recipient: Option<&str>, text: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for field in [sender, recipient.unwrap_or(""), text] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

/// Flags a stored message as over its sender's rate limit: it will get no reply.
pub fn mark_throttled(db: &Db<'_>, id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE inbound_messages SET throttled = 1, priority = 2 WHERE id = ?1",
        args![id],
    )?;
    Ok(())
}

/// One part of a concatenated SMS.
#[derive(Debug, Clone)]
pub struct NewPart {
    /// The part as a message on its own (its provider id is the part's id).
    pub message: NewInbound,
    pub concat_ref: String,
    pub part: u32,
    pub total: u32,
}

/// Keeps a part; once every part of its message is in, stores the whole message.
pub fn insert_part(db: &Db<'_>, p: &NewPart, limits: &Limits) -> Result<Stored, StoreError> {
    let m = &p.message;
    let (text, raw) = (without_nul(&m.text), without_nul(&m.raw));
    let inserted = db.execute(
        "INSERT INTO inbound_parts (channel, provider_message_id, sender, recipient, concat_ref,
            part, total, text, provider_ts, received_at, raw, is_loop, may_alert)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (channel, provider_message_id) DO NOTHING",
        args![
            m.channel,
            m.provider_message_id,
            m.sender,
            m.recipient,
            p.concat_ref,
            p.part,
            p.total,
            text.as_ref(),
            m.provider_ts,
            m.received_at,
            raw.as_ref(),
            m.is_loop,
            m.may_alert
        ],
    )?;
    if inserted == 0 {
        let message_id: Option<i64> = db.value(
            "SELECT message_id FROM inbound_parts WHERE channel = ?1 AND provider_message_id = ?2",
            args![m.channel, m.provider_message_id],
        )?;
        return Ok(message_id.map_or(Stored::PartPending, Stored::Duplicate));
    }
    let group = pending_group(db, &m.channel, &m.sender, &p.concat_ref, p.total)?;
    let distinct: std::collections::BTreeSet<u32> = group.iter().map(|g| g.part).collect();
    if distinct.len() < p.total as usize {
        return Ok(Stored::PartPending);
    }
    assemble(db, &group, false, limits)
}

/// A stored, not yet assembled part.
#[derive(Debug, Clone)]
struct PartRow {
    row_id: i64,
    part: u32,
    message: NewInbound,
}

fn pending_group(
    db: &Db<'_>,
    channel: &str,
    sender: &str,
    concat_ref: &str,
    total: u32,
) -> Result<Vec<PartRow>, StoreError> {
    db.query_map(
        "SELECT id, part, total, channel, provider_message_id, sender, recipient, text,
                provider_ts, received_at, raw, is_loop, may_alert
         FROM inbound_parts
         WHERE channel = ?1 AND sender = ?2 AND concat_ref = ?3 AND total = ?4
           AND message_id IS NULL
         ORDER BY part, id",
        args![channel, sender, concat_ref, total],
        part_row,
    )
}

fn part_row(row: &Row<'_>) -> Result<PartRow, StoreError> {
    Ok(PartRow {
        row_id: row.get(0)?,
        part: row.get(1)?,
        message: NewInbound {
            channel: row.get(3)?,
            provider_message_id: row.get(4)?,
            sender: row.get(5)?,
            recipient: row.get(6)?,
            text: row.get(7)?,
            truncated: false,
            is_loop: row.get(11)?,
            parts: 1,
            incomplete: false,
            provider_ts: row.get(8)?,
            received_at: row.get(9)?,
            content_hash: 0,
            raw: row.get(10)?,
            may_alert: row.get(12)?,
        },
    })
}

/// Joins the parts (in order, each part number once) into one message and links them to it.
fn assemble(
    db: &Db<'_>,
    group: &[PartRow],
    incomplete: bool,
    limits: &Limits,
) -> Result<Stored, StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    let parts: Vec<&PartRow> = group.iter().filter(|g| seen.insert(g.part)).collect();
    let Some(first) = parts.first() else {
        return Ok(Stored::PartPending);
    };
    let mut msg = first.message.clone();
    let joined: String = parts.iter().map(|p| p.message.text.as_str()).collect();
    (msg.text, msg.truncated) = cut(joined, limits.max_chars);
    // Each part's payload, one per line.
    msg.raw = parts
        .iter()
        .map(|p| p.message.raw.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    msg.parts = parts.len() as u32;
    msg.incomplete = incomplete;
    msg.content_hash = content_hash(&msg.sender, msg.recipient.as_deref(), &msg.text);
    let stored = insert(db, &msg, limits)?;
    if let Some(id) = stored.id() {
        for row in group {
            db.execute(
                "UPDATE inbound_parts SET message_id = ?1 WHERE id = ?2",
                args![id, row.row_id],
            )?;
        }
    }
    Ok(stored)
}

/// A message stored from parts whose others never came.
#[derive(Debug)]
pub struct Flushed {
    pub id: i64,
    pub sender: String,
    pub is_loop: bool,
}

/// Stores, as they are, the parts still incomplete after `older_than` (unix ms).
/// Returns the messages stored (not those found stored already).
pub fn flush_expired_parts(
    db: &Db<'_>,
    older_than: i64,
    limits: &Limits,
) -> Result<Vec<Flushed>, StoreError> {
    let groups: Vec<(String, String, String, u32)> = db.query_map(
        "SELECT DISTINCT channel, sender, concat_ref, total FROM inbound_parts
         WHERE message_id IS NULL AND received_at < ?1",
        args![older_than],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut stored = Vec::new();
    for (channel, sender, concat_ref, total) in groups {
        let group = pending_group(db, &channel, &sender, &concat_ref, total)?;
        if let Stored::New(id) = assemble(db, &group, true, limits)? {
            let is_loop = group.first().is_some_and(|p| p.message.is_loop);
            stored.push(Flushed {
                id,
                sender,
                is_loop,
            });
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn texts_are_cut_on_character_boundaries() {
        let cases = [
            ("short", "abc", 5, "abc", false),
            ("exact", "abcde", 5, "abcde", false),
            ("long", "abcdef", 5, "abcde", true),
            ("accents count once", "éééééé", 5, "ééééé", true),
            ("empty", "", 5, "", false),
        ];
        for (name, text, max, expected, was_cut) in cases {
            assert_eq!(
                cut(text.to_owned(), max),
                (expected.to_owned(), was_cut),
                "{name}"
            );
        }
    }
}
