//! What a message will be on the air: folded to GSM-7 where the channel says so, its
//! segments counted, and refused when longer than its purpose allows. Pure.

use crate::config::SegmentLimits;
use crate::gsm7::{self, Encoding};

/// Why a message is sent; decides its priority and its segment limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Alerts to responders: sent before anything else.
    Alert,
    /// Receipts and error replies to monitors.
    Reply,
    /// Messages of the gateway itself (probes, notices to coordinators).
    System,
    /// Coordinators' broadcasts to zones: thousands at once, so they wait for the rest.
    Broadcast,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Reply => "reply",
            Self::System => "system",
            Self::Broadcast => "broadcast",
        }
    }

    /// Lower goes first.
    pub fn priority(self) -> i64 {
        match self {
            Self::Alert => 0,
            Self::Reply | Self::System => 1,
            Self::Broadcast => 2,
        }
    }

    pub fn max_segments(self, limits: &SegmentLimits) -> u32 {
        match self {
            Self::Alert => limits.alert,
            Self::Reply => limits.reply,
            Self::System => limits.system,
            Self::Broadcast => limits.broadcast,
        }
    }
}

/// A text as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub text: String,
    pub encoding: Encoding,
    pub segments: u32,
}

/// A text that may not be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("the text is empty")]
    Empty,
    #[error(
        "the text takes {segments} SMS segments ({encoding}); {purpose} messages may take {max}"
    )]
    TooLong {
        segments: u32,
        max: u32,
        encoding: &'static str,
        purpose: &'static str,
    },
}

pub fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "gsm7",
        Encoding::Ucs2 => "ucs2",
    }
}

/// Folds (if `fold`), measures and checks `text` against the purpose's limit.
pub fn compose(
    text: &str,
    purpose: Purpose,
    fold: bool,
    limits: &SegmentLimits,
) -> Result<Composed, ComposeError> {
    if text.trim().is_empty() {
        return Err(ComposeError::Empty);
    }
    let text = if fold {
        fold_lossless(text)
    } else {
        text.to_owned()
    };
    let info = gsm7::analyze(&text);
    let segments = u32::try_from(info.segments).unwrap_or(u32::MAX);
    let max = purpose.max_segments(limits);
    if segments > max {
        return Err(ComposeError::TooLong {
            segments,
            max,
            encoding: encoding_name(info.encoding),
            purpose: purpose.as_str(),
        });
    }
    Ok(Composed {
        text,
        encoding: info.encoding,
        segments,
    })
}

/// Folds to GSM-7 unless a character would become `?`: a text in N'Ko or Arabic is sent
/// as UCS-2 (and may then need more segments) rather than as question marks.
/// How `text` goes out where channels fold to GSM-7 (or not): the one taking the most
/// SMS, which a coordinator sees before sending.
pub fn measure(text: &str, folds: impl Iterator<Item = bool>) -> gsm7::SmsInfo {
    folds
        .map(|fold| {
            let sent = if fold {
                fold_lossless(text)
            } else {
                text.to_owned()
            };
            gsm7::analyze(&sent)
        })
        .max_by_key(|info| info.segments)
        .unwrap_or_else(|| gsm7::analyze(text))
}

fn fold_lossless(text: &str) -> String {
    let folded = gsm7::fold(text);
    if folded.matches('?').count() > text.matches('?').count() {
        return text.to_owned();
    }
    folded.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_measured_on_the_channel_that_sends_it_in_the_most_sms() {
        let cases: [(&str, &[bool], gsm7::Encoding, usize); 4] = [
            ("Fête à 10h", &[true], gsm7::Encoding::Gsm7, 1),
            ("Fête à 10h", &[false], gsm7::Encoding::Ucs2, 1),
            ("Fête à 10h", &[true, false], gsm7::Encoding::Ucs2, 1),
            (&"ب".repeat(80), &[true], gsm7::Encoding::Ucs2, 2),
        ];
        for (text, folds, encoding, segments) in cases {
            let info = measure(text, folds.iter().copied());
            assert_eq!(
                (info.encoding, info.segments),
                (encoding, segments),
                "{text} {folds:?}"
            );
        }
    }

    /// Encoding and segments, or a piece of the error.
    type Expected = Result<(Encoding, u32), &'static str>;

    #[test]
    fn texts_are_folded_measured_and_limited() {
        let limits = SegmentLimits::default();
        let receipt = "Reçu 1042: attaque à Koro, 3 morts. Répondez OK 1042.";
        let long = "x".repeat(161);
        let broadcast = "y".repeat(459);
        let nko = "ߒߞߏ ߞߊ߲";
        let cases: [(&str, &str, Purpose, bool, Expected); 8] = [
            (
                "folded french fits gsm7",
                receipt,
                Purpose::Reply,
                true,
                Ok((Encoding::Gsm7, 1)),
            ),
            (
                "unfolded french is ucs2",
                receipt,
                Purpose::Reply,
                false,
                Ok((Encoding::Ucs2, 1)),
            ),
            (
                "a reply of two segments is refused",
                &long,
                Purpose::Reply,
                true,
                Err("2 SMS segments (gsm7); reply messages may take 1"),
            ),
            (
                "an alert too",
                &long,
                Purpose::Alert,
                true,
                Err("alert messages may take 1"),
            ),
            (
                "a broadcast may take three",
                &broadcast,
                Purpose::Broadcast,
                true,
                Ok((Encoding::Gsm7, 3)),
            ),
            (
                "but not four",
                &"y".repeat(460),
                Purpose::Broadcast,
                true,
                Err("4 SMS segments"),
            ),
            ("empty", "  ", Purpose::Reply, true, Err("empty")),
            (
                "n'ko stays itself, never question marks",
                nko,
                Purpose::Reply,
                true,
                Ok((Encoding::Ucs2, 1)),
            ),
        ];
        for (name, text, purpose, fold, expected) in cases {
            let got = compose(text, purpose, fold, &limits);
            match (got, expected) {
                (Ok(c), Ok((encoding, segments))) => {
                    assert_eq!((c.encoding, c.segments), (encoding, segments), "{name}");
                }
                (Err(e), Err(needle)) => assert!(e.to_string().contains(needle), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn alerts_go_before_replies_before_broadcasts() {
        assert!(Purpose::Alert.priority() < Purpose::Reply.priority());
        assert!(Purpose::Reply.priority() < Purpose::Broadcast.priority());
    }
}
