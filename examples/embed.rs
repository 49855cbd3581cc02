//! Embedding a runner in your own program: runner-wide tower layers, and a
//! graceful shutdown on Ctrl-C (tasks in flight finish and are reported
//! first) — here also once the two-step pipeline (`Load` dependsOn
//! `Extract`) is done.
//!
//! ```sh
//! RUST_LOG=info cargo run --example embed
//! ```

use serde::Deserialize;
use taskrunner::TaskContext;
use tower::limit::ConcurrencyLimitLayer;
use tower::util::MapRequestLayer;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    my_message: String,
}

/// One step of the pipeline: says what it does.
async fn step(params: Step, ctx: TaskContext) {
    println!("{}: {}", ctx.attempt_id(), params.my_message);
}

mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let step_object = |message| {
        [
            ("type", "ShellCommandActivity"),
            ("command", "true"),
            ("myActivity", "step"),
            ("myMessage", message),
        ]
    };
    let extract = step_object("extracting rows");
    let load = step_object("loading rows");
    let load = [&load[..], &[("dependsOn", "Extract")]].concat();
    let local = support::Local::start(&[("Extract", &extract), ("Load", &load)]).await?;

    let runner = local
        .runner()
        .activity_for_field("myActivity", "step", step)
        // Layers wrap every activity, whenever it was registered.
        .layer(ConcurrencyLimitLayer::new(1))
        .layer(MapRequestLayer::new(|ctx: TaskContext| {
            tracing::info!(pipeline = ctx.pipeline_id(), "starting a task");
            ctx
        }))
        .build()?;
    // Stops polling on Ctrl-C (or when the pipeline is done), then drains.
    let shutdown = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = local.finished() => {}
        }
    };
    let summary = runner.run_until(shutdown).await;
    local.report(summary).await
}
