//! Queries on `ussd_sessions` and `ussd_steps`, and the menu's report stored as an inbound
//! message for the intake.

use super::StoreError;
use super::db::{Db, args};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub phone: String,
    /// The menu's state, JSON.
    pub state: String,
    pub last_text: String,
    /// `open`, `done`, `taken_up` or `expired`.
    pub status: String,
    pub updated_at: i64,
}

pub fn session(
    db: &Db<'_>,
    channel: &str,
    session_id: &str,
) -> Result<Option<Session>, StoreError> {
    db.query_opt(
        "SELECT id, phone, state, last_text, status, updated_at FROM ussd_sessions
             WHERE channel = ?1 AND session_id = ?2",
        args![channel, session_id],
        |r| {
            Ok(Session {
                id: r.get(0)?,
                phone: r.get(1)?,
                state: r.get(2)?,
                last_text: r.get(3)?,
                status: r.get(4)?,
                updated_at: r.get(5)?,
            })
        },
    )
}

/// The screen already answered to this step of the session, if any.
pub fn answered(db: &Db<'_>, session: i64, text: &str) -> Result<Option<String>, StoreError> {
    db.query_opt(
        "SELECT screen FROM ussd_steps WHERE session = ?1 AND text = ?2",
        args![session, text],
        |r| r.get(0),
    )
}

/// The caller's latest session left unfinished (no report sent, not ended by the menu)
/// since `since`, other than this one: (its id, its state).
pub fn unfinished(
    db: &Db<'_>,
    phone: &str,
    since: i64,
    not: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    db.query_opt(
        "SELECT id, state FROM ussd_sessions
             WHERE phone = ?1 AND status IN ('open', 'expired') AND updated_at >= ?2
               AND session_id != ?3
             ORDER BY updated_at DESC LIMIT 1",
        args![phone, since, not],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// One answered step.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub channel: &'a str,
    pub session_id: &'a str,
    pub phone: &'a str,
    pub text: &'a str,
    pub state: &'a str,
    pub screen: &'a str,
    /// The session ended with this screen.
    pub ended: bool,
}

/// Records the step and the session's new state; returns the screen to answer: this
/// one, or the one a replay of the same step got first.
pub fn record(db: &Db<'_>, step: &Step<'_>, now: i64) -> Result<String, StoreError> {
    let status = if step.ended { "done" } else { "open" };
    db.execute(
        "INSERT INTO ussd_sessions (channel, session_id, phone, state, last_text, status,
                                    created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         ON CONFLICT (channel, session_id) DO UPDATE SET state = ?4, last_text = ?5,
             status = ?6, updated_at = ?7",
        args![
            step.channel,
            step.session_id,
            step.phone,
            step.state,
            step.text,
            status,
            now
        ],
    )?;
    let id: i64 = db.value(
        "SELECT id FROM ussd_sessions WHERE channel = ?1 AND session_id = ?2",
        args![step.channel, step.session_id],
    )?;
    db.execute(
        "INSERT INTO ussd_steps (session, text, screen) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        args![id, step.text, step.screen],
    )?;
    Ok(answered(db, id, step.text)?.unwrap_or_else(|| step.screen.to_owned()))
}

/// The state of the caller's unfinished session `id` (the code they were sent), if it is
/// theirs and still may be taken up (touched since `since`).
pub fn draft(db: &Db<'_>, id: i64, phone: &str, since: i64) -> Result<Option<String>, StoreError> {
    db.query_opt(
        "SELECT state FROM ussd_sessions
             WHERE id = ?1 AND phone = ?2 AND status IN ('open', 'expired') AND updated_at >= ?3",
        args![id, phone, since],
        |r| r.get(0),
    )
}

/// A session the provider has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub id: i64,
    pub phone: String,
    pub state: String,
}

/// Open sessions untouched since `before` are over at the provider: marked `expired`.
pub fn expire(db: &Db<'_>, before: i64) -> Result<Vec<Expired>, StoreError> {
    db.query_map(
        "UPDATE ussd_sessions SET status = 'expired'
         WHERE status = 'open' AND updated_at < ?1
         RETURNING id, phone, state",
        args![before],
        |r| {
            Ok(Expired {
                id: r.get(0)?,
                phone: r.get(1)?,
                state: r.get(2)?,
            })
        },
    )
}

/// Whether the session still takes steps (not ended, expired or taken up since).
pub fn open(db: &Db<'_>, channel: &str, session_id: &str) -> Result<bool, StoreError> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM ussd_sessions
             WHERE channel = ?1 AND session_id = ?2 AND status = 'open'",
            args![channel, session_id],
            |_| Ok(()),
        )?
        .is_some())
}

/// An unfinished session whose report was taken up in another, or finished by SMS;
/// `false` if it was already (a draft is finished once).
pub fn taken_up(db: &Db<'_>, id: i64) -> Result<bool, StoreError> {
    let n = db.execute(
        "UPDATE ussd_sessions SET status = 'taken_up'
             WHERE id = ?1 AND status IN ('open', 'expired')",
        args![id],
    )?;
    Ok(n == 1)
}

/// A report made in the menu, as the text of an SMS report, stored for the intake like
/// any inbound message (once per session: a replay stores nothing).
#[derive(Debug, Clone)]
pub struct MenuReport<'a> {
    pub channel: &'a str,
    pub session_id: &'a str,
    pub phone: &'a str,
    pub text: &'a str,
    pub language: &'a str,
}

/// Files a report made in the menu as an inbound message, for the intake to read like an
/// SMS; a finished menu report names its category, so it is read early (`priority`).
pub fn file(db: &Db<'_>, r: &MenuReport<'_>, now: i64) -> Result<(), StoreError> {
    let id = format!("ussd:{}", r.session_id);
    let hash = super::inbound::content_hash(r.phone, None, r.text);
    db.execute(
        "INSERT INTO inbound_messages (channel, provider_message_id, sender, text, received_at,
                                       content_hash, raw, language, priority)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7,
                 CASE WHEN EXISTS (SELECT 1 FROM contacts WHERE phone = ?3 AND active = 1)
                      THEN 0 ELSE 1 END)
         ON CONFLICT (channel, provider_message_id) WHERE provider_message_id IS NOT NULL
         DO NOTHING",
        args![r.channel, id, r.phone, r.text, now, hash, r.language],
    )?;
    Ok(())
}

/// The caller's last reports: (incident or report number, category, status).
pub fn last_reports(
    db: &Db<'_>,
    phone: &str,
    n: u32,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    db.query_map(
        "SELECT coalesce(r.incident_id, r.id), r.category,
                CASE WHEN r.status != 'filed' THEN r.status
                     WHEN i.acked_at IS NOT NULL THEN 'acknowledged'
                     WHEN i.review != 'new' THEN i.review
                     WHEN i.first_alert_at IS NOT NULL THEN 'alerted'
                     ELSE 'filed' END
         FROM reports r LEFT JOIN incidents i ON i.id = r.incident_id
         WHERE r.reporter = ?1 ORDER BY r.id DESC LIMIT ?2",
        args![phone, n],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
