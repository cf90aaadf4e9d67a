//! Retry policy: which failures are retried, and how long to wait (pure).
//!
//! Like Cloudflare's own SDKs: 408, 409, 429, 5xx and connection / timeout / truncated-body
//! failures are retried with exponential backoff and *full jitter* (a uniformly random wait
//! between 0 and `min(cap, base · 2^n)`), and a `Retry-After` from the server is honoured
//! exactly. A non-idempotent request (POST) is retried only when it provably never reached the
//! server (connect error) or got 429 (Cloudflare did not process it).

use std::time::Duration;

use crate::error::Error;

/// How many times and how fast to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    pub max_retries: u32,
    /// Backoff before the first retry (doubles each time).
    pub base: Duration,
    /// Upper bound of any backoff.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling before retry number `retry` (0 = first retry): `min(cap, base · 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(30));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Full-jitter backoff: `unit` (uniform in `[0, 1)`) times [`RetryPolicy::ceiling`].
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.ceiling(retry).mul_f64(unit)
    }

    /// The wait before retry number `retry`: the server's `Retry-After` when it gave one,
    /// else the jittered backoff.
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or_else(|| self.backoff(retry, unit))
    }
}

/// Parses a `Retry-After` value in seconds (`"30"`, `"1.5"`). HTTP dates are not used by
/// Cloudflare and give `None` (the backoff applies).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 86_400.0)
        .map(Duration::from_secs_f64)
}

/// How far a failed attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The connection was never established: the server saw nothing.
    NotSent,
    /// The request may have reached the server.
    MaybeSent,
}

/// Whether a failed attempt may be retried.
pub fn is_retryable(error: &Error, idempotent: bool, reach: Reach) -> bool {
    match error {
        Error::RateLimited { .. } => true,
        Error::Transport { .. } => idempotent || reach == Reach::NotSent,
        Error::Server { .. } => idempotent,
        _ => idempotent && matches!(error.http_status(), Some(408 | 409)),
    }
}

/// A small deterministic PRNG (SplitMix64) for jitter; seed it for reproducible tests.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// A generator with this seed.
    pub fn seeded(seed: u64) -> Self {
        Jitter(seed)
    }

    /// A generator seeded from the process's hash randomness (no clock, no OS call of ours).
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Jitter(hasher.finish())
    }

    /// Next value uniform in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiContext;

    #[test]
    fn ceiling_doubles_from_half_a_second_to_eight() {
        let p = RetryPolicy::default();
        let secs: Vec<f64> = (0..7).map(|n| p.ceiling(n).as_secs_f64()).collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]);
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn full_jitter_scales_the_ceiling() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(2, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(2, 0.5), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 0.25), Duration::from_secs(1));
        assert_eq!(p.backoff(3, f64::NAN), Duration::ZERO);
        // Retry-After wins over the backoff
        assert_eq!(
            p.delay(0, 0.9, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn seeded_jitter_is_deterministic_and_in_range() {
        let p = RetryPolicy::default();
        let mut a = Jitter::seeded(42);
        let mut b = Jitter::seeded(42);
        for retry in 0..50 {
            let (ua, ub) = (a.next_unit(), b.next_unit());
            assert_eq!(ua, ub);
            assert!((0.0..1.0).contains(&ua));
            assert!(p.backoff(retry, ua) <= p.ceiling(retry));
        }
        let mut c = Jitter::seeded(43);
        assert_ne!(Jitter::seeded(42).next_unit(), c.next_unit());
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[test]
    fn what_is_retried() {
        let ctx = || Box::new(ApiContext::default());
        let transport = Error::Transport {
            message: "reset".into(),
            context: ctx(),
        };
        let limited = Error::RateLimited {
            retry_after: None,
            context: ctx(),
        };
        let server = Error::Server {
            status: 502,
            errors: vec![],
            context: ctx(),
        };
        let conflict = Error::Validation {
            status: 409,
            errors: vec![],
            context: ctx(),
        };
        let timeout = Error::Api {
            status: 408,
            errors: vec![],
            context: ctx(),
        };
        let bad = Error::Validation {
            status: 400,
            errors: vec![],
            context: ctx(),
        };
        let denied = Error::Authentication {
            status: 403,
            errors: vec![],
            context: ctx(),
        };
        for e in [&transport, &limited, &server, &conflict, &timeout] {
            assert!(is_retryable(e, true, Reach::MaybeSent), "{e:?}");
        }
        for e in [&bad, &denied] {
            assert!(!is_retryable(e, true, Reach::MaybeSent), "{e:?}");
        }
        // POST: only when it never left, or on 429
        assert!(is_retryable(&transport, false, Reach::NotSent));
        assert!(!is_retryable(&transport, false, Reach::MaybeSent));
        assert!(is_retryable(&limited, false, Reach::MaybeSent));
        assert!(!is_retryable(&server, false, Reach::MaybeSent));
        assert!(!is_retryable(&conflict, false, Reach::MaybeSent));
    }
}
