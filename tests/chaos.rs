//! The chaos suite: several `taskrunner` processes and an in-process
//! framework runner against one `datapipeline-local` that injects 500s,
//! throttling, latency and dropped connections into every operation, while
//! the harness SIGKILLs and restarts runners at random moments.
//!
//! Meanwhile it acts as an operator would: it cancels instances (SetStatus
//! TRY_CANCEL), reruns finished ones (RERUN), and deactivates pipelines,
//! with and without `cancelActive`, and activates them again.
//!
//! At the end, from the service's own records (its lease ledger, its audit
//! and the statuses it describes): every instance and attempt reached an end
//! state, and the expected one; no task was lost; no lease was held twice at
//! once; no status was accepted after its lease was lost; no finished task
//! ran again but through a RERUN; no runner panicked. The counts are
//! printed as a table.
//!
//! The default is the short form CI runs (300 tasks, about a minute on two
//! cores). The long form: `CHAOS_TASKS=3000 cargo test --release --test
//! chaos -- --nocapture`. `CHAOS_SEED` repeats a run's choices; see
//! `chaos/settings.rs` for every knob and docs/CHAOS.md for the checks.

#[path = "support/mod.rs"]
mod support;

#[path = "chaos/cancels.rs"]
mod cancels;
#[path = "chaos/deactivations.rs"]
mod deactivations;
#[path = "chaos/fleet.rs"]
mod fleet;
#[path = "chaos/in_process.rs"]
mod in_process;
#[path = "chaos/observe.rs"]
mod observe;
#[path = "chaos/reruns.rs"]
mod reruns;
#[path = "chaos/settings.rs"]
mod settings;
#[path = "chaos/verdict.rs"]
mod verdict;
#[path = "chaos/watched.rs"]
mod watched;
#[path = "chaos/workload.rs"]
mod workload;

use std::time::Duration;

use datapipeline_local::{Config, FaultPlan, FaultRule, Timing};
use tokio::time::Instant;

use cancels::Cancels;
use deactivations::Deactivations;
use fleet::Fleet;
use in_process::InProcess;
use reruns::Reruns;
use settings::{Random, Settings};
use verdict::{HarnessFacts, ServiceView, Verdict};

/// The faults: on every operation a few percent of 500s, throttling,
/// dropped connections and 50 ms of latency; on the task-runner calls also
/// connections dropped *after* the call took effect, so runners lose polled
/// tasks, acknowledgements and statuses they cannot tell went through.
/// A few reports and statuses are held up longer than the lease lasts.
/// (ActivatePipeline and the other control calls get no drop-after: a
/// client's retry of an activation that took effect would be a second
/// activation, which is the client's doing, not chaos.)
const FAULTS: &[&str] = &[
    "*:error:0.04",
    "*:throttle:0.04",
    "*:drop:0.02",
    "*:latency=50ms:0.1",
    "PollForTask:drop-after:0.02",
    "ReportTaskProgress:drop-after:0.03",
    "SetTaskStatus:drop-after:0.05",
    // Longer than the 4 s report timeout: the lease lapses while the call
    // is on its way, so the service must fence a status that arrives late.
    "ReportTaskProgress:latency=5s:0.01",
    "SetTaskStatus:latency=5s:0.01",
];

/// The service's compressed timing: a lease lapses 3 s after the poll
/// without an acknowledgement and 4 s after the last report, so a killed
/// runner's tasks come back within seconds; a 10-minute retryDelay passes
/// in a second.
fn timing() -> Timing {
    Timing {
        long_poll_wait: Duration::from_millis(500),
        ack_timeout: Duration::from_secs(3),
        default_report_progress_timeout: Duration::from_secs(4),
        retry_delay_floor: Duration::ZERO,
        time_scale: 600.0,
        work_time_scale: 1.0,
    }
}

/// Stops `service` and starts it again on the same port and state file,
/// the way an operator restarts `datapipeline-local --state`; the lease
/// ledger, which the state file does not keep, is carried over.
async fn restart(
    service: datapipeline_local::ServiceHandle,
    config: &Config,
) -> datapipeline_local::ServiceHandle {
    let address = service.local_addr();
    let ledger = service.shutdown_for_restart().await;
    let mut tries = 0;
    let restarted = loop {
        match datapipeline_local::start_on(address, config.clone()).await {
            Ok(restarted) => break restarted,
            Err(error) => {
                tries += 1;
                assert!(
                    tries < 100,
                    "the service does not restart on {address}: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    restarted.continue_ledger(ledger);
    restarted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_killed_at_random_against_a_faulty_service_lose_no_task_and_share_no_lease() {
    let settings = Settings::from_env();
    println!(
        "chaos: {settings:?} (repeat with CHAOS_SEED={})",
        settings.seed
    );
    let mut random = Random::new(settings.seed);
    let faults = FaultPlan {
        seed: settings.seed,
        rules: FAULTS
            .iter()
            .map(|rule| rule.parse::<FaultRule>().expect("a valid fault rule"))
            .collect(),
    };
    let scratch = tempfile::tempdir().expect("a temp dir");
    // The service keeps its state in SQLite so that it can be restarted
    // mid-run on the same file and port.
    let config = Config {
        timing: timing(),
        faults,
        state: Some(scratch.path().join("service.sqlite")),
        ..Config::default()
    };
    let mut service = datapipeline_local::start(config.clone())
        .await
        .expect("the service starts");
    let endpoint = service.endpoint_url();
    let control = in_process::client(&endpoint, "chaos-control", 10);

    let plan = workload::plan(&settings, &mut random);
    let pipelines = workload::submit_all(&control, &plan, scratch.path()).await;
    let in_process = InProcess::start(&endpoint, &scratch.path().join("in-process"));
    let mut fleet = Fleet::start(&endpoint, settings.runners, scratch.path().join("work"));
    let mut cancels = Cancels::new(&pipelines);
    let mut reruns = Reruns::new(&pipelines);
    // Deactivations come while the run is busy: within seconds in the
    // short form, over the first minute or so in the long one.
    let spread = Duration::from_millis(settings.tasks as u64 * 10);
    let mut deactivations = Deactivations::plan(&pipelines, spread, &mut random);

    let deadline = Instant::now() + settings.timeout;
    let mut next_kill = Instant::now() + random.around(settings.kill_every);
    let mut next_check = Instant::now();
    let mut restarts: Vec<(usize, Instant)> = Vec::new();
    let mut thaws: Vec<(u32, Instant)> = Vec::new();
    let mut next_service_restart = Instant::now() + random.around(settings.service_restart_every);
    let mut service_restarts = 0;
    let mut timed_out = false;
    loop {
        let now = Instant::now();
        if now >= next_check {
            deactivations.tick(&control).await;
            cancels.tick(&control, deactivations.done()).await;
            reruns.tick(&control).await;
            let states = observe::pipeline_states(&control, &pipelines).await;
            let done = states.values().filter(|state| *state == "FINISHED").count();
            // A canceled attempt's lease ends when it lapses, a few seconds
            // after its runner stopped reporting: wait for those too.
            if done == pipelines.len()
                && cancels.done()
                && reruns.done()
                && deactivations.done()
                && service.ledger_counts().live == 0
            {
                break;
            }
            if now >= deadline {
                timed_out = true;
                break;
            }
            next_check = now + Duration::from_secs(1);
        }
        if now >= next_kill {
            let slot = random.below(fleet.size() as u64) as usize;
            // One time in four the runner is frozen rather than killed, for
            // longer than its leases last.
            if random.below(4) == 0 {
                if let Some(pid) = fleet.freeze(slot) {
                    let wake = Instant::now()
                        + Duration::from_secs(4)
                        + random.around(Duration::from_secs(2));
                    thaws.push((pid, wake));
                }
            } else if fleet.is_running(slot) {
                fleet.kill(slot).await;
                let back = Instant::now() + random.around(Duration::from_millis(750));
                restarts.push((slot, back));
            }
            next_kill = now + random.around(settings.kill_every);
        }
        for (pid, _) in thaws.iter().filter(|(_, at)| *at <= now) {
            fleet.thaw(*pid);
        }
        thaws.retain(|(_, at)| *at > now);
        if now >= next_service_restart && service_restarts < settings.service_restarts {
            service = restart(service, &config).await;
            service_restarts += 1;
            next_service_restart = Instant::now() + random.around(settings.service_restart_every);
        }
        let due: Vec<usize> = restarts
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(slot, _)| *slot)
            .collect();
        restarts.retain(|(_, at)| *at > now);
        for slot in due {
            fleet.restart(slot);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for (pid, _) in thaws.drain(..) {
        fleet.thaw(pid);
    }
    let unclean_exits = fleet.stop_all().await;
    let in_process_summary = in_process.stop().await;
    let mut view = ServiceView {
        pipeline_states: observe::pipeline_states(&control, &pipelines).await,
        ..ServiceView::default()
    };
    for pipeline in &pipelines {
        let instances = observe::objects(&control, &pipeline.id, "INSTANCE").await;
        let attempts = observe::objects(&control, &pipeline.id, "ATTEMPT").await;
        view.instances.insert(pipeline.id.clone(), instances);
        view.attempts.insert(pipeline.id.clone(), attempts);
    }
    let facts = HarnessFacts {
        runners_started: fleet.started,
        runners_killed: fleet.killed,
        runners_frozen: fleet.frozen,
        service_restarts,
        canceled_while_running: cancels.while_running,
        canceled_otherwise: cancels.otherwise,
        reruns_sent: reruns.sent,
        deactivated_canceling: deactivations.canceling,
        deactivated_gently: deactivations.gentle,
        deactivations_too_late: deactivations.too_late,
        panics: fleet.panics(),
        unclean_exits,
    };
    let ledger = service.ledger();
    let audit = service.audit();
    let verdict = Verdict::new(&pipelines, &view, &ledger, &audit, &facts);
    println!("chaos: seed {}, faults {FAULTS:?}", settings.seed);
    println!("chaos: in-process runner {in_process_summary:?}");
    println!("chaos: service audit {audit:?}");
    println!("{}", verdict.table());

    let mut failures = verdict.failures();
    if timed_out {
        failures.push(format!("the run did not end within {:?}", settings.timeout));
    }
    if !failures.is_empty() {
        let unfinished: Vec<String> = pipelines
            .iter()
            .flat_map(|pipeline| {
                view.instances
                    .get(&pipeline.id)
                    .into_iter()
                    .flatten()
                    .filter(|(_, described)| described.status != "FINISHED")
                    .map(move |(id, described)| {
                        format!("{} {id}: {}", pipeline.plan.name, described.status)
                    })
            })
            .take(40)
            .collect();
        panic!(
            "chaos run failed (seed {}):\n{}\n{}\nunfinished or failed instances (first 40):\n{}\npanics:\n{}\n{}",
            settings.seed,
            failures.join("\n"),
            verdict.table(),
            unfinished.join("\n"),
            facts.panics.join("\n"),
            fleet.stderr_tails(),
        );
    }
    service.shutdown().await;
}
