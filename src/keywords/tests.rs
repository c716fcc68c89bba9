use std::path::PathBuf;

use super::*;

fn shipped() -> Vocabulary {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keywords");
    Vocabulary::load(&dir, "fr").unwrap()
}

/// The spec's minimum vocabulary (section 3), folded.
#[test]
fn the_shipped_files_hold_the_minimum_vocabulary() {
    let vocabulary = shipped();
    let fr = vocabulary.get("fr").unwrap();
    let en = vocabulary.get("en").unwrap();
    let cases: [(&Language, Category, &str); 14] = [
        (
            fr,
            Category::ATT,
            "attaque att attaq attak embuscade assaut tirs fusillade",
        ),
        (fr, Category::EEI, "eei mine engin explosion bombe"),
        (fr, Category::ENL, "enl enlevement rapt kidnapping otage"),
        (fr, Category::DEP, "dep deplaces deplacement fuite exode"),
        (fr, Category::CAT, "cat inondation secheresse incendie feu"),
        (fr, Category::RAS, "ras rien"),
        (fr, Category::PAIX, "paix dialogue reconciliation accord"),
        (en, Category::ATT, "attack ambush shooting gunfire raid"),
        (en, Category::ENL, "kidnap kidnapping abduction hostage"),
        (en, Category::ASS, "murder killing execution assassination"),
        (en, Category::CONF, "clash conflict fighting"),
        (en, Category::DEP, "displaced displacement fleeing idp"),
        (en, Category::SAN, "outbreak epidemic disease"),
        (en, Category::RAS, "nil ntr nothing"),
    ];
    for (language, category, words) in cases {
        for w in words.split(' ') {
            assert_eq!(
                language.categories.get(w),
                Some(&category),
                "{} {w}",
                language.code
            );
        }
    }
    for c in Category::ALL {
        let code = fold(c.code());
        assert_eq!(
            fr.categories.get(&code),
            Some(&c),
            "codes are always understood"
        );
    }
    assert_eq!(fr.counts.get("tues"), Some(&CountField::Killed));
    assert_eq!(en.counts.get("wounded"), Some(&CountField::Injured));
    assert_eq!(fr.shorthand.get(&'m'), Some(&CountField::Killed));
    assert_eq!(en.keyed.get(&'k'), Some(&KeyedField::Killed));
    assert_eq!(fr.numbers.get("vingt"), Some(&20));
    assert_eq!(en.numbers.get("hundred"), Some(&100));
    assert_eq!(fr.commands.get("aide"), Some(&Command::Help));
    assert!(fr.time_phrases.contains_key("avant hier"));
}

#[test]
fn mistakes_in_a_file_name_what_is_wrong() {
    let base =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keywords/fr.toml"))
            .unwrap();
    let cases = [
        (
            "alias under two categories",
            base.replace("MEN = [\"men\",", "MEN = [\"men\", \"Embuscade\","),
            "`Embuscade` is listed under both ATT and MEN",
        ),
        (
            "shorthand letter twice",
            base.replace("injured = \"b\"", "injured = \"m\""),
            "used twice",
        ),
        (
            "unknown count field",
            base.replace("households = [", "houses = ["),
            "counts.houses",
        ),
        (
            "empty word",
            base.replace("\"ras\", \"rien\"", "\"ras\", \"--\""),
            "empty once folded",
        ),
    ];
    for (name, text, needle) in cases {
        let error = file::compile(&text).expect_err(name);
        assert!(error.contains(needle), "{name}: {error}");
    }
}

#[test]
fn the_language_is_detected_from_the_words_used() {
    let vocabulary = shipped();
    let cases = [
        ("attack menaka 5 killed 3 injured", "en"),
        ("attaque a koro 3 morts", "fr"),
        ("koro", "fr"),
    ];
    for (text, expected) in cases {
        let words: Vec<&str> = text.split(' ').collect();
        assert_eq!(vocabulary.detect(&words).code, expected, "{text}");
    }
}

/// Every list that reads a report makes a word familiar, and nothing else does.
#[test]
fn a_word_of_any_list_is_familiar() {
    let vocabulary = shipped();
    for language in &vocabulary.languages {
        let keys = |words: Vec<&String>| words.into_iter().find(|w| !w.contains(' ')).cloned();
        let lists = [
            ("categories", keys(language.categories.keys().collect())),
            ("counts", keys(language.counts.keys().collect())),
            ("numbers", keys(language.numbers.keys().collect())),
            ("people", keys(language.people.iter().collect())),
            ("acts", keys(language.acts.keys().collect())),
            ("time phrases", keys(language.time_phrases.keys().collect())),
            ("stop", keys(language.stop.iter().collect())),
            ("fillers", keys(language.fillers.iter().collect())),
            ("prepositions", keys(language.prepositions.iter().collect())),
            ("ago before", keys(language.ago_before.iter().collect())),
            ("ago after", keys(language.ago_after.iter().collect())),
            ("minutes", keys(language.minutes.iter().collect())),
            ("hours", keys(language.hours.iter().collect())),
            ("days", keys(language.days.iter().collect())),
        ];
        for (list, word) in lists {
            if let Some(word) = word {
                assert_eq!(
                    language.familiarity(&[&word]),
                    1,
                    "{} {list}: {word}",
                    language.code
                );
            }
        }
        assert_eq!(
            language.familiarity(&["zzqx", "qqzz"]),
            0,
            "{}",
            language.code
        );
    }
}
