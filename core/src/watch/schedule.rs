//! When the next cycle starts. Times are offsets from the watch's start (the shell's monotonic
//! clock), so this stays pure.
//!
//! * A successful cycle is followed by the next *tick* (`k · interval`): cycles keep their rhythm,
//!   never overlap (the next starts only after the previous ended), and a cycle slower than the
//!   interval skips the ticks that fell while it ran instead of running them back to back.
//! * After `k` failed cycles in a row the next starts [`Backoff::delay`]`(k)` after the failure
//!   ended: `base · 2^(k-1)`, capped at the interval. The first retry comes soon (a blip ends the
//!   outage quickly) and the retries slow down to the normal pace, never faster than the
//!   client's own retries already did inside the cycle and never slower than a healthy watch.

use std::time::Duration;

/// The backoff after consecutive failed cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub base: Duration,
    /// The longest wait (the interval).
    pub cap: Duration,
}

impl Backoff {
    /// The default for a watch every `interval`: first retry after `min(interval, 5 s)`, doubling,
    /// capped at `interval`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = cfcp::watch::Backoff::for_interval(Duration::from_secs(300));
    /// assert_eq!(b.delay(1), Duration::from_secs(5));
    /// assert_eq!(b.delay(2), Duration::from_secs(10));
    /// assert_eq!(b.delay(20), Duration::from_secs(300));
    /// ```
    pub fn for_interval(interval: Duration) -> Self {
        Backoff {
            base: interval.min(Duration::from_secs(5)),
            cap: interval,
        }
    }

    /// The wait after `consecutive_failures` failed cycles in a row: `min(cap, base ·
    /// 2^(consecutive_failures - 1))`; zero when nothing failed.
    pub fn delay(&self, consecutive_failures: u32) -> Duration {
        if consecutive_failures == 0 {
            return Duration::ZERO;
        }
        let factor = 2u32.saturating_pow((consecutive_failures - 1).min(31));
        self.base
            .saturating_mul(factor)
            .min(self.cap.max(self.base))
    }
}

/// When the next cycle starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextCycle {
    /// Offset from the watch's start.
    pub at: Duration,
    /// Ticks that fell while the cycle ran and were skipped.
    pub skipped_ticks: u64,
}

/// The watch's rhythm: an interval and a backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Time between cycle starts (at least 1 ms).
    pub interval: Duration,
    /// Waits after failures.
    pub backoff: Backoff,
}

impl Schedule {
    /// A schedule every `interval` with [`Backoff::for_interval`].
    pub fn new(interval: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        Schedule {
            interval,
            backoff: Backoff::for_interval(interval),
        }
    }

    /// The start of the cycle after one that ran from `started` to `ended` (offsets from the
    /// watch's start) and left `consecutive_failures` failed cycles in a row.
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = cfcp::watch::Schedule::new(Duration::from_secs(60));
    /// let secs = Duration::from_secs;
    /// // A 10 s cycle at 0 s: the next tick, 60 s.
    /// assert_eq!(s.next(secs(0), secs(10), 0).at, secs(60));
    /// // A 130 s cycle at 60 s: the ticks at 120 s and 180 s fell during it; 120 s is skipped.
    /// let next = s.next(secs(60), secs(190), 0);
    /// assert_eq!((next.at, next.skipped_ticks), (secs(240), 2));
    /// ```
    pub fn next(&self, started: Duration, ended: Duration, consecutive_failures: u32) -> NextCycle {
        let ended = ended.max(started);
        let interval = self.interval.as_nanos();
        // Ticks strictly after the start and strictly before the end were missed.
        let first_after_start = started.as_nanos() / interval + 1;
        let first_at_or_after_end = ended.as_nanos().div_ceil(interval);
        let skipped = first_at_or_after_end.saturating_sub(first_after_start);
        let skipped_ticks = u64::try_from(skipped).unwrap_or(u64::MAX);
        let at = if consecutive_failures > 0 {
            ended.saturating_add(self.backoff.delay(consecutive_failures))
        } else {
            let tick = first_at_or_after_end.max(first_after_start);
            nanos(tick.saturating_mul(interval))
        };
        NextCycle { at, skipped_ticks }
    }
}

fn nanos(n: u128) -> Duration {
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (n % 1_000_000_000) as u32)
}

/// Parses a duration such as `30s`, `5m`, `1h`, `1h30m`, `500ms` or `2d`. A number needs a unit.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(cfcp::watch::parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(cfcp::watch::parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert!(cfcp::watch::parse_duration("5").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let usage = || format!("{text:?} is not a duration; expected e.g. 30s, 5m, 1h or 1h30m");
    if text.is_empty() {
        return Err(usage());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(usage());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| usage())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            "" => return Err(format!("{text:?}: a number needs a unit (ms, s, m, h, d)")),
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?}; use ms, s, m, h or d"
                ))
            }
        };
        rest = &rest[unit_len..];
        let part = u32::try_from(number)
            .ok()
            .and_then(|n| unit.checked_mul(n))
            .ok_or_else(|| format!("{text:?} is too long"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("{text:?} is too long"))?;
    }
    if total.is_zero() {
        return Err(format!("{text:?}: the duration must be more than zero"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
