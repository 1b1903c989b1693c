//! With the `embed-assets` feature, bakes every file of `dist/` (or
//! `$SITEKIT_DIST_DIR`) into the binary so `sitekit` is one self-contained file.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-env-changed=SITEKIT_DIST_DIR");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("embedded_assets.rs");
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    if env::var_os("CARGO_FEATURE_EMBED_ASSETS").is_some() {
        let dist = env::var_os("SITEKIT_DIST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../dist")
            });
        println!("cargo:rerun-if-changed={}", dist.display());
        if !dist.join("manifest.json").is_file() {
            panic!(
                "embed-assets: no manifest.json in {}; run `cargo xtask build` first",
                dist.display()
            );
        }
        let mut names: Vec<_> = fs::read_dir(&dist)
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.path().is_file())
            .collect();
        names.sort_by_key(|entry| entry.file_name());
        for entry in names {
            let path = fs::canonicalize(entry.path()).unwrap();
            println!("cargo:rerun-if-changed={}", path.display());
            code.push_str(&format!(
                "    ({:?}, include_bytes!({:?})),\n",
                entry.file_name().to_string_lossy(),
                path.display().to_string()
            ));
        }
    }
    code.push_str("];\n");
    fs::write(out, code).unwrap();
}
