//! The example program as a user runs it: against a real embed server (and
//! through it a real Langflow runtime) that `cargo xtask test` starts and names
//! in `SITEKIT_FIXTURE_ENDPOINT`, `SITEKIT_FIXTURE_KEY` and `SITEKIT_FIXTURE_ORIGIN`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests through `cargo xtask test`"))
}

fn chat(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitekit-chat"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn answers_each_line_in_the_terminal() {
    let (endpoint, key, origin) = (
        fixture("SITEKIT_FIXTURE_ENDPOINT"),
        fixture("SITEKIT_FIXTURE_KEY"),
        fixture("SITEKIT_FIXTURE_ORIGIN"),
    );
    let args = ["--endpoint", &endpoint, "--key", &key, "--origin", &origin];
    let output = chat(&args, "How do I install the snippet?\nWhat are keys?\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("To install Site Kit embed, copy the snippet"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skt_pub_"),
        "the second answer is there too: {stdout}"
    );
}

#[test]
fn a_refused_origin_ends_with_the_servers_reason() {
    let (endpoint, key) = (
        fixture("SITEKIT_FIXTURE_ENDPOINT"),
        fixture("SITEKIT_FIXTURE_KEY"),
    );
    let args = [
        "--endpoint",
        &endpoint,
        "--key",
        &key,
        "--origin",
        "https://elsewhere.example.net",
    ];
    let output = chat(&args, "hello\n");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("origin_not_allowed"), "{stderr}");
}

#[test]
fn a_missing_option_is_named() {
    let output = chat(&["--endpoint", "http://127.0.0.1:9"], "");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--key is missing"), "{stderr}");
}
