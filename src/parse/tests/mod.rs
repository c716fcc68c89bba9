use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use super::*;
use crate::gazetteer::{FoundBy, Near};

/// The shipped vocabulary and gazetteer, loaded once for all tests.
fn context() -> Context<'static> {
    static LOADED: OnceLock<(Vocabulary, Gazetteer, SeverityRules)> = OnceLock::new();
    let (vocabulary, gazetteer, severity) = LOADED.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let vocabulary = Vocabulary::load(&root.join("keywords"), "fr").unwrap();
        let files = [
            root.join("data/sahel_gazetteer.csv"),
            root.join("data/sahel_osm_places.csv"),
        ];
        let boundaries = root.join("data/sahel_admin_boundaries.geojson");
        let gazetteer = Gazetteer::load(&files, Some(&boundaries)).unwrap();
        (vocabulary, gazetteer, SeverityRules::default())
    });
    Context {
        vocabulary,
        gazetteer,
        time_zone: chrono_tz::Africa::Bamako,
        severity,
    }
}

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-06T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn parse_text(text: &str, home: Option<&str>) -> Parsed {
    let ctx = context();
    let home = home.map(|h| {
        match ctx
            .gazetteer
            .resolve(&crate::text::fold(h), None, Near::default())
        {
            crate::gazetteer::Resolution::One(p) => p,
            other => panic!("home {h}: {other:?}"),
        }
    });
    let input = Input {
        text,
        language: None,
        home,
        country: None,
        received: received(),
    };
    parse(&input, &ctx)
}

fn report(text: &str) -> Report {
    match parse_text(text, None) {
        Parsed::Report(r) => r,
        other => panic!("{text}: {other:?}"),
    }
}

fn place_name(r: &Report) -> String {
    let place = r.place.as_ref().expect("a place");
    let p = context().gazetteer.place(place.place);
    format!(
        "{} ({})",
        crate::text::fold(&p.name),
        crate::text::fold(&p.admin1)
    )
}

#[test]
fn reports_are_read_as_the_spec_says() {
    let cases = [
        (
            "ATT Koro 3 morts 2 blesses",
            Category::ATT,
            "koro (mopti)",
            Some(3),
            Some(2),
        ),
        (
            "attaque a Bankass hier soir, 4 morts",
            Category::ATT,
            "bankass (mopti)",
            Some(4),
            None,
        ),
        (
            "ATT 3 morts a Fatoma",
            Category::ATT,
            "fatoma (mopti)",
            Some(3),
            None,
        ),
        (
            "ATT Koro Mopti 3M 2B",
            Category::ATT,
            "koro (mopti)",
            Some(3),
            Some(2),
        ),
        (
            "ATT L:Bandiagara M:3 B:2 H:hier",
            Category::ATT,
            "bandiagara (mopti)",
            Some(3),
            Some(2),
        ),
        (
            "ATT Mɔpti 2 morts",
            Category::ATT,
            "mopti (mopti)",
            Some(2),
            None,
        ),
        (
            "ATTACK Menaka 5 killed 3 injured",
            Category::ATT,
            "menaka (gao)",
            Some(5),
            Some(3),
        ),
        (
            "ATTAQE Djenne 1 mort",
            Category::ATT,
            "djenne (mopti)",
            Some(1),
            None,
        ),
        (
            "ATT trois morts a Bourem",
            Category::ATT,
            "bourem (gao)",
            Some(3),
            None,
        ),
        (
            "#ATT #Tessit #4morts",
            Category::ATT,
            "tessit (gao)",
            Some(4),
            None,
        ),
        (
            "Bonjour, URGENT: attaque a Hombori cette nuit 6 morts",
            Category::ATT,
            "hombori (mopti)",
            Some(6),
            None,
        ),
        (
            "ATT 2 morts pres de Konna",
            Category::ATT,
            "konna (mopti)",
            Some(2),
            None,
        ),
        (
            "ATT Gossi 3 civils tues",
            Category::ATT,
            "gossi (tombouctou)",
            Some(3),
            None,
        ),
        (
            "ATT Gossi morts: 2",
            Category::ATT,
            "gossi (tombouctou)",
            Some(2),
            None,
        ),
        (
            "ATT Gossi vingt et un morts",
            Category::ATT,
            "gossi (tombouctou)",
            Some(21),
            None,
        ),
        (
            "ATT Gossi plusieurs morts",
            Category::ATT,
            "gossi (tombouctou)",
            None,
            None,
        ),
        (
            "inondation a Mopti 300 familles sinistrees",
            Category::CAT,
            "mopti (mopti)",
            None,
            None,
        ),
    ];
    for (text, category, place, killed, injured) in cases {
        let r = report(text);
        assert_eq!(r.category, category, "{text}");
        assert_eq!(place_name(&r), place, "{text}");
        let exact = |c: Option<Count>| {
            c.and_then(|c| match c {
                Count::Exact(n) => Some(n),
                Count::Several => None,
            })
        };
        assert_eq!(
            (exact(r.counts.killed), exact(r.counts.injured)),
            (killed, injured),
            "{text}"
        );
    }
    assert_eq!(
        report("ATT Gossi plusieurs morts").counts.killed,
        Some(Count::Several)
    );
    assert_eq!(
        report("DEP Tenenkou 200 deplaces").counts.displaced,
        Some(Count::Exact(200))
    );
    assert_eq!(
        report("VOL Boulkessi 40 tetes de betail emportees")
            .counts
            .livestock,
        Some(Count::Exact(40))
    );
}

#[test]
fn errors_name_what_is_missing() {
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("XYZ Koro 3 morts", "unknown_category"),
        ("ATT Kuro 2 morts", "unknown_place"),
        ("ATT", "missing_place"),
        ("ATT 2 morts", "missing_place"),
    ];
    for (text, code) in cases {
        match parse_text(text, None) {
            Parsed::Error { error, .. } => assert_eq!(error.code(), code, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let Parsed::Error {
        error: ParseError::UnknownPlace { suggestion, .. },
        ..
    } = parse_text("ATT Kuro 2 morts", None)
    else {
        panic!("unknown place")
    };
    let suggested = suggestion.map(|p| context().gazetteer.place(p).name.to_string());
    assert_eq!(suggested.as_deref(), Some("Koro"));
    assert!(matches!(
        parse_text(&"ATT Koro ".repeat(60), None),
        Parsed::Error {
            error: ParseError::TooLong,
            ..
        }
    ));
}

#[test]
fn homonyms_are_resolved_by_home_qualifier_or_choice() {
    let by_home = |text: &str, home: &str| match parse_text(text, Some(home)) {
        Parsed::Report(r) => (place_name(&r), r.place.map(|p| p.found_by)),
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        by_home("MEN Boni lettre de menace", "Hombori"),
        ("boni (mopti)".into(), Some(FoundBy::Text))
    );
    assert_eq!(
        by_home("ATT Farabougou 3 morts", "Niono"),
        ("farabougou (segou)".into(), Some(FoundBy::Text))
    );
    assert_eq!(
        by_home("RAS", "Bankass"),
        ("bankass (mopti)".into(), Some(FoundBy::ReporterHome))
    );
    assert_eq!(
        by_home("ATT 2 morts", "Koro"),
        ("koro (mopti)".into(), Some(FoundBy::ReporterHome))
    );
    match parse_text("ATT Nampala 2 morts", None) {
        Parsed::Ambiguous {
            choices, report, ..
        } => {
            assert!(choices.len() >= 2, "{choices:?}");
            assert_eq!(report.counts.killed, Some(Count::Exact(2)));
        }
        other => panic!("Nampala: {other:?}"),
    }
}

#[test]
fn coordinates_find_the_admin_units() {
    let r = report("ATT 14.06,-3.07 2 morts");
    let found = r.place.as_ref().unwrap();
    assert_eq!(found.found_by, FoundBy::Coordinates);
    assert_eq!(found.point, Some((14.06, -3.07)));
    assert_eq!(&*context().gazetteer.place(found.place).admin1, "Mopti");
}

#[test]
fn times_resolve_against_the_receive_time() {
    // Received 2026-11-06 10:00 in Bamako (UTC+0).
    let cases = [
        ("ATT Koro hier", "2026-11-05T12:00:00Z"),
        ("ATT Koro hier soir", "2026-11-05T19:00:00Z"),
        ("ATT Koro ce matin", "2026-11-06T07:00:00Z"),
        ("ATT Koro cette nuit", "2026-11-06T02:00:00Z"),
        ("ATT Koro il y a 2h", "2026-11-06T08:00:00Z"),
        ("ATT Koro il y a 3 jours", "2026-11-03T10:00:00Z"),
        ("ATT Koro a 8h30", "2026-11-06T08:30:00Z"),
        ("ATT Koro a 14h", "2026-11-05T14:00:00Z"),
        ("ATT Koro 04/11", "2026-11-04T12:00:00Z"),
        ("ATT Koro avant-hier", "2026-11-04T12:00:00Z"),
        ("ATTACK Koro 2 hours ago", "2026-11-06T08:00:00Z"),
        ("ATT Koro", "2026-11-06T10:00:00Z"),
    ];
    for (text, expected) in cases {
        assert_eq!(
            report(text)
                .event_time
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expected,
            "{text}"
        );
    }
}

#[test]
fn severity_follows_category_and_counts() {
    let cases = [
        ("ATT Koro", Some(4)),
        ("ATT Koro 1 mort", Some(5)),
        ("VOL Koro", Some(2)),
        ("VOL Koro 1 mort", Some(3)),
        ("ATT Koro 5 morts", Some(5)),
        ("DEP Koro 150 deplaces", Some(5)),
        ("RAS Koro", None),
        ("PAIX Koro", Some(1)),
    ];
    for (text, expected) in cases {
        assert_eq!(report(text).severity, expected, "{text}");
    }
}

#[test]
fn the_description_keeps_the_free_words() {
    assert_eq!(
        report("PRES Dinangourou hommes armes a moto").description,
        "hommes armes a moto"
    );
    assert_eq!(report("ATT Koro 3 morts 2 blesses").description, "");
}

#[test]
fn severity_rules_come_from_the_config() {
    let mut rules = SeverityRules::default();
    rules.base.insert("ATT".into(), 3);
    rules.killed_for_max = 2;
    let counts = |killed: u32| Counts {
        killed: Some(Count::Exact(killed)),
        ..Counts::default()
    };
    let cases = [
        (Category::ATT, Counts::default(), Some(3)),
        (Category::ATT, counts(1), Some(4)),
        (Category::ATT, counts(2), Some(5)),
        (Category::RAS, counts(1), None),
    ];
    for (category, counts, expected) in cases {
        assert_eq!(
            severity(category, &counts, &rules),
            expected,
            "{category:?} {counts:?}"
        );
    }
}

mod commands;
mod field;
