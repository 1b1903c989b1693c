//! `cargo xtask …`: the project's automation (matklad's xtask pattern).
//!
//! This file only parses the command line and dispatches; each subcommand lives in
//! its own module. Every step prints one `==>` line so a user can follow along.

mod api_fuzz;
mod bench;
mod bench_cluster;
mod bench_config;
mod bench_inbox;
mod bench_ingest;
mod bench_marketplace;
mod bench_page;
mod bench_relay;
mod bench_session;
mod build;
mod cluster;
mod cluster_proxy;
mod cmd;
mod cpu;
mod dashboard;
mod demo;
mod dist;
mod embed_server;
mod fuzz;
mod http;
mod identity_provider;
mod langflow;
mod load;
mod master_key;
mod npm_package;
mod ports;
mod postgres;
mod processes;
mod redis;
mod seed;
mod setup;
mod sitekit_cli;
mod stand_in;
mod static_site;
mod stats;
mod test;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  build [--embed]   build the widget (Wasm) into dist/ and the release `sitekit` binary;
                    --embed bakes dist/ into the binary (feature embed-assets)
  demo              set up, build, and run Langflow (:8790), the embed server (:8787),
                    a demo host site (:8788) and the identity provider its dashboard
                    signs in with (:8789); Ctrl-C stops everything
  cluster [--debug] set up, build, and run three embed server nodes (:8801-8803) on one
                    PostgreSQL (DATABASE_URL_PG's server, else a private one) and one
                    Redis, behind a round-robin proxy (:8797), with Langflow (:8800) and
                    the demo site (:8798); --debug runs the debug server (quicker to
                    build); Ctrl-C stops everything
  test [--skip-lint] [--skip-wasm] [--skip-e2e]
                    fmt check, clippy (native + wasm32), native tests, API fuzzing
                    (Schemathesis), the parsers' fuzz targets (12 s each), the
                    Waldur plugin with the real site agent, wasm tests in headless
                    Chromium, Playwright end-to-end tests
  bench [--only <section>]
                    build, measure, and write BENCHMARKS.md; --only measures one of
                    session, config, ingest, relay, page, marketplace, cluster, inbox and
                    replaces its part, keeping the rest (cluster needs PostgreSQL
                    or DATABASE_URL_PG, and redis-server)
  fuzz [--secs N] [--update-corpus] [target…]
                    run the parsers' fuzz targets (sse, keys, origin, markdown,
                    usage_event; default all) for N seconds each (default 600);
                    --update-corpus folds what they found into fuzz/corpus
  setup             install what is missing (wasm32 target, wasm-bindgen CLI,
                    npm packages, .venv with lfx and schemathesis) and nothing else
  help              this text

Prerequisites: rustup, Node >= 20 with npm, Python >= 3.10.
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    std::env::set_current_dir(&root)?;
    let (command, flags) = match args.split_first() {
        Some((command, flags)) => (command.as_str(), flags),
        None => ("help", &[][..]),
    };
    match command {
        "build" => {
            let embed = parse_flags(flags, &["--embed"])?.contains(&"--embed");
            setup::for_build(&root)?;
            build::all(&root, embed)
        }
        "demo" => {
            parse_flags(flags, &[])?;
            demo::run(&root)
        }
        "cluster" => {
            let debug = parse_flags(flags, &["--debug"])?.contains(&"--debug");
            cluster::run(&root, debug)
        }
        "test" => {
            let given = parse_flags(flags, &["--skip-lint", "--skip-wasm", "--skip-e2e"])?;
            test::run(
                &root,
                test::Skip {
                    lint: given.contains(&"--skip-lint"),
                    wasm: given.contains(&"--skip-wasm"),
                    e2e: given.contains(&"--skip-e2e"),
                },
            )
        }
        "bench" => match flags {
            [] => bench::run(&root),
            [only, name] if only == "--only" => bench::run_one(&root, name),
            _ => bail!("usage: cargo xtask bench [--only <section>]"),
        },
        "fuzz" => fuzz::run(&root, &fuzz::Options::parse(flags)?),
        "setup" => {
            parse_flags(flags, &[])?;
            setup::for_build(&root)?;
            setup::langflow(&root)
        }
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        // The cluster bench's holding runtime, in a process of its own.
        "stand-in" => stand_in::serve_holding(),
        other => bail!("unknown command `{other}`; run `cargo xtask help`"),
    }
}

/// Checks that every flag is one of `allowed` and returns them.
fn parse_flags<'a>(flags: &'a [String], allowed: &[&str]) -> Result<Vec<&'a str>> {
    flags
        .iter()
        .map(|flag| {
            if allowed.contains(&flag.as_str()) {
                Ok(flag.as_str())
            } else {
                bail!("unknown option `{flag}`; run `cargo xtask help`")
            }
        })
        .collect()
}

/// The workspace root: xtask's manifest lives one level below it.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

/// Prints one progress line.
fn step(message: impl std::fmt::Display) {
    say(format_args!("==> {message}"));
}

/// Prints a line to stdout, ignoring errors instead of panicking like `println!`:
/// after Ctrl-C our stdout may be a pipe whose reader (`| tee`) is already gone,
/// and we must still get to stop our children.
fn say(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{text}");
}
