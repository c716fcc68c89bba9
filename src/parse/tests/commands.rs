//! Commands: each word, in each language, and the report words that are not one.

use super::*;
use crate::parse::command::CommandKind;

#[test]
fn commands_are_recognised() {
    let cases = [
        ("AIDE", CommandKind::Help),
        ("?", CommandKind::Help),
        ("stop", CommandKind::Stop),
        ("REPRISE", CommandKind::Start),
        ("LANGUE EN", CommandKind::Language(Some("en".into()))),
        ("OK 1042", CommandKind::Ok(Some(1042))),
        ("annule 1042", CommandKind::Cancel(Some(1042))),
        ("2", CommandKind::Choice(2)),
        ("OUI 7", CommandKind::Confirm(Some(7))),
        ("yes 7", CommandKind::Confirm(Some(7))),
        ("oui", CommandKind::Confirm(None)),
        (
            "DIFF 1234 Koro Réunion demain, 10h: venez!",
            CommandKind::Broadcast {
                pin: "1234".into(),
                rest: "Koro Réunion demain, 10h: venez!".into(),
            },
        ),
        (
            "SUITE 12 Koro, 3 morts",
            CommandKind::Draft {
                code: Some(12),
                rest: "Koro, 3 morts".into(),
            },
        ),
        (
            "finish 7",
            CommandKind::Draft {
                code: Some(7),
                rest: String::new(),
            },
        ),
        (
            "suite",
            CommandKind::Draft {
                code: None,
                rest: String::new(),
            },
        ),
        (
            "Suite 2 morts a Koro ATT",
            CommandKind::Draft {
                code: Some(2),
                rest: "morts a Koro ATT".into(),
            },
        ),
        (
            "bc 1234 Mopti-Ville  Road closed. ",
            CommandKind::Broadcast {
                pin: "1234".into(),
                rest: "Mopti-Ville  Road closed.".into(),
            },
        ),
    ];
    for (text, expected) in cases {
        match parse_text(text, None) {
            Parsed::Command(c) => assert_eq!(c.kind, expected, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn words_of_a_report_are_not_taken_for_commands() {
    for text in [
        "Oui attaque a Koro",
        "OUI 2 morts a Koro ATT",
        "yes attack Koro",
        "resume ATT Koro",
        "Suite a l attaque de Koro 3 morts",
    ] {
        assert!(
            matches!(parse_text(text, None), Parsed::Report(_)),
            "{text}: {:?}",
            parse_text(text, None)
        );
    }
}

#[test]
fn a_word_of_the_language_is_not_taken_for_a_misspelt_category() {
    // `suite` is one letter from `fuite` (displacement), but a French word of its own.
    match parse_text("Suite a l attaque de Koro 3 morts", None) {
        Parsed::Report(r) => assert_eq!(r.category, crate::keywords::Category::ATT),
        other => panic!("{other:?}"),
    }
}
