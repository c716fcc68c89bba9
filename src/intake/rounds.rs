//! The intake's rounds: how many messages each reads, and how many are committed while the
//! next is planned.

use std::collections::HashSet;

use super::plan::Plan;

/// Messages read per round without a backlog: a webhook's write never waits long behind
/// one.
pub(super) const ROUND_MIN: usize = 32;
/// Messages read per round at most. While the intake is behind, each round takes twice as
/// many as the last, up to this: its share of the writer grows, so a flood's ingest slows
/// (its webhooks wait longer for their commit) instead of the unread growing without end.
/// Measured in BENCHMARKS.md (60 s flood): the backlog stops growing after 20 s, webhooks'
/// p99 29 ms; at 256 their p99 was 63 ms, for no more read.
const ROUND_MAX: usize = 64;
/// Rounds carried out at once while messages wait: the next is in the writer's queue as
/// the last commits, so the writer never waits for the intake to read and plan. With one,
/// the intake read two thirds of what a saturating load stored, and the unread grew; with
/// two it reads all of it as it comes, for a fifth less stored (BENCHMARKS.md).
const IN_FLIGHT: usize = 2;
/// How long a stored message may wait to be read before the intake counts as behind and
/// its rounds grow: a short burst is read in rounds that leave webhooks' writes room.
const PATIENCE_MS: i64 = 10_000;

/// A round read and planned, to carry out.
pub(super) struct Round {
    pub(super) senders: HashSet<String>,
    pub(super) plans: Vec<(i64, Option<Plan>)>,
    /// It read as many as it could take: more wait.
    pub(super) full: bool,
    /// The intake is behind (see `behind`).
    pub(super) behind: bool,
    /// It holds a message that may alert.
    pub(super) urgent: bool,
}

/// A round being carried out.
pub(super) struct Committing {
    pub(super) senders: HashSet<String>,
    pub(super) urgent: bool,
    pub(super) task: tokio::task::JoinHandle<()>,
}

/// Whether the intake is behind: the round read as many as it could take (more wait), and
/// its oldest message (`oldest`, stored at) has waited `PATIENCE_MS` or more by `now`.
pub(super) fn behind(read: usize, size: usize, oldest: Option<i64>, now: i64) -> bool {
    read >= size && oldest.is_some_and(|at| now - at >= PATIENCE_MS)
}

/// The next round's size: twice the last while the intake is behind (up to `ROUND_MAX`),
/// back to `ROUND_MIN` once it is not.
pub(super) fn next_size(size: usize, behind: bool) -> usize {
    if behind {
        (size * 2).min(ROUND_MAX)
    } else {
        ROUND_MIN
    }
}

/// How many rounds may be carried out at once, the next one included: `IN_FLIGHT` while
/// messages wait (`full`), so the intake keeps up with full rounds; else one, as a round
/// with room to spare is read as soon as messages arrive.
pub(super) fn in_flight(full: bool) -> usize {
    if full { IN_FLIGHT } else { 1 }
}

/// Whether a round (`urgent` if it holds a message that may alert) waits for an earlier
/// one still being carried out before it is: routine work waits for an alert's, so the
/// alert is committed first. Overlapping, a routine round would take the writer first
/// (SQLite) or make the urgent one's transaction conflict and run again (PostgreSQL).
pub(super) fn yields_to(urgent: bool, earlier_urgent: bool) -> bool {
    earlier_urgent && !urgent
}

/// Waits for the round being carried out, if any.
pub(super) async fn finish(committing: Option<Committing>) {
    if let Some(Committing { task, .. }) = committing
        && let Err(e) = task.await
    {
        // Not what a panic said: it may quote a message.
        tracing::error!(panicked = e.is_panic(), "an intake round stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_routine_rounds_wait_for_urgent_ones() {
        let cases = [
            ("routine after urgent", false, true, true),
            ("urgent after urgent", true, true, false),
            ("urgent after routine", true, false, false),
            ("routine after routine", false, false, false),
        ];
        for (name, urgent, earlier_urgent, waits) in cases {
            assert_eq!(yields_to(urgent, earlier_urgent), waits, "{name}");
        }
    }

    #[test]
    fn behind_is_a_full_round_whose_oldest_waited_past_patience() {
        let now = 100_000;
        let cases = [
            ("full, old", 32, Some(now - PATIENCE_MS), true),
            ("full, young", 32, Some(now - PATIENCE_MS + 1), false),
            ("not full, old", 31, Some(0), false),
            ("empty", 0, None, false),
        ];
        for (name, read, oldest, expected) in cases {
            assert_eq!(behind(read, 32, oldest, now), expected, "{name}");
        }
    }

    #[test]
    fn rounds_grow_while_behind_and_fall_back_once_not() {
        let cases = [
            (ROUND_MIN, false, ROUND_MIN),
            (ROUND_MIN, true, 2 * ROUND_MIN),
            (128, true, ROUND_MAX),
            (ROUND_MAX, true, ROUND_MAX),
            (ROUND_MAX, false, ROUND_MIN),
        ];
        for (size, behind, next) in cases {
            assert_eq!(next_size(size, behind), next, "{size} behind={behind}");
        }
    }

    #[test]
    fn a_second_round_is_carried_out_beside_the_first_only_while_messages_wait() {
        for (full, rounds) in [(true, IN_FLIGHT), (false, 1)] {
            assert_eq!(in_flight(full), rounds, "full={full}");
        }
    }
}
