//! The console's words in French and English (`templates/console/i18n/*.toml`), and which
//! language a browser asks for.

use std::collections::BTreeMap;

use super::ConsoleError;

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Language {
    Fr,
    En,
}

impl Language {
    pub const ALL: [Self; 2] = [Self::Fr, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| code.trim().eq_ignore_ascii_case(l.code()))
    }

    /// The language a choice made in the console (a cookie) names, else the first of
    /// `Accept-Language` the console speaks (by weight), else French.
    pub fn choose(chosen: Option<&str>, accept: Option<&str>) -> Self {
        if let Some(language) = chosen.and_then(Self::parse) {
            return language;
        }
        let mut offered: Vec<(f32, Self)> = accept
            .unwrap_or_default()
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let primary = tag.split('-').next()?;
                let weight = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                Some((weight, Self::parse(primary)?))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Self::Fr, |(_, l)| *l)
    }
}

/// Every string, by language then key.
#[derive(Debug)]
pub(super) struct Words {
    fr: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

impl Words {
    /// Both tables, each with every key of the other.
    pub(super) fn load() -> Result<Self, ConsoleError> {
        let read = |text: &str, file: &str| {
            toml::from_str::<BTreeMap<String, String>>(text)
                .map_err(|e| ConsoleError::Strings(format!("{file}: {e}")))
        };
        let fr = read(
            include_str!("../../templates/console/i18n/fr.toml"),
            "fr.toml",
        )?;
        let en = read(
            include_str!("../../templates/console/i18n/en.toml"),
            "en.toml",
        )?;
        for (table, other, file) in [(&fr, &en, "fr.toml"), (&en, &fr, "en.toml")] {
            if let Some(missing) = other.keys().find(|k| !table.contains_key(*k)) {
                return Err(ConsoleError::Strings(format!("{file}: no `{missing}`")));
            }
        }
        Ok(Self { fr, en })
    }

    pub(super) fn of(&self, language: Language) -> &BTreeMap<String, String> {
        match language {
            Language::Fr => &self.fr,
            Language::En => &self.en,
        }
    }

    pub(super) fn word(&self, language: Language, key: &str) -> String {
        self.of(language)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_wins_then_the_browsers_weights_then_french() {
        let cases = [
            (Some("en"), Some("fr"), Language::En),
            (None, Some("en-GB,en;q=0.9,fr;q=0.8"), Language::En),
            (None, Some("de-DE, fr;q=0.5, en;q=0.7"), Language::En),
            (None, Some("fr-ML"), Language::Fr),
            (None, Some("bm, de"), Language::Fr),
            (None, None, Language::Fr),
            (Some("xx"), Some("en"), Language::En),
        ];
        for (chosen, accept, expected) in cases {
            assert_eq!(
                Language::choose(chosen, accept),
                expected,
                "{chosen:?} {accept:?}"
            );
        }
    }

    #[test]
    fn both_languages_have_every_word() {
        let words = Words::load().unwrap();
        assert_eq!(words.fr.len(), words.en.len());
    }
}
