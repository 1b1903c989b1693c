//! `cargo xtask fuzz`: the parsers' fuzz targets (`fuzz/`), built by cargo-fuzz on
//! the pinned nightly and run by libFuzzer one after another, each for a set
//! time, from its committed inputs: `fuzz/seeds/<target>` (written by hand, and
//! every input that once broke a parser) and `fuzz/corpus/<target>` (what earlier
//! runs found, minimised). One line per target says how it went; a crash (a
//! panic, a broken invariant, a hang, running out of memory) fails with the
//! input that causes it. `--update-corpus` folds what a run found into
//! `fuzz/corpus`, minimised, to be committed.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{build, cmd, setup, step};

/// Every target, and the longest input each is given: enough for what the
/// parser reads (a key is 49 bytes; a usage event may be 8 KB, so a longer one
/// must be refused) without slowing every run on inputs it never reads.
const TARGETS: [(&str, usize); 5] = [
    ("sse", 4096),
    ("keys", 128),
    ("origin", 1024),
    ("markdown", 4096),
    ("usage_event", 16 * 1024),
];

/// The most inputs a target's committed corpus keeps. The origin target reaches
/// the Public Suffix List's tables, where thousands of inputs each cover an edge
/// (a suffix) no other does; a repository should not hold them all.
const MAX_CORPUS_INPUTS: usize = 300;

/// A parser spending this long on one input of a few kilobytes is stuck.
const TIMEOUT_SECS: u32 = 10;

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq)]
pub struct Options {
    pub secs: u32,
    pub targets: Vec<&'static str>,
    pub update_corpus: bool,
}

impl Options {
    /// `[--secs N] [--update-corpus] [target…]`; no target means every one.
    pub fn parse(flags: &[String]) -> Result<Self> {
        let mut options = Options {
            secs: 600,
            targets: Vec::new(),
            update_corpus: false,
        };
        let mut flags = flags.iter();
        while let Some(flag) = flags.next() {
            match flag.as_str() {
                "--secs" => {
                    let value = flags.next().map(String::as_str).unwrap_or_default();
                    options.secs = match value.parse() {
                        Ok(secs) if secs > 0 => secs,
                        _ => bail!("--secs takes a whole number of seconds, not `{value}`"),
                    };
                }
                "--update-corpus" => options.update_corpus = true,
                name => match TARGETS.iter().find(|(target, _)| *target == name) {
                    Some((target, _)) => options.targets.push(target),
                    None => bail!(
                        "unknown fuzz target or option `{name}`; the targets are {}",
                        TARGETS.map(|(target, _)| target).join(", ")
                    ),
                },
            }
        }
        if options.targets.is_empty() {
            options.targets = TARGETS.map(|(target, _)| target).to_vec();
        }
        Ok(options)
    }
}

pub fn run(root: &Path, options: &Options) -> Result<()> {
    setup::widget_toolchain()?;
    setup::cargo_fuzz()?;
    let work = build::target_dir(root).join("fuzz");
    let bins = build_targets(root, &work)?;
    for &target in &options.targets {
        let bin = bins.join(target);
        let dirs = Dirs::new(root, &work, target)?;
        let max_len = TARGETS
            .iter()
            .find(|(name, _)| *name == target)
            .map_or(4096, |(_, len)| *len);
        fuzz(&bin, target, &dirs, options.secs, max_len)?;
        if options.update_corpus {
            update_corpus(&bin, target, &dirs)?;
        }
    }
    Ok(())
}

/// Builds every target; returns the directory of their binaries.
fn build_targets(root: &Path, work: &Path) -> Result<PathBuf> {
    step(format!(
        "building the fuzz targets (cargo-fuzz, {})",
        setup::WIDGET_TOOLCHAIN
    ));
    cmd::run(
        Command::new("rustup")
            .args(["run", setup::WIDGET_TOOLCHAIN, "cargo", "fuzz", "build"])
            .args(["--fuzz-dir", "fuzz", "--release", "--debug-assertions"])
            // Safe Rust throughout (`unsafe_code` is forbidden): AddressSanitizer
            // would find nothing the borrow checker has not, at half the speed.
            // Debug assertions stay on, so an overflow is a crash too.
            .args(["--sanitizer", "none", "--target-dir"])
            .arg(work)
            .current_dir(root)
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
    )?;
    let rustc =
        cmd::stdout(Command::new("rustup").args(["run", setup::WIDGET_TOOLCHAIN, "rustc", "-vV"]))?;
    let host = rustc
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .context("`rustc -vV` names no host")?;
    Ok(work.join(host).join("release"))
}

/// Where one target's inputs, findings and log live.
struct Dirs {
    /// Committed: written by hand, never rewritten.
    seeds: PathBuf,
    /// Committed: what runs found, minimised by `--update-corpus`.
    corpus: PathBuf,
    /// What this run finds; emptied before it.
    found: PathBuf,
    /// Crashing inputs.
    artifacts: PathBuf,
    log: PathBuf,
    work: PathBuf,
}

impl Dirs {
    fn new(root: &Path, work: &Path, target: &str) -> Result<Self> {
        let dirs = Dirs {
            seeds: root.join("fuzz/seeds").join(target),
            corpus: root.join("fuzz/corpus").join(target),
            found: work.join("found").join(target),
            artifacts: work.join("artifacts").join(target),
            log: work.join("logs").join(format!("{target}.log")),
            work: work.to_owned(),
        };
        if dirs.found.exists() {
            fs::remove_dir_all(&dirs.found)?;
        }
        for dir in [&dirs.corpus, &dirs.found, &dirs.artifacts] {
            fs::create_dir_all(dir)?;
        }
        fs::create_dir_all(work.join("logs"))?;
        Ok(dirs)
    }
}

fn fuzz(bin: &Path, target: &str, dirs: &Dirs, secs: u32, max_len: usize) -> Result<()> {
    let mut artifact_prefix = dirs.artifacts.clone().into_os_string();
    artifact_prefix.push("/");
    let mut libfuzzer = Command::new(bin);
    libfuzzer
        .arg(format!("-max_total_time={secs}"))
        .arg(format!("-max_len={max_len}"))
        .arg(format!("-timeout={TIMEOUT_SECS}"))
        .arg("-print_final_stats=1")
        .arg(format!(
            "-artifact_prefix={}",
            artifact_prefix.to_string_lossy()
        ))
        // New inputs go to the first directory; the committed ones are only read.
        .args([&dirs.found, &dirs.corpus, &dirs.seeds]);
    step(format!(
        "fuzzing {target} for {secs} s: {} (log: {})",
        cmd::display(&libfuzzer),
        dirs.log.display()
    ));
    let status = with_log(&mut libfuzzer, &dirs.log)?;
    let log =
        fs::read_to_string(&dirs.log).with_context(|| format!("reading {}", dirs.log.display()))?;
    if !status.success() {
        let crash = Crash::from_log(&log);
        let input = crash
            .input
            .unwrap_or_else(|| "(libFuzzer named none)".to_owned());
        bail!(
            "fuzz target `{target}` failed ({status}):\n{}\n  input: {input}\n  again: {} {input}\n  log: {}",
            crash.message,
            bin.display(),
            dirs.log.display()
        );
    }
    let summary = Summary::from_log(&log)
        .with_context(|| format!("no final statistics in {}", dirs.log.display()))?;
    step(format!("fuzz {target}: {summary}"));
    Ok(())
}

/// Rewrites `fuzz/corpus/<target>` as the smallest set of its inputs and this
/// run's that covers every edge they reach beyond the seeds.
fn update_corpus(bin: &Path, target: &str, dirs: &Dirs) -> Result<()> {
    let merged = dirs.work.join("merged").join(target);
    if merged.exists() {
        fs::remove_dir_all(&merged)?;
    }
    fs::create_dir_all(&merged)?;
    // The seeds go first, so what they cover counts as covered; then they go.
    let seeds = files(&dirs.seeds)?;
    for seed in &seeds {
        fs::copy(
            seed,
            merged.join(seed.file_name().context("a file has a name")?),
        )?;
    }
    let mut merge = Command::new(bin);
    merge
        .arg("-set_cover_merge=1")
        // Edges only, not how often each ran: a corpus of dozens, not hundreds.
        .arg("-use_counters=0")
        .args([&merged, &dirs.corpus, &dirs.found]);
    let log = dirs.work.join("logs").join(format!("{target}-merge.log"));
    step(format!(
        "minimising the {target} corpus: {}",
        cmd::display(&merge)
    ));
    let status = with_log(&mut merge, &log)?;
    if !status.success() {
        bail!(
            "merging the {target} corpus failed ({status}); see {}",
            log.display()
        );
    }
    for seed in &seeds {
        fs::remove_file(merged.join(seed.file_name().context("a file has a name")?))?;
    }
    for old in files(&dirs.corpus)? {
        fs::remove_file(old)?;
    }
    let mut bytes = 0;
    let mut kept = files(&merged)?;
    let covering = kept.len();
    // libFuzzer names an input by its SHA-1, so the first by name are a fair,
    // repeatable sample.
    kept.sort();
    kept.truncate(MAX_CORPUS_INPUTS);
    for input in &kept {
        bytes += fs::copy(
            input,
            dirs.corpus
                .join(input.file_name().context("a file has a name")?),
        )?;
    }
    let sampled = if covering > kept.len() {
        format!(" (a sample of the {covering} that cover every edge)")
    } else {
        String::new()
    };
    step(format!(
        "fuzz/corpus/{target}: {} inputs, {bytes} bytes{sampled}",
        kept.len()
    ));
    Ok(())
}

/// Runs `command` with its output (libFuzzer writes to stderr) in `log`.
fn with_log(command: &mut Command, log: &Path) -> Result<std::process::ExitStatus> {
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    cmd::status(command.stdout(file.try_clone()?).stderr(file))
}

fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    Ok(files)
}

/// A run's numbers, from libFuzzer's `INITED`/`DONE` lines and final statistics.
#[derive(Debug, PartialEq)]
struct Summary {
    runs: u64,
    per_sec: u64,
    edges_before: u64,
    edges_after: u64,
    new_inputs: u64,
}

impl Summary {
    fn from_log(log: &str) -> Option<Self> {
        let stat = |name: &str| {
            log.lines()
                .find_map(|line| line.strip_prefix(&format!("stat::{name}:")))
                .and_then(|value| value.trim().parse().ok())
        };
        let edges = |event: &str| {
            log.lines()
                .find(|line| line.split_whitespace().nth(1) == Some(event))
                .and_then(|line| number_after(line, "cov:"))
        };
        Some(Summary {
            runs: stat("number_of_executed_units")?,
            per_sec: stat("average_exec_per_sec")?,
            edges_before: edges("INITED")?,
            edges_after: edges("DONE")?,
            new_inputs: stat("new_units_added")?,
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} executions ({}/s), no crash; {} new inputs, coverage {} → {} edges",
            self.runs, self.per_sec, self.new_inputs, self.edges_before, self.edges_after
        )
    }
}

fn number_after(line: &str, label: &str) -> Option<u64> {
    let at = line.find(label)? + label.len();
    line[at..].split_whitespace().next()?.parse().ok()
}

/// Why a run failed and the input that makes it fail.
#[derive(Debug, PartialEq)]
struct Crash {
    message: String,
    input: Option<String>,
}

impl Crash {
    /// libFuzzer's `ERROR` line and the panic's message (a failed assertion
    /// names the invariant), up to its backtrace.
    fn from_log(log: &str) -> Self {
        let mut message: Vec<&str> = log
            .lines()
            .filter(|line| line.contains("ERROR: libFuzzer"))
            .take(1)
            .collect();
        if let Some(start) = log.lines().position(|line| line.contains("panicked at")) {
            message.extend(
                log.lines()
                    .skip(start)
                    .take_while(|line| {
                        !line.starts_with("stack backtrace") && !line.starts_with("note:")
                    })
                    .take(20),
            );
        }
        let input = log
            .lines()
            .find_map(|line| line.split_once("Test unit written to "))
            .map(|(_, path)| path.trim().to_owned());
        Crash {
            message: message
                .iter()
                .map(|line| format!("  {line}"))
                .collect::<Vec<_>>()
                .join("\n"),
            input,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_default_to_every_target_for_ten_minutes() {
        let all = Options::parse(&[]).unwrap();
        assert_eq!(all.secs, 600);
        assert_eq!(
            all.targets,
            ["sse", "keys", "origin", "markdown", "usage_event"]
        );
        assert!(!all.update_corpus);
        let some = Options::parse(&flags("--secs 20 origin keys --update-corpus")).unwrap();
        assert_eq!(
            some,
            Options {
                secs: 20,
                targets: vec!["origin", "keys"],
                update_corpus: true
            }
        );
    }

    #[test]
    fn unknown_targets_and_bad_durations_are_refused() {
        for wrong in ["--secs", "--secs 0", "--secs ten", "json", "--jobs 2"] {
            assert!(Options::parse(&flags(wrong)).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_run_is_summed_up_from_libfuzzer_output() {
        let log = "INFO: Seed: 1\n\
                   #7\tINITED cov: 245 ft: 466 corp: 6/741b exec/s: 0 rss: 27Mb\n\
                   #9\tNEW    cov: 250 ft: 470 corp: 7/800b lim: 4 exec/s: 0 rss: 27Mb\n\
                   #485871\tDONE   cov: 312 ft: 1558 corp: 477/99Kb lim: 885 exec/s: 30366 rss: 28Mb\n\
                   stat::number_of_executed_units: 485871\n\
                   stat::average_exec_per_sec:     30366\n\
                   stat::new_units_added:          471\n";
        let summary = Summary::from_log(log).unwrap();
        assert_eq!(
            summary,
            Summary {
                runs: 485_871,
                per_sec: 30_366,
                edges_before: 245,
                edges_after: 312,
                new_inputs: 471
            }
        );
        assert!(Summary::from_log("#7\tINITED cov: 245\n").is_none());
    }

    #[test]
    fn a_crash_names_its_invariant_and_its_input() {
        let log = "#15\tINITED cov: 892 ft: 1568 corp: 14/617b exec/s: 0 rss: 32Mb\n\
                   thread '<unnamed>' (5381) panicked at fuzz_targets/origin.rs:54:5:\n\
                   assertion `left == right` failed: \"https://*.e.com\"\n  left: Err(\"…\")\n\
                   stack backtrace:\n   0: __rustc::rust_begin_unwind\n\
                   ==5381== ERROR: libFuzzer: deadly signal\n\
                   artifact_prefix='a/'; Test unit written to a/crash-14c6\n";
        let crash = Crash::from_log(log);
        assert_eq!(crash.input.as_deref(), Some("a/crash-14c6"));
        assert_eq!(
            crash.message,
            "  ==5381== ERROR: libFuzzer: deadly signal\n  \
             thread '<unnamed>' (5381) panicked at fuzz_targets/origin.rs:54:5:\n  \
             assertion `left == right` failed: \"https://*.e.com\"\n    left: Err(\"…\")"
        );
    }
}
