//! Messages as monitors really type them, from reviews of the parser.

use super::*;

#[test]
fn words_of_the_report_are_not_taken_for_places() {
    let cases = [
        ("ATT hommes armes a moto ont tire sur le marche", None),
        (
            "embuscade sur l axe Boni Hombori 3 militaires tues",
            Some("boni (mopti)"),
        ),
        ("3 morts a Koro attaque", Some("koro (mopti)")),
        (
            "Attaque contre le village de Dinangourou ce matin",
            Some("dinangourou (mopti)"),
        ),
    ];
    for (text, expected) in cases {
        let got = match parse_text(text, None) {
            Parsed::Report(r) => Some(place_name(&r)),
            Parsed::Error {
                error: ParseError::MissingPlace,
                ..
            } => None,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(got.as_deref(), expected, "{text}");
    }
    assert_eq!(
        report("att a sevare").description,
        "",
        "the preposition goes with the place"
    );
}

/// Messages from a review of what monitors really type.
#[test]
fn what_monitors_really_type() {
    let exact = |c: Option<Count>| match c {
        Some(Count::Exact(n)) => Some(n),
        _ => None,
    };
    let cases = [
        (
            "ATT Koro a 14h30 3 morts",
            "koro (mopti)",
            [Some(3), None, None],
        ),
        ("ATT Koro 3 M 2 B", "koro (mopti)", [Some(3), Some(2), None]),
        (
            "ATT Koro morts:3 blesses:2",
            "koro (mopti)",
            [Some(3), Some(2), None],
        ),
        (
            "ATT Koro morts 2 blesses 3",
            "koro (mopti)",
            [Some(2), Some(3), None],
        ),
        ("ENL Koro 2 enleves", "koro (mopti)", [None, None, Some(2)]),
        (
            "ATT au centre de sante de Koro",
            "koro (mopti)",
            [None, None, None],
        ),
        (
            "AIDE attaque a Koro 3 morts",
            "koro (mopti)",
            [Some(3), None, None],
        ),
    ];
    for (text, place, [killed, injured, abducted]) in cases {
        let r = report(text);
        assert_eq!(place_name(&r), place, "{text}");
        let got = [
            exact(r.counts.killed),
            exact(r.counts.injured),
            exact(r.counts.abducted),
        ];
        assert_eq!(got, [killed, injured, abducted], "{text}");
    }
    assert_eq!(
        report("DEP Koro quatre vingts familles").counts.households,
        Some(Count::Exact(80))
    );
    assert_eq!(
        report("VOL Koro 30 vaches").counts.livestock,
        Some(Count::Exact(30))
    );
    let yesterday_14h = report("ATT Koro hier a 14h").event_time.to_rfc3339();
    assert_eq!(yesterday_14h, "2026-11-05T14:00:00+00:00");
    assert_eq!(
        report("ATT Koro il y a 999999999 jours").event_time,
        received(),
        "no overflow"
    );
    // Read by the act it names since the December 2026 field trials (spec section 6).
    let fired = report("Koro: des hommes ont ouvert le feu, 2 morts");
    assert_eq!(
        (fired.category, fired.counts.killed),
        (Category::ATT, Some(Count::Exact(2)))
    );
    let errors = [
        ("Koro: des hommes sont venus", "unknown_category"),
        ("Bonjour", "empty"),
    ];
    for (text, code) in errors {
        match parse_text(text, None) {
            Parsed::Error { error, .. } => assert_eq!(error.code(), code, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    match parse_text("ATT 3 morts a Dinagourou", Some("Koro")) {
        Parsed::Error {
            error: ParseError::UnknownPlace { .. },
            ..
        } => {}
        other => panic!("a typed place beats the home: {other:?}"),
    }
}

/// Counts in the words people use: every gender and number of a marker, a noun phrase of
/// up to three words before it, and people named without a marker.
#[test]
fn counts_in_the_words_people_use() {
    let c = |n: u32| Some(Count::Exact(n));
    let cases = [
        ("ATT Koro 2 jeunes bergers tues", [c(2), None, None, None]),
        (
            "ATT Koro 2 femmes tuees 3 blessees",
            [c(2), c(3), None, None],
        ),
        ("ATT Koro 1 tuee", [c(1), None, None, None]),
        ("ENL Koro 2 enlevees", [None, None, c(2), None]),
        (
            "ENL Koro 3 commercants kidnappees",
            [None, None, c(3), None],
        ),
        (
            "kidnapping Menaka 3 humanitarian staff abducted",
            [None, None, c(3), None],
        ),
        ("DEP Ansongo 80 people fled", [None, None, None, c(80)]),
        (
            "DEP Ansongo 200 personnes ont fui",
            [None, None, None, c(200)],
        ),
        ("DEP Koro 40 deplacees", [None, None, None, c(40)]),
        ("ASS Koro 1 personne", [c(1), None, None, None]),
        ("kidnapping Koro 3 persons", [None, None, c(3), None]),
        ("ATT Koro 5 personnes", [None, None, None, None]),
        ("ATT Koro 3 morts 2 blesses", [c(3), c(2), None, None]),
        ("ATT Koro morts 2 blesses 3", [c(2), c(3), None, None]),
        ("ATT Koro 3 hommes 2 blesses", [None, c(2), None, None]),
    ];
    for (text, [killed, injured, abducted, displaced]) in cases {
        let r = report(text);
        let got = [
            r.counts.killed,
            r.counts.injured,
            r.counts.abducted,
            r.counts.displaced,
        ];
        assert_eq!(got, [killed, injured, abducted, displaced], "{text}");
    }
}

/// Sentences with no category word first: the act decides, over the actors.
#[test]
fn a_sentence_is_read_by_the_act_it_names() {
    let cases = [
        (
            "des bandits armes ont enleve 2 commercants pres de Tenenkou",
            Category::ENL,
            "tenenkou (mopti)",
        ),
        (
            "on a tue 4 villageois a Mondoro hier",
            Category::ATT,
            "mondoro (mopti)",
        ),
        (
            "hommes armes ont tue 3 personnes a Koro",
            Category::ATT,
            "koro (mopti)",
        ),
        (
            "armed men killed 3 people in Koro",
            Category::ATT,
            "koro (mopti)",
        ),
        (
            "des hommes armes signales pres de Koro",
            Category::PRES,
            "koro (mopti)",
        ),
        (
            "bandits ont pris 30 vaches a Koro",
            Category::VOL,
            "koro (mopti)",
        ),
        ("3 morts a Koro attaque", Category::ATT, "koro (mopti)"),
    ];
    for (text, category, place) in cases {
        let r = report(text);
        assert_eq!(r.category, category, "{text}");
        assert_eq!(place_name(&r), place, "{text}");
    }
    let abducted = report("des bandits armes ont enleve 2 commercants pres de Tenenkou");
    assert_eq!(abducted.counts.abducted, Some(Count::Exact(2)));
    assert_eq!(
        report("on a tue 4 villageois a Mondoro hier").counts.killed,
        Some(Count::Exact(4))
    );
    assert_eq!(
        report("PRES Koro hommes armes ont tue 3 personnes").category,
        Category::PRES,
        "a category first is the monitor's word"
    );
}

/// What an act word must not turn into an incident.
#[test]
fn an_act_mentioned_does_not_override_what_the_message_says_it_is() {
    let cases = [
        ("Calme a Koro depuis l attaque de lundi", Category::RAS),
        ("Rien a signaler a Koro, personne tue", Category::RAS),
        ("Menace d attaque sur Koro", Category::MEN),
        ("des bandits ont enleve 50 boeufs a Koro", Category::VOL),
    ];
    for (text, expected) in cases {
        assert_eq!(report(text).category, expected, "{text}");
    }
}

#[test]
fn ras_is_a_check_in_whatever_follows() {
    let cases = [
        (
            "RAS calme ici",
            Some("Bankass"),
            Some("bankass (mopti)"),
            "calme ici",
        ),
        ("RAS Douentza", None, Some("douentza (mopti)"), ""),
        (
            "RAS Douentza tout est calme",
            Some("Bankass"),
            Some("douentza (mopti)"),
            "tout est calme",
        ),
        ("RAS", None, None, ""),
        ("RAS Xyzzyville", None, None, "Xyzzyville"),
    ];
    for (text, home, place, comment) in cases {
        let Parsed::Report(r) = parse_text(text, home) else {
            panic!("{text}: {:?}", parse_text(text, home));
        };
        assert_eq!(r.category, Category::RAS, "{text}");
        assert_eq!(
            r.place.is_some().then(|| place_name(&r)).as_deref(),
            place,
            "{text}"
        );
        assert_eq!(r.description, comment, "{text}");
    }
}
