//! A Waldur purchase to the first streamed answer on the buyer's page: runs
//! `integrations/waldur-site-agent/tests/time_to_answer.py` (the plugin tests'
//! harness: the release `sitekit serve`, the Waldur stand-in, the real
//! waldur-site-agent with the plugin, a private RabbitMQ, the Langflow started
//! here) a few times in event mode, and once with the polling agent's best case
//! beside it, and turns the JSON lines it prints into a table.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::bench::{Section, budget_status};
use crate::processes::Services;
use crate::{build, cmd, langflow, setup, stats, step};

/// The measure of success: a buyer answered on their site within five
/// minutes of buying (the aim is seconds).
const BUDGET_MS: f64 = 5.0 * 60.0 * 1000.0;
const EVENT_RUNS: usize = 3;
const SCRIPT: &str = "integrations/waldur-site-agent/tests/time_to_answer.py";

/// The line the script prints: times since the order was placed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Purchase {
    provisioned_ms: f64,
    first_answer_ms: f64,
}

pub fn section(root: &Path) -> Result<Section> {
    setup::langflow(root)?;
    setup::waldur_agent(root)?;
    let mut services = Services::default();
    let langflow = langflow::start_echo(&mut services, root, "langflow-bench-marketplace.log")?;
    let purchase = |mode: &str| -> Result<Purchase> {
        step(format!(
            "a Waldur purchase to the first answer, {mode} mode (about half a minute)"
        ));
        let line = cmd::stdout(
            Command::new(root.join(setup::WALDUR_VENV).join("bin/python"))
                .current_dir(root)
                .args([SCRIPT, "--mode", mode])
                .env("SITEKIT_BIN", build::sitekit_bin(root))
                .env("SITEKIT_ASSETS_DIR", root.join("dist"))
                .env("SITEKIT_TEST_LANGFLOW_URL", &langflow.url)
                .env("SITEKIT_TEST_LANGFLOW_KEY", &langflow.key),
        )
        .with_context(|| format!("{SCRIPT} --mode {mode} failed (its error is above)"))?;
        serde_json::from_str(line.trim()).with_context(|| format!("{SCRIPT} printed {line}"))
    };
    let event = (0..EVENT_RUNS)
        .map(|_| purchase("event"))
        .collect::<Result<Vec<_>>>()?;
    let polling = purchase("polling")?;
    services.stop_all();
    Ok(report(&event, &polling))
}

fn report(event: &[Purchase], polling: &Purchase) -> Section {
    let spread = |pick: fn(&Purchase) -> f64| {
        let mut samples: Vec<f64> = event.iter().map(pick).collect();
        samples.sort_by(f64::total_cmp);
        let median = stats::median(&samples).unwrap_or(f64::NAN);
        (median, samples[0], samples[samples.len() - 1])
    };
    let (provisioned, fastest_provisioned, slowest_provisioned) = spread(|p| p.provisioned_ms);
    let (answered, fastest_answer, slowest_answer) = spread(|p| p.first_answer_ms);
    let mut table = String::from(
        "| agent | order placed → provisioned | order placed → first streamed answer | budget | status |\n\
         |---|---|---|---|---|\n",
    );
    let seconds = |ms: f64| format!("{:.1} s", ms / 1000.0);
    let range =
        |fastest: f64, slowest: f64| format!("{:.1}–{:.1} s", fastest / 1000.0, slowest / 1000.0);
    let _ = writeln!(
        table,
        "| event mode (`-m event_process`, running), median of {EVENT_RUNS} | {} ({}) | {} ({}) | ≤ 5 min | {} |",
        seconds(provisioned),
        range(fastest_provisioned, slowest_provisioned),
        seconds(answered),
        range(fastest_answer, slowest_answer),
        budget_status(slowest_answer <= BUDGET_MS),
    );
    let _ = writeln!(
        table,
        "| polling (`-m order_process`), its best case: one cycle started at the order | {} | {} | — | {:.0}× event mode's median |",
        seconds(polling.provisioned_ms),
        seconds(polling.first_answer_ms),
        polling.first_answer_ms / answered,
    );
    Section {
        title: "Marketplace: a Waldur purchase to the first answer",
        how: format!(
            "`{SCRIPT}` places a Create order in the Waldur stand-in (the plugin tests' Waldur, \
             built from waldur-api-client's models) and measures from that moment: until the \
             real waldur-site-agent 1.0.7 with the Site Kit plugin has provisioned the buyer's \
             organisation, subscription, widget and keys on the release `sitekit serve` \
             (SQLite) and Waldur marks the order done, and until a visitor of the buyer's site, \
             using the publishable key Waldur shows the buyer, has the first text of the \
             answer streamed back (the echo flow on Langflow, over HTTP as the widget asks). \
             In event mode the agent is already running and hears of the order over STOMP on \
             a WebSocket from a real RabbitMQ, as from Waldur's; its start-up is not counted. \
             The polling row is that mode's best case, a cycle that starts as the order is \
             placed (Python importing the agent takes most of it); a running polling agent \
             looks every `WALDUR_SITE_AGENT_ORDER_PROCESS_PERIOD_MINUTES` (5 by default, and \
             never sooner than once a minute), so a buyer waits up to that long."
        ),
        table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_medians_ranges_and_the_polling_ratio() {
        let event = [
            Purchase {
                provisioned_ms: 400.0,
                first_answer_ms: 900.0,
            },
            Purchase {
                provisioned_ms: 300.0,
                first_answer_ms: 700.0,
            },
            Purchase {
                provisioned_ms: 500.0,
                first_answer_ms: 800.0,
            },
        ];
        let polling = Purchase {
            provisioned_ms: 5_600.0,
            first_answer_ms: 6_400.0,
        };
        let table = report(&event, &polling).table;
        assert!(
            table.contains("| 0.4 s (0.3–0.5 s) | 0.8 s (0.7–0.9 s) | ≤ 5 min | pass |"),
            "{table}"
        );
        assert!(
            table.contains("| 5.6 s | 6.4 s | — | 8× event mode's median |"),
            "{table}"
        );
    }
}
