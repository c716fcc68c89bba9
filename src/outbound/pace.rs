//! A channel's send pace: its configured rate, halved each time the provider throttles us,
//! and doubled back toward the configured rate after each quiet spell. A provider that
//! answers 429 is telling us its real limit is lower than ours; going on at full speed
//! would only earn more 429s.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Throttle-free time after which the pace doubles back.
const CALM: Duration = Duration::from_secs(30);
/// A channel with no configured limit starts here when first throttled.
const UNLIMITED_THROTTLED: u32 = 10;
/// Above this, a channel configured without a limit has none again.
const UNLIMITED_AGAIN: u32 = 1000;

#[derive(Debug)]
pub struct Pace {
    /// Messages per second and burst from the config; `None`: no limit.
    configured: Option<(u32, u32)>,
    /// The rate in force; `None`: no limit.
    current: Option<u32>,
    limiter: Option<DefaultDirectRateLimiter>,
    calm_since: Instant,
}

impl Pace {
    pub fn new(configured: Option<(u32, u32)>, now: Instant) -> Self {
        let mut pace = Self {
            configured,
            current: configured.map(|(rate, _)| rate),
            limiter: None,
            calm_since: now,
        };
        pace.rebuild();
        pace
    }

    /// The rate in force, messages per second; `None` for no limit.
    pub fn rate(&self) -> Option<u32> {
        self.current
    }

    /// How many messages to claim at once: what the pace sends in about a second (its
    /// burst included), so a claimed batch never keeps an alert waiting long.
    pub fn batch(&self, max: usize) -> usize {
        let Some(rate) = self.current else {
            return max;
        };
        let burst = self.configured.map_or(rate, |(_, burst)| burst.min(rate));
        (rate.max(burst) as usize).clamp(1, max)
    }

    /// The provider throttled us: halve the pace.
    pub fn throttled(&mut self, now: Instant) {
        self.current = Some(self.current.map_or(UNLIMITED_THROTTLED, |r| (r / 2).max(1)));
        self.calm_since = now;
        self.rebuild();
    }

    /// After a quiet spell, double back toward the configured pace.
    pub fn relax(&mut self, now: Instant) {
        let Some(current) = self.current else { return };
        if now.saturating_duration_since(self.calm_since) < CALM {
            return;
        }
        let doubled = current.saturating_mul(2);
        self.current = match self.configured {
            Some((rate, _)) if doubled >= rate => Some(rate),
            Some(_) => Some(doubled),
            None if doubled > UNLIMITED_AGAIN => None,
            None => Some(doubled),
        };
        if self.current != Some(current) {
            self.calm_since = now;
            self.rebuild();
        }
    }

    /// Waits for the pace to allow one more message.
    pub async fn until_ready(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
    }

    fn rebuild(&mut self) {
        self.limiter = self.current.and_then(|rate| {
            let burst = self.configured.map_or(rate, |(_, burst)| burst.min(rate));
            let quota = Quota::per_second(NonZeroU32::new(rate)?)
                .allow_burst(NonZeroU32::new(burst.max(1))?);
            Some(RateLimiter::direct(quota))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy)]
    enum Event {
        Throttled,
        Relax,
    }

    /// Name, configured rate and burst, events at seconds from the start, rate after.
    type Case = (
        &'static str,
        Option<(u32, u32)>,
        Vec<(Event, u64)>,
        Option<u32>,
    );

    #[test]
    fn the_pace_halves_on_throttling_and_doubles_back_after_calm() {
        let s = Duration::from_secs;
        let relaxing = |times: u64| (1..=times).map(|i| (Event::Relax, 30 * i));
        let cases: [Case; 6] = [
            ("as configured", Some((20, 20)), vec![], Some(20)),
            (
                "halved twice",
                Some((20, 20)),
                vec![(Event::Throttled, 0), (Event::Throttled, 1)],
                Some(5),
            ),
            (
                "not relaxed before the calm",
                Some((20, 20)),
                vec![(Event::Throttled, 0), (Event::Relax, 29)],
                Some(10),
            ),
            (
                "back to the configured rate, never above",
                Some((20, 20)),
                std::iter::once((Event::Throttled, 0))
                    .chain(relaxing(2))
                    .collect(),
                Some(20),
            ),
            (
                "no limit, throttled: ten a second",
                None,
                vec![(Event::Throttled, 0)],
                Some(10),
            ),
            (
                "then no limit again",
                None,
                std::iter::once((Event::Throttled, 0))
                    .chain(relaxing(7))
                    .collect(),
                None,
            ),
        ];
        for (name, configured, events, expected) in cases {
            let start = Instant::now();
            let mut pace = Pace::new(configured, start);
            for (event, at) in events {
                match event {
                    Event::Throttled => pace.throttled(start + s(at)),
                    Event::Relax => pace.relax(start + s(at)),
                }
            }
            assert_eq!(pace.rate(), expected, "{name}");
            let batch = expected.map_or(256, |rate| rate as usize);
            assert_eq!(
                pace.batch(256),
                batch,
                "{name}: claims what it sends in a second"
            );
        }
    }
}
