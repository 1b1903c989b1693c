//! The agent runtimes the tests' servers reach, and the `sitekit` binary
//! allowed to reach them.

use serde_json::Value;
use sitekit_embed_server::egress::EgressPolicy;
use tokio::process::Command;

use super::database::MASTER_KEY;

/// The Langflow runtime `cargo xtask test` starts (`lfx serve` with the flows in
/// `flows/`), announced through the environment.
#[derive(Debug, Clone)]
pub struct Langflow {
    pub url: String,
    pub key: String,
    pub faq_flow: String,
    pub failing_flow: String,
    /// Answers with the visitor's message, word for word.
    pub echo_flow: String,
}

/// Where nothing listens: port 9 (discard) on loopback refuses connections.
pub const DOWN_RUNTIME: &str = "http://127.0.0.1:9";

impl Langflow {
    /// No runtime: flows that would be Langflow's, on [`DOWN_RUNTIME`], for
    /// servers whose tests never need an agent to answer.
    pub fn absent() -> Langflow {
        Langflow {
            url: DOWN_RUNTIME.into(),
            key: "no-runtime-key".into(),
            faq_flow: "faq-flow".into(),
            failing_flow: "failing-flow".into(),
            echo_flow: "echo-flow".into(),
        }
    }

    pub async fn from_env() -> Langflow {
        let (Ok(url), Ok(key)) = (
            std::env::var("SITEKIT_TEST_LANGFLOW_URL"),
            std::env::var("SITEKIT_TEST_LANGFLOW_KEY"),
        ) else {
            panic!(
                "these tests need a Langflow runtime: run them with `cargo xtask test`, or start \
                 `lfx serve flows/sitekit_faq.py flows/failing.py flows/echo.py` and set SITEKIT_TEST_LANGFLOW_URL \
                 and SITEKIT_TEST_LANGFLOW_KEY"
            )
        };
        let flows: Vec<Value> = reqwest::Client::new()
            .get(format!("{url}/flows"))
            .header("x-api-key", &key)
            .send()
            .await
            .expect("Langflow answers GET /flows")
            .json()
            .await
            .unwrap();
        let flow_id = |file: &str| {
            flows
                .iter()
                .find(|flow| {
                    flow["relative_path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(file))
                })
                .and_then(|flow| flow["id"].as_str())
                .unwrap_or_else(|| panic!("Langflow serves no flow {file}: {flows:?}"))
                .to_owned()
        };
        Langflow {
            faq_flow: flow_id("sitekit_faq.py"),
            failing_flow: flow_id("failing.py"),
            echo_flow: flow_id("echo.py"),
            url,
            key,
        }
    }
}

/// Where the tests' runtimes listen (Langflow and the stand-ins): loopback,
/// which the egress policy refuses unless the operator allows it, as every
/// server and CLI command the tests start does.
pub const LOCAL_RUNTIMES: &str = "127.0.0.1";

/// The egress policy of the servers the tests start.
pub fn local_runtimes() -> EgressPolicy {
    EgressPolicy::parse(LOCAL_RUNTIMES).unwrap()
}

/// The `sitekit` binary under test, allowing the tests' local runtimes and
/// given [`MASTER_KEY`] (and no key file the environment may name).
pub fn sitekit() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitekit"));
    command
        .env("SITEKIT_LOG", "warn")
        .env("SITEKIT_RUNTIME_ALLOW", LOCAL_RUNTIMES)
        .env("SITEKIT_MASTER_KEY", MASTER_KEY)
        .env_remove("SITEKIT_MASTER_KEY_FILE")
        .kill_on_drop(true);
    command
}
