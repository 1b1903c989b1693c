//! `sitekit-chat`: a terminal chat with a Site Kit agent, on the native Rust SDK.
//!
//! ```text
//! sitekit-chat --endpoint http://127.0.0.1:8787 --key skt_pub_test_… --origin http://127.0.0.1:8788
//! ```
//!
//! Each line typed is a message; the answer streams in as it is written. Every
//! message continues one conversation (thread). End with Ctrl-D.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use futures_util::StreamExt;
use sitekit_sdk::{Client, Error, UsageReporter};

const USAGE: &str = "\
usage: sitekit-chat --endpoint URL --key skt_pub_… --origin ORIGIN

  --endpoint  the embed server, e.g. http://127.0.0.1:8787 (env SITEKIT_ENDPOINT)
  --key       the widget's publishable key (env SITEKIT_KEY)
  --origin    one of the widget's allowed origins, presented as a browser
              would (env SITEKIT_ORIGIN)

Type a message and press Enter; Ctrl-D ends the chat.";

struct Options {
    endpoint: String,
    key: String,
    origin: String,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut endpoint, mut key, mut origin) = (
        std::env::var("SITEKIT_ENDPOINT").ok(),
        std::env::var("SITEKIT_KEY").ok(),
        std::env::var("SITEKIT_ORIGIN").ok(),
    );
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--endpoint" => &mut endpoint,
            "--key" => &mut key,
            "--origin" => &mut origin,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        };
        *slot = Some(args.next().ok_or(format!("{flag} needs a value"))?);
    }
    Ok(Options {
        endpoint: endpoint.ok_or("--endpoint is missing")?,
        key: key.ok_or("--key is missing")?,
        origin: origin.ok_or("--origin is missing")?,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("sitekit-chat: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match chat(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sitekit-chat: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn chat(options: Options) -> Result<(), Error> {
    let client = Client::new(options.endpoint, options.key).with_origin(options.origin);
    // Checks the key and origin before the first question, and greets.
    let config = client.config().await?;
    client.session().await?;
    let usage = UsageReporter::new(&client);
    println!("{} — {}", config.title, config.greeting);
    let thread = format!("cli-{}", std::process::id());
    let mut stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(message) = line else { break };
        let message = message.trim();
        if message.is_empty() {
            continue;
        }
        let mut answer = client.answer(&thread, message).await?;
        while let Some(delta) = answer.next().await {
            match delta {
                Ok(delta) => {
                    print!("{delta}");
                    let _ = stdout.flush();
                }
                // The agent failed this time; the next question may go better.
                Err(Error::Run { code, message }) => {
                    print!("[the agent could not answer: {message} ({code})]");
                }
                Err(error) => return Err(error),
            }
        }
        println!();
    }
    // Sends the usage events still waiting (messages are counted by the server).
    usage.close().await?;
    Ok(())
}
