//! Phone numbers and sender ids as the gateway stores them.
//!
//! Providers write numbers every way there is: `+22376123456`, `22376123456` (Vonage,
//! Infobip), `tel:+22376123456` (Orange), `76123456` (national). Every address is normalised
//! once, at the edge of the inbound stage, into an [`Address`]: E.164 for phone numbers,
//! digits for short codes, the text itself for alphanumeric sender ids.

use std::fmt;

use phonenumber::Mode;
use phonenumber::country::Id as Country;

/// A normalised sender or recipient.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Address(String);

/// Why a provider's address could not be read. The message leaves the address out: it ends
/// up in logs, and an unreadable number is still a reporter's number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a phone number, short code or sender id")]
pub struct AddressError;

/// Short codes are 3 to 6 digits; anything shorter or longer must be a full number.
const SHORT_CODE: std::ops::RangeInclusive<usize> = 3..=6;
/// Digits of an E.164 number, country code included, when its plan is not known.
const PLAUSIBLE_E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;
/// Alphanumeric sender ids are at most 11 characters (GSM 03.40).
const MAX_SENDER_ID: usize = 11;

impl Address {
    /// Normalises `raw`, reading national numbers as numbers of `country`.
    pub fn parse(raw: &str, country: Country) -> Result<Self, AddressError> {
        let trimmed = raw.trim();
        let bare = trimmed.strip_prefix("tel:").unwrap_or(trimmed);
        let compact: String = bare
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if digits.is_empty() {
            return Err(AddressError);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return sender_id(trimmed).ok_or(AddressError);
        }
        if !plus && SHORT_CODE.contains(&digits.len()) {
            return Ok(Self(digits.to_owned()));
        }
        international(plus, digits, country)
            .map(Self)
            .ok_or(AddressError)
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: keeps the country code and the last two digits (`+223******56`).
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a stored number for logs and non-admin views.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 6 {
        return value.to_owned();
    }
    let keep_start = if value.starts_with('+') { 4 } else { 2 };
    let hidden = chars.len() - keep_start - 2;
    let mut out: String = chars[..keep_start].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[chars.len() - 2..]);
    out
}

/// Reads a full number: national numbers in `country`, then, like libphonenumber users
/// such as RapidPro, an 11+ digit string without `+` (Vonage, Infobip) as international.
fn international(plus: bool, digits: &str, country: Country) -> Option<String> {
    let candidates: [Option<String>; 3] = if plus {
        [Some(format!("+{digits}")), None, None]
    } else if let Some(rest) = digits.strip_prefix("00") {
        [Some(format!("+{rest}")), None, None]
    } else {
        // National numbers in the Sahel have 8 digits: 11 or more without a leading 0 is
        // far more likely a number whose `+` the provider dropped.
        let international =
            (digits.len() >= 11 && !digits.starts_with('0')).then(|| format!("+{digits}"));
        [international, Some(digits.to_owned()), None]
    };
    let parsed: Vec<_> = candidates
        .into_iter()
        .flatten()
        .filter_map(|text| phonenumber::parse(Some(country), text).ok())
        .collect();
    // A valid number (known numbering plan) first; else one of plausible E.164 length, since
    // plans change faster than libphonenumber's metadata reaches us.
    let e164 = |n: &phonenumber::PhoneNumber| n.format().mode(Mode::E164).to_string();
    if let Some(valid) = parsed.iter().find(|n| phonenumber::is_valid(n)) {
        return Some(e164(valid));
    }
    parsed
        .iter()
        .map(e164)
        .find(|e| PLAUSIBLE_E164_DIGITS.contains(&(e.len() - 1)))
}

fn sender_id(text: &str) -> Option<Address> {
    let ok = (1..=MAX_SENDER_ID).contains(&text.chars().count())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        && text.chars().any(|c| c.is_ascii_alphabetic());
    ok.then(|| Address(text.to_owned()))
}

/// Remembers normalised addresses. Monitors write again and again from the same numbers, and
/// libphonenumber's validation costs more than the rest of accepting a message.
pub struct AddressCache {
    cache: quick_cache::sync::Cache<(Country, String), Address>,
}

impl AddressCache {
    /// Keeps at most `capacity` addresses; refused ones are never kept.
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity),
        }
    }

    /// As [`Address::parse`], remembered.
    pub fn parse(&self, raw: &str, country: Country) -> Result<Address, AddressError> {
        let key = (country, raw.to_owned());
        if let Some(address) = self.cache.get(&key) {
            return Ok(address);
        }
        let address = Address::parse(raw, country)?;
        self.cache.insert(key, address.clone());
        Ok(address)
    }
}

impl fmt::Debug for AddressCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddressCache({} entries)", self.cache.len())
    }
}

impl fmt::Debug for Address {
    // Debug output ends up in logs: never the full number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ml(raw: &str) -> Result<String, AddressError> {
        Address::parse(raw, Country::ML).map(|a| a.0)
    }

    #[test]
    fn normalises_what_providers_send() {
        let cases = [
            ("e164", "+22376123456", "+22376123456"),
            ("national", "76123456", "+22376123456"),
            ("national with spaces", "76 12 34 56", "+22376123456"),
            ("no plus (vonage)", "22376123456", "+22376123456"),
            ("orange tel uri", "tel:+22376123456", "+22376123456"),
            ("00 prefix", "0022376123456", "+22376123456"),
            ("kenya from AT docs", "+254791541111", "+254791541111"),
            ("croatia from infobip docs", "385916242494", "+385916242494"),
            ("us from twilio docs", "+14133881111", "+14133881111"),
            ("short code", "21512", "21512"),
            ("sender id", "Orange", "Orange"),
        ];
        for (name, raw, expected) in cases {
            assert_eq!(ml(raw).as_deref(), Ok(expected), "{name}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for raw in [
            "",
            "+",
            "12",
            "not a number at all",
            "+abc",
            "12345678901234567890",
        ] {
            assert!(ml(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn the_cache_answers_as_parse_does() {
        let cache = AddressCache::new(8);
        for raw in ["76123456", "76123456", "+22376123456", "Orange", "12"] {
            assert_eq!(
                cache.parse(raw, Country::ML),
                Address::parse(raw, Country::ML),
                "{raw}"
            );
        }
    }

    #[test]
    fn masks_all_but_country_and_last_digits() {
        assert_eq!(mask("+22376123456"), "+223******56");
        assert_eq!(mask("21512"), "21512");
        assert_eq!(
            format!("{:?}", Address("+22376123456".into())),
            "Address(+223******56)"
        );
    }
}
