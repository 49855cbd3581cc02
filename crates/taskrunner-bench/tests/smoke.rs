//! The `bench` binary end to end, at a size that takes well under a second.

use std::process::Command;

fn bench(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(arguments)
        .output()
        .expect("bench runs")
}

#[test]
fn local_service_prints_one_table_of_figures() {
    let output = bench(&["local-service", "--tasks", "40", "--clients", "3"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
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
    for figure in [
        "sdk: cycles/s",
        "raw http: cycles/s",
        "service peak RSS (VmHWM)",
        "sdk: cycle p99",
    ] {
        assert!(stdout.contains(figure), "no {figure:?} in:\n{stdout}");
    }
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
        "bare loop: tasks/s (median of 2)",
        "runner: tasks/s (median of 2)",
        "runner / bare loop, tasks/s",
        "pass 4 (runner): tasks/s",
    ] {
        assert!(stdout.contains(figure), "no {figure:?} in:\n{stdout}");
    }
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

#[test]
fn planned_and_unknown_suites_are_refused_by_name() {
    let planned = bench(&["footprint"]);
    assert!(!planned.status.success());
    assert!(String::from_utf8_lossy(&planned.stderr).contains("planned"));
    let unknown = bench(&["no-such-suite"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("local-service"));
}

#[test]
fn help_lists_the_planned_suites() {
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
    ] {
        assert!(text.contains(suite), "no {suite} in --help:\n{text}");
    }
}
