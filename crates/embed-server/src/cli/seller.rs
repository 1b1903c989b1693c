//! `sitekit seller usage`: how buyers use a seller's published agents, per
//! version (to compare them), buyer and day.

use anyhow::Result;
use sitekit_sdk::seller::{SellerCounts, SellerUsageQuery, SellerUsageReport};

use crate::cli::args::SellerCommand;
use crate::cli::backend::AdminBackend;
use crate::cli::commands::print;

pub async fn run(backend: &impl AdminBackend, command: SellerCommand) -> Result<()> {
    match command {
        SellerCommand::Usage {
            tenant,
            from,
            to,
            published_agent,
            json,
        } => {
            let query = SellerUsageQuery {
                from,
                to,
                published_agent_id: published_agent,
            };
            let report = backend.seller_usage(tenant.as_deref(), query).await?;
            print(json, &report, print_report)
        }
    }
}

fn print_report(report: &SellerUsageReport) {
    println!("from {} to {}", report.from, report.to);
    println!("versions:");
    for version in &report.versions {
        println!(
            "  {} ({}) version {}: {} subscriptions now; {}",
            version.agent_name,
            version.published_agent_id,
            version.version,
            version.subscriptions,
            counts_text(&version.counts)
        );
    }
    println!("subscribers:");
    for buyer in &report.subscriptions {
        println!(
            "  {} ({}) to {}: {} subscriptions, {} following the latest",
            buyer.buyer_name,
            buyer.buyer_id,
            buyer.published_agent_id,
            buyer.subscriptions,
            buyer.following_latest
        );
    }
    println!("days:");
    for day in &report.days {
        println!(
            "  {}  {} version {}  {} ({}): {}",
            day.date,
            day.published_agent_id,
            day.version,
            day.buyer_name,
            day.buyer_id,
            counts_text(&day.counts)
        );
    }
}

/// `3 runs, 2 conversations, …` with the times when there were runs.
fn counts_text(counts: &SellerCounts) -> String {
    let mut text = format!(
        "{} runs, {} conversations, {} tokens in, {} out, ratings {} up {} down",
        counts.runs,
        counts.conversations,
        counts.input_tokens,
        counts.output_tokens,
        counts.feedback_up,
        counts.feedback_down
    );
    if !counts.errors.is_empty() {
        let errors: Vec<String> = counts
            .errors
            .iter()
            .map(|(code, runs)| format!("{code}:{runs}"))
            .collect();
        text.push_str(&format!(", errors {}", errors.join(";")));
    }
    let times = [
        (
            "first event",
            counts.first_event_ms_p50,
            counts.first_event_ms_p95,
        ),
        ("duration", counts.duration_ms_p50, counts.duration_ms_p95),
    ];
    for (what, p50, p95) in times {
        if let (Some(p50), Some(p95)) = (p50, p95) {
            text.push_str(&format!(", {what} p50 {p50} ms p95 {p95} ms"));
        }
    }
    text
}
