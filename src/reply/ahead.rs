//! Receipts rendered before their report is filed. The intake plans each message on a
//! reader thread, but a receipt names the incident, known only once the report is filed on
//! the one writer thread. Rendering there cost the writer about a tenth of its time under
//! a flood, so the receipt is rendered while planning with a mark where the number goes,
//! and the writer only puts the number in.

use minijinja::{Value, context};

use super::compose::receipt;
use super::{Replies, ReplyError};
use crate::gazetteer::Gazetteer;
use crate::keywords::Category;
use crate::parse::Parsed;

/// Where the reference goes: GSM-7, kept by folding, and in no place name or keyword.
const MARK: &str = "#REF#";

/// A report's receipt, rendered but for its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The receipt with the mark where the reference goes.
    marked: String,
    /// It echoes the report (else it is the bare reference, for a discreet reporter).
    full: bool,
    language: String,
}

impl Receipt {
    /// The receipt of a report that will be filed (as `reply_for` would render it), or
    /// `None` when it is not a plain report or a template does not print the reference
    /// exactly once as it is: the writer then renders it as before.
    pub fn ahead(
        replies: &Replies,
        parsed: &Parsed,
        gazetteer: &Gazetteer,
        discreet: bool,
    ) -> Option<Self> {
        let Parsed::Report(report) = parsed else {
            return None;
        };
        if report.category == Category::RAS {
            return None;
        }
        let language = parsed.language();
        let (name, values) = if discreet {
            ("receipt_discreet", context! { ref => MARK })
        } else {
            ("receipt", receipt(report, gazetteer, Value::from(MARK)))
        };
        let marked = replies.render(language, name, &values).ok()?;
        (marked.matches(MARK).count() == 1).then(|| Self {
            marked,
            full: !discreet,
            language: language.to_owned(),
        })
    }

    /// The receipt of the report filed under `reference`. A full receipt that no longer
    /// fits one segment with the number in (rare: the longest place, every count) falls
    /// back to the bare reference, rendered then.
    pub fn complete(&self, replies: &Replies, reference: u64) -> Result<String, ReplyError> {
        let text = self.marked.replacen(MARK, &reference.to_string(), 1);
        if !self.full || Replies::fits(&text) {
            return Ok(text);
        }
        let values = context! { ref => reference };
        replies.render(&self.language, "receipt_discreet", &values)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::SeverityRules;
    use crate::keywords::Vocabulary;
    use crate::parse::{Context, Input, parse};
    use crate::reply::reply_for;

    /// The shipped words and templates, and the Mopti places.
    struct Shipped {
        vocabulary: Vocabulary,
        gazetteer: Gazetteer,
        replies: Replies,
        severity: SeverityRules,
    }

    impl Shipped {
        fn load() -> Self {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let places = root.join("tests/fixtures/gazetteer_mopti.csv");
            Self {
                vocabulary: Vocabulary::load(&root.join("keywords"), "fr").unwrap(),
                gazetteer: Gazetteer::load(&[places], None).unwrap(),
                replies: Replies::load(&root.join("templates/sms"), "fr").unwrap(),
                severity: SeverityRules::default(),
            }
        }

        fn parse(&self, text: &str) -> Parsed {
            let context = Context {
                vocabulary: &self.vocabulary,
                gazetteer: &self.gazetteer,
                time_zone: chrono_tz::Africa::Bamako,
                severity: &self.severity,
            };
            let input = Input {
                text,
                language: None,
                home: None,
                country: None,
                received: chrono::Utc::now(),
            };
            parse(&input, &context)
        }
    }

    /// A receipt rendered ahead and completed is the receipt rendered on the writer, in
    /// French and English, discreet or not, from a short reference to one that no longer fits.
    #[test]
    fn a_receipt_rendered_ahead_is_the_one_rendered_with_its_number() {
        let shipped = Shipped::load();
        let (replies, gazetteer) = (&shipped.replies, &shipped.gazetteer);
        let texts = [
            "ATT Bandiagara 3 morts 2 blesses",
            "attack Bankass 12 killed 40 injured 7 abducted 300 displaced 80 households",
            "ENL Djenne plusieurs enleves",
            "MEN Bandiagara",
        ];
        for text in texts {
            let parsed = shipped.parse(text);
            for discreet in [false, true] {
                let ahead = Receipt::ahead(replies, &parsed, gazetteer, discreet)
                    .unwrap_or_else(|| panic!("{text}: no receipt ahead"));
                for reference in [1, 1042, 123_456_789, u64::MAX] {
                    let now = reply_for(replies, &parsed, gazetteer, reference, discreet);
                    let completed = ahead.complete(replies, reference).unwrap();
                    assert_eq!(completed, now.unwrap(), "{text} {reference}");
                }
            }
        }
    }

    /// A receipt that fits with a short number but not with a long one falls back to the
    /// bare reference, as on the writer (no shipped receipt is long enough to show it).
    #[test]
    fn a_receipt_too_long_with_its_number_falls_back_to_the_reference() {
        let shipped = Shipped::load();
        let dir = tempfile::tempdir().unwrap();
        let french = dir.path().join("fr");
        std::fs::create_dir(&french).unwrap();
        let shipped_french = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates/sms/fr");
        for file in std::fs::read_dir(shipped_french).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, french.join(path.file_name().unwrap())).unwrap();
            }
        }
        let padding = "x".repeat(140);
        let receipt = format!("Recu {{{{ ref }}}}: {{{{ category }}}} {padding}");
        std::fs::write(french.join("receipt.txt"), receipt).unwrap();
        std::fs::write(french.join("receipt_discreet.txt"), "Recu {{ ref }}").unwrap();
        let replies = Replies::load(dir.path(), "fr").unwrap();
        let parsed = shipped.parse("ATT Bandiagara 3 morts");
        let ahead = Receipt::ahead(&replies, &parsed, &shipped.gazetteer, false).unwrap();
        let short = ahead.complete(&replies, 42).unwrap();
        assert!(short.starts_with("Recu 42: ATT xxx"), "{short}");
        assert_eq!(
            ahead.complete(&replies, 123_456_789_012).unwrap(),
            "Recu 123456789012"
        );
    }

    /// What is no plain report gets no receipt ahead: its reply is rendered as before.
    #[test]
    fn no_receipt_ahead_for_what_is_not_a_report() {
        let shipped = Shipped::load();
        for text in ["RAS Bandiagara", "STOP", "ATT", "hello"] {
            let parsed = shipped.parse(text);
            let ahead = Receipt::ahead(&shipped.replies, &parsed, &shipped.gazetteer, false);
            assert_eq!(ahead, None, "{text}");
        }
    }
}
