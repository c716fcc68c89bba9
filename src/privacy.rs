//! Reporters' numbers shown to anyone but an admin as pseudonyms: a keyed hash, the same
//! for one number every time, that cannot be turned back into the number without the key
//! (made at first start and kept in a file beside the database, never in it).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::access::hex;

/// Makes pseudonyms with one key.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Vec<u8>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms")
    }
}

impl Pseudonyms {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
        }
    }

    /// A fresh random key, as hex.
    pub fn make_key() -> String {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        hex(&key)
    }

    /// The keyed hash of `text`, as hex: what is kept of a secret that must be recognised
    /// but never read back (a duress word).
    pub fn keyed(&self, text: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// `R-` and 12 hex digits of the keyed hash of the number.
    pub fn of(&self, phone: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return "R-unknown".into();
        };
        mac.update(phone.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("R-{}", hex(&digest[..6]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_has_one_pseudonym_per_key_and_never_shows() {
        let a = Pseudonyms::new("key-a");
        let b = Pseudonyms::new("key-b");
        let p = a.of("+22376123456");
        assert_eq!(p, a.of("+22376123456"));
        assert_ne!(p, a.of("+22376123457"));
        assert_ne!(p, b.of("+22376123456"));
        assert_eq!(p.len(), 14);
        assert!(!p.contains("76123456"));
        assert_ne!(Pseudonyms::make_key(), Pseudonyms::make_key());
    }
}
