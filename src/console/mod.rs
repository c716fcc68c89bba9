//! The coordinators' console, as pages: templates under `templates/console/` and assets
//! under `assets/` embedded in the binary (read from disk in debug builds, so they can be
//! edited without rebuilding), each asset served at a path carrying its content hash, and
//! the pages' words in French and English. No HTTP here: the edge (`http::console`) asks
//! for a page and sends it.

mod basemap;
mod i18n;

use std::borrow::Cow;
use std::collections::HashMap;

use minijinja::Environment;
use rust_embed::RustEmbed;
use serde::Serialize;

pub use basemap::{Boundaries, boundaries};
pub use i18n::Language;

#[derive(RustEmbed)]
#[folder = "templates/console/"]
#[exclude = "i18n/*"]
struct Templates;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Why a page could not be made: a template that does not render is a bug, named here.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("console template {name}: {source}")]
    Template {
        name: String,
        source: minijinja::Error,
    },
    #[error("console strings: {0}")]
    Strings(String),
}

/// An embedded asset.
#[derive(Debug)]
pub struct Asset {
    pub body: Cow<'static, [u8]>,
    pub content_type: &'static str,
    /// Whether the path asked for carries the asset's current hash (then it never changes).
    pub current: bool,
}

/// The templates, the assets' hashed paths and the words of each language.
#[derive(Debug)]
pub struct Console {
    env: Environment<'static>,
    words: i18n::Words,
}

impl Console {
    /// Loads every template and string table; a missing string in one language is an error
    /// at start-up, not a blank on a page.
    pub fn load(time_zone: chrono_tz::Tz) -> Result<Self, ConsoleError> {
        let words = i18n::Words::load()?;
        let mut env = Environment::new();
        // A field a page lacks shows as nothing, never as an error page for a coordinator.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        // `{{ t | local }}`: an RFC 3339 time or unix ms as the deployment's clocks show it.
        env.add_filter("local", move |time: minijinja::Value| {
            if let Some(ms) = time.as_i64() {
                return chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
                    .map_or_else(String::new, |t| local(&t.to_rfc3339(), time_zone));
            }
            time.as_str()
                .map_or_else(String::new, |t| local(t, time_zone))
        });
        env.set_loader(|name| {
            Ok(Templates::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned()))
        });
        let paths: HashMap<String, String> = Assets::iter()
            .filter_map(|path| {
                let file = Assets::get(&path)?;
                let hash = short_hash(&file.metadata.sha256_hash());
                Some((path.to_string(), format!("/console/assets/{hash}/{path}")))
            })
            .collect();
        env.add_function("asset", move |path: String| {
            paths
                .get(&path)
                .map(|p| minijinja::Value::from_safe_string(p.clone()))
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("no asset {path}"),
                    )
                })
        });
        let console = Self { env, words };
        for name in Templates::iter() {
            console
                .env
                .get_template(&name)
                .map_err(|source| ConsoleError::Template {
                    name: name.to_string(),
                    source,
                })?;
        }
        Ok(console)
    }

    /// Renders page `name` in `language` with `values`; the page sees the words as `t`.
    pub fn render<S: Serialize>(
        &self,
        name: &str,
        language: Language,
        values: &S,
    ) -> Result<String, ConsoleError> {
        let fail = |source| ConsoleError::Template {
            name: name.to_owned(),
            source,
        };
        let template = self.env.get_template(name).map_err(fail)?;
        let t = self.words.of(language);
        template
            .render(minijinja::context! { t, lang => language.code(), ..minijinja::Value::from_serialize(values) })
            .map_err(fail)
    }

    /// The words of a language, for what a handler says outside a template.
    pub fn word(&self, language: Language, key: &str) -> String {
        self.words.word(language, key)
    }

    /// The asset at `path`, asked for under `hash`.
    pub fn asset(hash: &str, path: &str) -> Option<Asset> {
        let file = Assets::get(path)?;
        let current = short_hash(&file.metadata.sha256_hash()) == hash;
        Some(Asset {
            body: file.data,
            content_type: content_type(path),
            current,
        })
    }
}

/// `03/12 14:05` in `zone`; the text itself if it is no time.
fn local(time: &str, zone: chrono_tz::Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(time).map_or_else(
        |_| time.to_owned(),
        |t| t.with_timezone(&zone).format("%d/%m %H:%M").to_string(),
    )
}

/// The first 8 bytes of a SHA-256, as hex: enough to tell versions of one file apart.
fn short_hash(digest: &[u8; 32]) -> String {
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("json" | "geojson") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page renders in both languages, even with nothing to show: a filter or a
    /// function a template names that does not exist fails here, not on a coordinator.
    #[test]
    fn every_template_renders_in_every_language() {
        let console = Console::load(chrono_tz::Africa::Bamako).unwrap();
        for name in Templates::iter() {
            for language in Language::ALL {
                let html = console.render(&name, language, &serde_json::json!({}));
                assert!(html.is_ok(), "{name} ({language:?}): {html:?}");
            }
        }
    }
}
