//! The chaos suite: several `taskrunner` processes and an in-process
//! framework runner against one `datapipeline-local` process that injects
//! 500s, throttling, latency and dropped connections into every operation,
//! while the harness SIGKILLs and restarts runners at random moments, and
//! the service itself a few times (it keeps its state, its lease ledger
//! included, in a SQLite file).
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
#[path = "chaos/service_process.rs"]
mod service_process;
#[path = "chaos/settings.rs"]
mod settings;
#[path = "chaos/verdict.rs"]
mod verdict;
#[path = "chaos/watched.rs"]
mod watched;
#[path = "chaos/workload.rs"]
mod workload;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use datapipeline_local::{Config, FaultPlan, FaultRule, ServiceHandle, Timing};
use tokio::time::Instant;

use cancels::Cancels;
use deactivations::Deactivations;
use fleet::Fleet;
use in_process::InProcess;
use reruns::Reruns;
use service_process::ServiceProcess;
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

/// The service's configuration: compressed timing, the faults seeded with
/// `seed`, and its state in SQLite at `state`, so that a service process
/// SIGKILLed mid-run can be started again on the same file.
fn config(seed: u64, state: PathBuf) -> Config {
    Config {
        timing: timing(),
        faults: FaultPlan {
            seed,
            rules: FAULTS
                .iter()
                .map(|rule| rule.parse::<FaultRule>().expect("a valid fault rule"))
                .collect(),
        },
        state: Some(state),
        ..Config::default()
    }
}

/// Not a test of its own: the service process of a chaos run (see
/// `chaos/service_process.rs`). Without its environment it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_service_process() {
    let Some(state) = std::env::var_os(service_process::STATE_VARIABLE) else {
        return;
    };
    let number = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let port = u16::try_from(number(service_process::PORT_VARIABLE)).unwrap_or(0);
    let seed = number(service_process::SEED_VARIABLE);
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    match datapipeline_local::start_on(address, config(seed, state.into())).await {
        Ok(service) => {
            println!("{}{}", service_process::LISTENING, service.local_addr());
            // Serves until SIGKILLed.
            std::future::pending::<()>().await;
        }
        Err(error) => {
            // The port or the file is still held by the process just
            // killed: the harness tries again.
            eprintln!("chaos service process: {error}");
            std::process::exit(1);
        }
    }
}

/// Starts the service in this process on `state` and `address`, once the
/// killed process has let go of them, to read its ledger and audit at the
/// end of the run.
async fn start_in_process(address: SocketAddr, seed: u64, state: &Path) -> ServiceHandle {
    let mut tries = 0;
    loop {
        match datapipeline_local::start_on(address, config(seed, state.to_path_buf())).await {
            Ok(service) => return service,
            Err(error) => {
                tries += 1;
                assert!(
                    tries < 100,
                    "the service does not start on {address}: {error}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_killed_at_random_against_a_faulty_service_lose_no_task_and_share_no_lease() {
    let settings = Settings::from_env();
    println!(
        "chaos: {settings:?} (repeat with CHAOS_SEED={})",
        settings.seed
    );
    let mut random = Random::new(settings.seed);
    let scratch = tempfile::tempdir().expect("a temp dir");
    let state = scratch.path().join("service.sqlite");
    let mut service = ServiceProcess::start(&state, 0, settings.seed).await;
    let address = service.address;
    let endpoint = format!("http://{address}");
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
            if done == pipelines.len() && cancels.done() && reruns.done() && deactivations.done() {
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
            service.kill().await;
            service = ServiceProcess::start(&state, address.port(), settings.seed).await;
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

    // The last SIGKILL: the service goes on in this process, on the same
    // file and port, to read the ledger and audit the file kept. A
    // canceled attempt's lease ends when it lapses, a few seconds after
    // its runner stopped reporting: wait for those too.
    service.kill().await;
    let service = start_in_process(address, settings.seed, &state).await;
    let lapses_due = Instant::now() + Duration::from_secs(30);
    while service.ledger_counts().live > 0 && Instant::now() < lapses_due {
        tokio::time::sleep(Duration::from_millis(100)).await;
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
