//! GSM 03.38 (3GPP TS 23.038) text handling: which characters travel as
//! 7-bit septets, how many SMS segments a text costs, and how to fold French
//! typography and accents so that messages stay in GSM-7.
//!
//! A single character outside GSM-7 switches the whole message to UCS-2,
//! which more than halves the room per SMS (70 instead of 160). Monitors pay
//! per segment, so alerts are folded to GSM-7 before being sent.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// The escape septet that introduces an extension-table character.
const ESC: u8 = 0x1B;

const GSM7_SINGLE: usize = 160;
/// 160 septets minus the 7 taken by the concatenation header.
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
/// 70 code units minus the 3 taken by the concatenation header.
const UCS2_PART: usize = 67;

/// The basic alphabet indexed by septet value. 0x1B holds the escape code as
/// a placeholder; the ASCII lookup table skips it so it never matches.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// Extension table: each character is sent as ESC followed by this code.
const EXTENSION: [(char, u8); 10] = [
    ('\u{0C}', 0x0A),
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

const NOT_BASIC: u8 = 0xFF;

/// ASCII → septet, derived from `BASIC` at compile time so the two can never
/// disagree; ASCII is the bulk of traffic and deserves a direct lookup.
const ASCII_TO_BASIC: [u8; 128] = invert_ascii();

const fn invert_ascii() -> [u8; 128] {
    let mut table = [NOT_BASIC; 128];
    let mut code = 0;
    while code < BASIC.len() {
        let c = BASIC[code];
        if code != ESC as usize && c.is_ascii() {
            table[c as usize] = code as u8;
        }
        code += 1;
    }
    table
}

/// How a text travels over the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 7-bit GSM default alphabet (with its extension table).
    Gsm7,
    /// UTF-16 (strictly UCS-2 on old handsets), two bytes per code unit.
    Ucs2,
}

impl Encoding {
    /// As people write it: `GSM-7`, `UCS-2`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }
}

/// The encoding, length in units (septets for GSM-7 with extension chars
/// counting 2, UTF-16 code units for UCS-2) and segment count of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsInfo {
    /// Encoding the whole text must use.
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Number of SMS the text is billed and sent as.
    pub segments: usize,
}

fn basic_code(c: char) -> Option<u8> {
    if c.is_ascii() {
        let code = ASCII_TO_BASIC[c as usize];
        return (code != NOT_BASIC).then_some(code);
    }
    // The placeholder at 0x1B is ASCII, so this scan cannot match it.
    BASIC
        .iter()
        .position(|&b| b == c)
        .and_then(|i| u8::try_from(i).ok())
}

fn extension_code(c: char) -> Option<u8> {
    EXTENSION
        .iter()
        .find(|&&(e, _)| e == c)
        .map(|&(_, code)| code)
}

/// Whether `c` is in the GSM-7 basic alphabet or its extension table.
pub fn is_gsm7_char(c: char) -> bool {
    septets(c).is_some()
}

/// Whether every character of `text` can be sent as GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(is_gsm7_char)
}

/// Septets `c` costs: `Some(1)` for basic, `Some(2)` for extension
/// characters (ESC + code), `None` when it is not GSM-7 at all.
pub fn septets(c: char) -> Option<usize> {
    if basic_code(c).is_some() {
        Some(1)
    } else if extension_code(c).is_some() {
        Some(2)
    } else {
        None
    }
}

/// Unpacked septet values (0..=0x7F), extension characters emitting 0x1B
/// before their code; `None` if any character is not GSM-7.
pub fn encode_gsm7(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(code) = basic_code(c) {
            out.push(code);
        } else {
            let code = extension_code(c)?;
            out.push(ESC);
            out.push(code);
        }
    }
    Some(out)
}

/// Encoding, units and segments of `text`: GSM-7 when every character
/// allows it, UCS-2 otherwise.
pub fn analyze(text: &str) -> SmsInfo {
    if is_gsm7(text) {
        let sizes = text.chars().filter_map(septets);
        measure(Encoding::Gsm7, sizes, GSM7_SINGLE, GSM7_PART)
    } else {
        let sizes = text.chars().map(char::len_utf16);
        measure(Encoding::Ucs2, sizes, UCS2_SINGLE, UCS2_PART)
    }
}

fn measure(
    encoding: Encoding,
    sizes: impl Iterator<Item = usize> + Clone,
    single: usize,
    part: usize,
) -> SmsInfo {
    let units: usize = sizes.clone().sum();
    let segments = if units <= single {
        1
    } else {
        count_parts(sizes, part)
    };
    SmsInfo {
        encoding,
        units,
        segments,
    }
}

/// Greedy packing: an ESC pair or a surrogate pair that would straddle a part
/// boundary moves whole to the next part, because handsets cannot rejoin a
/// character split across two messages.
fn count_parts(sizes: impl Iterator<Item = usize>, capacity: usize) -> usize {
    let mut parts = 1;
    let mut room = capacity;
    for size in sizes {
        if size > room {
            parts += 1;
            room = capacity;
        }
        room = room.saturating_sub(size);
    }
    parts
}

/// Number of SMS `text` is sent as.
pub fn segments(text: &str) -> usize {
    analyze(text).segments
}

/// Whether `text` fits in at most `max_segments` SMS.
pub fn fits(text: &str, max_segments: usize) -> bool {
    analyze(text).segments <= max_segments
}

/// Rewrites `text` so that it is entirely GSM-7: typography is flattened,
/// accents outside the alphabet are dropped and anything else becomes `?`.
/// GSM-7 letters such as `é`, `à` or `Ç` are kept. Text that is already
/// GSM-7 is returned borrowed, which also makes folding idempotent.
pub fn fold(text: &str) -> Cow<'_, str> {
    if is_gsm7(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_gsm7_char(c) {
            out.push(c);
        } else {
            fold_char(c, &mut out);
        }
    }
    Cow::Owned(out)
}

fn fold_char(c: char, out: &mut String) {
    if let Some(replacement) = typography(c) {
        out.push_str(replacement);
    } else if c.is_whitespace() {
        // NBSP and narrow NBSP are everywhere in French typography (« », : !).
        out.push(' ');
    } else if !push_decomposed(c, out) {
        out.push('?');
    }
}

/// Characters NFD cannot help with. Every replacement is basic GSM-7.
fn typography(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' | '`'
        | '\u{02BC}' | '\u{2039}' | '\u{203A}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2033}' => "\"",
        '\u{2026}' => "...",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        'œ' => "oe",
        'Œ' => "OE",
        // Bambara, Fulfulde and Songhay letters as their keyboards replace them.
        'ɛ' => "e",
        'Ɛ' => "E",
        'ɔ' => "o",
        'Ɔ' => "O",
        'ɲ' => "ny",
        'Ɲ' => "Ny",
        'ŋ' => "ng",
        'Ŋ' => "Ng",
        'ɓ' => "b",
        'Ɓ' => "B",
        'ɗ' => "d",
        'Ɗ' => "D",
        'ƴ' => "y",
        'Ƴ' => "Y",
        '\u{0085}' | '\u{2028}' | '\u{2029}' => "\n",
        // Invisible joiners and variation selectors would otherwise each
        // become a stray `?` (e.g. after every emoji).
        '\u{00AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'
        | '\u{FEFF}'
        | '\u{FE00}'..='\u{FE0F}' => "",
        _ => return None,
    })
}

/// Folds accented letters (`ê` → `e`, `ç` → `c`, `Ÿ` → `Y`) by dropping
/// combining marks; refuses when what is left is still not GSM-7.
fn push_decomposed(c: char, out: &mut String) -> bool {
    let base: String = c.nfd().filter(|&d| !is_combining_mark(d)).collect();
    let ok = base.chars().all(is_gsm7_char);
    if ok {
        out.push_str(&base);
    }
    ok
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

#[cfg(test)]
mod tests;
