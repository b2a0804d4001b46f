//! The per-host rate limit: how often Natter may knock on one stranger's door.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between two sweeps of hosts whose quota is full again: the map holds at most the
/// hosts of the last minute plus this many.
pub(crate) const SWEEP_EVERY: u32 = 1024;

/// A keyed limiter over lower-cased host names: `per_minute` requests a minute, all of them
/// available at once. It lives in this process's memory, so the limit is **per node**: a
/// cluster of N nodes may together send N times as many.
#[derive(Debug)]
pub(crate) struct HostLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU32,
}

impl HostLimiter {
    /// `per_minute` requests a minute to each host (0 counts as 1).
    pub(crate) fn new(per_minute: u32) -> HostLimiter {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        HostLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(n).allow_burst(n)),
            checks: AtomicU32::new(0),
        }
    }

    /// Takes one request to `host` from its quota; `false` when none is left.
    pub(crate) fn admit(&self, host: String) -> bool {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&host).is_ok()
    }

    /// Hosts currently remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.limiter.len()
    }
}
