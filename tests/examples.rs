//! Every example runs to the end against its embedded local service and
//! reports its pipeline FINISHED.
//!
//! The examples are the binaries `cargo test` builds beside this test
//! (`target/<profile>/examples/`); building them from here would wait on
//! the lock the running `cargo test` holds.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Where cargo put the example binaries: `examples/` beside `deps/`, which
/// holds this test.
fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo test` for the whole package (it builds the examples), \
         or `cargo build --examples` first",
        path.display()
    );
    path
}

/// Runs the example `name`, at most two minutes, and checks its report.
fn runs_to_the_end(name: &str, expected: &[&str]) {
    let started = Instant::now();
    let output = Command::new(example(name))
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|error| panic!("cannot start the example {name}: {error}"));
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "{name} took too long"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{name} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for line in expected {
        assert!(
            stdout.contains(line),
            "{name} did not print {line:?}:\n{stdout}"
        );
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn custom_activity() {
    runs_to_the_end(
        "custom_activity",
        &["resized dog.png to 640 px", "the runner finished 1 task(s)"],
    );
}

#[test]
fn embed() {
    runs_to_the_end(
        "embed",
        &["extracting rows", "loading rows", "finished 2 task(s)"],
    );
}

#[test]
fn precondition() {
    runs_to_the_end("precondition", &["is there: true", "processing the input"]);
}

#[test]
fn stateful() {
    runs_to_the_end("stateful", &["(query 2 on the pool)", "finished 2 task(s)"]);
}
