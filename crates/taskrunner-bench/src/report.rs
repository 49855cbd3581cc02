//! Figures and the one table every run prints.
//!
//! A suite answers [`Figure`]s; `main` gathers the figures of every suite it
//! ran into one [`Table`] and prints it once, so that a run's output can be
//! pasted into `docs/PERFORMANCE.md` or compared between runs line by line.

use std::fmt::{self, Write as _};

/// A bound a figure must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Target {
    /// The figure must be at least this (throughput, ratios).
    AtLeast(f64),
    /// The figure must be at most this (latency, memory).
    AtMost(f64),
}

impl Target {
    /// Whether `value` meets the target.
    pub(crate) fn met_by(self, value: f64) -> bool {
        match self {
            Self::AtLeast(bound) => value >= bound,
            Self::AtMost(bound) => value <= bound,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AtLeast(bound) => write!(formatter, ">= {}", format_value(*bound)),
            Self::AtMost(bound) => write!(formatter, "<= {}", format_value(*bound)),
        }
    }
}

/// How a figure fared against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The figure meets its target.
    Pass,
    /// The figure misses its target.
    Fail,
    /// The figure has no target: it is there to be read.
    Info,
}

impl fmt::Display for Verdict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Pass => "pass",
            Self::Fail => "FAIL",
            Self::Info => "-",
        })
    }
}

/// One measured value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    /// What was measured, e.g. `sdk: cycles/s`.
    pub(crate) name: String,
    /// The measured value, in `unit`.
    pub(crate) value: f64,
    /// The unit of `value` and of the target, e.g. `cycles/s`, `ms`, `MiB`.
    pub(crate) unit: &'static str,
    /// The bound the value must meet, if the project set one.
    pub(crate) target: Option<Target>,
}

impl Figure {
    /// A figure without a target.
    pub(crate) fn info(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            value,
            unit,
            target: None,
        }
    }

    /// A figure that must meet `target`.
    pub(crate) fn with_target(
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        target: Target,
    ) -> Self {
        Self {
            name: name.into(),
            value,
            unit,
            target: Some(target),
        }
    }

    /// How the figure fared against its target.
    pub(crate) fn verdict(&self) -> Verdict {
        match self.target {
            None => Verdict::Info,
            Some(target) if target.met_by(self.value) => Verdict::Pass,
            Some(_) => Verdict::Fail,
        }
    }
}

/// The figures of a whole run, by suite, in the order they were measured.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// `(suite name, figure)` pairs.
    rows: Vec<(&'static str, Figure)>,
}

impl Table {
    /// Adds the figures of `suite`.
    pub(crate) fn extend(
        &mut self,
        suite: &'static str,
        figures: impl IntoIterator<Item = Figure>,
    ) {
        self.rows
            .extend(figures.into_iter().map(|figure| (suite, figure)));
    }

    /// Whether any figure missed its target.
    /// Every row: the suite's name and the figure.
    pub(crate) fn rows(&self) -> &[(&'static str, Figure)] {
        &self.rows
    }

    pub(crate) fn any_failed(&self) -> bool {
        self.rows
            .iter()
            .any(|(_, figure)| figure.verdict() == Verdict::Fail)
    }

    /// The table as aligned plain text, one figure a line, under a header.
    pub(crate) fn render(&self) -> String {
        let header = ["suite", "figure", "value", "unit", "target", "result"].map(str::to_owned);
        let mut lines: Vec<[String; 6]> = vec![header];
        for (suite, figure) in &self.rows {
            let target = figure
                .target
                .map_or_else(|| "-".to_owned(), |target| target.to_string());
            lines.push([
                (*suite).to_owned(),
                figure.name.clone(),
                format_value(figure.value),
                figure.unit.to_owned(),
                target,
                figure.verdict().to_string(),
            ]);
        }
        render_columns(&lines, 2)
    }
}

/// Lines of cells as aligned columns, a rule under the first (the header);
/// column `numeric` is right-aligned.
pub(crate) fn render_columns<const N: usize>(lines: &[[String; N]], numeric: usize) -> String {
    let mut widths = [0_usize; N];
    for line in lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        let mut text = String::new();
        for (column, (cell, width)) in line.iter().zip(widths).enumerate() {
            if column > 0 {
                text.push_str("  ");
            }
            // Numbers read best right-aligned; everything else left.
            if column == numeric {
                let _ = write!(text, "{cell:>width$}");
            } else {
                let _ = write!(text, "{cell:<width$}");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
        if index == 0 {
            let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out.push_str(&"-".repeat(rule));
            out.push('\n');
        }
    }
    out
}

/// A value with as many decimals as its magnitude deserves: 5123, 42.7,
/// 1.84, 0.153.
pub(crate) fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_target_direction() {
        assert_eq!(
            Figure::with_target("t", 5_000.0, "cycles/s", Target::AtLeast(5_000.0)).verdict(),
            Verdict::Pass
        );
        assert_eq!(
            Figure::with_target("t", 4_999.0, "cycles/s", Target::AtLeast(5_000.0)).verdict(),
            Verdict::Fail
        );
        assert_eq!(
            Figure::with_target("t", 16.0, "MiB", Target::AtMost(15.0)).verdict(),
            Verdict::Fail
        );
        assert_eq!(Figure::info("t", 1.0, "s").verdict(), Verdict::Info);
    }

    #[test]
    fn values_get_decimals_by_magnitude() {
        assert_eq!(format_value(5123.4), "5123");
        assert_eq!(format_value(42.74), "42.7");
        assert_eq!(format_value(1.844), "1.84");
        assert_eq!(format_value(0.1534), "0.153");
        assert_eq!(format_value(0.0), "0");
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let mut table = Table::default();
        table.extend(
            "local-service",
            [Figure::with_target(
                "sdk: cycles/s",
                6_000.0,
                "cycles/s",
                Target::AtLeast(5_000.0),
            )],
        );
        table.extend(
            "local-service",
            [Figure::info("service RSS, idle", 3.5, "MiB")],
        );
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("suite"));
        assert!(
            lines[2].contains(">= 5000") && lines[2].ends_with("pass"),
            "{text}"
        );
        assert!(lines[3].ends_with('-'), "{text}");
        assert!(!table.any_failed());
    }
}
