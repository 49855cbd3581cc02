//! How work stops: a service cancel kills the command's whole process
//! group; SIGTERM drains (the running task finishes and is reported, then
//! exit 0); a second signal during a drain exits 130 at once, killing what
//! it cut short.

use crate::support;

use std::time::{Duration, Instant};

use support::*;

/// How long the command's processes may outlive a cancel: the report that
/// learns of it (every 200 ms) plus SIGTERM to the group.
const STOP_LIMIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_with_cancel_active_kills_the_whole_process_group() {
    let service = service().await;
    let marker = sleep_marker();
    let _reaper = Reaper(marker.clone());
    let pipeline = submit(
        &service.client,
        "cancel",
        vec![
            on_demand_default("cancel"),
            shell(
                "Long",
                // The marker is each sleep's duration (≈300 s), so both the
                // background and the foreground sleep carry it in argv.
                &format!("sleep {marker} & sleep {marker}"),
                vec![],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "cancel", &[]);

    wait_until("both sleeps run", Duration::from_secs(15), || {
        processes_with(&marker)
            .iter()
            .filter(|(_, cmdline)| cmdline.starts_with("sleep "))
            .count()
            == 2
    })
    .await;
    service
        .client
        .deactivate_pipeline()
        .pipeline_id(&pipeline)
        .cancel_active(true)
        .send()
        .await
        .expect("deactivate");

    let canceled = Instant::now();
    wait_until(
        "no process of the canceled task is left",
        STOP_LIMIT,
        || processes_with(&marker).is_empty(),
    )
    .await;
    eprintln!("processes gone {:?} after the cancel", canceled.elapsed());
    assert_eq!(
        wait_for_status(
            &service.client,
            &pipeline,
            "Long",
            &["CANCELED", "FINISHED", "FAILED"],
            STOP_LIMIT
        )
        .await,
        "CANCELED"
    );
    assert!(runner.try_status().is_none(), "the runner keeps running");
    runner.stop().await;
    assert_eq!(
        service.handle.audit().statuses_accepted,
        0,
        "a canceled task gets no SetTaskStatus"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_running_task_finish_and_report_then_exits_0() {
    let service = service().await;
    let scratch = tempfile::tempdir().unwrap();
    let started = scratch.path().join("started");
    let done = scratch.path().join("done");
    let pipeline = submit(
        &service.client,
        "drain",
        vec![
            on_demand_default("drain"),
            shell(
                "Finishing",
                &format!(
                    "touch {}; sleep 1.5; touch {}",
                    display(&started),
                    display(&done)
                ),
                vec![],
            ),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "drain", &[]);

    wait_until("the task starts", Duration::from_secs(15), || {
        started.exists()
    })
    .await;
    let signaled = Instant::now();
    runner.signal("TERM");
    let status = runner.wait(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", runner.output());
    assert!(
        signaled.elapsed() >= Duration::from_millis(1000),
        "the runner waited for the task ({:?})",
        signaled.elapsed()
    );
    assert!(done.exists(), "the command ran to its end");
    // Reported before the exit: nothing else could have reported it.
    assert_eq!(
        status_of(&service.client, &pipeline, "Finishing").await,
        "FINISHED",
        "{}",
        runner.output()
    );
    assert_eq!(service.handle.audit().statuses_accepted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_during_a_long_drain_exits_130_promptly_and_kills_the_command() {
    let service = service().await;
    let marker = sleep_marker();
    let _reaper = Reaper(marker.clone());
    let pipeline = submit(
        &service.client,
        "interrupt",
        vec![
            on_demand_default("interrupt"),
            shell("Endless", &format!("sleep {marker}"), vec![]),
        ],
    )
    .await;
    let mut runner = Taskrunner::against(&service, "interrupt", &[]);
    wait_until("the task starts", Duration::from_secs(15), || {
        !processes_with(&marker).is_empty()
    })
    .await;

    runner.signal("TERM");
    // The first signal starts a drain that would last until --drain-timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        runner.try_status().is_none(),
        "the drain waits for the task\n{}",
        runner.output()
    );
    // Ctrl-C counts as well as SIGTERM.
    let second = Instant::now();
    runner.signal("INT");
    let status = runner.wait(Duration::from_secs(3)).await;
    assert_eq!(status.code(), Some(130), "{}", runner.output());
    eprintln!("exited {:?} after the second signal", second.elapsed());
    // Cut short means stopped: a command left running would run twice once
    // the service hands the task to another runner.
    wait_until(
        "no process of the cut-short task is left",
        Duration::from_secs(2),
        || processes_with(&marker).is_empty(),
    )
    .await;
    assert!(
        runner.stderr().contains("second signal"),
        "{}",
        runner.output()
    );
    assert_eq!(
        status_of(&service.client, &pipeline, "Endless").await,
        "RUNNING",
        "nothing was reported: the lease lapses and the service reassigns it"
    );
}
