//! The delivery worker, one per node: every second it leases the deliveries
//! that are due (`store.rs`: two nodes never send one at once; a lease that
//! runs out is taken again, so delivery is at least once), signs each and
//! POSTs it under the egress policy, and records how it went: 2xx is done,
//! anything else is tried again after a growing pause, for a day.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use reqwest::Url;

use super::endpoint_url::EndpointUrl;
use super::signing::sign;
use super::store::{Attempt, Claimed};
use crate::db::{DAY_MS, Db, now_unix_ms};
use crate::egress::{EgressPolicy, PolicyResolver};

/// How often a node looks for due deliveries.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Deliveries one node sends at once, at most.
const BATCH: i64 = 20;

/// How long a node holds a delivery it is sending: well past the request's
/// own time limit, so a lease runs out only when its node stopped.
const LEASE_MS: i64 = 60_000;

/// One attempt's time limit, from connecting to the last byte read.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What is read of an endpoint's answer, at most: it only has to end.
const ANSWER_BYTES: usize = 4 * 1024;

/// `last_error` is a few words, never a whole error chain.
const ERROR_CHARS: usize = 200;

/// Finished deliveries stay in the log this long.
pub const LOG_KEPT_MS: i64 = 30 * DAY_MS;

/// How often the log is trimmed and the past day's usage enqueued.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// The pause after each failed attempt, in multiples of the first (5 s by
/// default: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 8 h).
const BACK_OFF_STEPS: [u32; 9] = [1, 6, 24, 120, 360, 720, 1_440, 2_880, 5_760];

/// The worker's setup.
#[derive(Debug, Clone)]
pub struct Deliverer {
    db: Db,
    policy: Arc<EgressPolicy>,
    client: reqwest::Client,
    first_retry: Duration,
}

impl Deliverer {
    /// A worker on `db` that reaches only what `policy` allows, pausing
    /// `first_retry` after a first failure (`--webhook-first-retry-ms`).
    pub fn new(db: Db, policy: Arc<EgressPolicy>, first_retry: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(PolicyResolver {
                policy: policy.clone(),
            })
            .user_agent("sitekit-webhooks/1")
            .build()
            .expect("the HTTP client has a valid configuration");
        Deliverer {
            db,
            policy,
            client,
            first_retry,
        }
    }

    /// Runs until the task is aborted.
    pub async fn run(self) {
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut housekeeping = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            tokio::select! {
                _ = poll.tick() => {
                    if let Err(error) = self.send_due().await {
                        tracing::warn!(%error, "cannot send due webhook deliveries");
                    }
                }
                _ = housekeeping.tick() => self.housekeeping().await,
            }
        }
    }

    /// Leases what is due and sends it, until nothing is left due.
    async fn send_due(&self) -> Result<(), sqlx::Error> {
        loop {
            let claimed = self
                .db
                .claim_deliveries(now_unix_ms(), LEASE_MS, BATCH)
                .await?;
            let full = claimed.len() as i64 == BATCH;
            join_all(claimed.iter().map(|delivery| self.deliver(delivery))).await;
            if !full {
                return Ok(());
            }
        }
    }

    async fn deliver(&self, delivery: &Claimed) {
        let attempt = match self.post(delivery).await {
            Ok(status) if (200..300).contains(&status) => Attempt::Delivered {
                status: i64::from(status),
            },
            Ok(status) => self.failed(delivery, Some(i64::from(status)), format!("HTTP {status}")),
            Err(error) => self.failed(delivery, None, error),
        };
        match self
            .db
            .finish_delivery(delivery, &attempt, now_unix_ms())
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::debug!(id = %delivery.id, "webhook delivery's lease was lost"),
            Err(error) => {
                // The lease runs out and the delivery is sent again.
                tracing::warn!(%error, id = %delivery.id, "cannot record a webhook delivery");
            }
        }
    }

    /// A failed attempt, tried again after its back-off while the delivery's
    /// day lasts.
    fn failed(&self, delivery: &Claimed, status: Option<i64>, error: String) -> Attempt {
        let next = now_unix_ms() + back_off(self.first_retry, delivery.attempts + 1);
        Attempt::Failed {
            status,
            error: error.chars().take(ERROR_CHARS).collect(),
            next_attempt_at: (next <= delivery.retry_until).then_some(next),
        }
    }

    /// POSTs the signed delivery; its status, or why there is none.
    async fn post(&self, delivery: &Claimed) -> Result<u16, String> {
        // The policy may have changed since the URL was registered.
        let url = EndpointUrl::parse(&delivery.url, &self.policy)
            .map_err(|refused| format!("refused: {refused}"))?;
        let url = Url::parse(url.as_str()).map_err(|error| error.to_string())?;
        let body = delivery.payload.clone().into_bytes();
        let headers = sign(
            &delivery.id,
            now_unix_ms() / 1_000,
            &body,
            &delivery.secret,
            delivery.previous_secret.as_ref(),
        );
        let mut response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", headers.id)
            .header("webhook-timestamp", headers.timestamp)
            .header("webhook-signature", headers.signature)
            .body(body)
            .send()
            .await
            .map_err(|error| short(&error))?;
        let status = response.status().as_u16();
        let mut read = 0;
        while read < ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                // The status is what counts; an answer cut short does not undo it.
                Ok(None) | Err(_) => break,
            }
        }
        Ok(status)
    }

    /// Trims the log and enqueues the past day's usage; a failure waits for
    /// the next round.
    async fn housekeeping(&self) {
        let now = now_unix_ms();
        if let Err(error) = self.db.enqueue_daily_usage(now).await {
            tracing::warn!(%error, "cannot enqueue the daily usage webhooks");
        }
        if let Err(error) = self
            .db
            .forget_webhook_deliveries_before(now - LOG_KEPT_MS)
            .await
        {
            tracing::warn!(%error, "cannot forget old webhook deliveries");
        }
    }
}

/// The pause after the `attempts`-th failed attempt.
fn back_off(first: Duration, attempts: i64) -> i64 {
    let step = usize::try_from(attempts.max(1) - 1)
        .unwrap_or(usize::MAX)
        .min(BACK_OFF_STEPS.len() - 1);
    let pause = first.saturating_mul(BACK_OFF_STEPS[step]);
    i64::try_from(pause.as_millis()).unwrap_or(i64::MAX)
}

/// Why a request got no answer, in a few words: reqwest's kind and the
/// innermost cause (refused by the egress policy, connection refused).
fn short(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{kind}: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_back_off_grows_from_its_first_step_to_eight_hours() {
        let first = Duration::from_secs(5);
        let pauses: Vec<i64> = (1..=11).map(|n| back_off(first, n) / 1_000).collect();
        assert_eq!(
            pauses,
            [
                5, 30, 120, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800, 28_800
            ]
        );
        assert_eq!(back_off(Duration::from_millis(200), 2), 1_200);
    }
}
