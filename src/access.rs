//! Who may call the API: tokens with a role (`admin`, `coordinator`, `viewer`), optionally
//! limited to zones. A token is shown once when made; only its SHA-256 is stored (it is
//! 32 random bytes, so a fast hash is enough). Reporters' numbers are for admins only.

use sha2::{Digest, Sha256};

/// What a token may do; each role may do what the ones below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Coordinator,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_lowercase().as_str() {
            "viewer" => Self::Viewer,
            "coordinator" => Self::Coordinator,
            "admin" => Self::Admin,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Coordinator => "coordinator",
            Self::Admin => "admin",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who, as the audit log names them: `admin token`, `token 3`.
    pub who: String,
    pub role: Role,
    /// The zones the caller is limited to, as stored; empty: everywhere. Compared once
    /// `scoped` made them keys.
    pub zones: Vec<String>,
}

impl Caller {
    pub fn admin() -> Self {
        Self {
            who: "admin token".into(),
            role: Role::Admin,
            zones: Vec::new(),
        }
    }

    /// Reporters' numbers are shown to admins only; others see pseudonyms.
    pub fn sees_numbers(&self) -> bool {
        self.role == Role::Admin
    }

    /// The caller with its zones as the keys `covers` compares (`ZoneNames::key`). A zone
    /// that no longer means one place (a name another unit now shares) becomes a key that
    /// matches nothing: the token sees less, never more.
    pub fn scoped(mut self, key: impl Fn(&str) -> Option<String>) -> Self {
        for zone in &mut self.zones {
            *zone = key(zone).unwrap_or_else(|| format!("!{zone}"));
        }
        self
    }

    /// Whether the caller may act on a place inside any of `zones` (keys).
    pub fn covers(&self, mut zones: impl Iterator<Item = String>) -> bool {
        self.zones.is_empty() || zones.any(|z| self.zones.contains(&z))
    }
}

/// A new token: `vt_` and 64 hex digits.
pub fn new_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("vt_{}", hex(&bytes))
}

/// What is stored of a token.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_read_back() {
        assert!(Role::Admin > Role::Coordinator && Role::Coordinator > Role::Viewer);
        for role in [Role::Viewer, Role::Coordinator, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tokens_are_random_and_only_their_digest_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with("vt_") && a.len() == 67);
        assert_eq!(digest(&a), digest(&format!(" {a}\n")));
        assert!(!digest(&a).contains(&a[3..]));
    }

    #[test]
    fn a_zone_limited_caller_covers_only_its_zones() {
        let mopti = Caller {
            who: "token 1".into(),
            role: Role::Coordinator,
            zones: vec!["mopti".into()],
        };
        assert!(mopti.covers(["koro".to_owned(), "mopti".to_owned()].into_iter()));
        assert!(!mopti.covers(["tombouctou".to_owned()].into_iter()));
        assert!(Caller::admin().covers(std::iter::empty()));
        assert!(!mopti.sees_numbers() && Caller::admin().sees_numbers());
    }

    #[test]
    fn a_zone_that_means_no_one_place_covers_nothing() {
        let shared = Caller {
            who: "token 2".into(),
            role: Role::Viewer,
            zones: vec!["bamba".into(), "mopti".into()],
        }
        .scoped(|z| (z == "mopti").then(|| "gb 1".to_owned()));
        assert_eq!(shared.zones, ["!bamba", "gb 1"]);
        assert!(!shared.covers(["bamba".to_owned()].into_iter()));
        assert!(shared.covers(["gb 1".to_owned()].into_iter()));
    }
}
