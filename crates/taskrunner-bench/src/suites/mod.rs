//! The registry of suites: those that run today and those that are planned.

pub(crate) mod compressed;
pub(crate) mod footprint;
pub(crate) mod framework_overhead;
pub(crate) mod latency;
pub(crate) mod leases;
pub(crate) mod local_service;
pub(crate) mod quota_scale;
pub(crate) mod shell_throughput;
pub(crate) mod soak;
pub(crate) mod sql_copy;

use crate::suite::Suite;

/// Every suite that can run, in the order a run without arguments runs them.
pub(crate) fn available() -> Vec<Box<dyn Suite>> {
    vec![
        Box::new(local_service::LocalService),
        Box::new(framework_overhead::FrameworkOverhead),
        Box::new(leases::Leases),
        Box::new(shell_throughput::ShellThroughput),
        Box::new(footprint::Footprint),
        Box::new(latency::Latency),
        Box::new(quota_scale::QuotaScale),
        Box::new(soak::Soak),
        Box::new(sql_copy::SqlCopy),
    ]
}

/// Suites that run only when named: their full form takes many minutes
/// (`soak`), or they need database servers installed (`sql-copy`).
pub(crate) const LONG_FORM_ONLY: &[&str] = &["soak", "sql-copy"];

/// The suites a run without arguments runs: [`available`] but the
/// [`LONG_FORM_ONLY`] ones.
pub(crate) fn default_run() -> Vec<Box<dyn Suite>> {
    available()
        .into_iter()
        .filter(|suite| !LONG_FORM_ONLY.contains(&suite.name()))
        .collect()
}

/// A suite that is designed but not written yet: `(name, what it will
/// measure)`. `--help` lists these, and asking for one says it is planned.
/// When a suite lands, it moves from here to [`available`].
pub(crate) const PLANNED: &[(&str, &str)] = &[];

/// The `--help` text that lists the suites.
pub(crate) fn help_text() -> String {
    let mut text = String::from("Suites:\n");
    for suite in available() {
        let only = if LONG_FORM_ONLY.contains(&suite.name()) {
            " (only when named)"
        } else {
            ""
        };
        text.push_str(&format!(
            "  {:<20} {}{only}\n",
            suite.name(),
            suite.summary()
        ));
    }
    if !PLANNED.is_empty() {
        text.push_str("\nPlanned suites (not yet implemented):\n");
        for (name, summary) in PLANNED {
            text.push_str(&format!("  {name:<20} {summary}\n"));
        }
    }
    text.push_str(
        "\nWith no SUITE, every implemented suite but soak runs, and sql-copy (it needs PostgreSQL and MariaDB installed) neither. See docs/PERFORMANCE.md for the figures and what \
         they mean.",
    );
    text
}
