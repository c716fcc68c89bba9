//! Console sessions: a token (admin, coordinator or viewer) given once at login opens a
//! session; the browser keeps a random cookie whose SHA-256 alone is stored. A session ends
//! at logout, when unused for the idle time, past its absolute lifetime, or when its token
//! is revoked (the caller is found through the token on every request).

use crate::store::db::Db;
use serde_json::json;

use crate::access::{digest, hex};
use crate::store::sessions::{self as queries, SessionRow};
use crate::store::{StoreError, audit};

/// A session is touched at most this often: a write per page would be a write per click.
const TOUCH_EVERY_MS: i64 = 60_000;

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle_ms: i64,
    pub max_ms: i64,
}

/// A new session: the cookie (shown to the browser once) and its CSRF token.
#[derive(Debug)]
pub struct Opened {
    pub cookie: String,
    pub csrf: String,
}

/// What a request found: the session, and whether it is due a touch.
#[derive(Debug, Clone)]
pub struct Found {
    pub session: SessionRow,
    pub touch: bool,
}

/// Opens a session for the token with `token_digest`, audited as `who`. Sessions past
/// their lifetime are forgotten then: the table holds no more than a lifetime of logins.
pub fn open(
    conn: &Db<'_>,
    token_digest: &str,
    who: &str,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<Opened, StoreError> {
    queries::forget_before(conn, now.saturating_sub(lifetimes.max_ms))?;
    let (cookie, csrf) = (random(), random());
    let id = queries::create(conn, &digest(&cookie), token_digest, &csrf, now)?;
    let subject = format!("session {id}");
    audit::append(conn, who, "console.login", &subject, &json!({}), now)?;
    Ok(Opened { cookie, csrf })
}

/// The live session of a cookie, or `None` (unknown, ended, idle too long, too old).
pub fn find(
    conn: &Db<'_>,
    cookie: &str,
    lifetimes: Lifetimes,
    now: i64,
) -> Result<Option<Found>, StoreError> {
    let Some(session) = queries::find(conn, &digest(cookie))? else {
        return Ok(None);
    };
    let idle = now.saturating_sub(session.seen_at) > lifetimes.idle_ms;
    let old = now.saturating_sub(session.created_at) > lifetimes.max_ms;
    if idle || old {
        return Ok(None);
    }
    let touch = now.saturating_sub(session.seen_at) > TOUCH_EVERY_MS;
    Ok(Some(Found { session, touch }))
}

/// Ends a session (logout), audited.
pub fn close(conn: &Db<'_>, id: i64, who: &str, now: i64) -> Result<(), StoreError> {
    queries::end(conn, id, now)?;
    let subject = format!("session {id}");
    audit::append(conn, who, "console.logout", &subject, &json!({}), now)
}

/// A failed login, audited without what was typed.
pub fn failed(conn: &Db<'_>, now: i64) -> Result<(), StoreError> {
    audit::append(conn, "console", "console.login_failed", "", &json!({}), now)
}

/// 32 random bytes as hex.
fn random() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}
