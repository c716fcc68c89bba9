//! The menu's screens: `templates/ussd/<lang>/<screen>.txt` (minijinja), folded to GSM-7
//! and held to 182 characters, what one USSD message shows. A language without a screen
//! uses the default language's. `check` renders every screen with the longest values the
//! loaded places and a caller's words can give, so a screen too long stops start-up rather
//! than being cut on a phone.

use std::path::Path;

use minijinja::Environment;
use serde_json::{Value, json};

use super::menu::Screen;
use crate::gsm7;
use crate::reply::ReplyError;

/// Characters one USSD screen holds in GSM-7.
pub const MAX_CHARS: usize = 182;

/// Every screen the menu shows.
pub const NAMES: [&str; 16] = [
    "language",
    "resume",
    "main",
    "category",
    "place",
    "choices",
    "count",
    "when",
    "confirm",
    "reports",
    "help",
    "sent",
    "nothing_sent",
    "cancelled",
    "not_registered",
    "expired",
];

/// The loaded screens.
#[derive(Debug)]
pub struct Screens {
    env: Environment<'static>,
    languages: Vec<String>,
    default: String,
}

impl Screens {
    /// Reads `dir/<lang>/*.txt`; every screen must exist in the default language.
    pub fn load(dir: &Path, default: &str) -> Result<Self, ReplyError> {
        let mut env = crate::reply::environment();
        let mut languages = Vec::new();
        let read_dir = |path: &Path| {
            std::fs::read_dir(path).map_err(|e| ReplyError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        for entry in read_dir(dir)?.flatten().filter(|e| e.path().is_dir()) {
            let language = entry.file_name().to_string_lossy().into_owned();
            for file in read_dir(&entry.path())?.flatten() {
                add(&mut env, &language, &file.path())?;
            }
            languages.push(language);
        }
        crate::reply::require(&env, default, &NAMES, "ussd ")?;
        Ok(Self {
            env,
            languages,
            default: default.to_owned(),
        })
    }

    /// The screen's text in `language`, with `CON ` or `END ` in front as the provider wants.
    pub fn render(&self, language: &str, screen: &Screen) -> Result<String, ReplyError> {
        let key = crate::reply::key_for(&self.env, language, &self.default, screen.name);
        let mut values = screen.values.clone();
        if let Value::Object(map) = &mut values {
            map.insert("error".into(), json!(screen.error));
            map.insert("lang".into(), json!(key.split('/').next()));
        }
        let text = self
            .env
            .get_template(&key)
            .and_then(|t| t.render(&values))
            .map_err(|e| ReplyError::Template {
                name: format!("ussd {key}"),
                reason: e.to_string(),
            })?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let text = gsm7::fold(&lines.join("\n")).into_owned();
        let head = if screen.end { "END" } else { "CON" };
        Ok(format!("{head} {text}"))
    }

    /// Renders every screen in every language with the longest values and every error;
    /// fails naming the first one over `MAX_CHARS`. `labels`: the longest place labels at
    /// depths 1 to 3 (`Gazetteer::longest_labels`).
    pub fn check(&self, labels: &[String; 3]) -> Result<(), ReplyError> {
        for language in &self.languages {
            for screen in longest_screens(&labels[1]) {
                let text = self.render(language, &screen)?;
                let shown = text.get(4..).unwrap_or_default();
                if shown.chars().count() > MAX_CHARS || !gsm7::is_gsm7(shown) {
                    return Err(ReplyError::ScreenTooLong {
                        name: format!("ussd {language}/{}", screen.name),
                        length: shown.chars().count(),
                        max: MAX_CHARS,
                        text: shown.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn add(env: &mut Environment<'static>, language: &str, path: &Path) -> Result<(), ReplyError> {
    let Some(name) = path
        .file_stem()
        .filter(|_| path.extension().is_some_and(|e| e == "txt"))
    else {
        return Ok(());
    };
    let key = format!("{language}/{}", name.to_string_lossy());
    crate::reply::add_template(env, key, path)
}

/// Each screen with the longest values it shows (`place`: the longest label the menu
/// shows), with and without the error it can carry.
pub fn longest_screens(place: &str) -> Vec<Screen> {
    let typed = crate::reply::longest_typed();
    let count = |field: &str| json!({ "field": field, "n": 99_999 });
    let values = [
        ("language", json!({ "languages": ["Francais", "English"] })),
        ("resume", json!({ "category": "CONF" })),
        ("expired", json!({ "code": 99_999_999 })),
        ("place", json!({ "home": place, "word": typed })),
        (
            "choices",
            json!({ "choices": [place, place, place, place, place] }),
        ),
        ("count", json!({ "field": "abducted" })),
        (
            "confirm",
            json!({ "category": "CONF", "place": place, "when": "earlier_today",
                            "counts": [count("killed"), count("injured"), count("abducted")] }),
        ),
        (
            "reports",
            json!({ "reports": (0..3).map(|_| json!({ "ref": 99_999_999, "category": "CONF", "status": "acknowledged" })).collect::<Vec<_>>() }),
        ),
    ];
    let mut screens = Vec::new();
    for page in 0..2 {
        screens.push(Screen {
            name: "category",
            values: super::show::category_values(page),
            end: false,
            error: Some("invalid"),
        });
    }
    for name in NAMES.into_iter().filter(|n| *n != "category") {
        let shown = values
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| json!({ "word": typed }), |(_, v)| v.clone());
        let end = matches!(
            name,
            "sent" | "nothing_sent" | "cancelled" | "not_registered" | "expired"
        );
        // The error each screen can show after a wrong answer.
        let error = match name {
            _ if end => None,
            "count" => Some("number"),
            "place" => Some("unknown_place"),
            _ => Some("invalid"),
        };
        for error in [None, error] {
            screens.push(Screen {
                name,
                values: shown.clone(),
                end,
                error,
            });
        }
    }
    screens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screens() -> Screens {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/ussd");
        Screens::load(&dir, "fr").unwrap()
    }

    #[test]
    fn every_screen_fits_one_ussd_message_with_the_longest_values() {
        let screens = screens();
        screens.check(&crate::reply::long_labels()).unwrap();
        let mut longest = 0;
        for language in ["fr", "en"] {
            for screen in longest_screens(&crate::reply::long_labels()[1]) {
                let text = screens.render(language, &screen).unwrap();
                assert!(text.starts_with(if screen.end { "END " } else { "CON " }));
                longest = longest.max(text.chars().count() - 4);
            }
        }
        assert!(longest <= MAX_CHARS, "{longest}");
    }

    #[test]
    fn a_screen_too_long_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let source = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/ussd/fr");
        let fr = dir.path().join("fr");
        std::fs::create_dir(&fr).unwrap();
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, fr.join(path.file_name().unwrap())).unwrap();
        }
        std::fs::write(fr.join("help.txt"), "x".repeat(183)).unwrap();
        let error = Screens::load(dir.path(), "fr")
            .unwrap()
            .check(&crate::reply::long_labels())
            .unwrap_err();
        assert!(error.to_string().contains("ussd fr/help"), "{error}");
    }
}
