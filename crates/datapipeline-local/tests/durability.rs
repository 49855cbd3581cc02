//! `--state PATH`: a restart, a SIGKILL of the binary included, loses
//! nothing a client was told; a state file that cannot be used stops the
//! service with an error naming it.

use crate::support;

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_datapipeline::operation::report_task_progress::ReportTaskProgressError;
use aws_sdk_datapipeline::types::TaskStatus;
use aws_sdk_datapipeline::Client;
use datapipeline_local::{start, Config, LeaseEnd, StartError, StateError, Timing};
use support::*;

/// Long deadlines, so that nothing lapses while a test restarts the
/// service; short long polls, so that an empty queue answers quickly.
fn durable_timing() -> Timing {
    Timing {
        long_poll_wait: Duration::from_millis(200),
        ack_timeout: Duration::from_secs(120),
        default_report_progress_timeout: Duration::from_secs(120),
        retry_delay_floor: Duration::ZERO,
        time_scale: 1.0,
        work_time_scale: 1.0,
    }
}

fn durable_config(path: &Path) -> Config {
    Config {
        timing: durable_timing(),
        state: Some(path.to_path_buf()),
        ..Config::default()
    }
}

fn three_activities(worker_group: &str) -> Vec<aws_sdk_datapipeline::types::PipelineObject> {
    vec![
        on_demand_default(worker_group),
        shell("First", "echo 1", vec![]),
        shell("Second", "echo 2", vec![]),
        shell("Third", "echo 3", vec![]),
    ]
}

fn client(endpoint: &str) -> Client {
    client_for(endpoint, "AKIDLOCAL", "local-secret")
}

/// Every task of `worker_group` until the queue is empty, attempt ids sorted.
async fn drain(client: &Client, worker_group: &str) -> Vec<Task> {
    let mut tasks = Vec::new();
    while let Some(task) = poll(client, worker_group).await {
        tasks.push(task);
    }
    tasks.sort_by(|left, right| left.attempt_id.cmp(&right.attempt_id));
    tasks
}

#[tokio::test]
async fn a_restarted_library_service_keeps_pipelines_leases_and_queues() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");

    let service = start(durable_config(&path)).await.expect("first start");
    let first = client(&service.endpoint_url());
    let pipeline = activate(&first, "durable", three_activities("durable")).await;
    let held = poll(&first, "durable").await.expect("a task");
    assert!(!ack(&first, &held).await);
    let audit_before = service.audit();
    drop(first);
    service.shutdown().await;

    let service = start(durable_config(&path)).await.expect("second start");
    let second = client(&service.endpoint_url());
    assert_eq!(service.audit(), audit_before, "the counters carry over");
    // The same taskId still holds its lease.
    assert!(!ack(&second, &held).await);
    finish(&second, &held, TaskStatus::Finished).await;
    // The other two attempts are still queued, and nothing else is.
    let rest = drain(&second, "durable").await;
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert!(rest.iter().all(|task| task.attempt_id != held.attempt_id));
    for task in &rest {
        finish(&second, task, TaskStatus::Finished).await;
    }
    let instances = statuses(&second, &pipeline, "INSTANCE").await;
    assert_eq!(instances.len(), 3);
    assert!(
        instances.iter().all(|(_, status)| status == "FINISHED"),
        "{instances:?}"
    );
    let listed = second.list_pipelines().send().await.expect("list");
    assert_eq!(listed.pipeline_id_list.len(), 1);
    let described = second
        .describe_pipelines()
        .pipeline_ids(&pipeline)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.pipeline_description_list[0].name, "durable");
    let definition = second
        .get_pipeline_definition()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("definition");
    assert_eq!(definition.pipeline_objects.unwrap_or_default().len(), 4);
    // CreatePipeline is still idempotent on (name, uniqueId).
    let again = second
        .create_pipeline()
        .name("durable")
        .unique_id("durable")
        .send()
        .await
        .expect("create again");
    assert_eq!(again.pipeline_id, pipeline);
    assert_eq!(service.audit().statuses_accepted, 3);
    service.shutdown().await;
}

#[tokio::test]
async fn a_deactivation_survives_a_restart_and_the_activation_after_it_resumes() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");

    let service = start(durable_config(&path)).await.expect("first start");
    let first = client(&service.endpoint_url());
    let pipeline = activate(&first, "paused", three_activities("paused")).await;
    let held = poll(&first, "paused").await.expect("a task");
    let canceled = instance_of(&held);
    set_status(&first, &pipeline, &canceled, "TRY_CANCEL").await;
    first
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .cancel_active(true)
        .send()
        .await
        .expect("deactivate");
    drop(first);
    service.shutdown().await;

    let service = start(durable_config(&path)).await.expect("second start");
    let second = client(&service.endpoint_url());
    second
        .activate_pipeline()
        .pipeline_id(&pipeline)
        .send()
        .await
        .expect("activate");
    // The two the deactivation canceled run again; the one canceled by
    // TRY_CANCEL before it does not.
    let resumed = drain(&second, "paused").await;
    assert_eq!(resumed.len(), 2, "{resumed:?}");
    assert!(resumed
        .iter()
        .all(|task| !task.attempt_id.starts_with(&canceled)));
    assert_eq!(status_of(&second, &pipeline, &canceled).await, "CANCELED");
    service.shutdown().await;
}

#[tokio::test]
async fn a_state_file_from_before_the_ledger_was_kept_still_opens() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");
    let service = start(durable_config(&path)).await.expect("first start");
    let first = client(&service.endpoint_url());
    let pipeline = activate(&first, "older", three_activities("older")).await;
    let held = poll(&first, "older").await.expect("a task");
    drop(first);
    service.shutdown().await;
    // As a file written by a build that kept no ledger.
    rusqlite::Connection::open(&path)
        .and_then(|connection| connection.execute_batch("DROP TABLE ledger"))
        .expect("the ledger table dropped");

    let service = start(durable_config(&path)).await.expect("second start");
    let second = client(&service.endpoint_url());
    // The lease the ledger never saw still works; the ledger starts empty
    // and goes on from here.
    assert!(!ack(&second, &held).await);
    finish(&second, &held, TaskStatus::Finished).await;
    assert_eq!(
        status_of(&second, &pipeline, &held.attempt_id).await,
        "FINISHED"
    );
    let next = poll(&second, "older").await.expect("another task");
    finish(&second, &next, TaskStatus::Finished).await;
    let counts = service.ledger_counts();
    assert_eq!(
        (counts.granted, counts.ended_by_status, counts.live),
        (1, 1, 0)
    );
    service.shutdown().await;
}

#[tokio::test]
async fn an_unacknowledged_lease_still_lapses_after_a_restart() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");
    let config = || Config {
        timing: Timing {
            ack_timeout: Duration::from_millis(300),
            ..durable_timing()
        },
        state: Some(path.clone()),
        ..Config::default()
    };

    let service = start(config()).await.expect("first start");
    let first = client(&service.endpoint_url());
    activate(
        &first,
        "lapsing",
        vec![on_demand_default("lapsing"), shell("Only", "true", vec![])],
    )
    .await;
    let lost = poll(&first, "lapsing").await.expect("a task");
    drop(first);
    service.shutdown().await;

    // The restored timer expires the lease (after the fresh window the
    // restart gave it) and the attempt is handed out again.
    let service = start(config()).await.expect("second start");
    let second = client(&service.endpoint_url());
    let again = poll_until_task(&second, "lapsing", Duration::from_secs(30)).await;
    assert_eq!(again.attempt_id, lost.attempt_id);
    assert_ne!(again.task_id, lost.task_id);
    let error = second
        .report_task_progress()
        .task_id(&lost.task_id)
        .send()
        .await
        .expect_err("the lapsed taskId")
        .into_service_error();
    assert!(
        matches!(error, ReportTaskProgressError::TaskNotFoundException(_)),
        "{error:?}"
    );
    assert_eq!(service.audit().leases_expired, 1);
    service.shutdown().await;
}

async fn instance_ids(client: &Client, pipeline: &str) -> Vec<String> {
    let mut ids = client
        .query_objects()
        .pipeline_id(pipeline)
        .sphere("INSTANCE")
        .send()
        .await
        .expect("query")
        .ids
        .unwrap_or_default();
    ids.sort();
    ids
}

async fn at_least_instances(client: &Client, pipeline: &str, count: usize) -> Vec<String> {
    eventually("instances", Duration::from_secs(30), || {
        let client = client.clone();
        let pipeline = pipeline.to_owned();
        async move {
            let ids = instance_ids(&client, &pipeline).await;
            (ids.len() >= count).then_some(ids)
        }
    })
    .await
}

#[tokio::test]
async fn a_schedule_carries_on_after_a_restart_without_gaps_or_repeats() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");
    // 9000×: a 15-minute period passes in 100 ms of wall-clock time.
    let config = || Config {
        timing: Timing {
            time_scale: 9000.0,
            ..durable_timing()
        },
        state: Some(path.clone()),
        ..Config::default()
    };
    let objects = vec![
        object(
            "Default",
            vec![
                string("scheduleType", "cron"),
                string("workerGroup", "scheduled"),
                reference("schedule", "Every15"),
            ],
        ),
        object(
            "Every15",
            vec![
                string("type", "Schedule"),
                string("period", "15 minutes"),
                string("startAt", "FIRST_ACTIVATION_DATE_TIME"),
            ],
        ),
        shell("Act", "true", vec![]),
    ];

    let service = start(config()).await.expect("first start");
    let first = client(&service.endpoint_url());
    let pipeline = activate(&first, "scheduled", objects).await;
    let before = at_least_instances(&first, &pipeline, 2).await;
    drop(first);
    service.shutdown().await;

    let service = start(config()).await.expect("second start");
    let second = client(&service.endpoint_url());
    let after = at_least_instances(&second, &pipeline, before.len() + 3).await;
    assert!(
        before.iter().all(|id| after.contains(id)),
        "{before:?} {after:?}"
    );
    let starts: Vec<chrono::NaiveDateTime> = after
        .iter()
        .map(|id| {
            chrono::NaiveDateTime::parse_from_str(
                id.trim_start_matches("@Act_"),
                "%Y-%m-%dT%H:%M:%S",
            )
            .expect("an instance id with its start")
        })
        .collect();
    for pair in starts.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            chrono::TimeDelta::minutes(15),
            "{after:?}"
        );
    }
    service.shutdown().await;
}

/// The `datapipeline-local` binary on a free port with `--state`; killed
/// with SIGKILL when dropped.
struct Binary {
    child: Child,
    endpoint: String,
}

impl Binary {
    fn start(path: &Path) -> Self {
        Self::start_with(path, "2m")
    }

    /// As [`Binary::start`], with this acknowledgement timeout.
    fn start_with(path: &Path, ack_timeout: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_datapipeline-local"))
            .args(["--port", "0", "--long-poll-wait", "200ms"])
            .args([
                "--ack-timeout",
                ack_timeout,
                "--report-progress-timeout",
                "2m",
            ])
            .arg("--state")
            .arg(path)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the binary prints where it listens");
        let endpoint = line
            .trim()
            .rsplit(' ')
            .next()
            .expect("an endpoint")
            .to_owned();
        assert!(endpoint.starts_with("http://"), "{line}");
        Self { child, endpoint }
    }

    /// SIGKILL: no shutdown path runs.
    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on `path`, runs `calls` against it, and kills it with
/// SIGKILL right after their last answer.
async fn life<T, F, Fut>(path: &Path, calls: F) -> T
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let binary = Binary::start(path);
    let answer = calls(client(&binary.endpoint)).await;
    binary.kill();
    answer
}

#[tokio::test]
async fn a_sigkilled_binary_loses_nothing_it_answered() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");

    // Killed right after PutPipelineDefinition answered.
    let pipeline = life(&path, |client| async move {
        define(&client, "killed", three_activities("killed")).await
    })
    .await;
    // Killed right after ActivatePipeline answered.
    life(&path, |client| {
        let pipeline = pipeline.clone();
        async move {
            let definition = client
                .get_pipeline_definition()
                .pipeline_id(&pipeline)
                .send()
                .await
                .expect("the definition survived");
            assert_eq!(definition.pipeline_objects.unwrap_or_default().len(), 4);
            client
                .activate_pipeline()
                .pipeline_id(&pipeline)
                .send()
                .await
                .expect("activate");
        }
    })
    .await;
    // Killed right after PollForTask answered with a task.
    let held = life(&path, |client| async move {
        poll(&client, "killed")
            .await
            .expect("the activation survived")
    })
    .await;
    // Killed right after the acknowledgement answered.
    life(&path, |client| {
        let held = held.clone();
        async move { assert!(!ack(&client, &held).await, "the lease survived") }
    })
    .await;
    // Killed right after SetTaskStatus answered.
    life(&path, |client| {
        let held = held.clone();
        async move { finish(&client, &held, TaskStatus::Finished).await }
    })
    .await;
    // Killed right after a second task was polled and acknowledged.
    let second = life(&path, |client| async move {
        let task = poll(&client, "killed").await.expect("a second task");
        assert!(!ack(&client, &task).await);
        task
    })
    .await;

    let binary = Binary::start(&path);
    let client = client(&binary.endpoint);
    assert_eq!(
        status_of(&client, &pipeline, &held.attempt_id).await,
        "FINISHED"
    );
    // The finished lease is over; the second is still held.
    let error = client
        .report_task_progress()
        .task_id(&held.task_id)
        .send()
        .await
        .expect_err("the finished task's lease ended")
        .into_service_error();
    assert!(
        matches!(error, ReportTaskProgressError::TaskNotFoundException(_)),
        "{error:?}"
    );
    assert!(!ack(&client, &second).await);
    finish(&client, &second, TaskStatus::Finished).await;
    // Exactly one attempt is left in the queue: none lost, none doubled.
    let rest = drain(&client, "killed").await;
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].attempt_id != held.attempt_id && rest[0].attempt_id != second.attempt_id);
    finish(&client, &rest[0], TaskStatus::Finished).await;
    let instances = statuses(&client, &pipeline, "INSTANCE").await;
    assert!(
        instances.iter().all(|(_, status)| status == "FINISHED"),
        "{instances:?}"
    );
    binary.kill();

    // The lease ledger went on through every SIGKILL: three leases, each
    // granted once, acknowledged and ended by its status.
    let service = start(durable_config(&path))
        .await
        .expect("the library reads the file");
    let ledger = service.ledger();
    let counts = ledger.counts();
    assert_eq!(
        (
            counts.granted,
            counts.acknowledged,
            counts.ended_by_status,
            counts.live
        ),
        (3, 2, 3, 0),
        "{:?}",
        ledger.records()
    );
    assert_eq!(
        (
            counts.overlapping_grants,
            counts.statuses_after_loss,
            counts.statuses_fenced
        ),
        (0, 0, 0)
    );
    let attempts: Vec<&str> = ledger
        .records()
        .iter()
        .map(|record| record.attempt_id.as_str())
        .collect();
    assert_eq!(
        attempts[..2],
        [held.attempt_id.as_str(), second.attempt_id.as_str()]
    );
    service.shutdown().await;
}

/// A state file with one pipeline in it, closed cleanly.
async fn written_state_file(path: &Path) {
    let service = start(durable_config(path)).await.expect("start");
    let client = client(&service.endpoint_url());
    activate(&client, "written", three_activities("written")).await;
    drop(client);
    service.shutdown().await;
}

async fn start_error(path: &Path) -> StateError {
    match start(durable_config(path)).await {
        Err(StartError::State(error)) => {
            let message = error.to_string();
            assert!(
                message.contains(&path.display().to_string()),
                "the message names the file: {message}"
            );
            error
        }
        Err(other) => panic!("not a state error: {other}"),
        Ok(_) => panic!("{} was accepted", path.display()),
    }
}

#[tokio::test]
async fn unusable_state_files_are_refused_with_an_error_naming_them() {
    let directory = tempfile::tempdir().expect("a temporary directory");

    let garbage = directory.path().join("garbage.db");
    std::fs::write(&garbage, vec![0xA5_u8; 8192]).expect("write");
    let error = start_error(&garbage).await;
    assert!(matches!(error, StateError::NotAStateFile { .. }), "{error}");
    assert_eq!(
        std::fs::read(&garbage).expect("read"),
        vec![0xA5_u8; 8192],
        "never overwritten"
    );

    let truncated = directory.path().join("truncated.db");
    written_state_file(&truncated).await;
    let length = std::fs::metadata(&truncated).expect("metadata").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .expect("open");
    file.set_len(length / 2).expect("truncate");
    drop(file);
    let error = start_error(&truncated).await;
    assert!(
        matches!(
            error,
            StateError::Corrupt { .. } | StateError::NotAStateFile { .. }
        ),
        "{error}"
    );

    let error = start_error(directory.path()).await;
    assert!(matches!(error, StateError::Open { .. }), "{error}");

    let newer = directory.path().join("newer.db");
    written_state_file(&newer).await;
    rusqlite::Connection::open(&newer)
        .and_then(|connection| connection.pragma_update(None, "user_version", 99))
        .expect("set a newer version");
    let error = start_error(&newer).await;
    assert!(
        matches!(error, StateError::FutureVersion { found: 99, .. }),
        "{error}"
    );

    let foreign = directory.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .and_then(|connection| connection.execute_batch("CREATE TABLE notes (body TEXT);"))
        .expect("another program's database");
    let error = start_error(&foreign).await;
    assert!(matches!(error, StateError::NotAStateFile { .. }), "{error}");

    // Ledger rows that do not read back: not JSON, and a lease never granted.
    for (name, row) in [
        ("ledger-garbage.db", "not json"),
        ("ledger-orphan.db", r#"{"event":"reported","lease":7}"#),
    ] {
        let damaged = directory.path().join(name);
        written_state_file(&damaged).await;
        rusqlite::Connection::open(&damaged)
            .and_then(|connection| {
                connection.execute(
                    "INSERT INTO ledger (at_millis, event) VALUES (0, ?1)",
                    [row],
                )
            })
            .expect("a damaged ledger row");
        let error = start_error(&damaged).await;
        assert!(
            matches!(&error, StateError::Corrupt { reason, .. } if reason.contains("ledger")),
            "{error}"
        );
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[tokio::test]
async fn a_second_service_cannot_share_a_state_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");
    let service = start(durable_config(&path)).await.expect("start");
    let error = start_error(&path).await;
    assert!(matches!(error, StateError::InUse { .. }), "{error}");
    service.shutdown().await;
    // Also once the file exists (in WAL mode) and after a write.
    written_state_file(&path).await;
    let service = start(durable_config(&path)).await.expect("restart");
    let client = client(&service.endpoint_url());
    activate(&client, "second", three_activities("second")).await;
    let error = start_error(&path).await;
    assert!(matches!(error, StateError::InUse { .. }), "{error}");
    drop(client);
    service.shutdown().await;
}

#[test]
fn the_binary_exits_non_zero_naming_a_bad_state_file() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let garbage = directory.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"not a database, not at all; just some text to fill a page",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_datapipeline-local"))
        .args(["--port", "0", "--state"])
        .arg(&garbage)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&garbage.display().to_string()) && stderr.contains("state file"),
        "{stderr}"
    );
}

/// What the clients of [`kills_under_load_lose_no_answered_call`] were told.
#[derive(Debug, Default)]
struct Told {
    /// Tasks whose PollForTask answered and whose SetTaskStatus has not.
    held: Vec<Task>,
    /// Attempt ids whose SetTaskStatus FINISHED answered.
    finished: Vec<String>,
    /// Calls answered in this life.
    answered: usize,
}

/// One client's loop: poll, acknowledge, finish, until the service is gone
/// or, with `until_empty`, a poll finds the queue empty.
async fn cycle(client: Client, told: std::sync::Arc<std::sync::Mutex<Told>>, until_empty: bool) {
    let lock = || told.lock().expect("the record");
    loop {
        let Ok(output) = client
            .poll_for_task()
            .worker_group("load")
            .hostname("load")
            .send()
            .await
        else {
            return;
        };
        let Some(task) = output.task_object else {
            if until_empty {
                return;
            }
            continue;
        };
        let task = Task {
            task_id: task.task_id.expect("taskId"),
            pipeline_id: task.pipeline_id.expect("pipelineId"),
            attempt_id: task.attempt_id.clone().expect("attemptId"),
            attempt: task
                .objects
                .as_ref()
                .and_then(|objects| objects.get(task.attempt_id.as_deref()?).cloned())
                .expect("the attempt object"),
            objects: task.objects.unwrap_or_default(),
        };
        {
            let mut told = lock();
            told.held.push(task.clone());
            told.answered += 1;
        }
        // A refusal (the lease lapsed on a slow machine) drops the task: it
        // is handed out again. No answer at all (the service was killed)
        // keeps it held for the next life.
        match client
            .report_task_progress()
            .task_id(&task.task_id)
            .send()
            .await
        {
            Ok(_) => lock().answered += 1,
            Err(error) if error.as_service_error().is_some() => {
                lock().held.retain(|held| held.task_id != task.task_id);
                continue;
            }
            Err(_) => return,
        }
        match client
            .set_task_status()
            .task_id(&task.task_id)
            .task_status(TaskStatus::Finished)
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if error.as_service_error().is_some() => {
                lock().held.retain(|held| held.task_id != task.task_id);
                continue;
            }
            Err(_) => return,
        }
        let mut told = lock();
        told.answered += 1;
        told.held.retain(|held| held.task_id != task.task_id);
        told.finished.push(task.attempt_id);
    }
}

#[tokio::test]
async fn kills_under_load_lose_no_answered_call() {
    const TASKS: usize = 24;
    const CLIENTS: usize = 4;
    const LIVES: usize = 4;
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.db");
    let mut objects = vec![on_demand_default("load")];
    objects.extend((0..TASKS).map(|index| shell(&format!("Task{index:02}"), "true", vec![])));
    let pipeline = life(&path, |client| async move {
        activate(&client, "load", objects).await
    })
    .await;

    let told = std::sync::Arc::new(std::sync::Mutex::new(Told::default()));
    for life_number in 0..LIVES {
        // A short acknowledgement timeout: a poll whose answer the kill
        // swallowed leaves a lease no client knows of, which must lapse.
        let binary = Binary::start_with(&path, "1s");
        let client = client(&binary.endpoint);
        // The tasks held when the last life was killed keep their taskIds.
        let held = std::mem::take(&mut told.lock().expect("the record").held);
        for task in held {
            // An error means its SetTaskStatus was committed but the kill
            // swallowed the answer, or, on a slow machine, its
            // unacknowledged lease lapsed before the kill: either way the
            // lease is over, and the end of the test checks that every
            // attempt finished.
            let ended = client
                .set_task_status()
                .task_id(&task.task_id)
                .task_status(TaskStatus::Finished)
                .send()
                .await;
            if ended.is_ok() {
                told.lock()
                    .expect("the record")
                    .finished
                    .push(task.attempt_id);
            }
        }
        if life_number + 1 == LIVES {
            binary.kill();
            break;
        }
        told.lock().expect("the record").answered = 0;
        let loops: Vec<_> = (0..CLIENTS)
            .map(|_| tokio::spawn(cycle(client.clone(), told.clone(), false)))
            .collect();
        // Kill while calls are in flight, after a few answers.
        let threshold = 6 + life_number * 6;
        eventually("answers before the kill", Duration::from_secs(30), || {
            let answered = told.lock().expect("the record").answered;
            async move { (answered >= threshold).then_some(()) }
        })
        .await;
        binary.kill();
        for handle in loops {
            handle.await.expect("a client loop");
        }
    }

    // The last life: finish everything left, then check the books.
    let binary = Binary::start_with(&path, "1s");
    let client = client(&binary.endpoint);
    let finished_before: Vec<String> = told.lock().expect("the record").finished.clone();
    for attempt in &finished_before {
        assert_eq!(
            status_of(&client, &pipeline, attempt).await,
            "FINISHED",
            "{attempt}: its SetTaskStatus answered, then was lost"
        );
    }
    let rest_told = std::sync::Arc::new(std::sync::Mutex::new(Told::default()));
    eventually("every task finished", Duration::from_secs(60), || {
        let client = client.clone();
        let pipeline = pipeline.clone();
        let rest_told = rest_told.clone();
        async move {
            cycle(client.clone(), rest_told, true).await;
            let instances = statuses(&client, &pipeline, "INSTANCE").await;
            (instances.len() == TASKS && instances.iter().all(|(_, status)| status == "FINISHED"))
                .then_some(())
        }
    })
    .await;
    binary.kill();

    // The lease ledger the file kept through every kill: no attempt held
    // twice, no status accepted after its lease ended, and every task
    // finished once.
    let service = start(durable_config(&path))
        .await
        .expect("the library reads the file");
    let counts = service.ledger_counts();
    assert_eq!(counts.overlapping_grants, 0, "{counts:?}");
    assert_eq!(counts.statuses_after_loss, 0, "{counts:?}");
    assert_eq!(counts.runs_after_finish, 0, "{counts:?}");
    let finished = service
        .ledger()
        .records()
        .iter()
        .filter(|record| matches!(record.end, Some((LeaseEnd::Status("FINISHED"), _))))
        .count();
    assert_eq!(finished, TASKS, "{counts:?}");
    service.shutdown().await;
}
