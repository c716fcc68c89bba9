//! Replies to monitors: `templates/sms/<lang>/<name>.txt` (minijinja), rendered with named
//! values, folded to GSM-7 and held to one SMS segment. A language without a template
//! uses the default language's. `check` renders every template with the longest values
//! the loaded places and a monitor's words can give, and fails if any exceeds one segment.

mod ahead;
mod broadcasts;
mod compose;

use std::path::Path;

use minijinja::{Environment, Value, context};

use crate::gsm7;
use crate::keywords::Category;
pub use ahead::Receipt;
pub use broadcasts::BroadcastTemplates;
pub use compose::{receipt_for_choice, reply_for};

/// A template problem. Start-up (and `vigie check`) stops with it.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
    #[error("template {name} can exceed one SMS segment ({length} characters): {text}")]
    TooLong {
        name: String,
        length: usize,
        text: String,
    },
    #[error(
        "screen {name} can exceed one USSD message ({length} characters, {max} at most): {text}"
    )]
    ScreenTooLong {
        name: String,
        length: usize,
        max: usize,
        text: String,
    },
    #[error("no template {name} for the default language")]
    Missing { name: String },
}

/// Every template a reply may use.
pub const NAMES: [&str; 45] = [
    "receipt",
    "receipt_discreet",
    "zone_shared",
    "checkin",
    "unknown_category",
    "missing_place",
    "unknown_place",
    "ambiguous_place",
    "empty",
    "too_long",
    "rate_limited",
    "not_allowed",
    "help",
    "language_set",
    "stopped",
    "started",
    "choice_expired",
    "no_choice",
    "not_registered",
    "withdrawn",
    "nothing_to_withdraw",
    "alert",
    "update",
    "escalation",
    "ack_thanks",
    "taken_up",
    "info",
    "not_alerted",
    "pin_wrong",
    "pin_locked",
    "unknown_zone",
    "zone_not_yours",
    "broadcast_help",
    "broadcast_too_long",
    "broadcast_confirm",
    "broadcast_sent",
    "nothing_to_confirm",
    "cap_description",
    "ussd_draft",
    "draft_unknown",
    "silence_reminder",
    "silence_overdue",
    "silence_open",
    "silence_closed",
    "duress",
];

/// Partials templates include (`{% include "fr/_counts" %}`), loaded when present.
const PARTIALS: [&str; 1] = ["_counts"];

/// Adds the template in `path` under `key`; what cannot be read or compiled is an error
/// naming it. Replies, broadcast templates and USSD screens load alike.
pub(crate) fn add_template(
    env: &mut Environment<'static>,
    key: String,
    path: &Path,
) -> Result<(), ReplyError> {
    let source = std::fs::read_to_string(path).map_err(|e| ReplyError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    env.add_template_owned(key.clone(), source.trim_end().to_owned())
        .map_err(|e| ReplyError::Template {
            name: key,
            reason: e.to_string(),
        })
}

/// The loaded templates.
#[derive(Debug)]
pub struct Replies {
    env: Environment<'static>,
    languages: Vec<String>,
    default: String,
}

impl Replies {
    /// Reads `dir/<lang>/<name>.txt` for every language directory.
    pub fn load(dir: &Path, default: &str) -> Result<Self, ReplyError> {
        let mut env = environment();
        let mut languages = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| ReplyError::Read {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let language = entry.file_name().to_string_lossy().into_owned();
            for name in NAMES.iter().chain(&PARTIALS) {
                let path = entry.path().join(format!("{name}.txt"));
                if path.exists() {
                    add_template(&mut env, format!("{language}/{name}"), &path)?;
                }
            }
            languages.push(language);
        }
        require(&env, default, &NAMES, "")?;
        Ok(Self {
            env,
            languages,
            default: default.to_owned(),
        })
    }

    /// Renders `name` in `language` (else the default language), folded to GSM-7.
    pub fn render(&self, language: &str, name: &str, values: &Value) -> Result<String, ReplyError> {
        let key = key_for(&self.env, language, &self.default, name);
        let template = self
            .env
            .get_template(&key)
            .map_err(|e| ReplyError::Template {
                name: key.clone(),
                reason: e.to_string(),
            })?;
        let text = template.render(values).map_err(|e| ReplyError::Template {
            name: key.clone(),
            reason: e.to_string(),
        })?;
        let text = squash_spaces(&text);
        Ok(gsm7::fold(&text).into_owned())
    }

    /// Whether a rendered reply fits one segment.
    pub fn fits(text: &str) -> bool {
        gsm7::segments(text) <= 1
    }

    /// Renders every template in every language with the longest values: `labels`, the
    /// longest place labels at depths 1 to 3 (`Gazetteer::longest_labels`).
    pub fn check(&self, labels: &[String; 3]) -> Result<(), ReplyError> {
        for values in longest_values(labels) {
            for language in &self.languages {
                for name in NAMES {
                    let text = self.render(language, name, &values)?;
                    if !Self::fits(&text) {
                        return Err(ReplyError::TooLong {
                            name: format!("{language}/{name}"),
                            length: text.chars().count(),
                            text,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// The template environment replies and USSD screens share.
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    // Words echoed from a message are cut, so a long one cannot push a text past its limit.
    // Folded first: folding can lengthen a text (`œ` is `oe`), and it is what is counted.
    env.add_filter("truncate", |text: String, n: usize| -> String {
        gsm7::fold(&text).chars().take(n).collect()
    });
    env.add_filter("shorten", |label: String, n: usize| {
        shorten(&gsm7::fold(&label), n)
    });
    env
}

/// A place label in at most `n` characters: whole if it fits, else its name cut at a word
/// and the units in brackets kept if the name keeps `MIN_NAME` characters, else the name
/// alone, cut.
fn shorten(label: &str, n: usize) -> String {
    const MIN_NAME: usize = 12;
    if label.chars().count() <= n {
        return label.to_owned();
    }
    let name = label.split(" (").next().unwrap_or(label);
    let units = &label[name.len()..];
    let room = n.saturating_sub(units.chars().count());
    if room >= MIN_NAME {
        return format!("{}{units}", cut_at_word(name, room));
    }
    cut_at_word(name, n).to_owned()
}

/// `text` in at most `n` characters, cut after a word if one ends in the second half.
fn cut_at_word(text: &str, n: usize) -> &str {
    let end = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    let cut = &text[..end];
    if end == text.len() || text[end..].starts_with(' ') {
        return cut;
    }
    match cut.rfind(' ') {
        Some(space) if space >= cut.len() / 2 => &cut[..space],
        _ => cut,
    }
}

/// The key of template `name` in `language`, else in the default language.
pub(crate) fn key_for(env: &Environment<'_>, language: &str, default: &str, name: &str) -> String {
    let key = format!("{language}/{name}");
    if env.get_template(&key).is_ok() {
        key
    } else {
        format!("{default}/{name}")
    }
}

/// Fails naming the first of `names` the default language lacks (`kind`: which set).
pub(crate) fn require(
    env: &Environment<'_>,
    default: &str,
    names: &[&str],
    kind: &str,
) -> Result<(), ReplyError> {
    match names
        .iter()
        .find(|name| env.get_template(&format!("{default}/{name}")).is_err())
    {
        Some(name) => Err(ReplyError::Missing {
            name: format!("{kind}{default}/{name}"),
        }),
        None => Ok(()),
    }
}

fn squash_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Values as long as real ones get, for each category: an eight-digit reference, the
/// longest place labels, three counts, two choices, words typed as long as a message.
fn longest_values(labels: &[String; 3]) -> impl Iterator<Item = Value> + '_ {
    Category::ALL
        .into_iter()
        .map(|category| longest_for(category.code(), labels))
}

fn longest_for(category: &str, labels: &[String; 3]) -> Value {
    let count = |field: &str| context! { n => 999, field => field };
    let choice = |n: u32| context! { n => n, label => &labels[2] };
    let typed = longest_typed();
    context! {
        ref => 99_999_999,
        category => category,
        place => &labels[0],
        counts => vec![count("displaced"), count("abducted"), count("households")],
        word => &typed,
        words => &typed,
        sources => 99,
        time => "23h59",
        level => 9,
        status => "withdrawn",
        suggestion => &labels[0],
        name => &typed,
        // A reply lists fewer choices until it fits, down to two.
        choices => vec![choice(1), choice(2)],
        zone => &typed,
        ids => "gb:61693064B15532739326764 gb:61693064B87604266217182",
        recipients => 999_999,
        broadcast => 99_999_999,
        code => 9,
        minutes => 999,
        segments => 99,
        max => 9,
        left => 9,
        event => "Affrontement intercommunautaire",
        hours => 99_999,
        usual => "999",
        count => 9_999,
        cause => "Moov Africa Malitel, Orange, Telecel",
        monitor => "R-0123456789ab",
        // A notice lists fewer monitors until it fits, down to one.
        monitors => vec![context! { ref => "R-0123456789ab", zone => &typed, hours => 99_999 }],
        more => 9_999,
    }
}

/// Words a monitor typed, as long as a message can carry to a template that echoes them.
pub(crate) fn longest_typed() -> String {
    "Koulikoro-Gare-Sud ".repeat(8)
}

/// Labels longer than any in the shipped gazetteer, for the template checks' tests.
#[cfg(test)]
pub(crate) fn long_labels() -> [String; 3] {
    std::array::from_fn(|_| {
        "Hovratt ehl Cheikh Sid Elemine hfrt (Tombouctou, Goundam, Dire)".repeat(2)
    })
}

#[cfg(test)]
mod tests;
