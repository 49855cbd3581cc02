//! `BENCH_PROFILE_ONLY`: a run limited to one contender's passes, for a
//! CPU or scheduling profile of that contender alone (docs/PERFORMANCE.md
//! shows the commands). The suite's ratios are then meaningless.

/// The variable that names the one contender to run, by its label
/// (`runner`, `bare loop`, `shell activity`, …).
const PROFILE_ONLY_VARIABLE: &str = "BENCH_PROFILE_ONLY";

/// Whether the contender labelled `label` runs: always, unless
/// [`PROFILE_ONLY_VARIABLE`] names another.
pub(crate) fn profiled(label: &str) -> bool {
    std::env::var(PROFILE_ONLY_VARIABLE).map_or(true, |only| only == label)
}
