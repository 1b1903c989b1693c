//! Rate limits shared by every node of an install: the GCRA state of each
//! allowance lives in Redis (`--redis-url`), and one Lua script checks and
//! advances it in a single round trip, atomically, on Redis's own clock, so
//! N nodes together allow the configured rate, not N times it.
//!
//! The algorithm is the one `governor` runs in-process: an allowance of
//! `rate` a minute is a burst of `rate`, refilled one every `60 s / rate`.
//! Each key keeps its "theoretical arrival time" (TAT) in milliseconds and
//! expires once it is in the past, so Redis holds only recently active keys.

use std::num::NonZeroU32;
use std::sync::Mutex;
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
    /// Keeps this install's keys apart from anything else in the Redis.
    prefix: String,
    /// When Redis last failed, while it fails: the limits are this node's
    /// own until it answers again.
    failed_at: Mutex<Option<Instant>>,
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
            prefix: prefix.to_owned(),
            failed_at: Mutex::new(None),
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
    /// counts on its own. A failure is logged once, and so is the return.
    pub async fn try_check(&self, key: &str, rate: NonZeroU32) -> Option<Decision> {
        let failed_at = *self
            .failed_at
            .lock()
            .expect("no panics while holding the lock");
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return None;
        }
        let result = self.check(key, rate).await;
        let mut failing = self
            .failed_at
            .lock()
            .expect("no panics while holding the lock");
        match result {
            Ok(decision) => {
                if failing.take().is_some() {
                    tracing::info!("Redis answers again: rate limits are shared by every node");
                }
                Some(decision)
            }
            Err(error) => {
                if failing.is_none() {
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
}
