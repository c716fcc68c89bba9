//! Each step's screen: its template's name and the values it shows.

use serde_json::{Value, json};

use super::menu::{Action, COUNTS, Menu, PAGE, Screen, State, Step, Turn, categories};

impl Menu<'_> {
    /// The screen of the state's step, with an error above it if the last answer was one.
    pub(super) fn show(&self, state: State, error: Option<&'static str>) -> Turn {
        let (name, values) = match state.step {
            Step::Language => ("language", self.languages_values()),
            Step::Resume { .. } => ("resume", json!({ "category": state.draft.category })),
            Step::Main => ("main", json!({})),
            Step::Category { page } => ("category", category_values(page)),
            Step::Place => (
                "place",
                json!({ "home": self.near.home.map(|h| self.label(h)) }),
            ),
            Step::Choices => ("choices", json!({ "choices": self.choice_labels(&state) })),
            Step::Count { n } => ("count", json!({ "field": COUNTS.get(n) })),
            Step::When => ("when", json!({})),
            Step::Confirm => ("confirm", self.draft_values(&state)),
            Step::Reports => ("reports", json!({ "reports": [] })),
            Step::Help => ("help", json!({})),
            Step::Done => ("cancelled", json!({})),
        };
        Turn {
            screen: Screen {
                name,
                values,
                end: state.step == Step::Done,
                error,
            },
            state,
            action: None,
        }
    }

    fn languages_values(&self) -> Value {
        let names: Vec<&str> = self.languages.iter().map(|(_, n)| n.as_str()).collect();
        json!({ "languages": names })
    }

    fn label(&self, row: u32) -> String {
        self.gazetteer.place(row).label(2)
    }

    fn choice_labels(&self, state: &State) -> Vec<String> {
        state
            .draft
            .choices
            .iter()
            .filter_map(|id| self.gazetteer.by_id(id))
            .map(|row| self.label(row))
            .collect()
    }

    /// The report as it would be sent.
    fn draft_values(&self, state: &State) -> Value {
        let d = &state.draft;
        let place = d.place.as_deref().and_then(|id| self.gazetteer.by_id(id));
        let counts: Vec<Value> = COUNTS
            .iter()
            .zip(d.counts)
            .filter_map(|(field, n)| Some(json!({ "field": field, "n": n? })))
            .collect();
        json!({
            "category": d.category,
            "place": place.map(|p| self.label(p)),
            "counts": counts,
            "when": d.when,
        })
    }
}

pub(super) fn category_values(page: usize) -> Value {
    let listed = categories();
    let shown: Vec<Value> = listed
        .iter()
        .skip(page * PAGE)
        .take(PAGE)
        .enumerate()
        .map(|(i, c)| json!({ "n": i + 1, "code": c.code() }))
        .collect();
    json!({ "categories": shown, "more": (page + 1) * PAGE < listed.len() })
}

/// The screen that ends a session, by what it ended with.
pub(super) fn end_screen(action: Option<&Action>) -> &'static str {
    match action {
        Some(Action::File) => "sent",
        Some(Action::NothingToReport) => "nothing_sent",
        _ => "cancelled",
    }
}
