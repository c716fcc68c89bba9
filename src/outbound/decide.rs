//! Where a send attempt leaves its message: sent, tried again later, moved to the next
//! channel, or failed. Pure: the worker brings the clock and the random draw.

use std::time::Duration;

use super::retry::{Decision, GiveUpReason, RetryPolicy};
use crate::provider::{Failure, Fault, SendOutcome};
use crate::store::outbound::Transition;

/// The attempt being judged.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub age: Duration,
    pub fallbacks: &'a [String],
    pub now_ms: i64,
}

pub fn decide(
    outcome: SendOutcome,
    attempt: Attempt<'_>,
    policy: &RetryPolicy,
    draw: f64,
) -> Transition {
    match outcome {
        SendOutcome::Accepted {
            provider_message_id,
            provider_status,
        } => Transition::Sent {
            provider_message_id,
            provider_status,
        },
        SendOutcome::Delivered => Transition::Delivered,
        SendOutcome::Retry(failure) => retry(failure, attempt, policy, draw),
        SendOutcome::Rejected {
            failure,
            fault: Fault::Channel,
        } if !attempt.fallbacks.is_empty() => {
            let (next, rest) = attempt.fallbacks.split_at(1);
            Transition::Reroute {
                channel: next.concat(),
                fallbacks: rest.to_vec(),
                error: failure.reason,
                code: failure.code,
            }
        }
        SendOutcome::Rejected { failure, .. } => Transition::Failed {
            error: failure.reason,
            code: failure.code,
        },
    }
}

fn retry(failure: Failure, attempt: Attempt<'_>, policy: &RetryPolicy, draw: f64) -> Transition {
    match policy.decide(attempt.attempts, attempt.age, failure.retry_after, draw) {
        Decision::RetryIn(delay) => Transition::Retry {
            at: attempt.now_ms + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX),
            error: failure.reason,
            code: failure.code,
        },
        Decision::GiveUp(why) => {
            let why = match why {
                GiveUpReason::TooManyAttempts => {
                    format!("gave up after {} attempts", attempt.attempts)
                }
                GiveUpReason::TooOld => "gave up: too old to send".to_owned(),
            };
            Transition::Failed {
                error: format!("{} ({why})", failure.reason),
                code: failure.code,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(reason: &str) -> Failure {
        Failure::new(reason, Some("c".into()))
    }

    #[test]
    fn outcomes_become_transitions() {
        let policy = RetryPolicy {
            jitter: 0.0,
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let fallbacks = vec!["at".to_owned(), "tw".to_owned()];
        let attempt = |attempts, fallbacks| Attempt {
            attempts,
            age: Duration::from_secs(10),
            fallbacks,
            now_ms: 1_000,
        };
        let number = SendOutcome::Rejected {
            failure: failure("bad number"),
            fault: Fault::Number,
        };
        let channel = SendOutcome::Rejected {
            failure: failure("no credit"),
            fault: Fault::Channel,
        };
        let throttled = SendOutcome::Retry(Failure {
            retry_after: Some(Duration::from_secs(30)),
            ..failure("slow")
        });
        let cases = [
            (
                "accepted",
                SendOutcome::Accepted {
                    provider_message_id: Some("p".into()),
                    provider_status: None,
                },
                attempt(1, &[][..]),
                Transition::Sent {
                    provider_message_id: Some("p".into()),
                    provider_status: None,
                },
            ),
            (
                "sim",
                SendOutcome::Delivered,
                attempt(1, &[]),
                Transition::Delivered,
            ),
            (
                "first failure waits the base",
                SendOutcome::Retry(failure("down")),
                attempt(1, &[]),
                Transition::Retry {
                    at: 6_000,
                    error: "down".into(),
                    code: Some("c".into()),
                },
            ),
            (
                "retry-after is honoured",
                throttled,
                attempt(1, &[]),
                Transition::Retry {
                    at: 31_000,
                    error: "slow".into(),
                    code: Some("c".into()),
                },
            ),
            (
                "attempts run out",
                SendOutcome::Retry(failure("down")),
                attempt(3, &[]),
                Transition::Failed {
                    error: "down (gave up after 3 attempts)".into(),
                    code: Some("c".into()),
                },
            ),
            (
                "the number's fault fails even with fallbacks",
                number,
                attempt(1, &fallbacks),
                Transition::Failed {
                    error: "bad number".into(),
                    code: Some("c".into()),
                },
            ),
            (
                "the channel's fault moves on",
                channel.clone(),
                attempt(1, &fallbacks),
                Transition::Reroute {
                    channel: "at".into(),
                    fallbacks: vec!["tw".into()],
                    error: "no credit".into(),
                    code: Some("c".into()),
                },
            ),
            (
                "with nowhere to go it fails",
                channel,
                attempt(1, &[]),
                Transition::Failed {
                    error: "no credit".into(),
                    code: Some("c".into()),
                },
            ),
        ];
        for (name, outcome, attempt, expected) in cases {
            assert_eq!(decide(outcome, attempt, &policy, 0.5), expected, "{name}");
        }
    }
}
