//! A message cut into words. Coordinates, clock times, dates and gazetteer ids are read
//! whole first (their dots, commas and colons are separators everywhere else); the rest is
//! runs of letters and digits, folded. Each token remembers whether a `:` followed it (the
//! keyed form `L:Koro`, `blesses:2`).

use std::sync::LazyLock;

use regex::Regex;

use crate::text::fold;

/// What a token is beyond its word.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Special {
    Word,
    Coordinates { lat: f64, lon: f64 },
    Clock { hour: u32, minute: u32 },
    Date { day: u32, month: u32 },
    PlaceId,
}

#[derive(Debug, Clone)]
pub(super) struct Token<'t> {
    /// As typed.
    pub(super) raw: &'t str,
    /// Where it starts in the message (bytes): a broadcast's text is sent as typed.
    pub(super) at: usize,
    pub(super) folded: String,
    /// A `:` came right after it.
    pub(super) colon: bool,
    pub(super) special: Special,
}

impl Token<'_> {
    /// A number written in digits.
    pub(super) fn digits(&self) -> Option<u32> {
        if self.special != Special::Word || !self.folded.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.folded.parse().ok()
    }
}

/// Patterns read before words. Compiled once; they are constants, not state.
static SPECIALS: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?ix)
        (?P<coords>(?:gps\s*:?\s*)?(?P<ns>[NS])?\s?(?P<lat>[-+]?\d{1,2}\.\d+)\s*[,;/\s]\s*(?P<ew>[EWO])?\s?(?P<lon>[-+]?\d{1,3}\.\d+))
        | (?P<clock>\b(?P<hh>[01]?\d|2[0-3])\s?[h:]\s?(?P<mm>[0-5]\d)\b)
        | (?P<date>\b(?P<dd>[0-3]?\d)/(?P<mo>[01]?\d)(?:/\d{2,4})?\b)
        | (?P<id>\b(?:wof|gb|osm):[\w/;:]+)";
    #[allow(clippy::expect_used)] // A constant pattern, tested.
    Regex::new(pattern).expect("valid pattern")
});

/// Cuts `text` into tokens.
pub(super) fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut at = 0;
    for caps in SPECIALS.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let Some(special) = special(&caps) else {
            continue;
        };
        words(&text[at..whole.start()], text, &mut tokens);
        let raw = whole.as_str();
        tokens.push(Token {
            raw,
            at: whole.start(),
            folded: fold(raw),
            colon: text[whole.end()..].starts_with(':'),
            special,
        });
        at = whole.end();
    }
    words(&text[at..], text, &mut tokens);
    tokens
}

fn special(caps: &regex::Captures<'_>) -> Option<Special> {
    let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<f64>().ok());
    if caps.name("coords").is_some() {
        let mut lat = num("lat")?;
        let mut lon = num("lon")?;
        if caps
            .name("ns")
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("s"))
        {
            lat = -lat.abs();
        }
        if caps
            .name("ew")
            .is_some_and(|m| !m.as_str().eq_ignore_ascii_case("e"))
        {
            lon = -lon.abs();
        }
        let valid = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        return valid.then_some(Special::Coordinates { lat, lon });
    }
    let int = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    if caps.name("clock").is_some() {
        return Some(Special::Clock {
            hour: int("hh")?,
            minute: int("mm")?,
        });
    }
    if caps.name("date").is_some() {
        let (day, month) = (int("dd")?, int("mo")?);
        let valid = (1..=31).contains(&day) && (1..=12).contains(&month);
        return valid.then_some(Special::Date { day, month });
    }
    caps.name("id").map(|_| Special::PlaceId)
}

/// Runs of letters and digits in `segment` (a slice of `text`).
fn words<'t>(segment: &'t str, text: &'t str, tokens: &mut Vec<Token<'t>>) {
    let base = segment.as_ptr() as usize - text.as_ptr() as usize;
    let mut start = None;
    for (i, c) in segment
        .char_indices()
        .chain(std::iter::once((segment.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let raw = &segment[s..i];
                let folded = fold(raw);
                if !folded.is_empty() {
                    let after = &text[base + i..];
                    tokens.push(Token {
                        raw,
                        at: base + s,
                        folded,
                        colon: after.trim_start_matches(' ').starts_with(':'),
                        special: Special::Word,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Vec<String> {
        tokenize(text)
            .iter()
            .map(|t| {
                let colon = if t.colon { ":" } else { "" };
                match t.special {
                    Special::Word => format!("{}{colon}", t.folded),
                    Special::Coordinates { lat, lon } => format!("<{lat},{lon}>"),
                    Special::Clock { hour, minute } => format!("<{hour}h{minute}>"),
                    Special::Date { day, month } => format!("<{day}/{month}>"),
                    Special::PlaceId => format!("<id {}>", t.raw),
                }
            })
            .collect()
    }

    #[test]
    fn messages_are_cut_into_words_and_specials() {
        let cases = [
            ("ATT Koro 3 morts", "att koro 3 morts"),
            ("#ATT #Tessit #4morts", "att tessit 4morts"),
            (
                "ATT L:Bandiagara M:3 B:2 H:hier",
                "att l: bandiagara m: 3 b: 2 h: hier",
            ),
            ("ATT 14.06,-3.07 2 morts", "att <14.06,-3.07> 2 morts"),
            ("GPS N14.06 W3.07", "<14.06,-3.07>"),
            ("attaque a 14h30 puis 6h", "attaque a <14h30> puis 6h"),
            ("vers 14:30 le 06/11", "vers <14h30> le <6/11>"),
            ("Bonjour, URGENT: attaque", "bonjour urgent: attaque"),
            ("blesses: 2", "blesses: 2"),
            ("L:wof:421184495 M:1", "l: <id wof:421184495> m: 1"),
            ("Gourma-Rharous, N'Tillit", "gourma rharous n tillit"),
        ];
        for (text, expected) in cases {
            assert_eq!(shape(text).join(" "), expected, "{text}");
        }
    }
}
