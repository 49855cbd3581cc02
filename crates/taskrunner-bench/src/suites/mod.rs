//! The registry of suites: those that run today and those that are planned.

pub(crate) mod framework_overhead;
pub(crate) mod leases;
pub(crate) mod local_service;

use crate::suite::Suite;

/// Every suite that can run, in the order a run without arguments runs them.
pub(crate) fn available() -> Vec<Box<dyn Suite>> {
    vec![
        Box::new(local_service::LocalService),
        Box::new(framework_overhead::FrameworkOverhead),
        Box::new(leases::Leases),
    ]
}

/// A suite that is designed but not written yet: `(name, what it will
/// measure)`. `--help` lists these, and asking for one says it is planned.
/// When a suite lands, it moves from here to [`available`].
pub(crate) const PLANNED: &[(&str, &str)] = &[
    (
        "shell-throughput",
        "shell activities against a bare `sh -c true` loop (target >= 0.9)",
    ),
    (
        "footprint",
        "idle RSS (< 15 MiB) and time to the first PollForTask (< 100 ms)",
    ),
    (
        "latency",
        "poll -> ack p50/p99, cancel -> token, cancel -> child gone",
    ),
    (
        "quota-scale",
        "tasks kept alive on a 10/s report budget (target >= 3,000)",
    ),
];

/// The `--help` text that lists the suites.
pub(crate) fn help_text() -> String {
    let mut text = String::from("Suites:\n");
    for suite in available() {
        text.push_str(&format!("  {:<20} {}\n", suite.name(), suite.summary()));
    }
    text.push_str("\nPlanned suites (not yet implemented):\n");
    for (name, summary) in PLANNED {
        text.push_str(&format!("  {name:<20} {summary}\n"));
    }
    text.push_str("\nWith no SUITE, every implemented suite runs. See docs/PERFORMANCE.md for the figures and what they mean.");
    text
}
