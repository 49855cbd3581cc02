//! The verdict of a chaos run: the counts, from the service's own records
//! (its lease ledger, its audit, and the statuses it describes), set out as
//! a table with what each count must be.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use datapipeline_local::{Audit, LeaseEnd, Ledger};

use super::observe::Described;
use super::workload::{Kind, Submitted};

/// Statuses an instance or attempt ends in.
pub(crate) const END_STATES: &[&str] = &[
    "FINISHED",
    "FAILED",
    "TIMEDOUT",
    "CANCELED",
    "CASCADE_FAILED",
    "SKIPPED",
];

/// What the harness saw besides the service's records.
#[derive(Debug, Default)]
pub(crate) struct HarnessFacts {
    /// `taskrunner` processes started.
    pub(crate) runners_started: usize,
    /// SIGKILLs sent.
    pub(crate) runners_killed: usize,
    /// SIGSTOPs sent (each followed by a SIGCONT 4–8 s later).
    pub(crate) runners_frozen: usize,
    /// Times the service process was SIGKILLed and started again on its
    /// state file.
    pub(crate) service_restarts: usize,
    /// TRY_CANCELs the harness sent to RUNNING instances.
    pub(crate) canceled_while_running: usize,
    /// TRY_CANCELs it sent to instances before or between attempts.
    pub(crate) canceled_otherwise: usize,
    /// RERUNs it sent, each of an instance it saw FINISHED.
    pub(crate) reruns_sent: usize,
    /// Pipelines it deactivated with `cancelActive`, then activated again.
    pub(crate) deactivated_canceling: usize,
    /// Pipelines it deactivated without `cancelActive`, then activated
    /// again.
    pub(crate) deactivated_gently: usize,
    /// Planned deactivations that came after the pipeline had finished.
    pub(crate) deactivations_too_late: usize,
    /// Lines of runner standard error reporting a panic.
    pub(crate) panics: Vec<String>,
    /// Runners that did not exit 0 when stopped at the end.
    pub(crate) unclean_exits: Vec<String>,
}

/// What the service described at the end, per pipeline id.
#[derive(Debug, Default)]
pub(crate) struct ServiceView {
    /// `@pipelineState` by pipeline id.
    pub(crate) pipeline_states: BTreeMap<String, String>,
    /// Instances by pipeline id.
    pub(crate) instances: BTreeMap<String, BTreeMap<String, Described>>,
    /// Attempts by pipeline id.
    pub(crate) attempts: BTreeMap<String, BTreeMap<String, Described>>,
}

/// One row: a count, and what it must be (`None`: any value).
#[derive(Debug)]
pub(crate) struct Row {
    label: String,
    value: u64,
    expected: Option<u64>,
}

/// The table.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    rows: Vec<Row>,
}

impl Verdict {
    fn row(&mut self, label: &str, value: u64, expected: Option<u64>) {
        self.rows.push(Row {
            label: label.to_owned(),
            value,
            expected,
        });
    }

    /// Builds the table.
    pub(crate) fn new(
        pipelines: &[Submitted],
        view: &ServiceView,
        ledger: &Ledger,
        audit: &Audit,
        facts: &HarnessFacts,
    ) -> Self {
        let mut verdict = Self::default();
        let tasks: usize = pipelines.iter().map(|p| p.plan.components.len()).sum();
        let to_finish = pipelines
            .iter()
            .flat_map(|p| &p.plan.components)
            .filter(|c| c.expected == "FINISHED")
            .count() as u64;
        let finished_pipelines = view
            .pipeline_states
            .values()
            .filter(|state| *state == "FINISHED")
            .count();
        let (mut ended, mut as_expected, mut attempts, mut attempts_ended) = (0, 0, 0, 0);
        for pipeline in pipelines {
            let expected: BTreeMap<&str, &str> = pipeline
                .plan
                .components
                .iter()
                .map(|c| (c.id.as_str(), c.expected))
                .collect();
            for instance in view.instances.get(&pipeline.id).into_iter().flatten() {
                let described = instance.1;
                ended += u64::from(END_STATES.contains(&described.status.as_str()));
                as_expected += u64::from(
                    expected.get(described.component.as_str()) == Some(&described.status.as_str()),
                );
            }
            for attempt in view.attempts.get(&pipeline.id).into_iter().flatten() {
                attempts += 1;
                attempts_ended += u64::from(END_STATES.contains(&attempt.1.status.as_str()));
            }
        }
        let counts = ledger.counts();
        let holders: BTreeSet<&str> = ledger
            .records()
            .iter()
            .filter_map(|record| record.holder.as_deref())
            .collect();
        let (statuses_after_cancel_of_endless, statuses_after_cancel_racing) =
            statuses_after_cancel(pipelines, ledger);
        let lapsed_while_inactive = ledger
            .records()
            .iter()
            .filter(|r| matches!(r.end, Some((LeaseEnd::Expired { requeued: false }, _))))
            .count() as u64;
        let tasks = tasks as u64;
        let pipelines = pipelines.len() as u64;

        verdict.row("tasks submitted", tasks, None);
        verdict.row(
            "pipelines FINISHED",
            finished_pipelines as u64,
            Some(pipelines),
        );
        verdict.row("instances in an end state", ended, Some(tasks));
        verdict.row(
            "instances with their expected status",
            as_expected,
            Some(tasks),
        );
        verdict.row("attempts", attempts, None);
        verdict.row("attempts in an end state", attempts_ended, Some(attempts));
        verdict.row(
            "attempts FINISHED (audit; reruns included)",
            audit.attempts_finished,
            Some(to_finish + counts.reruns_of_finished),
        );
        verdict.row("leases granted", counts.granted, None);
        verdict.row("  acknowledged", counts.acknowledged, None);
        verdict.row("  ended by SetTaskStatus", counts.ended_by_status, None);
        verdict.row("  lapsed and requeued", counts.expired_and_requeued, None);
        verdict.row(
            "  lapsed while the pipeline was inactive (run again at activation)",
            lapsed_while_inactive,
            None,
        );
        verdict.row(
            "  reassignments (grants after a lapse)",
            counts.reassignments,
            None,
        );
        verdict.row(
            "  canceled while held, then lapsed with no status",
            counts.canceled,
            None,
        );
        verdict.row(
            "    holders told canceled: true",
            counts.cancels_delivered,
            None,
        );
        verdict.row("tasks lost: leases never ended", counts.live, Some(0));
        verdict.row(
            "leases held twice at once",
            counts.overlapping_grants,
            Some(0),
        );
        verdict.row(
            "statuses fenced: lease had lapsed",
            counts.statuses_fenced_after_lapse,
            None,
        );
        verdict.row(
            "statuses fenced: retry of an accepted status",
            counts.statuses_fenced_after_status,
            None,
        );
        verdict.row(
            "statuses for taskIds never granted",
            counts.statuses_unknown,
            Some(0),
        );
        verdict.row(
            "statuses accepted after the lease was lost",
            counts.statuses_after_loss,
            Some(0),
        );
        verdict.row(
            "statuses sent after a cancel, for work that never ends by itself",
            statuses_after_cancel_of_endless,
            Some(0),
        );
        verdict.row(
            "  for work that ended as the deactivation canceled it",
            statuses_after_cancel_racing,
            None,
        );
        verdict.row(
            "reruns of finished instances (ledger)",
            counts.reruns_of_finished,
            Some(facts.reruns_sent as u64),
        );
        verdict.row(
            "finished instances run again without a RERUN",
            counts.runs_after_finish,
            Some(0),
        );
        verdict.row(
            "ledger and audit disagree on lapses",
            counts.expired.abs_diff(audit.leases_expired),
            Some(0),
        );
        verdict.row("distinct lease holders", holders.len() as u64, None);
        verdict.row(
            "runner processes started",
            facts.runners_started as u64,
            None,
        );
        verdict.row(
            "runner processes SIGKILLed",
            facts.runners_killed as u64,
            None,
        );
        verdict.row(
            "runner processes frozen 4-8 s (SIGSTOP)",
            facts.runners_frozen as u64,
            None,
        );
        verdict.row(
            "TRY_CANCELs sent by the harness to running instances",
            facts.canceled_while_running as u64,
            None,
        );
        verdict.row(
            "  to instances before or between attempts",
            facts.canceled_otherwise as u64,
            None,
        );
        verdict.row(
            "RERUNs sent by the harness (instances seen FINISHED)",
            facts.reruns_sent as u64,
            None,
        );
        verdict.row(
            "pipelines deactivated with cancelActive, then activated",
            facts.deactivated_canceling as u64,
            None,
        );
        verdict.row(
            "pipelines deactivated without it, then activated",
            facts.deactivated_gently as u64,
            None,
        );
        verdict.row(
            "deactivations planned after the pipeline had finished",
            facts.deactivations_too_late as u64,
            None,
        );
        verdict.row(
            "service SIGKILLs (started again on its state file and port)",
            facts.service_restarts as u64,
            None,
        );
        verdict.row("runner panics", facts.panics.len() as u64, Some(0));
        verdict.row(
            "runners not exiting 0 at the end",
            facts.unclean_exits.len() as u64,
            Some(0),
        );
        verdict
    }

    /// The rows whose count is not what it must be.
    pub(crate) fn failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|row| row.expected.is_some_and(|expected| expected != row.value))
            .map(|row| {
                let expected = row.expected.unwrap_or_default();
                format!("{}: {} (must be {expected})", row.label.trim(), row.value)
            })
            .collect()
    }

    /// The table, as text.
    pub(crate) fn table(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "| check | count | must be |");
        let _ = writeln!(text, "|---|---:|---:|");
        for row in &self.rows {
            let expected = row.expected.map_or_else(String::new, |e| e.to_string());
            let mark = match row.expected {
                Some(expected) if expected != row.value => " ✗",
                _ => "",
            };
            let _ = writeln!(text, "| {} | {}{mark} | {expected} |", row.label, row.value);
        }
        text
    }
}

/// Statuses the service accepted, with no effect, after the attempt had
/// been canceled: those of work that cannot end by itself (a canceled kind,
/// whose runner must stop on `canceled: true` and send nothing), and the
/// others. The others are a race the protocol allows: work that ended just
/// as a deactivation canceled it, its status sent before its runner's next
/// report could hear of the cancel.
fn statuses_after_cancel(pipelines: &[Submitted], ledger: &Ledger) -> (u64, u64) {
    let kinds: BTreeMap<(&str, &str), Kind> = pipelines
        .iter()
        .flat_map(|pipeline| {
            pipeline.plan.components.iter().map(move |component| {
                (
                    (pipeline.id.as_str(), component.id.as_str()),
                    component.kind,
                )
            })
        })
        .collect();
    let (mut endless, mut racing) = (0, 0);
    for record in ledger.records() {
        if !matches!(record.end, Some((LeaseEnd::StatusAfterCancel, _))) {
            continue;
        }
        // `@Component_2026-…_Attempt=1`; component ids have no underscore.
        let component = record
            .attempt_id
            .trim_start_matches('@')
            .split('_')
            .next()
            .unwrap_or_default();
        match kinds.get(&(record.pipeline_id.as_str(), component)) {
            Some(kind) if !kind.canceled() => racing += 1,
            _ => endless += 1,
        }
    }
    (endless, racing)
}
