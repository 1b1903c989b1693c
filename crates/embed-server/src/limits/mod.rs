//! Rate limits on the public routes: GCRA (via `governor`) per client IP (its
//! requests, and apart from them the sessions it starts), per publishable key
//! and per visitor. Each client has its own allowance, so one noisy
//! visitor runs into their own limit and never into anybody else's.
//!
//! Addresses are what `client_ip` makes of a request: behind trusted proxies
//! the forwarded client, IPv6 by its /64.
//!
//! With `--redis-url` the allowances are shared by every node (`shared`): N
//! nodes together allow the configured rate. Without it, or while Redis does
//! not answer, the state is the process's own; with N nodes behind a load
//! balancer each then allows the configured rate, N times it in all.

pub mod shared;

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;
use shared::{Decision, SharedLimiter};

/// Allowances, each a burst of that many followed by a steady refill.
#[derive(Debug, Clone, Copy)]
pub struct LimitsConfig {
    /// Browser requests (config, sessions, chat) from one IP address.
    pub requests_per_ip_per_minute: NonZeroU32,
    /// New sessions for one widget's publishable key, over all its visitors.
    pub sessions_per_key_per_minute: NonZeroU32,
    /// Chat messages from one visitor of one widget, unless the widget sets its own.
    pub messages_per_visitor_per_minute: NonZeroU32,
    /// Admin API requests with one secret or restricted key.
    pub admin_requests_per_key_per_minute: NonZeroU32,
    /// Admin API requests from one IP address, counted before its key is
    /// looked up, so guessing keys costs the guesser, not the database.
    pub admin_requests_per_ip_per_minute: NonZeroU32,
    /// New sessions started from one IP address, over all widgets: each new
    /// session may be a new visitor with a fresh per-visitor allowance, so this
    /// bounds how many allowances one address can collect.
    pub sessions_per_ip_per_minute: NonZeroU32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let n = |n| NonZeroU32::new(n).expect("non-zero");
        LimitsConfig {
            requests_per_ip_per_minute: n(120),
            sessions_per_key_per_minute: n(600),
            messages_per_visitor_per_minute: n(20),
            admin_requests_per_key_per_minute: n(600),
            admin_requests_per_ip_per_minute: n(600),
            sessions_per_ip_per_minute: n(30),
        }
    }
}

type VisitorLimiter = DefaultKeyedRateLimiter<(String, String)>;

pub struct Limits {
    config: LimitsConfig,
    /// The allowances of every node, when the install has a Redis.
    shared: Option<Arc<SharedLimiter>>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    sessions_per_key: DefaultKeyedRateLimiter<String>,
    default_messages_per_visitor: NonZeroU32,
    /// One limiter per rate in use: a widget's own rate applies to its visitors
    /// from the next message on. Rates are bounded (see `widgets::settings`), so
    /// this map stays small.
    messages_per_visitor: RwLock<HashMap<NonZeroU32, Arc<VisitorLimiter>>>,
    admin_per_key: DefaultKeyedRateLimiter<String>,
    admin_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    sessions_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    refused: AtomicU64,
}

/// Where the limits are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// By this process alone: the install has no Redis.
    Local,
    /// By every node together, in Redis.
    Shared,
    /// By this process alone for now: the install's Redis does not answer.
    LocalWhileRedisIsAway,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

impl Limits {
    /// Limits counted by this process alone, or with `shared` by every node.
    pub fn new(config: LimitsConfig, shared: Option<Arc<SharedLimiter>>) -> Self {
        Limits {
            config,
            shared,
            per_ip: RateLimiter::keyed(Quota::per_minute(config.requests_per_ip_per_minute)),
            sessions_per_key: RateLimiter::keyed(Quota::per_minute(
                config.sessions_per_key_per_minute,
            )),
            default_messages_per_visitor: config.messages_per_visitor_per_minute,
            messages_per_visitor: RwLock::default(),
            admin_per_key: RateLimiter::keyed(Quota::per_minute(
                config.admin_requests_per_key_per_minute,
            )),
            admin_per_ip: RateLimiter::keyed(Quota::per_minute(
                config.admin_requests_per_ip_per_minute,
            )),
            sessions_per_ip: RateLimiter::keyed(Quota::per_minute(
                config.sessions_per_ip_per_minute,
            )),
            refused: AtomicU64::new(0),
        }
    }

    /// Where the limits are counted right now.
    pub fn counting(&self) -> Counting {
        match &self.shared {
            None => Counting::Local,
            Some(shared) if shared.is_reachable() => Counting::Shared,
            Some(_) => Counting::LocalWhileRedisIsAway,
        }
    }

    /// How many requests the limits refused since the process started.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// How many times Redis stopped answering since the process started.
    pub fn redis_losses(&self) -> u64 {
        self.shared.as_ref().map_or(0, |shared| shared.losses())
    }

    /// One unit of the allowance `key` (of `rate` a minute) in Redis when
    /// the install shares its limits and Redis answers; otherwise `local`,
    /// this process's own count.
    async fn take(
        &self,
        key: String,
        rate: NonZeroU32,
        what: &'static str,
        local: impl FnOnce() -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let decided = match &self.shared {
            None => local(),
            Some(shared) => match shared.try_check(&key, rate).await {
                Some(Decision::Allowed) => Ok(()),
                Some(Decision::Wait(wait)) => Err(rate_limited(what, wait)),
                None => local(),
            },
        };
        if decided.is_err() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        decided
    }

    /// `ip` as `client_ip::rate_key` gives it (IPv6 by its /64).
    pub async fn request_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        const WHAT: &str = "requests from your network";
        let rate = self.config.requests_per_ip_per_minute;
        self.take(format!("ip:{ip}"), rate, WHAT, || {
            check(&self.per_ip, &ip, WHAT)
        })
        .await
    }

    pub async fn session_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        const WHAT: &str = "new chat sessions from your network";
        let rate = self.config.sessions_per_ip_per_minute;
        self.take(format!("sessions-ip:{ip}"), rate, WHAT, || {
            check(&self.sessions_per_ip, &ip, WHAT)
        })
        .await
    }

    pub async fn session_for_key(&self, key_id: &str) -> Result<(), ApiError> {
        const WHAT: &str = "new chat sessions for this widget";
        let rate = self.config.sessions_per_key_per_minute;
        self.take(format!("sessions-key:{key_id}"), rate, WHAT, || {
            check(&self.sessions_per_key, &key_id.to_owned(), WHAT)
        })
        .await
    }

    /// `widget_rate` is the widget's own messages per visitor a minute; 0 means
    /// the server's default.
    pub async fn message_from(
        &self,
        widget_id: &str,
        visitor_id: &str,
        widget_rate: u32,
    ) -> Result<(), ApiError> {
        const WHAT: &str = "messages";
        let rate = NonZeroU32::new(widget_rate).unwrap_or(self.default_messages_per_visitor);
        self.take(
            format!("visitor:{widget_id}:{visitor_id}"),
            rate,
            WHAT,
            || {
                let key = (widget_id.to_owned(), visitor_id.to_owned());
                check(&self.visitor_limiter(rate), &key, WHAT)
            },
        )
        .await
    }

    fn visitor_limiter(&self, rate: NonZeroU32) -> Arc<VisitorLimiter> {
        let existing = self
            .messages_per_visitor
            .read()
            .expect("no panics while holding the lock")
            .get(&rate)
            .cloned();
        existing.unwrap_or_else(|| {
            self.messages_per_visitor
                .write()
                .expect("no panics while holding the lock")
                .entry(rate)
                .or_insert_with(|| Arc::new(RateLimiter::keyed(Quota::per_minute(rate))))
                .clone()
        })
    }

    pub async fn admin_request(&self, key_id: &str) -> Result<(), ApiError> {
        const WHAT: &str = "admin requests with this key";
        let rate = self.config.admin_requests_per_key_per_minute;
        self.take(format!("admin-key:{key_id}"), rate, WHAT, || {
            check(&self.admin_per_key, &key_id.to_owned(), WHAT)
        })
        .await
    }

    /// An admin request from `ip`, before its key is looked up.
    pub async fn admin_request_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        const WHAT: &str = "admin requests from your network";
        let rate = self.config.admin_requests_per_ip_per_minute;
        self.take(format!("admin-ip:{ip}"), rate, WHAT, || {
            check(&self.admin_per_ip, &ip, WHAT)
        })
        .await
    }

    /// Drops the state of clients whose allowance is full again, so memory follows
    /// the number of recently active clients, not of all clients ever seen.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
        self.sessions_per_key.retain_recent();
        self.sessions_per_key.shrink_to_fit();
        for limiter in self
            .messages_per_visitor
            .read()
            .expect("no panics while holding the lock")
            .values()
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.admin_per_key.retain_recent();
        self.admin_per_key.shrink_to_fit();
        self.admin_per_ip.retain_recent();
        self.admin_per_ip.shrink_to_fit();
        self.sessions_per_ip.retain_recent();
        self.sessions_per_ip.shrink_to_fit();
    }
}

fn check<K>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    what: &'static str,
) -> Result<(), ApiError>
where
    K: std::hash::Hash + Eq + Clone,
{
    limiter.check_key(key).map_err(|not_until| {
        rate_limited(
            what,
            not_until.wait_time_from(DefaultClock::default().now()),
        )
    })
}

fn rate_limited(what: &'static str, wait: Duration) -> ApiError {
    // Whole seconds, rounded up: waiting exactly this long always succeeds.
    let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited {
        what,
        retry_after_secs: retry_after_secs.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_visitor: u32) -> LimitsConfig {
        LimitsConfig {
            messages_per_visitor_per_minute: NonZeroU32::new(per_visitor).unwrap(),
            ..LimitsConfig::default()
        }
    }

    #[tokio::test]
    async fn a_visitor_over_the_limit_is_told_to_wait_and_others_are_unaffected() {
        let limits = Limits::new(config(2), None);
        assert!(limits.message_from("w", "noisy", 0).await.is_ok());
        assert!(limits.message_from("w", "noisy", 0).await.is_ok());
        match limits.message_from("w", "noisy", 0).await {
            Err(ApiError::RateLimited {
                retry_after_secs, ..
            }) => {
                assert!((1..=30).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        assert!(limits.message_from("w", "quiet", 0).await.is_ok());
        assert!(
            limits
                .message_from("other-widget", "noisy", 0)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_widget_rate_replaces_the_default_for_its_visitors() {
        let limits = Limits::new(config(2), None);
        for _ in 0..3 {
            assert!(limits.message_from("generous", "v", 3).await.is_ok());
        }
        assert!(limits.message_from("generous", "v", 3).await.is_err());
        assert!(limits.message_from("strict", "v", 1).await.is_ok());
        assert!(limits.message_from("strict", "v", 1).await.is_err());
    }
}
