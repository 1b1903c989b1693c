//! Rate limits and stream caps shared by every node of an install, in Redis
//! (`--redis-url`). The GCRA state of each allowance lives there, and one Lua
//! script checks and advances it in a single round trip, atomically, on
//! Redis's own clock, so N nodes together allow the configured rate, not N
//! times it. Open streams are leases in a sorted set per cap, each expiring
//! on its own, so the streams of a node that dies stop counting by themselves.
//!
//! The algorithm is the one `governor` runs in-process: an allowance of
//! `rate` a minute is a burst of `rate`, refilled one every `60 s / rate`.
//! Each key keeps its "theoretical arrival time" (TAT) in milliseconds and
//! expires once it is in the past, so Redis holds only recently active keys.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A check that takes longer than this counts as Redis being unavailable.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// After a failure, Redis is tried again this long later; meanwhile each node
/// counts on its own, rather than every request waiting for a timeout.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// KEYS[1]: the allowance; ARGV[1]: the emission interval (ms a unit of the
/// allowance takes to refill); ARGV[2]: the burst (how many at once).
/// Returns {1, 0} when allowed, {0, ms to wait} when not.
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - interval * burst
if now < allowed_at then
  return {0, allowed_at - now}
end
redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now)
return {1, 0}
";

/// KEYS[1]: the cap's leases (a sorted set of lease ids by expiry);
/// ARGV[1]: the lease id; ARGV[2]: how many may be open; ARGV[3]: how long
/// the lease lasts (ms). Returns 1 when taken, 0 when the cap is full.
const LEASE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cap = tonumber(ARGV[2])
local lasts = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= cap then
  return 0
end
redis.call('ZADD', KEYS[1], now + lasts, ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < lasts then redis.call('PEXPIRE', KEYS[1], lasts) end
return 1
";

/// What a check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the allowance: the next unit comes after this long.
    Wait(Duration),
}

/// The allowances of every node, in one Redis.
pub struct SharedLimiter {
    connection: ConnectionManager,
    script: redis::Script,
    lease_script: redis::Script,
    /// Keeps this install's keys apart from anything else in the Redis.
    prefix: String,
    /// When Redis last failed, while it fails: the limits are this node's
    /// own until it answers again.
    failed_at: Mutex<Option<Instant>>,
    losses: AtomicU64,
}

impl std::fmt::Debug for SharedLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may carry a password.
        f.debug_struct("SharedLimiter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl SharedLimiter {
    /// The Redis at `url` (`redis://[:password@]host:port[/db]`), connected
    /// on first use, so a server starts while its Redis is away; the
    /// connection comes back by itself when Redis does. Fails only for a URL
    /// that is not a Redis one.
    pub fn new(url: &str, prefix: &str) -> Result<SharedLimiter, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(SharedLimiter {
            connection,
            script: redis::Script::new(GCRA),
            lease_script: redis::Script::new(LEASE),
            prefix: prefix.to_owned(),
            failed_at: Mutex::new(None),
            losses: AtomicU64::new(0),
        })
    }

    /// Whether the last checks reached Redis (the limits are shared now).
    pub fn is_reachable(&self) -> bool {
        self.failed_at
            .lock()
            .expect("no panics while holding the lock")
            .is_none()
    }

    /// [`SharedLimiter::check`], or None while Redis fails: then the caller
    /// counts on its own.
    pub async fn try_check(&self, key: &str, rate: NonZeroU32) -> Option<Decision> {
        self.while_reachable(self.check(key, rate)).await
    }

    /// [`SharedLimiter::lease`], or None while Redis fails: then the node's
    /// own caps are all there is.
    pub async fn try_lease(
        &self,
        cap: &str,
        lease_id: &str,
        open: u32,
        lasts: Duration,
    ) -> Option<bool> {
        self.while_reachable(self.lease(cap, lease_id, open, lasts))
            .await
    }

    /// `call`'s answer, or None while Redis fails (not even trying again
    /// until `RETRY_AFTER` has passed). A failure is logged once, and so is
    /// the return.
    async fn while_reachable<T>(
        &self,
        call: impl Future<Output = Result<T, redis::RedisError>>,
    ) -> Option<T> {
        let failed_at = *self
            .failed_at
            .lock()
            .expect("no panics while holding the lock");
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return None;
        }
        let result = call.await;
        let mut failing = self
            .failed_at
            .lock()
            .expect("no panics while holding the lock");
        match result {
            Ok(answer) => {
                if failing.take().is_some() {
                    tracing::info!("Redis answers again: limits are shared by every node");
                }
                Some(answer)
            }
            Err(error) => {
                if failing.is_none() {
                    self.losses.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        %error,
                        "Redis does not answer: each node limits on its own until it does"
                    );
                }
                // Tried again only after a while, counted from now.
                *failing = Some(Instant::now());
                None
            }
        }
    }

    /// How many times Redis stopped answering since this process started.
    pub fn losses(&self) -> u64 {
        self.losses.load(Ordering::Relaxed)
    }

    /// Takes one unit of the allowance `key` of `rate` a minute, if there is one.
    pub async fn check(&self, key: &str, rate: NonZeroU32) -> Result<Decision, redis::RedisError> {
        let interval_ms = (60_000 / u64::from(rate.get())).max(1);
        let mut connection = self.connection.clone();
        let (allowed, wait_ms): (i64, i64) = self
            .script
            .key(format!("{}:{key}", self.prefix))
            .arg(interval_ms)
            .arg(rate.get())
            .invoke_async(&mut connection)
            .await?;
        Ok(if allowed == 1 {
            Decision::Allowed
        } else {
            Decision::Wait(Duration::from_millis(wait_ms.max(1).unsigned_abs()))
        })
    }

    /// Takes a place under the cap `cap` (at most `open` at once, over every
    /// node) as `lease_id` for at most `lasts`: true when there was one.
    pub async fn lease(
        &self,
        cap: &str,
        lease_id: &str,
        open: u32,
        lasts: Duration,
    ) -> Result<bool, redis::RedisError> {
        let lasts_ms = u64::try_from(lasts.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut connection = self.connection.clone();
        let taken: i64 = self
            .lease_script
            .key(format!("{}:{cap}", self.prefix))
            .arg(lease_id)
            .arg(open)
            .arg(lasts_ms)
            .invoke_async(&mut connection)
            .await?;
        Ok(taken == 1)
    }

    /// Gives the place `lease_id` under `cap` back before its lease ends.
    /// A failure only means it stays taken until then.
    pub async fn release(&self, cap: &str, lease_id: &str) {
        let mut connection = self.connection.clone();
        let released: Result<i64, _> = redis::cmd("ZREM")
            .arg(format!("{}:{cap}", self.prefix))
            .arg(lease_id)
            .query_async(&mut connection)
            .await;
        if let Err(error) = released {
            tracing::debug!(%error, "a stream's place stays taken in Redis until its lease ends");
        }
    }
}
