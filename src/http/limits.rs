//! Abuse limits per anonymized client address (governor keyed limiters): creates, votes,
//! reads, an author's edits and deletes, and every other route (assets). 0 in the config means unlimited. Idle keys are
//! pruned so memory stays flat.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;
use crate::domain::ip::AnonIp;
use crate::error::ApiError;

/// What a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Creating a comment.
    Create,
    /// Voting.
    Vote,
    /// Reading threads, counts, feeds, config; rendering a preview.
    Read,
    /// An author editing or deleting their own comment (edit token).
    Edit,
    /// Everything else: the widget, the admin page, translations, avatars, the OpenAPI
    /// document, `/healthz`, `/metrics`, the pages behind signed links.
    Asset,
}

impl Class {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Create => "create",
            Class::Vote => "vote",
            Class::Read => "read",
            Class::Edit => "edit",
            Class::Asset => "asset",
        }
    }
}

/// The keyed limiters, one per class.
pub struct Limiters {
    create: Option<DefaultKeyedRateLimiter<String>>,
    vote: Option<DefaultKeyedRateLimiter<String>>,
    read: Option<DefaultKeyedRateLimiter<String>>,
    edit: Option<DefaultKeyedRateLimiter<String>>,
    asset: Option<DefaultKeyedRateLimiter<String>>,
    clock: DefaultClock,
    /// `comments_per_minute` and `votes_per_minute`, which hold for the whole cluster.
    cluster: (u32, u32),
}

fn keyed(per_minute: u32) -> Option<DefaultKeyedRateLimiter<String>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limiters {
    /// Builds the limiters from the `[limits]` table.
    pub fn new(limits: &Limits) -> Limiters {
        Limiters {
            create: keyed(limits.comments_per_minute),
            vote: keyed(limits.votes_per_minute),
            read: keyed(limits.reads_per_minute),
            edit: keyed(limits.edits_per_minute),
            asset: keyed(limits.assets_per_minute),
            clock: DefaultClock::default(),
            cluster: (limits.comments_per_minute, limits.votes_per_minute),
        }
    }

    /// Spends one unit of `class` for `client`, or 429 with the seconds to wait.
    pub fn check(&self, class: Class, client: &AnonIp) -> Result<(), ApiError> {
        let Some(limiter) = self.limiter(class) else {
            return Ok(());
        };
        limiter
            .check_key(&client.as_str().to_string())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                ApiError::RateLimited(wait.as_secs_f64().ceil().max(1.0) as u64)
            })
    }

    fn limiter(&self, class: Class) -> Option<&DefaultKeyedRateLimiter<String>> {
        match class {
            Class::Create => self.create.as_ref(),
            Class::Vote => self.vote.as_ref(),
            Class::Read => self.read.as_ref(),
            Class::Edit => self.edit.as_ref(),
            Class::Asset => self.asset.as_ref(),
        }
    }

    /// The per-minute quota of a class that holds for the whole cluster (creates and votes;
    /// the others are per node), when it is on.
    pub fn cluster_quota(&self, class: Class) -> Option<u32> {
        let n = match class {
            Class::Create => self.cluster.0,
            Class::Vote => self.cluster.1,
            _ => 0,
        };
        (n > 0).then_some(n)
    }

    /// Whether a class is limited at all (`0` per minute turns it off).
    pub fn applies(&self, class: Class) -> bool {
        self.limiter(class).is_some()
    }

    /// Every limiter that is on.
    fn all(&self) -> impl Iterator<Item = &DefaultKeyedRateLimiter<String>> {
        [
            &self.create,
            &self.vote,
            &self.read,
            &self.edit,
            &self.asset,
        ]
        .into_iter()
        .flatten()
    }

    /// Forgets clients that are back to a full quota.
    pub fn prune(&self) {
        for l in self.all() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Keys currently held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.all().map(|l| l.len()).sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How often idle keys are pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_clients_are_pruned() {
        let l = Limiters::new(&Limits {
            reads_per_minute: 600,
            ..Limits::default()
        });
        for i in 0..1000u32 {
            let ip = AnonIp::from_ip(std::net::IpAddr::from((i << 8).to_be_bytes()));
            l.check(Class::Read, &ip).unwrap();
        }
        assert!(l.len() >= 900);
        // One unit comes back every 100 ms at 600/minute; governor keeps a key one interval longer.
        std::thread::sleep(Duration::from_millis(300));
        l.prune();
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn the_wait_is_at_least_one_second() {
        let l = Limiters::new(&Limits {
            comments_per_minute: 1,
            ..Limits::default()
        });
        let ip = AnonIp::from_ip("192.0.2.1".parse().unwrap());
        l.check(Class::Create, &ip).unwrap();
        match l.check(Class::Create, &ip) {
            Err(ApiError::RateLimited(s)) => assert!((1..=60).contains(&s)),
            other => panic!("{other:?}"),
        }
    }
}
