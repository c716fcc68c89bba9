//! The text of a Kannel MO as Kannel hands it over: the raw bytes of the SMS body, in the
//! coding the handset chose (0: 7-bit, 1: 8-bit, 2: UCS-2) and the charset Kannel names.
//! A handset switches to UCS-2 for one letter outside GSM-7, and Kannel then posts the
//! UTF-16BE bytes as they are: read as UTF-8 or as a form, they are lost. Pure.

use std::borrow::Cow;

/// What makes a text unreadable: the field, and why (never the value sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    Coding,
    Charset,
}

impl Unreadable {
    pub(crate) fn field(self) -> &'static str {
        match self {
            Self::Coding => "coding",
            Self::Charset => "charset",
        }
    }

    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Coding => "must be 0 (7-bit), 1 (8-bit) or 2 (UCS-2)",
            Self::Charset => {
                "is not one Vigie reads: UTF-16BE, UTF-16LE, UTF-8, ISO-8859-1, WINDOWS-1252"
            }
        }
    }
}

/// Decodes `bytes` by `charset` when Kannel names one, else by `coding`'s default:
/// UTF-16BE for UCS-2, ISO-8859-1 for 8-bit data, UTF-8 (else ISO-8859-1) for 7-bit text.
pub(crate) fn decode(
    bytes: &[u8],
    coding: u8,
    charset: Option<&str>,
) -> Result<String, Unreadable> {
    let charset = charset.map(|c| c.trim().trim_matches('"').to_ascii_lowercase());
    let charset = match (charset.as_deref(), coding) {
        (Some(named), _) => named,
        (None, 2) => "utf-16be",
        (None, 1) => "iso-8859-1",
        (None, 0) => "",
        (None, _) => return Err(Unreadable::Coding),
    };
    Ok(match charset {
        "utf-16be" | "utf-16" | "ucs-2" | "ucs2" | "unicodefffe" => {
            utf16(bytes, u16::from_be_bytes)
        }
        "utf-16le" => utf16(bytes, u16::from_le_bytes),
        "utf-8" | "utf8" => String::from_utf8_lossy(bytes).into_owned(),
        "iso-8859-1" | "iso8859-1" | "latin1" | "us-ascii" | "ascii" => latin1(bytes),
        "windows-1252" | "cp1252" => bytes.iter().map(|&b| windows_1252(b)).collect(),
        "" => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => latin1(bytes),
        },
        _ => return Err(Unreadable::Charset),
    })
}

/// UTF-16 in the given byte order; a byte-order mark is dropped, a lone byte or half a
/// pair becomes U+FFFD.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks(2).map(|pair| match *pair {
        [a, b] => unit([a, b]),
        _ => 0xFFFD,
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Windows-1252 is ISO-8859-1 but for 0x80-0x9F, where it puts typography.
fn windows_1252(b: u8) -> char {
    match b {
        0x80 => '€',
        0x85 => '…',
        0x8C => 'Œ',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x96 => '–',
        0x97 => '—',
        0x9C => 'œ',
        _ => char::from(b),
    }
}

/// The bytes of parameter `name` in a form or query string, percent-decoded but not read
/// as UTF-8: Kannel's `%b` is the SMS body as it came, UCS-2 included.
pub(crate) fn raw_param<'a>(encoded: &'a [u8], name: &str) -> Option<Cow<'a, [u8]>> {
    encoded.split(|&b| b == b'&').find_map(|pair| {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let key: Vec<u8> = percent_decoded(key).into_owned();
        (key == name.as_bytes()).then(|| percent_decoded(value))
    })
}

fn percent_decoded(encoded: &[u8]) -> Cow<'_, [u8]> {
    if !encoded.iter().any(|&b| b == b'+' || b == b'%') {
        return Cow::Borrowed(encoded);
    }
    let spaced: Vec<u8> = encoded
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    Cow::Owned(percent_encoding::percent_decode(&spaced).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_coding_and_charset_is_read() {
        let ucs2: Vec<u8> = "ATT Mɔpti 2 morts"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let bom: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(ucs2.iter().copied())
            .collect();
        type Case<'a> = (
            &'a str,
            &'a [u8],
            u8,
            Option<&'a str>,
            Result<&'a str, Unreadable>,
        );
        let cases: [Case<'_>; 11] = [
            (
                "UCS-2 named",
                &ucs2,
                2,
                Some("\"UTF-16BE\""),
                Ok("ATT Mɔpti 2 morts"),
            ),
            (
                "UCS-2 by coding alone",
                &ucs2,
                2,
                None,
                Ok("ATT Mɔpti 2 morts"),
            ),
            (
                "with a byte-order mark",
                &bom,
                2,
                Some("UTF-16"),
                Ok("ATT Mɔpti 2 morts"),
            ),
            ("odd length", &[0x00, 0x41, 0x00], 2, None, Ok("A\u{FFFD}")),
            ("7-bit UTF-8", "Sévaré".as_bytes(), 0, None, Ok("Sévaré")),
            ("7-bit latin-1", b"S\xe9var\xe9", 0, None, Ok("Sévaré")),
            (
                "latin-1 named",
                b"S\xe9var\xe9",
                0,
                Some("ISO-8859-1"),
                Ok("Sévaré"),
            ),
            (
                "windows-1252",
                b"l\x92eau \x80",
                0,
                Some("windows-1252"),
                Ok("l’eau €"),
            ),
            ("8-bit", b"\x01\xff", 1, None, Ok("\u{1}ÿ")),
            ("unknown coding", b"x", 7, None, Err(Unreadable::Coding)),
            (
                "unknown charset",
                b"x",
                0,
                Some("KOI8-R"),
                Err(Unreadable::Charset),
            ),
        ];
        for (name, bytes, coding, charset, expected) in cases {
            let got = decode(bytes, coding, charset);
            assert_eq!(got.as_deref().map_err(|e| *e), expected, "{name}");
        }
    }

    #[test]
    fn a_parameter_keeps_its_bytes() {
        let query = b"sender=%2B22376123456&message=%00A%00T%00T%00+%02T&coding=2";
        let message = raw_param(query, "message").unwrap();
        assert_eq!(&*message, b"\x00A\x00T\x00T\x00 \x02T");
        assert_eq!(decode(&message, 2, None).unwrap(), "ATT ɔ");
        assert_eq!(raw_param(query, "to"), None);
        assert_eq!(&*raw_param(b"a=1&flag&b=x+y", "b").unwrap(), b"x y");
    }
}
