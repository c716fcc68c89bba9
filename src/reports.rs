//! What reading reports takes, loaded once from `[reports]`: the keyword files, the
//! gazetteer, the reply templates and the time zone; and a parse as one JSON object
//! (`vigie parse --json`).

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::config::{ChannelConfig, ReportsConfig, SeverityRules};
use crate::gazetteer::{Found, Gazetteer, Near, Resolution};
use crate::keywords::Vocabulary;
use crate::parse::{Context, Count, Counts, Input, Parsed, parse};
use crate::reply::{BroadcastTemplates, Replies, reply_for};
use crate::text::fold;
use crate::ussd::screens::Screens;

/// Everything parsing and replying need.
#[derive(Debug)]
pub struct Reports {
    pub vocabulary: Vocabulary,
    pub gazetteer: Gazetteer,
    pub replies: Replies,
    /// Texts coordinators broadcast often, with their values.
    pub broadcasts: BroadcastTemplates,
    /// The USSD menu's screens.
    pub ussd: Screens,
    pub time_zone: Tz,
    pub severity: SeverityRules,
    /// Each channel's country, where its configuration sets one.
    channel_countries: HashMap<String, String>,
}

impl Reports {
    pub fn load(config: &ReportsConfig) -> anyhow::Result<Self> {
        let vocabulary = Vocabulary::load(&config.keywords_dir, &config.default_language)?;
        let replies = Replies::load(&config.templates_dir, &config.default_language)?;
        let broadcasts = BroadcastTemplates::load(&config.templates_dir)?;
        let ussd = Screens::load(&config.ussd_templates_dir, &config.default_language)?;
        let gazetteer = Gazetteer::load(&config.gazetteer_files(), config.boundaries.as_deref())
            .context("cannot load the gazetteer")?
            .preferring(&config.countries);
        // Checked with the places loaded: a longer name in a network's own file counts.
        let labels = gazetteer.longest_labels();
        replies.check(&labels)?;
        ussd.check(&labels)?;
        Ok(Self {
            vocabulary,
            gazetteer,
            replies,
            broadcasts,
            ussd,
            time_zone: config.time_zone()?,
            severity: config.severity.clone(),
            channel_countries: HashMap::new(),
        })
    }

    /// The same, knowing each channel's country: a message's places are looked for in
    /// its channel's country first.
    pub fn with_channels(mut self, channels: &[ChannelConfig]) -> Self {
        self.channel_countries = channels
            .iter()
            .filter_map(|c| Some((c.id.clone(), c.country.clone()?.to_ascii_uppercase())))
            .collect();
        self
    }

    /// The country of a channel, if its configuration sets one.
    pub fn country_of(&self, channel: &str) -> Option<&str> {
        self.channel_countries.get(channel).map(String::as_str)
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            vocabulary: &self.vocabulary,
            gazetteer: &self.gazetteer,
            time_zone: self.time_zone,
            severity: &self.severity,
        }
    }

    /// A home place given as a gazetteer id or a name that resolves to one place.
    pub fn home(&self, given: &str) -> Option<u32> {
        if let Some(id) = self.gazetteer.by_id(given) {
            return Some(id);
        }
        match self.gazetteer.resolve(&fold(given), None, Near::default()) {
            Resolution::One(place) => Some(place),
            _ => None,
        }
    }

    /// Parses `text` and describes the outcome and its reply as one JSON object.
    pub fn parse_json(
        &self,
        text: &str,
        language: Option<&str>,
        home: Option<u32>,
        received: DateTime<Utc>,
    ) -> Value {
        let input = Input {
            text,
            language,
            home,
            country: None,
            received,
        };
        let parsed = parse(&input, &self.context());
        let reply = reply_for(&self.replies, &parsed, &self.gazetteer, 1042, false);
        let mut out = self.describe(&parsed);
        // A reply that cannot be written is no reply: `null`, and why beside it.
        let (reply, reply_error) = match reply {
            Ok(text) => (Value::from(text), Value::Null),
            Err(e) => (Value::Null, Value::from(e.to_string())),
        };
        out["reply"] = reply;
        out["reply_error"] = reply_error;
        out
    }

    fn describe(&self, parsed: &Parsed) -> Value {
        let place = |f: &Found| self.place_json(f);
        match parsed {
            Parsed::Report(r) | Parsed::Ambiguous { report: r, .. } => {
                let status = if matches!(parsed, Parsed::Report(_)) {
                    "ok"
                } else {
                    "ambiguous"
                };
                let candidates: Vec<Value> = match parsed {
                    Parsed::Ambiguous { choices, .. } => choices
                        .iter()
                        .map(|&c| {
                            place(&Found {
                                place: c,
                                found_by: crate::gazetteer::FoundBy::Text,
                                point: None,
                            })
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                json!({
                    "status": status,
                    "language": r.language,
                    "category": r.category.code(),
                    "place": r.place.as_ref().map(place),
                    "counts": counts_json(&r.counts),
                    "event_time": r.event_time.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "severity": r.severity,
                    "description": r.description,
                    "error": null,
                    "candidates": candidates,
                })
            }
            // Every answer has every key, so a reader needs no special case.
            Parsed::Command(c) => json!({
                "status": "ok",
                "language": c.language,
                "command": format!("{:?}", c.kind),
                "category": null, "place": null, "counts": null, "event_time": null,
                "severity": null, "description": null, "error": null, "candidates": [],
            }),
            Parsed::Error { error, language } => json!({
                "status": "error",
                "language": language,
                "error": error.code(),
                "category": null, "place": null, "counts": null, "event_time": null,
                "severity": null, "description": null, "candidates": [],
            }),
        }
    }

    fn place_json(&self, found: &Found) -> Value {
        let p = self.gazetteer.place(found.place);
        let (lat, lon) = found.point.unwrap_or((p.lat, p.lon));
        let admin = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        json!({
            "id": &*p.id,
            "name": &*p.name,
            "admin1": admin(&p.admin1),
            "admin2": admin(&p.admin2),
            "admin3": admin(&p.admin3),
            "country": &*p.country,
            "lat": lat,
            "lon": lon,
            "found_by": found.found_by,
        })
    }
}

/// Every field, `null` when not given; "several" when the number is unknown.
pub fn counts_json(c: &Counts) -> Value {
    let n = |count: Option<Count>| match count {
        Some(Count::Exact(n)) => json!(n),
        Some(Count::Several) => json!("several"),
        None => Value::Null,
    };
    Value::Object(
        c.fields()
            .map(|(f, count)| (f.to_owned(), n(count)))
            .collect(),
    )
}
