//! Drafts: a report left unfinished when the provider ended its session. Its caller is told
//! by SMS the draft's code (the session's number), and may finish it by SMS (`SUITE 12
//! Koro 3 morts`): the draft written as an SMS report, what they add after it, read as one
//! report. Pure: the caller brings the session's stored state.

use serde_json::{Value, json};

use super::menu::State;
use super::report;
use crate::gazetteer::Gazetteer;
use crate::keywords::Vocabulary;

/// The SMS report a draft and what its sender adds make, written in `language` (else the
/// session's), and that language; `None` if the draft has no category yet (nothing worth
/// keeping).
pub fn finished(
    state: &str,
    added: &str,
    language: Option<&str>,
    vocabulary: &Vocabulary,
) -> Option<(String, String)> {
    let (state, session_language) = read(state, vocabulary)?;
    let language = language
        .filter(|l| vocabulary.get(l).is_some())
        .map_or(session_language, str::to_owned);
    let words = vocabulary.get(&language)?;
    let text = report::text(&state.draft, words)?;
    Some((
        format!("{text} {}", added.trim()).trim_end().to_owned(),
        language,
    ))
}

/// The notice a caller gets when their session ended with a draft: its language and the
/// reply's values (`ref`, the code; `category`; `place`, if chosen). `None` when there is
/// nothing to finish.
pub fn notice(
    state: &str,
    code: i64,
    vocabulary: &Vocabulary,
    gazetteer: &Gazetteer,
) -> Option<(String, Value)> {
    let (state, language) = read(state, vocabulary)?;
    state.step.resumable()?;
    let category = state.draft.category.as_ref()?;
    let place = state
        .draft
        .place
        .as_deref()
        .and_then(|id| gazetteer.by_id(id));
    let values = json!({
        "ref": code,
        "category": category,
        "place": place.map(|p| gazetteer.place(p).label(1)),
    });
    Some((language, values))
}

fn read(state: &str, vocabulary: &Vocabulary) -> Option<(State, String)> {
    let state: State = serde_json::from_str(state).ok()?;
    let language = state
        .language
        .clone()
        .unwrap_or_else(|| vocabulary.default_language().code.clone());
    Some((state, language))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ussd::menu::{Draft, Step, When};

    fn vocabulary() -> Vocabulary {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keywords");
        Vocabulary::load(&dir, "fr").unwrap()
    }

    fn state(language: &str, step: Step, draft: Draft) -> String {
        let state = State {
            language: Some(language.into()),
            step,
            draft,
        };
        serde_json::to_string(&state).unwrap()
    }

    #[test]
    fn a_draft_and_what_the_sender_adds_make_one_sms_report() {
        let attack = || Draft {
            category: Some("ATT".into()),
            ..Draft::default()
        };
        let placed = Draft {
            place: Some("wof:123".into()),
            counts: [Some(3), None, None],
            when: Some(When::Yesterday),
            ..attack()
        };
        let vocabulary = vocabulary();
        let cases = [
            (
                "fr",
                Step::Place,
                attack(),
                "Koro 2 morts",
                Some("ATT Koro 2 morts"),
            ),
            ("en", Step::Place, attack(), "", Some("ATT")),
            (
                "fr",
                Step::When,
                placed.clone(),
                "",
                Some("ATT l:wof:123 m:3 hier"),
            ),
            (
                "en",
                Step::Confirm,
                placed.clone(),
                " 2 injured ",
                Some("ATT l:wof:123 k:3 yesterday 2 injured"),
            ),
            (
                "fr",
                Step::Category { page: 0 },
                Draft::default(),
                "Koro",
                None,
            ),
        ];
        for (language, step, draft, added, expected) in cases {
            let got = finished(&state(language, step, draft), added, None, &vocabulary);
            let expected = expected.map(|t| (t.to_owned(), language.to_owned()));
            assert_eq!(got, expected, "{language} {added:?}");
        }
        assert_eq!(finished("not json", "Koro", None, &vocabulary), None);
        let english = state("en", Step::When, placed);
        assert_eq!(
            finished(&english, "", Some("fr"), &vocabulary),
            Some(("ATT l:wof:123 m:3 hier".into(), "fr".into())),
            "written in the sender's language when it is known"
        );
    }

    #[test]
    fn only_a_draft_with_a_category_at_a_step_it_can_resume_from_is_noticed() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gazetteer_mopti.csv");
        let gazetteer = Gazetteer::load(&[file], None).unwrap();
        let attack = Draft {
            category: Some("ENL".into()),
            place: Some("wof:421184495".into()),
            ..Draft::default()
        };
        let vocabulary = vocabulary();
        let notice = |step, draft| notice(&state("en", step, draft), 12, &vocabulary, &gazetteer);
        let (language, values) = notice(Step::When, attack.clone()).unwrap();
        assert_eq!(language, "en");
        assert_eq!(values["ref"], 12);
        assert_eq!(values["category"], "ENL");
        assert_eq!(values["place"], "Koro (Mopti)");
        assert_eq!(notice(Step::Done, attack), None, "sent or cancelled");
        assert_eq!(
            notice(Step::Place, Draft::default()),
            None,
            "no category yet"
        );
    }
}
