//! Stopping commands: cancellation reaches the whole process group, SIGKILL
//! follows an ignored SIGTERM, nothing outlives the task, nothing is left
//! unreaped.

use crate::support;

use std::time::{Duration, Instant};

use support::{attempt, eventually, exists, processes_with, sleep_marker, task, Run};
use taskrunner_activity::{Activity, Cancelled, Failure, Outcome};
use taskrunner_api::CancelReason;
use taskrunner_shell::{ShellCommandActivity, ShellConfig};

/// Long enough never to be reached by a passing test.
const PATIENCE: Duration = Duration::from_secs(10);

fn activity(kill_grace: Duration) -> ShellCommandActivity {
    ShellCommandActivity::new(ShellConfig {
        kill_grace,
        ..ShellConfig::default()
    })
}

/// Starts `command` and waits until `count` processes carry `marker`.
/// Returns the run, the task and the shell's pid (the lowest: it started first).
async fn start(
    activity: ShellCommandActivity,
    command: &str,
    marker: &str,
    count: usize,
) -> (Run, tokio::task::JoinHandle<Result<Outcome, Failure>>, u32) {
    let run = Run::new(task(attempt(&[("command", command)]), Vec::new()));
    let ctx = run.ctx.clone();
    let handle = tokio::spawn(async move { activity.run(ctx).await.map_err(Failure::from_error) });
    assert!(
        eventually(PATIENCE, || processes_with(marker).len() >= count).await,
        "the command's processes did not appear"
    );
    let shell = *processes_with(marker).iter().min().expect("a process");
    (run, handle, shell)
}

#[tokio::test]
async fn cancelling_kills_the_whole_process_group_and_reaps_the_shell() {
    let marker = sleep_marker();
    let command = format!("sleep {marker} & sleep {marker}");
    // Shell + two sleeps.
    let (run, handle, shell) = start(activity(PATIENCE), &command, &marker, 3).await;

    let started = Instant::now();
    run.cancellation.trip(CancelReason::CanceledByService);
    let result = handle.await.expect("no panic");
    assert!(
        result
            == Err(Failure::from(Cancelled::new(
                CancelReason::CanceledByService
            ))),
        "{result:?}"
    );
    // SIGTERM sufficed: no waiting for the grace.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(processes_with(&marker), Vec::<u32>::new());
    assert!(!exists(shell), "the shell {shell} was not reaped");
    assert!(
        !run.ctx.scratch_dir().exists(),
        "the working directory was left"
    );
}

#[tokio::test]
async fn a_command_ignoring_sigterm_is_killed_after_the_grace() {
    let marker = sleep_marker();
    // The ignored disposition is inherited by the sleeps too.
    let command = format!("trap '' TERM; sleep {marker} & sleep {marker}; echo survived");
    let grace = Duration::from_millis(300);
    let (run, handle, shell) = start(activity(grace), &command, &marker, 3).await;

    let started = Instant::now();
    run.cancellation.trip(CancelReason::Timeout);
    let result = handle.await.expect("no panic");
    let took = started.elapsed();
    assert!(
        result == Err(Failure::from(Cancelled::new(CancelReason::Timeout))),
        "{result:?}"
    );
    assert!(took >= grace, "killed before the grace: {took:?}");
    assert!(took < grace + Duration::from_secs(5), "{took:?}");
    assert_eq!(processes_with(&marker), Vec::<u32>::new());
    assert!(!exists(shell), "the shell {shell} was not reaped");
}

#[tokio::test]
async fn children_get_the_grace_to_clean_up_after_the_shell_has_died() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cleaned = dir.path().join("cleaned");
    let marker = sleep_marker();
    // The shell dies at SIGTERM at once; its child shell takes a moment to
    // clean up, and must not be SIGKILLed for the leader's quick exit.
    let inner = format!(
        "trap 'sleep 0.2; echo done > {}; exit 0' TERM; sleep {marker} & wait",
        cleaned.display()
    );
    let command = format!("sh -c \"{inner}\"");
    let (run, handle, _) = start(activity(PATIENCE), &command, &marker, 3).await;

    run.cancellation.trip(CancelReason::Shutdown);
    let result = handle.await.expect("no panic");
    assert!(
        matches!(&result, Err(failure) if failure.error_id == "Cancelled"),
        "{result:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&cleaned)
            .expect("cleaned up")
            .trim(),
        "done"
    );
    assert_eq!(processes_with(&marker), Vec::<u32>::new());
}

#[tokio::test]
async fn background_jobs_do_not_outlive_a_finished_command() {
    let marker = sleep_marker();
    let run = Run::new(task(
        attempt(&[("command", &format!("sleep {marker} & echo started"))]),
        Vec::new(),
    ));
    let started = Instant::now();
    // The background sleep holds stdout open: the run must not wait for it.
    let outcome = activity(PATIENCE)
        .run(run.ctx.clone())
        .await
        .map_err(Failure::from_error)
        .expect("runs");
    assert_eq!(outcome, Outcome::Finished);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        eventually(Duration::from_secs(2), || processes_with(&marker)
            .is_empty())
        .await,
        "the background job survived"
    );
}

#[tokio::test]
async fn dropping_the_task_future_kills_the_group() {
    let marker = sleep_marker();
    let command = format!("sleep {marker} & sleep {marker}");
    let (_run, handle, shell) = start(activity(PATIENCE), &command, &marker, 3).await;

    // What the runner does after its own cancel grace.
    handle.abort();
    assert!(handle.await.expect_err("aborted").is_cancelled());
    assert!(
        eventually(PATIENCE, || processes_with(&marker).is_empty()).await,
        "processes survived the dropped future"
    );
    // tokio reaps the dropped shell in the background.
    assert!(
        eventually(PATIENCE, || !exists(shell)).await,
        "the shell {shell} was not reaped"
    );
}

#[tokio::test]
async fn a_task_cancelled_before_it_starts_runs_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let touched = dir.path().join("ran");
    let run = Run::new(task(
        attempt(&[("command", &format!("touch {}", touched.display()))]),
        Vec::new(),
    ));
    run.cancellation.trip(CancelReason::Shutdown);
    let result = activity(PATIENCE)
        .run(run.ctx.clone())
        .await
        .map_err(Failure::from_error);
    assert!(
        result == Err(Failure::from(Cancelled::new(CancelReason::Shutdown))),
        "{result:?}"
    );
    assert!(!touched.exists());
}
