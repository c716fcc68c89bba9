//! Making and revoking API tokens, audited: the use case behind `vigie token`. A token's
//! zones are checked when it is made: each must mean one zone, so a name several admin
//! units share is refused with their ids, and a unit is stored by its id.

use crate::store::db::Db;
use serde_json::json;

use crate::access::{Caller, Role, digest, new_token};
use crate::fanout::{NamingError, ZoneNames};
use crate::store::{StoreError, audit, sessions, tokens};

/// Why a token cannot be made or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("role: `{0}` is not admin, coordinator or viewer")]
    Role(String),
    #[error("zone: an admin token acts everywhere; limit a coordinator's or a viewer's")]
    AdminZones,
    #[error("zone: {0}")]
    Zone(NamingError),
    #[error("no token {0} to revoke")]
    NoSuchToken(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token to make.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub role: &'a str,
    pub zones: &'a [String],
    /// A note to recognise it by.
    pub name: &'a str,
    /// Who makes it, as the audit log names them.
    pub by: &'a str,
}

/// Makes a token in the caller's transaction; returns its id and the token, to be shown
/// once (only its digest is stored).
pub fn create(
    conn: &Db<'_>,
    names: &ZoneNames<'_>,
    new: &NewToken<'_>,
    now: i64,
) -> Result<(i64, String), TokenError> {
    let role = Role::parse(new.role).ok_or_else(|| TokenError::Role(new.role.to_owned()))?;
    let zones = new
        .zones
        .iter()
        .filter(|z| !z.trim().is_empty())
        .map(|z| names.canonical(z))
        .collect::<Result<Vec<_>, _>>()
        .map_err(TokenError::Zone)?;
    if role == Role::Admin && !zones.is_empty() {
        return Err(TokenError::AdminZones);
    }
    let caller = Caller {
        who: String::new(),
        role,
        zones,
    };
    let token = new_token();
    let id = tokens::create(conn, new.name, &caller, &digest(&token), now)?;
    let detail = json!({ "role": role.as_str(), "zones": caller.zones });
    audit::append(
        conn,
        new.by,
        "token.create",
        &format!("token {id}"),
        &detail,
        now,
    )?;
    Ok((id, token))
}

/// Revokes a token in the caller's transaction: it is refused from the next request on.
pub fn revoke(conn: &Db<'_>, id: i64, by: &str, now: i64) -> Result<(), TokenError> {
    if !tokens::revoke(conn, id, now)? {
        return Err(TokenError::NoSuchToken(id));
    }
    sessions::end_for_token(conn, id, now)?;
    let subject = format!("token {id}");
    audit::append(conn, by, "token.revoke", &subject, &json!({}), now)?;
    Ok(())
}
