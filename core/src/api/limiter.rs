//! The client-side rate limiter shared by every task of a [`super::Client`].
//!
//! # Why a sliding window and not a token bucket
//! Cloudflare's limit is a *window*: at most 1,200 requests in any 5 minutes per token, and going
//! over it earns 429s for the next five minutes. A token bucket with a full burst allowance would
//! let through its whole bucket plus the refill earned meanwhile inside one window (1,200 + 4/s),
//! which exceeds the limit. This limiter instead admits a request start only when fewer than `N`
//! starts happened in the last `W`, which is exactly Cloudflare's rule, so it never causes a 429
//! by itself while still using the whole allowance.
//!
//! It also listens to the server: when a `Ratelimit: "default";r=<remaining>;t=<reset>` header
//! reports fewer remaining requests than are in flight (another client may share the token), new
//! starts wait until the reset; a 429 with `Retry-After` pauses every task likewise.
//!
//! Waiters are served in arrival order (a fair `tokio` mutex is the turnstile).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// At most `requests` request starts in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

impl Default for RateLimit {
    /// Cloudflare's REST limit: 1,200 requests per 300 s.
    fn default() -> Self {
        RateLimit {
            requests: 1200,
            window: Duration::from_secs(300),
        }
    }
}

/// A parsed `Ratelimit` response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatelimitHeader {
    /// Requests remaining in the current window (`r`).
    pub remaining: u64,
    /// Seconds until the window resets (`t`).
    pub reset: u64,
}

/// Parses `"default";r=50;t=30` (a structured-field list; the item with the fewest remaining
/// requests wins). Returns `None` when no item has both `r` and `t`.
pub fn parse_ratelimit(value: &str) -> Option<RatelimitHeader> {
    value
        .split(',')
        .filter_map(|item| {
            let (mut r, mut t) = (None, None);
            for param in item.split(';').skip(1) {
                let (key, val) = param.split_once('=')?;
                let val = val.trim().trim_matches('"');
                match key.trim() {
                    "r" => r = val.parse::<u64>().ok(),
                    "t" => t = val.parse::<u64>().ok(),
                    _ => {}
                }
            }
            Some(RatelimitHeader {
                remaining: r?,
                reset: t?,
            })
        })
        .min_by_key(|h| h.remaining)
}

/// The shared sliding-window limiter.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    turnstile: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    starts: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Limiter {
    /// A limiter admitting `limit.requests` starts per `limit.window` (at least one).
    pub fn new(limit: RateLimit) -> Self {
        let limit = RateLimit {
            requests: limit.requests.max(1),
            window: limit.window,
        };
        Limiter {
            limit,
            turnstile: tokio::sync::Mutex::new(()),
            state: Mutex::new(State::default()),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another task panicked mid-update of plain data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits until a request may start, and records the start.
    pub async fn acquire(&self) {
        let _turn = self.turnstile.lock().await;
        loop {
            let now = Instant::now();
            let wait_until = {
                let mut state = self.state();
                while state
                    .starts
                    .front()
                    .is_some_and(|s| *s + self.limit.window <= now)
                {
                    state.starts.pop_front();
                }
                let mut until = state.paused_until.filter(|p| *p > now);
                if state.starts.len() >= self.limit.requests as usize {
                    if let Some(oldest) = state.starts.front() {
                        let free = *oldest + self.limit.window;
                        until = Some(until.map_or(free, |u| u.max(free)));
                    }
                }
                match until {
                    None => {
                        state.starts.push_back(now);
                        return;
                    }
                    Some(until) => until,
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Starts in the last window over the starts the window allows (0 to 1).
    pub fn utilisation(&self) -> f64 {
        let now = Instant::now();
        let state = self.state();
        let recent = state
            .starts
            .iter()
            .filter(|s| **s + self.limit.window > now)
            .count();
        (recent as f64 / f64::from(self.limit.requests)).min(1.0)
    }

    /// Stops every new start until `until` (a 429's `Retry-After`, a `Ratelimit` reset).
    pub fn pause_until(&self, until: Instant) {
        let mut state = self.state();
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Reacts to a `Ratelimit` header: when fewer requests remain than are in flight, pause
    /// until the reset. Returns whether it paused.
    pub fn observe(&self, header: RatelimitHeader, in_flight: usize) -> bool {
        if header.reset > 0 && header.remaining < in_flight as u64 {
            self.pause_until(Instant::now() + Duration::from_secs(header.reset));
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn parses_ratelimit_headers() {
        assert_eq!(
            parse_ratelimit(r#""default";r=50;t=30"#),
            Some(RatelimitHeader {
                remaining: 50,
                reset: 30
            })
        );
        assert_eq!(
            parse_ratelimit(r#""burst";r=9;t=2, "default";r=3;t=40"#),
            Some(RatelimitHeader {
                remaining: 3,
                reset: 40
            })
        );
        assert_eq!(parse_ratelimit(r#""default";r=1"#), None);
        assert_eq!(parse_ratelimit("garbage"), None);
        assert_eq!(parse_ratelimit(r#""default";r=x;t=1"#), None);
    }

    #[tokio::test(start_paused = true)]
    async fn admits_n_per_sliding_window() {
        let limiter = Limiter::new(RateLimit {
            requests: 3,
            window: Duration::from_secs(10),
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), t0, "the first N start at once");
        limiter.acquire().await;
        assert_eq!(
            Instant::now() - t0,
            Duration::from_secs(10),
            "the 4th waits for the window"
        );
        // at most 3 in any 10 s window over a long run
        let mut starts = vec![t0, t0, t0, Instant::now()];
        for _ in 0..8 {
            limiter.acquire().await;
            starts.push(Instant::now());
        }
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .filter(|t| **t < *s + Duration::from_secs(10))
                .count();
            assert!(in_window <= 3, "{in_window} starts in one window at {i}");
        }
        // 12 starts need 3 full windows after the first burst
        assert_eq!(Instant::now() - t0, Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn utilisation_counts_starts_in_the_window() {
        let limiter = Limiter::new(RateLimit {
            requests: 4,
            window: Duration::from_secs(10),
        });
        assert_eq!(limiter.utilisation(), 0.0);
        limiter.acquire().await;
        tokio::time::advance(Duration::from_secs(6)).await;
        limiter.acquire().await;
        assert_eq!(limiter.utilisation(), 0.5);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            limiter.utilisation(),
            0.25,
            "the first start left the window"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(limiter.utilisation(), 0.0);
    }

    #[tokio::test(start_paused = true)]
    async fn shared_between_tasks() {
        let limiter = Arc::new(Limiter::new(RateLimit {
            requests: 4,
            window: Duration::from_secs(60),
        }));
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..10 {
            let l = Arc::clone(&limiter);
            handles.push(tokio::spawn(async move {
                l.acquire().await;
                Instant::now() - t0
            }));
        }
        let mut waits = Vec::new();
        for h in handles {
            waits.push(h.await.unwrap_or_default().as_secs());
        }
        waits.sort_unstable();
        assert_eq!(waits, vec![0, 0, 0, 0, 60, 60, 60, 60, 120, 120]);
    }

    #[tokio::test(start_paused = true)]
    async fn ratelimit_header_pauses_when_little_remains() {
        let limiter = Limiter::new(RateLimit::default());
        let t0 = Instant::now();
        assert!(!limiter.observe(
            RatelimitHeader {
                remaining: 100,
                reset: 30
            },
            8
        ));
        limiter.acquire().await;
        assert_eq!(Instant::now(), t0);
        assert!(limiter.observe(
            RatelimitHeader {
                remaining: 2,
                reset: 30
            },
            8
        ));
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_until_holds_every_start() {
        let limiter = Limiter::new(RateLimit::default());
        let t0 = Instant::now();
        limiter.pause_until(t0 + Duration::from_secs(5));
        limiter.pause_until(t0 + Duration::from_secs(2)); // never shortens
        limiter.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(5));
    }
}
