//! A custom activity with typed parameters, progress and cancellation: one
//! async function and one registration line.
//!
//! ```sh
//! cargo run --example custom_activity
//! ```

use std::time::Duration;

use serde::Deserialize;
use taskrunner::{Cancelled, TaskContext};

/// Read from the pipeline object's fields: `myImage` (repeated, so a list)
/// and `myWidth` (a string in the definition, parsed into a number). A field
/// that is missing or does not parse fails the task with errorId
/// `InvalidTaskFields`, naming the field, before the function is called.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resize {
    my_image: Vec<String>,
    my_width: u32,
}

/// Resizes images (here: pretends to, 200 ms each).
async fn resize(params: Resize, ctx: TaskContext) -> Result<(), Cancelled> {
    for (done, image) in params.my_image.iter().enumerate() {
        // Stops at once when asked to (service cancel, lost lease, shutdown).
        ctx.until_cancelled(tokio::time::sleep(Duration::from_millis(200)))
            .await?;
        println!("resized {image} to {} px", params.my_width);
        ctx.progress().set("myResized", (done + 1).to_string());
    }
    Ok(())
}

mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let resize_object = [
        ("type", "ShellCommandActivity"),
        ("command", "true"),
        ("myActivity", "resize"),
        ("myImage", "cat.png"),
        ("myImage", "dog.png"),
        ("myWidth", "640"),
    ];
    support::run(&[("Resize", &resize_object)], |runner| {
        runner.activity_for_field("myActivity", "resize", resize)
    })
    .await
}
