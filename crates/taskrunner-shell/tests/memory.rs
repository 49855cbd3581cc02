//! Output is streamed, never held: alone in its own test binary so that no
//! other test (or a panic's backtrace) moves the peak-memory measurement.

mod support;

use std::path::Path;

use support::run;
use taskrunner_activity::Outcome;
use taskrunner_shell::{ShellCommandActivity, ShellConfig};

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// Peak resident memory of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn fifty_megabytes_of_output_stream_through_without_being_held() {
    const SIZE: u64 = 50 * 1024 * 1024;
    let dir = tempfile::tempdir().expect("tempdir");
    let stdout = dir.path().join("big.out");
    let before = peak_rss_kib();
    let command = format!("head -c {SIZE} /dev/zero; head -c {SIZE} /dev/zero >&2");
    // To a file, and discarded (no stdout field); stderr is only tailed.
    for fields in [
        vec![("command", command.as_str()), ("stdout", path_str(&stdout))],
        vec![("command", command.as_str())],
    ] {
        assert_eq!(
            run(&ShellCommandActivity::new(ShellConfig::default()), &fields)
                .await
                .expect("runs"),
            Outcome::Finished
        );
    }
    assert_eq!(std::fs::metadata(&stdout).expect("written").len(), SIZE);
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 30, "peak memory grew by {grown_mib} MiB");
}
