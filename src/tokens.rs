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

/// A token step's result as a write returns it: a storage fault fails the write, so what
/// it began is undone; a refusal (written nothing) is its answer.
pub fn in_write<T>(result: Result<T, TokenError>) -> Result<Result<T, TokenError>, StoreError> {
    match result {
        Err(TokenError::Store(e)) => Err(e),
        other => Ok(other),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_fault_fails_the_write_and_a_refusal_answers_it() {
        assert!(in_write::<()>(Err(TokenError::Store(StoreError::Closed))).is_err());
        assert!(matches!(
            in_write::<()>(Err(TokenError::NoSuchToken(7))),
            Ok(Err(TokenError::NoSuchToken(7)))
        ));
        assert!(matches!(in_write(Ok(1)), Ok(Ok(1))));
    }
}
