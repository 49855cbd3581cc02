//! `--runs N`: the same suites run N times in a row, and one summary of the
//! figures that decide anything — each target, each ratio, each pass's
//! share of the CPU taken by other processes — as median and spread
//! (min–max) over the runs, with how many runs met the target.
//!
//! A claim such as "≥ 0.95 in each of 5 consecutive runs" is then one
//! command (`bench --runs 5 --strict SUITE…`), and the figures written into
//! docs/PERFORMANCE.md carry their spread and the commit they were measured
//! at instead of one lucky run.

use std::process::Command;

use crate::measure::median;
use crate::report::{format_value, render_columns, Figure, Table, Verdict};

/// Whether a figure belongs in the summary: it has a target, it is a ratio,
/// or it says how much other load disturbed a pass.
fn summarised(figure: &Figure) -> bool {
    figure.target.is_some() || figure.unit == "ratio" || figure.name.contains("other processes")
}

/// One summarised figure over every run.
#[derive(Debug)]
struct Series<'a> {
    suite: &'static str,
    first: &'a Figure,
    values: Vec<f64>,
    passed: usize,
}

/// The summary of `runs` (each run's table), as aligned text; figures
/// missing from some run are summarised over the runs that have them.
pub(crate) fn summary(runs: &[Table]) -> String {
    let mut series: Vec<Series<'_>> = Vec::new();
    for table in runs {
        for (suite, figure) in table.rows() {
            if !summarised(figure) {
                continue;
            }
            let index = match series
                .iter()
                .position(|known| known.suite == *suite && known.first.name == figure.name)
            {
                Some(index) => index,
                None => {
                    series.push(Series {
                        suite,
                        first: figure,
                        values: Vec::new(),
                        passed: 0,
                    });
                    series.len() - 1
                }
            };
            let entry = &mut series[index];
            entry.values.push(figure.value);
            entry.passed += usize::from(figure.verdict() == Verdict::Pass);
        }
    }
    let header = [
        "suite", "figure", "median", "min", "max", "unit", "target", "runs met",
    ]
    .map(str::to_owned);
    let mut lines = vec![header];
    for entry in &series {
        let (min, max) = entry
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), &value| {
                (min.min(value), max.max(value))
            });
        let (target, met) = match entry.first.target {
            Some(target) => (
                target.to_string(),
                format!("{} of {}", entry.passed, entry.values.len()),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        lines.push([
            entry.suite.to_owned(),
            entry.first.name.clone(),
            format_value(median(&entry.values)),
            format_value(min),
            format_value(max),
            entry.first.unit.to_owned(),
            target,
            met,
        ]);
    }
    render_columns(&lines, 2)
}

/// The commit the bench was started in (`git rev-parse --short HEAD`, with
/// `+changes` when the checkout differs from it), or why it is unknown.
pub(crate) fn commit() -> String {
    let git = |arguments: &[&str]| {
        Command::new("git")
            .args(arguments)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{commit}+changes"),
            _ => commit,
        },
        None => "unknown (not run inside a git checkout)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Target;

    fn run(ratio: f64, others: f64) -> Table {
        let mut table = Table::default();
        table.extend(
            "suite",
            [
                Figure::with_target("a / b", ratio, "ratio", Target::AtLeast(0.95)),
                Figure::info(
                    "pass 1 (a): machine CPU used by other processes",
                    others,
                    "%",
                ),
                Figure::info("a: tasks/s", 1_000.0, "tasks/s"),
            ],
        );
        table
    }

    #[test]
    fn the_summary_gives_median_spread_and_runs_met() {
        let text = summary(&[run(0.97, 0.0), run(0.93, 2.0), run(0.99, 1.0)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("suite"), "{text}");
        let ratio: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            ratio,
            [
                "suite", "a", "/", "b", "0.970", "0.930", "0.990", "ratio", ">=", "0.950", "2",
                "of", "3"
            ],
            "{text}"
        );
        assert!(lines[3].contains("other processes"), "{text}");
        assert!(!text.contains("tasks/s"), "{text}");
    }
}
