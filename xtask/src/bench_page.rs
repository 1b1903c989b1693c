//! The widget on a host page in headless Chromium, next to flowise-embed and
//! @typebot.io/js: main-thread cost and long tasks of loading each embed, time
//! to its launcher, click to a usable chat input, and bytes transferred.
//!
//! The browser side is `xtask/page-bench/bench.mjs` (Node, playwright-core); this
//! module starts the release `sitekit serve` it measures against, seeds a widget
//! allowed on the host page's origin, runs the script, and turns the samples it
//! prints as JSON into medians and ratios.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::bench::{Section, budget_status, grouped};
use crate::processes::Services;
use crate::sitekit_cli::SitekitCli;
use crate::{build, cmd, embed_server, master_key, ports, stats, step};

/// Page views per embed per measurement (after one warm-up round).
const RUNS: usize = 7;
/// Every page view asks for the widget's config from 127.0.0.1; the default
/// per-IP limit (120 a minute) would answer some of them with 429.
const REQUESTS_PER_IP_PER_MINUTE: &str = "1000000000";
const SCRIPT: &str = "xtask/page-bench/bench.mjs";
/// The compared bundles, as the script serves them.
const BUNDLES: [&str; 2] = [
    "node_modules/flowise-embed/dist/web.js",
    "node_modules/@typebot.io/js/dist/web.js",
];
/// A long task, as the Long Tasks API defines it.
const LONG_TASK_MS: u32 = 50;

pub fn section(root: &Path) -> Result<Section> {
    let chromium = chromium()?;
    for bundle in BUNDLES {
        if !root.join(bundle).is_file() {
            bail!("{bundle} is missing: run `npm ci` at the repo root (package.json pins it)");
        }
    }
    let work = build::target_dir(root).join("xtask");
    let database = work.join("bench-page.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let database_url = format!("sqlite://{}", database.display());
    let bind = format!("127.0.0.1:{}", ports::free()?);
    let host_port = ports::free()?;
    let cdn_port = ports::free()?;
    let host_origin = format!("http://localhost:{host_port}");

    let mut services = Services::default();
    let url = embed_server::start_with(
        &mut services,
        root,
        &bind,
        &database_url,
        &master_key::for_tests(root)?,
        &work.join("logs/sitekit-bench-page.log"),
        &["--requests-per-ip-per-minute", REQUESTS_PER_IP_PER_MINUTE],
        &[],
    )?;
    let snippet = seed(root, &database_url, &url, &host_origin)?;

    step(format!(
        "widget on a host page: {RUNS} rounds of page loads and opens in headless Chromium, \
         Site Kit / flowise-embed / @typebot.io/js (a few minutes)"
    ));
    let mut node = Command::new("node");
    node.current_dir(root)
        .arg(SCRIPT)
        .args(["--snippet", &snippet])
        .args(["--host-port", &host_port.to_string()])
        .args(["--cdn-port", &cdn_port.to_string()])
        .args(["--runs", &RUNS.to_string()])
        .arg("--chromium")
        .arg(&chromium);
    let out = cmd::stdout(&mut node).context("the page bench failed (its error is above)")?;
    services.check_running()?;
    services.stop_all();
    let report: Report = serde_json::from_str(&out)
        .with_context(|| format!("{SCRIPT} printed no report JSON: {out}"))?;
    // Every sample, for a closer look than medians give.
    let samples = work.join("page-bench.json");
    fs::write(&samples, &out).with_context(|| format!("writing {}", samples.display()))?;
    report.check()?;
    Ok(Section {
        title: "Widget on a host page (headless Chromium)",
        how: how(&report)?,
        table: table(&report)?,
    })
}

/// `$CHROMIUM_PATH` or Debian's Chromium, as the end-to-end tests use.
fn chromium() -> Result<PathBuf> {
    let path = PathBuf::from(
        std::env::var_os("CHROMIUM_PATH").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    if !path.is_file() {
        bail!(
            "Chromium not found at {}: install it (Debian: apt-get install chromium) or set \
             CHROMIUM_PATH",
            path.display()
        );
    }
    Ok(path)
}

/// A widget allowed on the host page's origin; returns its snippet as the CLI
/// prints it.
fn seed(root: &Path, database_url: &str, url: &str, origin: &str) -> Result<String> {
    let bin = build::sitekit_bin(root);
    let master_key = master_key::for_tests(root)?;
    let cli = SitekitCli {
        bin: &bin,
        database_url,
        master_key: &master_key,
        public_url: url,
    };
    let (_, widget) = cli.create_widget_without_runtime(origin, "Bench widget")?;
    Ok(widget.snippet)
}

/// What `bench.mjs` prints.
#[derive(Debug, Deserialize)]
struct Report {
    chromium: String,
    runs: usize,
    embeds: Variants,
}

#[derive(Debug, Deserialize)]
struct Variants {
    none: Variant,
    ours: Variant,
    flowise: Variant,
    typebot: Variant,
}

#[derive(Debug, Deserialize)]
struct Variant {
    label: String,
    /// The npm package's version, for the compared embeds.
    version: Option<String>,
    /// Page loads in round order (round `i` of every variant ran close in time).
    loads: Vec<Load>,
    opens: Vec<Open>,
}

/// One page load until quiet; times in milliseconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Load {
    task_cpu: f64,
    script_cpu: f64,
    long_tasks: Vec<LongTask>,
    bytes: u64,
}

/// A Long Tasks API entry, with the CPU time the trace shows for that task.
#[derive(Debug, Clone, Copy, Deserialize)]
struct LongTask {
    wall: f64,
    cpu: f64,
}

#[derive(Debug, Deserialize)]
struct Open {
    cold: View,
    warm: View,
}

/// One page view with a click on the launcher; times in milliseconds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct View {
    launcher_ms: f64,
    click_to_interactive_ms: f64,
    bytes: u64,
}

impl Report {
    fn check(&self) -> Result<()> {
        let embeds = &self.embeds;
        for variant in [&embeds.none, &embeds.ours, &embeds.flowise, &embeds.typebot] {
            if variant.loads.len() != self.runs {
                bail!(
                    "{}: {} page loads in the report, expected {}",
                    variant.label,
                    variant.loads.len(),
                    self.runs
                );
            }
        }
        for variant in self.compared() {
            if variant.opens.len() != self.runs {
                bail!(
                    "{}: {} opens in the report",
                    variant.label,
                    variant.opens.len()
                );
            }
        }
        Ok(())
    }

    /// Ours, then the two compared embeds.
    fn compared(&self) -> [&Variant; 3] {
        [
            &self.embeds.ours,
            &self.embeds.flowise,
            &self.embeds.typebot,
        ]
    }
}

impl Variant {
    fn version(&self) -> &str {
        self.version.as_deref().unwrap_or("(unknown version)")
    }
}

/// The median over rounds of what `variant` added to the page alone in the same
/// round: pairing by round cancels slow spells that hit both.
fn added(report: &Report, variant: &Variant, field: fn(&Load) -> f64) -> Result<f64> {
    let deltas: Vec<f64> = variant
        .loads
        .iter()
        .zip(&report.embeds.none.loads)
        .map(|(with, alone)| field(with) - field(alone))
        .collect();
    median(&deltas)
}

fn median(samples: &[f64]) -> Result<f64> {
    stats::median(samples).ok_or_else(|| anyhow!("no samples"))
}

fn median_of<T>(items: &[T], field: impl Fn(&T) -> f64) -> Result<f64> {
    median(&items.iter().map(field).collect::<Vec<_>>())
}

/// One table row: a value per embed (ours first), then ours ÷ each other.
struct Row {
    what: &'static str,
    values: [f64; 3],
    unit: Unit,
}

#[derive(Clone, Copy)]
enum Unit {
    Millis,
    Bytes,
}

impl Unit {
    fn show(self, value: f64) -> String {
        match self {
            Unit::Millis => millis(value),
            Unit::Bytes => format!("{} B", grouped(value.round().max(0.0) as u64)),
        }
    }
}

fn table(report: &Report) -> Result<String> {
    let [ours, flowise, typebot] = report.compared();
    let per_embed = |field: &dyn Fn(&Variant) -> Result<f64>| -> Result<[f64; 3]> {
        Ok([field(ours)?, field(flowise)?, field(typebot)?])
    };
    let rows = [
        Row {
            what: "main-thread CPU time added by loading the embed",
            values: per_embed(&|variant| added(report, variant, |load| load.task_cpu))?,
            unit: Unit::Millis,
        },
        Row {
            what: "… of which JavaScript",
            values: per_embed(&|variant| added(report, variant, |load| load.script_cpu))?,
            unit: Unit::Millis,
        },
        Row {
            what: "time to launcher visible, cold cache",
            values: per_embed(&|variant| median_of(&variant.opens, |open| open.cold.launcher_ms))?,
            unit: Unit::Millis,
        },
        Row {
            what: "time to launcher visible, warm cache",
            values: per_embed(&|variant| median_of(&variant.opens, |open| open.warm.launcher_ms))?,
            unit: Unit::Millis,
        },
        Row {
            what: "click to interactive, cold cache",
            values: per_embed(&|variant| {
                median_of(&variant.opens, |open| open.cold.click_to_interactive_ms)
            })?,
            unit: Unit::Millis,
        },
        Row {
            what: "click to interactive, warm cache",
            values: per_embed(&|variant| {
                median_of(&variant.opens, |open| open.warm.click_to_interactive_ms)
            })?,
            unit: Unit::Millis,
        },
        Row {
            what: "transferred by the page load (cold cache)",
            values: per_embed(&|variant| median_of(&variant.loads, |load| load.bytes as f64))?,
            unit: Unit::Bytes,
        },
        Row {
            what: "transferred up to interactive, cold cache",
            values: per_embed(&|variant| median_of(&variant.opens, |open| open.cold.bytes as f64))?,
            unit: Unit::Bytes,
        },
        Row {
            what: "transferred up to interactive, warm cache",
            values: per_embed(&|variant| median_of(&variant.opens, |open| open.warm.bytes as f64))?,
            unit: Unit::Bytes,
        },
    ];

    let mut out = format!(
        "| measured (median of {runs}) | Site Kit | flowise-embed {flowise_version} | @typebot.io/js {typebot_version} | Site Kit ÷ Flowise | Site Kit ÷ Typebot |\n\
         |---|---:|---:|---:|---:|---:|\n",
        runs = report.runs,
        flowise_version = flowise.version(),
        typebot_version = typebot.version(),
    );
    for row in &rows {
        let [ours_value, flowise_value, typebot_value] = row.values;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.what,
            row.unit.show(ours_value),
            row.unit.show(flowise_value),
            row.unit.show(typebot_value),
            ratio(ours_value, flowise_value),
            ratio(ours_value, typebot_value),
        );
    }
    let long_tasks = report
        .compared()
        .map(|variant| LongTasks::of(&variant.loads));
    let _ = writeln!(
        out,
        "| long tasks (> {LONG_TASK_MS} ms) while loading: page loads with any; median of each load's longest | {} | {} | {} | | |",
        long_tasks[0], long_tasks[1], long_tasks[2],
    );

    let ours_long = &long_tasks[0];
    let _ = write!(
        out,
        "\n| budget | Site Kit measured | status |\n|---|---|---|\n\
         | loader's main-thread time: no long task (> {LONG_TASK_MS} ms) | {} of {} page loads had one{} | {} |\n",
        ours_long.loads_with_any,
        ours_long.loads,
        ours_long
            .longest
            .map(|longest| format!(
                " (the longest {}, of which {} on the CPU)",
                millis(longest.wall),
                millis(longest.cpu)
            ))
            .unwrap_or_default(),
        budget_status(ours_long.loads_with_any == 0),
    );
    Ok(out)
}

/// The long tasks an embed's page loads had.
struct LongTasks {
    loads: usize,
    loads_with_any: usize,
    /// The median over page loads of each one's longest wall time (0 for a
    /// load without).
    typical_longest: f64,
    /// The longest of all, by wall time.
    longest: Option<LongTask>,
}

impl LongTasks {
    fn of(loads: &[Load]) -> Self {
        let longest_per_load: Vec<Option<LongTask>> = loads
            .iter()
            .map(|load| {
                load.long_tasks
                    .iter()
                    .copied()
                    .max_by(|a, b| a.wall.total_cmp(&b.wall))
            })
            .collect();
        let walls: Vec<f64> = longest_per_load
            .iter()
            .map(|longest| longest.map_or(0.0, |task| task.wall))
            .collect();
        LongTasks {
            loads: loads.len(),
            loads_with_any: longest_per_load.iter().flatten().count(),
            typical_longest: stats::median(&walls).unwrap_or(0.0),
            longest: longest_per_load
                .into_iter()
                .flatten()
                .max_by(|a, b| a.wall.total_cmp(&b.wall)),
        }
    }
}

impl std::fmt::Display for LongTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {}", self.loads_with_any, self.loads)?;
        if self.typical_longest > 0.0 {
            write!(f, "; {}", millis(self.typical_longest))
        } else {
            write!(f, "; —")
        }
    }
}

fn how(report: &Report) -> Result<String> {
    let [ours, flowise, typebot] = report.compared();
    let alone_cpu = millis(median_of(&report.embeds.none.loads, |load| load.task_cpu)?);
    let runs = report.runs;
    let preloads = widget_preloads(ours)?;
    let ours_open = if preloads == 0 {
        "Site Kit's loader fetched, compiled and mounted its Wasm widget after the click, so \
         that is in its click-to-interactive time, not in its page load"
            .to_owned()
    } else {
        let when = if preloads == runs {
            "in every page load".to_owned()
        } else {
            format!("in {preloads} of {runs} page loads (in the others the page went quiet first)")
        };
        format!(
            "Site Kit's loader downloaded and compiled its Wasm widget {when}, as it does once \
             the page is idle, so its page-load figures include the widget's bytes; it starts \
             the widget (runs its code, mounts the panel) only on the visitor's first \
             interaction, so that is in its click-to-interactive time"
        )
    };
    Ok(format!(
        "Three embeds on the same simple host page (a heading, some text, three product \
         cards; no script of its own), served from `http://localhost:<port>` by a Node server \
         in `xtask/page-bench/`, in headless Chromium {chromium} (Debian's, driven by \
         playwright-core; flags as in `tests/playwright.config.js`; no CPU or network \
         throttling; 1280×720). **Site Kit**: the release `sitekit serve` on \
         `http://127.0.0.1:<port>` with `dist/` from `cargo xtask build`, a fresh SQLite \
         database and one widget allowed on the host page's origin, seeded with the `sitekit` \
         CLI; the page carries the snippet the CLI prints (`<script async src=…/v1/loader.js \
         data-key=…>`). **flowise-embed {flowise_version}** and **@typebot.io/js \
         {typebot_version}** (pinned in `package.json`): their `dist/web.js` bundles, served \
         by a stand-in CDN on `http://127.0.0.1:<port>` as jsDelivr serves them (brotli \
         quality 11, CORS, cached for a year), loaded with each project's documented \
         snippet: `<script type=\"module\">` importing the bundle, then \
         `Chatbot.init({{chatflowid, apiHost}})` or `Typebot.initBubble({{typebot, apiHost}})`. \
         There is no Flowise or Typebot server here, so `apiHost` points at stubs on the \
         stand-in CDN that answer what an empty bot would: for Flowise (which asks only when \
         the chat opens) `{{\"isStreaming\": true}}` for the chatflow and `{{}}` for its \
         public chatbot config, so it keeps its default look and greeting; for Typebot, \
         whose `startChat` request goes out when the bubble opens, one greeting and a text \
         input with typing emulation off. Every other host name fails at once \
         (`--host-resolver-rules`): Typebot's default theme asks fonts.bunny.net for Open \
         Sans, which here fails without delay and is not counted, where a real visitor would \
         download it. The host page and the embeds' servers are different sites \
         (localhost vs 127.0.0.1), so every embed's requests are cross-site, as in real \
         life.\n\n\
         {runs} rounds after one warm-up round; each round loads every page once, starting \
         with a different one each round, so background load hits all alike; every page view \
         is in a fresh browser context (empty cache and storage). Values are medians over \
         the rounds; ratios are Site Kit's median ÷ the other's; every sample is in \
         `target/xtask/page-bench.json`. **Page load**: from navigation until the page is \
         quiet (the `load` event, then no request in flight for 1 s), with the launcher \
         visible by then. Main-thread time is from a Chromium trace: the CPU time of every \
         top-level task of the page's renderer main thread, minus the page alone's in the \
         same round (the page alone takes {alone_cpu}). CPU rather than wall time, because \
         in these traces a task's wall time is often well above its CPU time even when the \
         machine is otherwise idle, and more so while other processes run; \"of which JavaScript\" is the same \
         for the script-running events inside those tasks (evaluation, compilation, calls, \
         timers, microtasks, event dispatch). Long tasks are the Long Tasks API's entries \
         (`PerformanceObserver`, type `longtask`: tasks over {LONG_TASK_MS} ms of wall time) \
         during the load; the table gives in how many page loads there was any, and the \
         median over the loads of each one's longest (0 for a load without); the budget \
         passes only if none of Site Kit's page loads had one, and gives the longest one's \
         CPU time: the CPU time of the trace's top-level tasks in its span. **Time to launcher visible**: from navigation start to the \
         first animation frame in which the launcher button (found in each embed's open \
         shadow root) has a non-empty box and is not `visibility: hidden`, noted by a probe \
         injected before the page's scripts; the cold run is the first view in a fresh \
         context, the warm one a second tab in the same context (HTTP cache and storage \
         warm). **Click to interactive**: once the page is quiet, Playwright clicks the \
         launcher (moving the pointer onto it first, as a visitor would); from the click \
         event's timestamp to the first frame in which the chat input (Site Kit's \
         `[data-testid=sitekit-input]`, Flowise's `textarea`, Typebot's `input.text-input`) \
         is visible and neither disabled nor read-only. {ours_open}; Flowise opens a panel \
         already in its bundle and asks its two stubs; Typebot sends `startChat` to its stub \
         and shows its input after the greeting bubble's entrance animation (400 ms in its \
         code, part of its design). **Transferred**: bytes on the wire (compressed bodies \
         plus headers, 0 for HTTP-cache hits) of every request except the host page's own, \
         from the DevTools protocol's Network events; \"up to interactive\" counts the \
         requests started before the input became interactive.",
        chromium = report.chromium,
        flowise_version = flowise.version(),
        typebot_version = typebot.version(),
    ))
}

/// How many of Site Kit's page loads already fetched its widget (the loader may
/// do so when the page is idle): those that transferred at least half of what
/// opening the chat with a cold cache takes.
fn widget_preloads(ours: &Variant) -> Result<usize> {
    let to_interactive = median_of(&ours.opens, |open| open.cold.bytes as f64)?;
    Ok(ours
        .loads
        .iter()
        .filter(|load| load.bytes as f64 >= to_interactive / 2.0)
        .count())
}

/// `0.4` → `"0.4 ms"`, `12.34` → `"12.3 ms"`, `1234.5` → `"1,235 ms"`. Added
/// times can come out below zero when an embed costs less than the noise.
fn millis(value: f64) -> String {
    if value.abs() < 100.0 {
        format!("{value:.1} ms")
    } else {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{} ms", grouped(value.abs().round() as u64))
    }
}

/// Ours ÷ theirs with two decimals (three below 0.1, where two would round a
/// byte count to nothing); a dash when theirs is zero or negative.
fn ratio(ours: f64, theirs: f64) -> String {
    if theirs <= 0.0 {
        return "—".into();
    }
    let ratio = ours / theirs;
    if ratio.abs() < 0.1 {
        format!("{ratio:.3}")
    } else {
        format!("{ratio:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(task_cpu: f64, long_tasks: &[f64]) -> Load {
        Load {
            task_cpu,
            script_cpu: 0.0,
            long_tasks: long_tasks
                .iter()
                .map(|&wall| LongTask {
                    wall,
                    cpu: wall / 2.0,
                })
                .collect(),
            bytes: 0,
        }
    }

    fn variant(label: &str, loads: Vec<Load>) -> Variant {
        Variant {
            label: label.into(),
            version: None,
            loads,
            opens: Vec::new(),
        }
    }

    #[test]
    fn added_time_pairs_each_round_with_the_page_alone() {
        let alone = [10.0, 50.0, 12.0];
        let with = [13.0, 54.0, 14.0];
        let report = Report {
            chromium: "156".into(),
            runs: 3,
            embeds: Variants {
                none: variant("host page alone", alone.map(|ms| load(ms, &[])).into()),
                ours: variant("Site Kit", with.map(|ms| load(ms, &[])).into()),
                flowise: variant("flowise-embed 3.1.6", Vec::new()),
                typebot: variant("@typebot.io/js 0.10.7", Vec::new()),
            },
        };
        // Deltas 3, 4, 2: the slow second round does not skew it.
        let ours = &report.embeds.ours;
        assert_eq!(added(&report, ours, |load| load.task_cpu).unwrap(), 3.0);
    }

    #[test]
    fn counts_long_tasks_per_page_load() {
        let loads = [
            load(0.0, &[]),
            load(0.0, &[60.0, 120.0]),
            load(0.0, &[80.0]),
        ];
        let long = LongTasks::of(&loads);
        assert_eq!((long.loads, long.loads_with_any), (3, 2));
        assert_eq!(
            long.longest.map(|task| (task.wall, task.cpu)),
            Some((120.0, 60.0))
        );
        // Each load's longest: 0, 120, 80.
        assert_eq!(long.to_string(), "2 of 3; 80.0 ms");
        let none = LongTasks::of(&loads[..1]);
        assert_eq!(none.to_string(), "0 of 1; —");
        assert!(none.longest.is_none());
    }

    #[test]
    fn formats_times_and_ratios() {
        assert_eq!(millis(0.44), "0.4 ms");
        assert_eq!(millis(99.94), "99.9 ms");
        assert_eq!(millis(1234.5), "1,235 ms");
        assert_eq!(millis(-123.0), "-123 ms");
        assert_eq!(ratio(1.0, 4.0), "0.25");
        assert_eq!(ratio(1_882.0, 242_377.0), "0.008");
        assert_eq!(ratio(1.0, 0.0), "—");
    }
}
