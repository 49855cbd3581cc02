//! One runner, several worker groups, each with its own concurrency.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use support::*;
use taskrunner::poll::PollerConfig;
use taskrunner::{BuildError, Outcome, Runner, TaskContext};

/// Tasks in flight and the most seen at once, per worker group.
#[derive(Default)]
struct Concurrency {
    now: HashMap<String, usize>,
    most: HashMap<String, usize>,
}

fn group_config(name: &str, concurrency: usize) -> PollerConfig {
    let mut config = PollerConfig::new(name);
    config.concurrency = concurrency;
    config.backoff = fast_backoff();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_worker_group_runs_with_its_own_concurrency() {
    let Bench { service, client } = bench().await;
    let mut objects = vec![on_demand_default("narrow")];
    for n in 1..=3 {
        objects.push(activity(
            &format!("Narrow{n}"),
            vec![string("myActivity", "count")],
        ));
        objects.push(activity(
            &format!("Wide{n}"),
            vec![string("myActivity", "count"), string("workerGroup", "wide")],
        ));
    }
    let pipeline = submit(&client, "groups", objects).await;
    let concurrency = Arc::new(Mutex::new(Concurrency::default()));
    let count = {
        let concurrency = concurrency.clone();
        move |ctx: TaskContext| {
            let concurrency = concurrency.clone();
            async move {
                let group = ctx.field("workerGroup").unwrap_or_default().to_owned();
                {
                    let mut seen = concurrency.lock();
                    let now = seen.now.entry(group.clone()).or_default();
                    *now += 1;
                    let now = *now;
                    let most = seen.most.entry(group.clone()).or_default();
                    *most = (*most).max(now);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                *concurrency.lock().now.entry(group).or_default() -= 1;
            }
        }
    };
    let runner = Runner::builder(client.clone())
        .worker_group_config(group_config("narrow", 1))
        .worker_group_config(group_config("wide", 3))
        .lease_config(fast_lease())
        .budget(taskrunner::service::CallBudget::unlimited())
        .activity_for_field("myActivity", "count", count)
        .build()
        .unwrap();
    let running = Running::start(runner);

    for component in ["Narrow1", "Narrow2", "Narrow3", "Wide1", "Wide2", "Wide3"] {
        assert_eq!(
            wait_for_status(
                &client,
                &pipeline,
                component,
                &["FINISHED", "FAILED"],
                Duration::from_secs(10)
            )
            .await,
            "FINISHED"
        );
    }
    let most = concurrency.lock().most.clone();
    assert_eq!(most.get("narrow"), Some(&1), "{most:?}");
    assert_eq!(most.get("wide"), Some(&3), "{most:?}");
    assert_eq!(running.stop().await.finished, 6);
    service.shutdown().await;
}

#[tokio::test]
async fn the_builder_refuses_incomplete_or_duplicate_configuration() {
    let client = client_for("http://127.0.0.1:9");
    let finish = || |_ctx: TaskContext| async { Outcome::Finished };
    let error = Runner::builder(client.clone())
        .activity_for_type("ShellCommandActivity", finish())
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::NoWorkerGroup), "{error}");
    let error = Runner::builder(client.clone())
        .worker_group("g")
        .build()
        .unwrap_err();
    assert!(matches!(error, BuildError::NoActivity), "{error}");
    let error = Runner::builder(client)
        .worker_group("g")
        .worker_group("g")
        .activity_for_type("ShellCommandActivity", finish())
        .build()
        .unwrap_err();
    assert!(
        matches!(error, BuildError::DuplicateWorkerGroup(ref group) if group == "g"),
        "{error}"
    );
}
