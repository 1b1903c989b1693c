//! The `sitekit` admin commands run on a database directly, as the operator
//! runs them on the server's machine.

use serde_json::Value;

use super::runtime::sitekit;

/// `sitekit --database-url <db_url> <args>`: (succeeded, stdout, stderr).
pub async fn run(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = sitekit()
        .arg("--database-url")
        .arg(db_url)
        .args(args)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// [`run`], which must succeed and print JSON.
pub async fn json_of(db_url: &str, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(db_url, args).await;
    assert!(ok, "sitekit {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("not JSON: {stdout}"))
}
