use std::path::PathBuf;
use std::sync::OnceLock;

use super::menu::{Action, Draft, Menu, Resumable, State, Step, When};
use super::new_input;
use crate::gazetteer::{Gazetteer, Near};

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let file =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gazetteer_mopti.csv");
        Gazetteer::load(&[file], None).unwrap()
    })
}

fn languages() -> Vec<(String, String)> {
    vec![
        ("fr".into(), "Francais".into()),
        ("en".into(), "English".into()),
    ]
}

/// Answers `inputs` from `state` for a caller without a home place; the last turn's
/// step, screen, error and action.
fn walk(
    state: State,
    inputs: &[&str],
) -> (State, &'static str, Option<&'static str>, Option<Action>) {
    walk_from(None, state, inputs)
}

fn walk_from(
    home: Option<&str>,

    state: State,
    inputs: &[&str],
) -> (State, &'static str, Option<&'static str>, Option<Action>) {
    let languages = languages();
    let menu = Menu {
        gazetteer: gazetteer(),
        languages: &languages,
        near: Near::home(home.and_then(|h| gazetteer().by_id(h))),
    };
    let mut turn = menu.start(state);
    for input in inputs {
        turn = menu.answer(&turn.state, input);
    }
    (turn.state, turn.screen.name, turn.screen.error, turn.action)
}

fn french() -> State {
    State {
        language: Some("fr".into()),
        ..State::default()
    }
}

#[test]
fn each_answer_leads_where_it_should() {
    let cases: [(&[&str], Step, &str, Option<&str>); 12] = [
        (&[], Step::Main, "main", None),
        (&["9"], Step::Main, "main", Some("invalid")),
        (&["1"], Step::Category { page: 0 }, "category", None),
        (&["1", "8"], Step::Category { page: 1 }, "category", None),
        (
            &["1", "8", "8"],
            Step::Category { page: 1 },
            "category",
            Some("invalid"),
        ),
        (
            &["1", "8", "0"],
            Step::Category { page: 0 },
            "category",
            None,
        ),
        (&["1", "0"], Step::Main, "main", None),
        (
            &["1", "2", "Nulle Part"],
            Step::Place,
            "place",
            Some("unknown_place"),
        ),
        (&["1", "2", "Daga"], Step::Choices, "choices", None),
        (
            &["1", "2", "Bondo", "-5"],
            Step::Count { n: 0 },
            "count",
            Some("number"),
        ),
        (
            &["1", "2", "Bondo", "", "x", "7", "0"],
            Step::Count { n: 0 },
            "count",
            None,
        ),
        (
            &["1", "2", "Bondo", "1", "2", "3", "3", "2"],
            Step::Done,
            "cancelled",
            None,
        ),
    ];
    for (inputs, step, screen, error) in cases {
        let (state, name, shown_error, _) = walk(french(), inputs);
        assert_eq!(
            (state.step, name, shown_error),
            (step, screen, error),
            "{inputs:?}"
        );
    }
}

#[test]
fn a_complete_report_holds_every_answer() {
    let (state, screen, _, action) =
        walk(french(), &["1", "2", "Daga", "2", "4", "x", "1", "3", "1"]);
    assert_eq!((screen, action), ("sent", Some(Action::File)));
    let d = state.draft;
    assert_eq!(d.category.as_deref(), Some("EEI"));
    assert!(
        d.place
            .as_deref()
            .is_some_and(|p| d.choices.get(1).map(String::as_str) == Some(p))
    );
    assert_eq!(d.counts, [Some(4), None, Some(1)]);
    assert_eq!(d.when, Some(When::LastNight));
}

#[test]
fn the_first_screen_asks_the_language_or_offers_the_unfinished_report() {
    assert_eq!(walk(State::default(), &[]).1, "language");
    let (state, screen, _, action) = walk(State::default(), &["2"]);
    assert_eq!((state.language.as_deref(), screen), (Some("en"), "main"));
    assert_eq!(action, Some(Action::Language("en".into())));
    let unfinished = State {
        step: Step::Resume {
            at: Resumable::When,
        },
        draft: Draft {
            category: Some("ATT".into()),
            ..Draft::default()
        },
        ..french()
    };
    assert_eq!(walk(unfinished.clone(), &[]).1, "resume");
    assert_eq!(walk(unfinished.clone(), &["1"]).0.step, Step::When);
    let fresh = walk(unfinished, &["2"]).0;
    assert_eq!((fresh.step, fresh.draft), (Step::Main, Draft::default()));
}

#[test]
fn the_new_answer_is_what_follows_the_text_seen_last() {
    let cases = [
        ("", "1", "1"),
        ("1", "1*2", "2"),
        ("1*2", "1*2*Koro*Bis", "Koro*Bis"),
        ("1*2*3", "1*9", "9"),
    ];
    for (last, text, input) in cases {
        assert_eq!(new_input(last, text), input, "{last} -> {text}");
    }
}

#[test]
fn the_home_place_narrows_a_name_and_is_offered() {
    let koro = Some("wof:421184495");
    let (state, screen, _, _) = walk_from(koro, french(), &["1", "2", "Daga"]);
    assert_eq!(screen, "count", "the Daga of the cercle of Koro");
    assert!(state.draft.choices.is_empty());
    let (state, _, _, _) = walk_from(koro, french(), &["1", "2", "1"]);
    assert_eq!(state.draft.place.as_deref(), koro);
    assert_eq!(
        walk(french(), &["1", "2", "1"]).2,
        Some("unknown_place"),
        "no home to offer"
    );
}
