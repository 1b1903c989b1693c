//! The library's layers, top to bottom: a module may use only modules below
//! its own layer, so the code reads top-down and no two folders import each
//! other. The test reads every source file (the binary's `cli/` and `main.rs`
//! sit above all of it and are not checked); it is compiled for tests only.

/// Each layer's modules; a module may use those of later layers.
const LAYERS: &[&[&str]] = &[
    // HTTP: routes, then what they extract from requests and the spec.
    &["routes"],
    &["openapi", "extract"],
    // The state every request shares, then its background tasks.
    &["state"],
    &["retention", "kept_releases"],
    // The owner's inbox reads what chat and usage wrote.
    &["conversations"],
    // What visitors answer besides chat, kept with their conversations.
    &["engagement"],
    // The domains, each using only those below it.
    &["chat"],
    &["operator"],
    &["usage"],
    &["widgets"],
    &["subscriptions"],
    &["catalog"],
    &["agents"],
    // The audit trail and the webhooks' outbox are written by the domains
    // above; webhooks know none of them.
    &["audit", "people", "webhooks"],
    &["keys"],
    &["tenants"],
    // The storage engine.
    &["db"],
    // Plain parts that know no domain.
    &[
        "assets",
        "http_server",
        "egress",
        "client_ip",
        "limits",
        "readiness",
        "setting_rules",
        "master_key",
    ],
    &["codec", "error"],
];

use std::path::{Path, PathBuf};

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `crate::<module>` a text names.
fn used_modules(text: &str) -> Vec<String> {
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            used.extend(group[..end].split(',').map(|item| name_at(item.trim())));
        } else {
            used.push(name_at(rest));
        }
    }
    used
}

fn name_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
        .collect()
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs");
        if ["cli", "main", "lib", "layering"].contains(&module) {
            continue;
        }
        let own =
            layer_of(module).unwrap_or_else(|| panic!("{module} is in no layer: add it to LAYERS"));
        let text = std::fs::read_to_string(&file).unwrap();
        // A module's own tests may use anything.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for used in used_modules(code) {
            // `crate::app`, `crate::openapi_spec`: the crate root, above all.
            let Some(layer) = layer_of(&used) else {
                continue;
            };
            if used != module && layer <= own {
                wrong.push(format!("{} uses crate::{used}", relative.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "uses against the layering:\n{}",
        wrong.join("\n")
    );
}
