//! Broadcast templates: `templates/sms/<lang>/broadcasts/<name>.txt`, texts coordinators
//! send often (a curfew, a meeting) with their values, rendered in each recipient's
//! language. A value the template uses and the request does not give is an error, not a
//! blank in thousands of messages.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use super::ReplyError;
use crate::gsm7;

/// The loaded broadcast templates, by language.
#[derive(Debug)]
pub struct BroadcastTemplates {
    env: Environment<'static>,
    /// Each template's languages.
    names: BTreeMap<String, Vec<String>>,
}

impl BroadcastTemplates {
    /// Reads `dir/<lang>/broadcasts/*.txt`; a language without the directory has none.
    pub fn load(dir: &Path) -> Result<Self, ReplyError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let read_dir = |path: &Path| std::fs::read_dir(path).into_iter().flatten().flatten();
        for language in read_dir(dir).filter(|e| e.path().is_dir()) {
            let code = language.file_name().to_string_lossy().into_owned();
            for file in read_dir(&language.path().join("broadcasts")) {
                let path = file.path();
                let Some(name) = path
                    .file_stem()
                    .filter(|_| path.extension().is_some_and(|e| e == "txt"))
                    .map(|s| s.to_string_lossy().into_owned())
                else {
                    continue;
                };
                super::add_template(&mut env, format!("{code}/broadcasts/{name}"), &path)?;
                names.entry(name).or_default().push(code.clone());
            }
        }
        Ok(Self { env, names })
    }

    /// The template rendered in each of its languages, folded to GSM-7; `None` if there
    /// is no such template.
    pub fn render(
        &self,
        name: &str,
        values: &Value,
    ) -> Option<Result<BTreeMap<String, String>, ReplyError>> {
        let languages = self.names.get(name)?;
        let rendered = languages.iter().map(|language| {
            let key = format!("{language}/broadcasts/{name}");
            let text = self
                .env
                .get_template(&key)
                .and_then(|t| t.render(values))
                .map_err(|e| ReplyError::Template {
                    name: key,
                    reason: e.to_string(),
                })?;
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Ok((language.clone(), gsm7::fold(&text).into_owned()))
        });
        Some(rendered.collect())
    }

    /// The templates' names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }
}
