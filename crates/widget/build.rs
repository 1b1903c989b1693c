//! Minifies `src/style.css` into `$OUT_DIR/style.min.css`, which the widget
//! embeds: every byte of the stylesheet is in the Wasm every visitor downloads.
//! Only what is safe everywhere in CSS is removed: comments, runs of whitespace,
//! whitespace next to `{ } ; , >` outside quoted strings, and after the colon of
//! a declaration (`color: red`). Other spaces next to `:` stay (`.a :hover` and
//! `.a:hover` differ), as do those around `+`/`-` (`calc`).

use std::path::Path;
use std::{env, fs};

fn main() {
    let source = "src/style.css";
    println!("cargo:rerun-if-changed={source}");
    let css = fs::read_to_string(source).expect("reading src/style.css");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("style.min.css");
    fs::write(out, minify(&css)).expect("writing style.min.css");
}

fn minify(css: &str) -> String {
    let tight = |c: char| matches!(c, '{' | '}' | ';' | ',' | '>');
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote = None;
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut last = ' ';
            for c in chars.by_ref() {
                if last == '*' && c == '/' {
                    break;
                }
                last = c;
            }
            pending_space = true;
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space
            && !out.is_empty()
            && !tight(c)
            && !out.ends_with(tight)
            && !after_property(&out)
        {
            out.push(' ');
        }
        pending_space = false;
        if c == '}' && out.ends_with(';') {
            out.pop();
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}

/// Whether `out` ends with `{property:` or `;property:`, i.e. a declaration's colon.
fn after_property(out: &str) -> bool {
    let Some(before_colon) = out.strip_suffix(':') else {
        return false;
    };
    let name_start = before_colon
        .rfind(|c: char| !(c.is_ascii_lowercase() || c == '-'))
        .map_or(0, |at| at + 1);
    name_start > 0 && before_colon[..name_start].ends_with(['{', ';'])
}
