//! `soak`: 1,000 leases held for many compressed hours on the documented
//! budget; memory must stay flat and no deadline may be missed.
//!
//! The long form runs only when named (`bench soak`): the same experiment
//! as `quota-scale`'s framework half ([`hold_leases`]), with time
//! compressed ×[`TIME_SCALE`], 1,000 tasks and six production hours, this
//! process's VmRSS sampled every ten production minutes. The slope is a
//! least-squares fit over the samples of the second half of the hold, when
//! the runner's report schedule has settled.
//!
//! [`hold_leases`]: super::compressed::hold_leases

use std::time::Duration;

use anyhow::Context as _;

use super::compressed::{self, HoldPlan, TIME_SCALE};
use crate::measure::mebibytes;
use crate::pipelines;
use crate::report::{Figure, Target};
use crate::service::ServiceProcess;
use crate::suite::{Options, Suite, SuiteReport};

/// Leases held.
const FULL_LEASES: usize = 1_000;

/// With `--quick`.
const QUICK_LEASES: usize = 100;

/// Production hours held in the long form.
const FULL_HOURS: u64 = 6;

/// Production minutes held with `--quick`.
const QUICK_MINUTES: u64 = 20;

/// Production minutes between memory samples.
const SAMPLE_MINUTES: u64 = 10;

/// Growth over the run beyond which memory is not flat: KiB per production
/// hour.
const FLAT_KIB_PER_HOUR: f64 = 256.0;

/// The `soak` suite.
#[derive(Debug)]
pub(crate) struct Soak;

impl Suite for Soak {
    fn name(&self) -> &'static str {
        "soak"
    }

    fn summary(&self) -> &'static str {
        "1,000 leases, 6 compressed hours: flat RSS, 0 missed"
    }

    fn run(&self, options: &Options) -> anyhow::Result<SuiteReport> {
        let leases = options.tasks_or(QUICK_LEASES, FULL_LEASES)?;
        let production = if options.quick {
            Duration::from_secs(QUICK_MINUTES * 60)
        } else {
            Duration::from_secs(FULL_HOURS * 3600)
        };
        let hold = compressed::compressed(production);
        eprintln!(
            "soak: {leases} leases for {:.0} production minutes ({hold:?} wall, time x{TIME_SCALE})",
            production.as_secs_f64() / 60.0
        );
        let service = ServiceProcess::start_embedded(compressed::service_timing())?;
        let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
        let held = runtime.block_on(async {
            pipelines::queue_tasks(&pipelines::sdk_client(service.endpoint_url()), leases)
                .await
                .context("cannot queue the tasks")?;
            compressed::hold_leases(HoldPlan {
                endpoint: service.endpoint_url().to_owned(),
                leases,
                hold,
                sample_every: compressed::compressed(Duration::from_secs(SAMPLE_MINUTES * 60)),
                fill_timeout: compressed::compressed(Duration::from_secs(leases as u64)) * 3
                    + Duration::from_secs(30),
            })
            .await
        });
        runtime.shutdown_background();
        let held = held?;
        let audit = service.finish()?;
        let missed = held.lost + audit.leases_expired;
        let hours = |seconds: f64| seconds * TIME_SCALE / 3600.0;
        let first = held.memory.first().map_or(0, |(_, kib)| *kib);
        let last = held.memory.last().map_or(0, |(_, kib)| *kib);
        let largest = held.memory.iter().map(|(_, kib)| *kib).max().unwrap_or(0);
        let settled: Vec<(f64, f64)> = held
            .memory
            .iter()
            .skip(held.memory.len() / 2)
            .map(|(seconds, kib)| (hours(*seconds), *kib as f64))
            .collect();
        let slope = slope(&settled);
        let full = !options.quick && options.tasks.is_none();
        let mut figures = vec![
            Figure::info("leases held", leases as f64, "leases"),
            Figure::info(
                "production hours held",
                production.as_secs_f64() / 3600.0,
                "h",
            ),
            Figure::with_target(
                "missed deadlines (runner lost + service expired)",
                missed as f64,
                "leases",
                Target::AtMost(0.0),
            ),
            Figure::info(
                "leases cancelled otherwise",
                held.cancelled_otherwise as f64,
                "leases",
            ),
            Figure::info("bench RSS, start of the hold", mebibytes(first), "MiB"),
            Figure::info("bench RSS, end of the hold", mebibytes(last), "MiB"),
            Figure::info("bench RSS, largest sample", mebibytes(largest), "MiB"),
            if full {
                Figure::with_target(
                    "RSS slope, second half",
                    slope,
                    "KiB/h",
                    Target::AtMost(FLAT_KIB_PER_HOUR),
                )
            } else {
                Figure::info("RSS slope, second half", slope, "KiB/h")
            },
            Figure::info(
                "reports per production second",
                held.hold_reports as f64 / hold.as_secs_f64() / TIME_SCALE,
                "calls/s",
            ),
        ];
        for (seconds, kib) in &held.memory {
            figures.push(Figure::info(
                format!("RSS at {:.0} production min", hours(*seconds) * 60.0),
                mebibytes(*kib),
                "MiB",
            ));
        }
        Ok(SuiteReport {
            figures,
            notes: vec![format!(
                "soak: time compressed x{TIME_SCALE} as in quota-scale (documented budget, default lease timing, \
                 15-minute reportProgressTimeout, all / {TIME_SCALE}). A Runner in the bench process holds {leases} \
                 tasks whose handlers wait until cancelled; RSS is the bench process's (runner, SDK client and bench \
                 bookkeeping; the service is a child), sampled every {SAMPLE_MINUTES} production minutes. Flat = \
                 the least-squares slope over the second half of the samples at most {FLAT_KIB_PER_HOUR} KiB per \
                 production hour (judged only for the long form)."
            )],
        })
    }
}

/// The least-squares slope of `points` (x, y); zero with fewer than two
/// distinct x.
fn slope(points: &[(f64, f64)]) -> f64 {
    let count = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mean_x = points.iter().map(|(x, _)| x).sum::<f64>() / count;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / count;
    let covariance: f64 = points
        .iter()
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum();
    let variance: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    if variance <= f64::EPSILON {
        0.0
    } else {
        covariance / variance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_fit_a_line() {
        assert_eq!(slope(&[]), 0.0);
        assert_eq!(slope(&[(1.0, 5.0)]), 0.0);
        assert!((slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]) - 2.0).abs() < 1e-9);
        assert_eq!(slope(&[(1.0, 1.0), (1.0, 2.0)]), 0.0);
    }
}
