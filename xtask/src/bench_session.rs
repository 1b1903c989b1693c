//! Session-token verification against the design's budget, next to JWT HS256
//! verification measured in the same run: runs the embed server's
//! `benches/session_verify.rs` with `cargo bench` (release profile) and turns the
//! JSON line it prints into a table.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::bench::{Section, budget_status, grouped};
use crate::{cmd, stats, step};

/// The design's budget for one session-token verification.
const SESSION_VERIFY_BUDGET_NS: f64 = 2_000.0;
const BENCH_NAME: &str = "session_verify";

/// The line `benches/session_verify.rs` prints: ns/op of each timed batch.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyRun {
    bench: String,
    iterations_per_batch: u64,
    secret_bytes: u64,
    session_token_bytes: u64,
    jwt_bytes: u64,
    session_ns_per_op: Vec<f64>,
    jwt_ns_per_op: Vec<f64>,
}

/// Medians and spreads of one run.
#[derive(Debug, PartialEq)]
struct Summary {
    session: Spread,
    jwt: Spread,
}

#[derive(Debug, PartialEq)]
struct Spread {
    median: f64,
    fastest: f64,
    slowest: f64,
}

pub fn section(root: &Path) -> Result<Section> {
    step("measuring session-token and JWT HS256 verification (cargo bench, release profile)");
    let stdout = cmd::stdout(cmd::cargo().current_dir(root).args([
        "bench",
        "-p",
        "sitekit-embed-server",
        "--bench",
        BENCH_NAME,
    ]))?;
    let run = parse(&stdout)?;
    Ok(report(&run, &summarize(&run)?))
}

/// Finds the bench's JSON line among whatever else `cargo bench` printed.
fn parse(stdout: &str) -> Result<VerifyRun> {
    let line = stdout
        .lines()
        .find(|line| line.starts_with('{') && line.contains(BENCH_NAME))
        .ok_or_else(|| anyhow!("`cargo bench --bench {BENCH_NAME}` printed no result line"))?;
    let run: VerifyRun = serde_json::from_str(line)
        .with_context(|| format!("reading the {BENCH_NAME} result line {line}"))?;
    if run.bench != BENCH_NAME {
        bail!("expected the {BENCH_NAME} result, got {}", run.bench);
    }
    Ok(run)
}

fn summarize(run: &VerifyRun) -> Result<Summary> {
    let spread = |batches: &[f64], what: &str| -> Result<Spread> {
        let median = stats::median(batches)
            .ok_or_else(|| anyhow!("the {BENCH_NAME} result has no {what} batches"))?;
        Ok(Spread {
            median,
            fastest: batches.iter().copied().fold(f64::INFINITY, f64::min),
            slowest: batches.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    };
    Ok(Summary {
        session: spread(&run.session_ns_per_op, "session token")?,
        jwt: spread(&run.jwt_ns_per_op, "JWT")?,
    })
}

fn report(run: &VerifyRun, summary: &Summary) -> Section {
    let ns = |value: f64| format!("{} ns", grouped(value.round() as u64));
    let mut table = String::from(
        "| token | size | verify, median ns/op | fastest – slowest batch | budget | ratio to budget | status |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    let session = &summary.session;
    let _ = writeln!(
        table,
        "| session token (`SessionSigner::verify`) | {} B | {} | {} – {} | 2 µs | {:.0} % | {} |",
        run.session_token_bytes,
        ns(session.median),
        ns(session.fastest),
        ns(session.slowest),
        session.median / SESSION_VERIFY_BUDGET_NS * 100.0,
        budget_status(session.median <= SESSION_VERIFY_BUDGET_NS),
    );
    let jwt = &summary.jwt;
    let _ = writeln!(
        table,
        "| JWT HS256 (`jsonwebtoken::decode`), reference | {} B | {} | {} – {} | — | — |  |",
        run.jwt_bytes,
        ns(jwt.median),
        ns(jwt.fastest),
        ns(jwt.slowest),
    );
    let _ = write!(
        table,
        "\nSession token ÷ JWT, medians of the same run: **{:.2}** (a session token verifies \
         in {:.0} % of the time a JWT takes).\n",
        session.median / jwt.median,
        session.median / jwt.median * 100.0,
    );
    let batches = run.session_ns_per_op.len();
    Section {
        title: "Session token verification",
        how: format!(
            "`crates/embed-server/benches/session_verify.rs`, run by `cargo bench` (the release \
             profile: LTO, one codegen unit), single-threaded. One process makes one set of claims \
             shaped like those `POST /v1/sessions` mints (tenant, widget and key ids, key \
             generation, visitor id, origin, scopes, expiry) and signs it twice with the same \
             {}-byte secret (as long as the server's): as a session token with the server's own \
             `SessionSigner`, and as a JWT HS256 with the same fields using the `jsonwebtoken` \
             crate pinned in Cargo.toml (RustCrypto backend: the HMAC-SHA256 implementation the \
             server uses too, so the two differ by token format and code, not by crypto library). \
             Each verification checks the signature, decodes the claims into a struct and checks \
             the expiry against the clock, which each reads once per call; a failed verification \
             fails the bench. {batches} batches of {} verifications of each, alternating (order \
             swapped every batch) so that a neighbour's load slows both alike; the table gives \
             the median batch's mean time per verification, and the fastest and slowest batch.",
            run.secret_bytes,
            grouped(run.iterations_per_batch),
        ),
        table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"bench":"session_verify","iterationsPerBatch":50000,"secretBytes":64,"sessionTokenBytes":319,"jwtBytes":357,"sessionNsPerOp":[900.0,1000.0,5000.0],"jwtNsPerOp":[2000.0,2100.0,1900.0]}"#;

    #[test]
    fn finds_the_result_line_among_cargo_output() {
        let stdout = format!("\nrunning 0 tests\n{LINE}\n");
        let run = parse(&stdout).unwrap();
        assert_eq!(run.iterations_per_batch, 50_000);
        assert_eq!(run.jwt_ns_per_op, [2000.0, 2100.0, 1900.0]);
    }

    #[test]
    fn fails_without_a_result_line() {
        assert!(parse("running 0 tests\n").is_err());
        assert!(parse(r#"{"bench":"session_verify"}"#).is_err());
    }

    #[test]
    fn summarizes_with_medians_so_one_slow_batch_does_not_count() {
        let summary = summarize(&parse(LINE).unwrap()).unwrap();
        assert_eq!(
            summary.session,
            Spread {
                median: 1000.0,
                fastest: 900.0,
                slowest: 5000.0
            }
        );
        assert_eq!(summary.jwt.median, 2000.0);
    }

    #[test]
    fn reports_the_ratio_and_the_budget() {
        let run = parse(LINE).unwrap();
        let section = report(&run, &summarize(&run).unwrap());
        assert!(
            section
                .table
                .contains("| 1,000 ns | 900 ns – 5,000 ns | 2 µs | 50 % | pass |")
        );
        assert!(section.table.contains("**0.50**"));
    }

    #[test]
    fn no_summary_without_batches() {
        let mut run = parse(LINE).unwrap();
        run.jwt_ns_per_op.clear();
        assert!(summarize(&run).is_err());
    }
}
