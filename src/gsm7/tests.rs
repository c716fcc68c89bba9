use super::Encoding::{Gsm7, Ucs2};
use super::*;
use proptest::prelude::*;

fn a(n: usize) -> String {
    "a".repeat(n)
}

#[test]
fn analyze_table() {
    let rows: Vec<(&str, String, Encoding, usize, usize)> = vec![
        ("empty", String::new(), Gsm7, 0, 1),
        ("hello", "hello".into(), Gsm7, 5, 1),
        ("160 septets", a(160), Gsm7, 160, 1),
        ("161 septets", a(161), Gsm7, 161, 2),
        ("306 septets", a(306), Gsm7, 306, 2),
        ("307 septets", a(307), Gsm7, 307, 3),
        ("euro counts 2", "€5".into(), Gsm7, 3, 1),
        (
            "ESC pair not split",
            [a(152), "€".into(), a(152)].concat(),
            Gsm7,
            306,
            3,
        ),
        ("ç forces UCS-2", "ça".into(), Ucs2, 2, 1),
        ("Ç stays GSM-7", "Ça".into(), Gsm7, 2, 1),
        ("70 UCS-2 units", "ç".repeat(70), Ucs2, 70, 1),
        ("71 UCS-2 units", "ç".repeat(71), Ucs2, 71, 2),
        ("emoji counts 2", "😀".into(), Ucs2, 2, 1),
        (
            "surrogates not split",
            [a(66), "😀".into(), a(66)].concat(),
            Ucs2,
            134,
            3,
        ),
    ];
    for (name, text, encoding, units, segments) in rows {
        let expected = SmsInfo {
            encoding,
            units,
            segments,
        };
        assert_eq!(analyze(&text), expected, "{name}");
        assert_eq!(super::segments(&text), segments, "{name}");
    }
}

#[test]
fn fits_compares_segments() {
    assert!(fits("", 1));
    assert!(!fits(&a(161), 1));
    assert!(fits(&a(161), 2));
}

#[test]
fn basic_table_round_trips() {
    for (code, &c) in BASIC.iter().enumerate() {
        if code == usize::from(ESC) {
            assert!(!is_gsm7_char(c));
            continue;
        }
        assert_eq!(encode_gsm7(&c.to_string()), Some(vec![code as u8]), "{c:?}");
        assert_eq!(septets(c), Some(1), "{c:?}");
    }
    for (c, code) in EXTENSION {
        assert_eq!(encode_gsm7(&c.to_string()), Some(vec![ESC, code]), "{c:?}");
        assert_eq!(septets(c), Some(2), "{c:?}");
    }
}

#[test]
fn printable_ascii_classification() {
    for c in ' '..='~' {
        let expected = match c {
            '`' => None,
            '^' | '{' | '}' | '\\' | '[' | ']' | '~' | '|' => Some(2),
            _ => Some(1),
        };
        assert_eq!(septets(c), expected, "{c:?}");
    }
    assert_eq!(septets('ç'), None);
    assert_eq!(septets('\t'), None);
    assert_eq!(encode_gsm7("@£$_"), Some(vec![0x00, 0x01, 0x02, 0x11]));
    assert_eq!(encode_gsm7("a`"), None);
}

#[test]
fn fold_table() {
    let rows = [
        ("ç", "c"),
        ("ê", "e"),
        ("œuvre", "oeuvre"),
        ("« alerte »", "\" alerte \""),
        ("Noël", "Noel"),
        ("maïs", "mais"),
        ("l’eau", "l'eau"),
        ("a\u{00A0}:", "a :"),
        ("a\u{202F}!", "a !"),
        ("…", "..."),
        ("Ça", "Ça"),
        ("Ê", "E"),
        ("ÿ", "y"),
        ("日", "?"),
        ("€5", "€5"),
        ("`", "'"),
        ("a\tb", "a b"),
        ("Œ—Ÿ", "OE-Y"),
        ("❤\u{FE0F}", "?"),
        ("Ɲɛ ka ɲi", "Nye ka nyi"),
        ("Dɔgɔ Ŋaana", "Dogo Ngaana"),
        ("ɓaŋɗi Ƴ ƴ Ɓ Ɗ Ɔ Ɛ", "bangdi Y y B D O E"),
        ("ɛ\u{0300}", "e"),
    ];
    for (input, expected) in rows {
        assert_eq!(fold(input), expected, "{input:?}");
    }
}

#[test]
fn fold_french_sentence() {
    let input = "Réunion à Mopti: l’école est fermée « demain »…";
    let expected = "Réunion à Mopti: l'école est fermée \" demain \"...";
    assert_eq!(fold(input), expected);
}

#[test]
fn fold_borrows_gsm7_text() {
    assert!(matches!(fold("Prix: 5€ [urgent]"), Cow::Borrowed(_)));
}

#[test]
fn fold_every_bmp_char_to_gsm7() {
    for c in (0..=0xFFFF).filter_map(char::from_u32) {
        let folded = fold(c.encode_utf8(&mut [0; 4])).into_owned();
        assert!(is_gsm7(&folded), "{c:?} -> {folded:?}");
    }
}

const FRENCHISH: &str =
    "[a-zA-Z0-9 \t\néèàùçÇêâîôûëïÿœŒ€\\[\\]{}^~|`’«»…\u{00A0}\u{202F}😀日]{0,400}";

fn check_fold(s: &str) -> Result<(), TestCaseError> {
    let once = fold(s);
    prop_assert!(is_gsm7(&once), "not GSM-7: {once:?}");
    let twice = fold(&once);
    prop_assert_eq!(&*twice, &*once);
    if is_gsm7(s) {
        prop_assert!(matches!(once, Cow::Borrowed(_)));
    }
    Ok(())
}

fn check_counts(s: &str) -> Result<(), TestCaseError> {
    let info = analyze(s);
    let (n, single, part) = match encode_gsm7(s) {
        Some(septets) => {
            prop_assert!(septets.iter().all(|&b| b <= 0x7F));
            prop_assert_eq!(info.encoding, Gsm7);
            (septets.len(), GSM7_SINGLE, GSM7_PART)
        }
        None => {
            prop_assert_eq!(info.encoding, Ucs2);
            (s.encode_utf16().count(), UCS2_SINGLE, UCS2_PART)
        }
    };
    prop_assert_eq!(info.units, n);
    if n <= single {
        prop_assert_eq!(info.segments, 1);
    } else {
        // Each boundary wastes at most one unit (half of a 2-unit char).
        prop_assert!(info.segments >= n.div_ceil(part));
        prop_assert!(info.segments <= n.div_ceil(part - 1));
    }
    Ok(())
}

proptest! {
    #[test]
    fn fold_any_text(s in any::<String>()) {
        check_fold(&s)?;
    }

    #[test]
    fn fold_frenchish_text(s in FRENCHISH) {
        check_fold(&s)?;
    }

    #[test]
    fn counts_any_text(s in any::<String>()) {
        check_counts(&s)?;
        check_counts(&fold(&s))?;
    }

    #[test]
    fn counts_frenchish_text(s in FRENCHISH) {
        check_counts(&s)?;
        check_counts(&fold(&s))?;
    }
}
