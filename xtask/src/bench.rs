//! `cargo xtask bench`: builds, measures, and writes BENCHMARKS.md. Each measured
//! thing is one function returning a [`Section`] (asset sizes here, the others in
//! `bench_*.rs`); to add a benchmark, write one more such function and list it in
//! [`sections`] (and in [`ALONE`] to let `--only <name>` measure it by itself,
//! replacing its part of BENCHMARKS.md and keeping the rest).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;

use crate::dist::{self, AssetSizes, Manifest};
use crate::{
    bench_cluster, bench_config, bench_inbox, bench_ingest, bench_marketplace, bench_page,
    bench_relay, bench_session, build, cmd, npm_package, processes, say, setup, step,
};

/// Budgets count 1 KB as 1,000 bytes (the stricter reading).
const KB: u64 = 1000;
const LOADER_BROTLI_BUDGET: u64 = 2 * KB;
const WIDGET_BROTLI_BUDGET: u64 = 100 * KB;
const NPM_WASM_BROTLI_BUDGET: u64 = 60 * KB;

/// One part of BENCHMARKS.md: what was measured, how, and the numbers.
pub struct Section {
    pub title: &'static str,
    pub how: String,
    pub table: String,
}

pub fn run(root: &Path) -> Result<()> {
    // The config-route bench starts a server; Ctrl-C must stop it too.
    processes::install_interrupt_handler()?;
    setup::for_build(root)?;
    build::all(root, false)?;
    step("measuring");
    let manifest = dist::read_manifest(&root.join("dist"))?;
    let mut out = String::from(
        "# Benchmarks\n\n\
         Written by `cargo xtask bench`; rerun it rather than editing this file. The budgets \
         are the product design's.\n\n",
    );
    out.push_str(&machine());
    for section in sections(root, &manifest)? {
        let _ = write!(
            out,
            "\n## {}\n\n{}\n\n{}",
            section.title, section.how, section.table
        );
    }
    fs::write(root.join("BENCHMARKS.md"), &out)?;
    step("wrote BENCHMARKS.md");
    say(out.trim_end());
    Ok(())
}

/// What measures one section.
type Measure = fn(&Path) -> Result<Section>;

/// The sections `cargo xtask bench --only <name>` measures by themselves.
const ALONE: [(&str, Measure); 9] = [
    ("sizes", built_sizes),
    ("session", bench_session::section),
    ("config", bench_config::section),
    ("ingest", bench_ingest::section),
    ("relay", bench_relay::section),
    ("page", bench_page::section),
    ("marketplace", bench_marketplace::section),
    ("cluster", bench_cluster::section),
    ("inbox", bench_inbox::section),
];

/// Measures one section and puts it into BENCHMARKS.md in place of the one
/// with its title (or after the others), saying when it was measured.
pub fn run_one(root: &Path, name: &str) -> Result<()> {
    let Some((_, measure)) = ALONE.iter().find(|(known, _)| *known == name) else {
        let names: Vec<&str> = ALONE.iter().map(|(known, _)| *known).collect();
        anyhow::bail!("no bench section `{name}`; one of: {}", names.join(", "));
    };
    processes::install_interrupt_handler()?;
    setup::for_build(root)?;
    build::all(root, false)?;
    step("measuring");
    let mut section = measure(root)?;
    let _ = write!(
        section.how,
        " Measured on {} by `cargo xtask bench --only {name}`; the other sections by the \
         last full run.",
        today()
    );
    let path = root.join("BENCHMARKS.md");
    let document = fs::read_to_string(&path).unwrap_or_default();
    fs::write(&path, with_section(&document, &section))?;
    step("wrote BENCHMARKS.md");
    say(format_args!(
        "## {}\n\n{}\n\n{}",
        section.title,
        section.how,
        section.table.trim_end()
    ));
    Ok(())
}

/// `document` with `section` in place of the part headed by its title, or at
/// its end when it has none. A part runs to the blank line before the next
/// heading.
fn with_section(document: &str, section: &Section) -> String {
    let text = format!(
        "## {}\n\n{}\n\n{}",
        section.title, section.how, section.table
    );
    let heading = format!("\n## {}\n", section.title);
    match document.find(&heading) {
        Some(at) => {
            let start = at + 1;
            let after = at + heading.len();
            let end = document[after..]
                .find("\n## ")
                .map_or(document.len(), |next| after + next);
            format!("{}{text}{}", &document[..start], &document[end..])
        }
        None => format!("{}\n\n{text}", document.trim_end_matches('\n')),
    }
}

fn sections(root: &Path, manifest: &Manifest) -> Result<Vec<Section>> {
    Ok(vec![
        asset_sizes(root, manifest)?,
        bench_session::section(root)?,
        bench_config::section(root)?,
        bench_ingest::section(root)?,
        bench_relay::section(root)?,
        bench_page::section(root)?,
        bench_marketplace::section(root)?,
        bench_cluster::section(root)?,
        bench_inbox::section(root)?,
    ])
}

/// The status column: within budget or over it.
pub fn budget_status(within_budget: bool) -> &'static str {
    if within_budget { "pass" } else { "over" }
}

/// The asset sizes of a fresh `cargo xtask build`.
fn built_sizes(root: &Path) -> Result<Section> {
    setup::for_build(root)?;
    build::all(root, false)?;
    asset_sizes(root, &dist::read_manifest(&root.join("dist"))?)
}

/// What a visitor downloads: the loader on every page view, the widget JS + Wasm
/// when the chat is first opened (and the extras script when the widget's
/// owner turned its extras on); and what a web developer's page downloads of
/// the npm package.
fn asset_sizes(root: &Path, manifest: &Manifest) -> Result<Section> {
    let loader = dist::asset_sizes(manifest, &manifest.loader)?;
    let widget_js = dist::asset_sizes(manifest, &manifest.widget_js)?;
    let widget_wasm = dist::asset_sizes(manifest, &manifest.widget_wasm)?;
    let first_open = AssetSizes {
        name: "widget JS + Wasm on first open".into(),
        bytes: widget_js.bytes + widget_wasm.bytes,
        gzip_bytes: widget_js.gzip_bytes + widget_wasm.gzip_bytes,
        brotli_bytes: widget_js.brotli_bytes + widget_wasm.brotli_bytes,
    };
    let mut table = String::from(
        "| asset | raw | gzip -9 | brotli -q 11 | budget (brotli) | ratio to budget | status |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    size_row(&mut table, loader, Some(LOADER_BROTLI_BUDGET));
    size_row(&mut table, widget_js, None);
    size_row(&mut table, widget_wasm, None);
    size_row(&mut table, &first_open, Some(WIDGET_BROTLI_BUDGET));
    if !manifest.widget_extras.is_empty() {
        let extras = dist::asset_sizes(manifest, &manifest.widget_extras)?;
        size_row(&mut table, extras, None);
    }
    let package = npm_package::dir(root);
    let npm_wasm = measured("npm @sitekit/sdk Wasm", &[package.join(npm_package::WASM)])?;
    size_row(&mut table, &npm_wasm, Some(NPM_WASM_BROTLI_BUDGET));
    let npm_js = measured(
        "npm @sitekit/sdk JS (index.js + bindings)",
        &[
            package.join("index.js"),
            package.join(npm_package::BINDINGS_JS),
        ],
    )?;
    size_row(&mut table, &npm_js, None);
    Ok(Section {
        title: "Asset sizes",
        how: "The files in `dist/` as `cargo xtask build` writes them and the embed server \
              sends them: the widget's Wasm (built with the pinned nightly toolchain, std \
              rebuilt with `optimize_for_size`, `panic=immediate-abort`, no panic locations \
              and no `Debug` output) after `wasm-opt --merge-similar-functions -Oz --converge --low-memory-unused \
              --strip-debug --strip-producers`, its JS glue and the \
              loader minified by esbuild; the widget's extras (CSAT question, contact form, \
              \"talk to a person\"), `www/widget-extras.js` minified by esbuild, which the \
              widget loads only for a widget whose owner turned one on, so not on first open. \
              Compressed sizes are those of the \
              precompressed `.gz` (gzip level 9) and `.br` (brotli quality 11, 4 MiB window) \
              siblings, read from `dist/manifest.json`. The npm package's files are those \
              `cargo xtask build` stages in `target/npm/sitekit-sdk/` (built on stable by \
              wasm-pack, its Wasm after `wasm-opt -Oz`; the JS unminified, as published), compressed here the same way. \
              1 KB = 1,000 bytes."
            .into(),
        table,
    })
}

/// The raw and compressed sizes of `files` taken together.
fn measured(name: &str, files: &[std::path::PathBuf]) -> Result<AssetSizes> {
    let mut sizes = AssetSizes {
        name: name.into(),
        bytes: 0,
        gzip_bytes: 0,
        brotli_bytes: 0,
    };
    for file in files {
        let content = fs::read(file)?;
        sizes.bytes += content.len() as u64;
        sizes.gzip_bytes += dist::gzip(&content)?.len() as u64;
        sizes.brotli_bytes += dist::brotli(&content)?.len() as u64;
    }
    Ok(sizes)
}

fn size_row(table: &mut String, asset: &AssetSizes, brotli_budget: Option<u64>) {
    let (budget, ratio, status) = match brotli_budget {
        Some(budget) => {
            let ratio = asset.brotli_bytes as f64 / budget as f64;
            (
                format!("{} KB", budget / KB),
                format!("{:.0} %", ratio * 100.0),
                budget_status(asset.brotli_bytes <= budget),
            )
        }
        None => ("—".into(), "—".into(), ""),
    };
    let _ = writeln!(
        table,
        "| {} | {} | {} | {} | {budget} | {ratio} | {status} |",
        asset.name,
        bytes(asset.bytes),
        bytes(asset.gzip_bytes),
        bytes(asset.brotli_bytes),
    );
}

/// `12345` → `"12,345 B"`.
fn bytes(count: u64) -> String {
    format!("{} B", grouped(count))
}

/// `1234567` → `"1,234,567"`.
pub fn grouped(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The "on what machine" table.
fn machine() -> String {
    let unknown = || "unknown".to_owned();
    let os = cmd::probe("uname", &["-srm"]).unwrap_or_else(unknown);
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(unknown);
    let cores = std::thread::available_parallelism()
        .map(|cores| cores.to_string())
        .unwrap_or_else(|_| unknown());
    let rustc = cmd::probe("rustc", &["--version"]).unwrap_or_else(unknown);
    let node = cmd::probe("node", &["--version"]).unwrap_or_else(unknown);
    format!(
        "## Machine\n\n\
         | | |\n|---|---|\n\
         | OS (`uname -srm`) | {os} |\n\
         | CPU | {cpu} |\n\
         | cores | {cores} |\n\
         | rustc | {rustc} |\n\
         | node (esbuild, wasm-opt) | {node} |\n\
         | date | {} |\n",
        today()
    )
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, Howard Hinnant's algorithm).
fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0);
    civil_date(seconds / 86_400)
}

fn civil_date(days_since_epoch: u64) -> String {
    let z = days_since_epoch as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} (UTC)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_section_replaces_its_part_and_keeps_the_others() {
        let section = |title: &'static str, table: &str| Section {
            title,
            how: "How.".into(),
            table: format!("{table}\n"),
        };
        let document = "# Benchmarks\n\n## A\n\nHow.\n\nold a\n\n## B\n\nHow.\n\nold b\n";
        assert_eq!(
            with_section(document, &section("A", "new a")),
            "# Benchmarks\n\n## A\n\nHow.\n\nnew a\n\n## B\n\nHow.\n\nold b\n"
        );
        assert_eq!(
            with_section(document, &section("B", "new b")),
            "# Benchmarks\n\n## A\n\nHow.\n\nold a\n\n## B\n\nHow.\n\nnew b\n"
        );
        assert_eq!(
            with_section(document, &section("C", "c")),
            format!("{document}\n## C\n\nHow.\n\nc\n")
        );
    }

    #[test]
    fn dates_from_days_since_epoch() {
        assert_eq!(civil_date(0), "1970-01-01 (UTC)");
        assert_eq!(civil_date(19_782), "2024-02-29 (UTC)");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_234_567), "1,234,567 B");
    }
}
