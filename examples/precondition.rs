//! A precondition as a function answering `bool`: `true` reports FINISHED
//! (the guarded activity may run), `false` reports FALSE (the runner checks
//! again every `retryDelay` until `preconditionTimeout`).
//!
//! ```sh
//! cargo run --example precondition
//! ```

use serde::Deserialize;
use taskrunner::TaskContext;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    my_path: String,
}

/// Holds once the input is there.
async fn input_ready(input: Input, _ctx: TaskContext) -> bool {
    let ready = tokio::fs::try_exists(&input.my_path).await.unwrap_or(false);
    println!("{} is there: {ready}", input.my_path);
    ready
}

/// The guarded work.
async fn process(ctx: TaskContext) {
    println!("{}: processing the input", ctx.attempt_id());
}

mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let input = std::env::temp_dir().display().to_string();
    let ready = [
        ("type", "ShellCommandPrecondition"),
        ("command", "true"),
        ("myCheck", "inputReady"),
        ("myPath", input.as_str()),
    ];
    let guarded = [
        ("type", "ShellCommandActivity"),
        ("command", "true"),
        ("myActivity", "process"),
        ("precondition", "InputReady"),
    ];
    support::run(&[("InputReady", &ready), ("Process", &guarded)], |runner| {
        runner
            .activity_for_field("myCheck", "inputReady", input_ready)
            .activity_for_field("myActivity", "process", process)
    })
    .await
}
