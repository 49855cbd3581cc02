//! The `bench` binary end to end: every suite in a short form (a few
//! seconds each; the compressed-time suites about 20 s).

use std::process::Command;

fn bench(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(arguments)
        .output()
        .expect("bench runs")
}

#[test]
fn local_service_prints_one_table_of_figures() {
    let stdout = table_with(
        &["local-service", "--tasks", "40", "--clients", "3"],
        &[
            "sdk: cycles/s",
            "raw http: cycles/s",
            "service peak RSS (VmHWM)",
            "sdk: cycle p99",
        ],
    );
    assert!(stdout.contains("wall time, 40 cycles"), "{stdout}");
}

#[test]
fn framework_overhead_compares_the_runner_with_a_bare_loop() {
    let output = bench(&["framework-overhead", "--tasks", "40", "--clients", "3"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for figure in [
        "bare loop: tasks/s (median of 8)",
        "runner: tasks/s (median of 8)",
        "runner / bare loop, tasks/s",
        // The second round runs in reverse.
        "pass 3 (runner): tasks/s",
        "pass 4 (bare loop): tasks/s",
        "pass 16 (bare loop): tasks/s",
        "pass 16 (bare loop): of which the kernel's",
        "pass 16 (bare loop): context switches per task",
    ] {
        assert!(stdout.contains(figure), "no {figure:?} in:\n{stdout}");
    }
}

#[test]
fn repeated_runs_end_in_a_summary_with_the_commit() {
    let output = bench(&[
        "framework-overhead",
        "--tasks",
        "20",
        "--clients",
        "2",
        "--runs",
        "2",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.starts_with("bench: commit "), "{stdout}");
    for line in [
        "bench: run 1 of 2",
        "bench: run 2 of 2",
        "bench: summary of 2 runs",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    let summary = &stdout[stdout.find("summary of 2 runs").expect("summary")..];
    assert!(
        summary.contains("median") && summary.contains("runner / bare loop, tasks/s"),
        "{summary}"
    );
}

#[test]
fn leases_holds_every_lease_without_missing_a_deadline() {
    let output = bench(&["leases", "--quick", "--tasks", "40", "--clients", "2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("runner RSS per lease, all held"),
        "{stdout}"
    );
    let missed = stdout
        .lines()
        .find(|line| line.contains("missed deadlines"))
        .unwrap_or_else(|| panic!("no missed deadlines in:\n{stdout}"));
    assert!(missed.trim_end().ends_with("pass"), "{missed}");
}

/// Runs `arguments`, checks that the run succeeded and printed one table
/// with every figure of `figures`, and answers stdout.
fn table_with(arguments: &[&str], figures: &[&str]) -> String {
    let output = bench(arguments);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|line| line.starts_with("suite "))
            .count(),
        1,
        "{stdout}"
    );
    for figure in figures {
        assert!(stdout.contains(figure), "no {figure:?} in:\n{stdout}");
    }
    stdout
}

#[test]
fn shell_throughput_compares_the_shell_activity_with_a_bare_loop() {
    table_with(
        &["shell-throughput", "--tasks", "20", "--clients", "2"],
        &[
            "bare loop: commands/s (median of 4)",
            "activity alone: commands/s (median of 4)",
            "SDK loop + spawn: tasks/s (median of 4)",
            "shell activity: tasks/s (median of 4)",
            "shell activity / bare loop",
            "SDK loop + spawn / bare loop (the protocol's ceiling here)",
            "shell activity / SDK loop + spawn",
        ],
    );
}

#[test]
fn footprint_times_the_binary_to_its_first_poll() {
    // The debug taskrunner binary sits next to the debug bench when the
    // workspace's binaries are built (tests/run.sh builds them first).
    let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_bench")).with_file_name("taskrunner");
    if !binary.is_file() {
        eprintln!(
            "skipped: no {} (run `cargo build --bins` first, as tests/run.sh does)",
            binary.display()
        );
        let output = bench(&["footprint", "--quick"]);
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("cargo build"));
        return;
    }
    table_with(
        &["footprint", "--quick"],
        &[
            "spawn -> first PollForTask (median of 2)",
            "idle RSS (median of 2)",
        ],
    );
}

#[test]
fn latency_measures_acknowledgements_and_cancellations() {
    let stdout = table_with(
        &["latency", "--quick"],
        &[
            "poll -> ack sent, p50",
            "cancel answered -> token tripped, p99",
            "cancel answered -> child gone, p99",
        ],
    );
    let samples = stdout
        .lines()
        .find(|line| line.contains(" samples "))
        .unwrap_or_else(|| panic!("no samples in:\n{stdout}"));
    assert!(samples.contains(" 40.0 "), "{samples}");
}

#[test]
fn quota_scale_compares_the_schedule_with_a_fixed_cadence() {
    // Compressed time: no verdict is asserted (a loaded machine may delay
    // a compressed acknowledgement past its deadline), only the figures.
    table_with(
        &["quota-scale", "--quick", "--tasks", "100"],
        &[
            "framework: leases kept alive, 0 lost",
            "fixed 60 s cadence: leases kept on cadence",
            "framework / fixed cadence, leases",
        ],
    );
}

#[test]
fn soak_samples_memory_over_compressed_time() {
    table_with(
        &["soak", "--quick", "--tasks", "40"],
        &[
            "missed deadlines (runner lost + service expired)",
            "RSS slope, second half",
            "RSS at 0 production min",
        ],
    );
}

#[test]
fn unknown_suites_are_refused_by_name() {
    let unknown = bench(&["no-such-suite"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("local-service"));
}

#[test]
fn help_lists_every_suite() {
    let help = bench(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(help.status.success());
    for suite in [
        "local-service",
        "framework-overhead",
        "leases",
        "shell-throughput",
        "footprint",
        "latency",
        "quota-scale",
        "soak",
        "sql-copy",
    ] {
        assert!(text.contains(suite), "no {suite} in --help:\n{text}");
    }
    assert!(text.contains("(only when named)"), "{text}");
    assert!(text.contains("but soak runs"), "{text}");
}

#[test]
fn sql_copy_compares_the_copies_with_the_native_tools() {
    let stdout = table_with(
        &["sql-copy", "--tasks", "2000"],
        &[
            "S3 -> PostgreSQL: runner / native",
            "PostgreSQL -> S3: runner / native",
            "S3 -> MariaDB: runner / native",
            "runner peak RSS (bench process VmHWM)",
        ],
    );
    assert!(stdout.contains("2000 rows"), "{stdout}");
}
