//! Paused-time tests of the poll loops against an in-process service.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use taskrunner_api::{
    ApiError, CallBudget, ErrorClass, Field, HeartbeatRequest, HeartbeatResponse, Operation,
    PollRequest, ProgressResponse, StatusReport, Task, TaskId, TaskObject, TaskService,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::poller::PRECONDITION_SETTLE;
use crate::{Heartbeat, Poller, PollerConfig, Slot};

/// What a scripted poll answers.
enum Answer {
    Task,
    /// A task, answered after this long.
    TaskAfter(Duration),
    /// A ShellCommandPrecondition task.
    Precondition,
    Empty,
    Fail(ErrorClass),
}

#[derive(Default)]
struct Scripted {
    answers: Mutex<VecDeque<Answer>>,
    /// When each poll started.
    polls: Mutex<Vec<Instant>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    terminate_after: Mutex<Option<usize>>,
    heartbeats: AtomicUsize,
}

impl Scripted {
    fn new(answers: impl IntoIterator<Item = Answer>) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(answers.into_iter().collect()),
            ..Self::default()
        })
    }
}

#[async_trait]
impl TaskService for Scripted {
    async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
        let number = {
            let mut polls = self.polls.lock();
            polls.push(Instant::now());
            polls.len()
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut answer = self.answers.lock().pop_front();
        if let Some(Answer::TaskAfter(delay)) = answer {
            tokio::time::sleep(delay).await;
            answer = Some(Answer::Task);
        }
        let result = match answer {
            Some(Answer::Task | Answer::TaskAfter(_)) => Ok(Some(Task::new(
                format!("task-{number}"),
                "df-1",
                format!("@A_Attempt={number}"),
            ))),
            Some(Answer::Precondition) => {
                let attempt = format!("@Ready_Attempt={number}");
                let object = TaskObject::new(attempt.clone(), "Ready")
                    .with_field(Field::string("type", "ShellCommandPrecondition"));
                Ok(Some(
                    Task::new(format!("task-{number}"), "df-1", attempt).with_object(object),
                ))
            }
            Some(Answer::Fail(class)) => Err(ApiError::new(
                Operation::PollForTask,
                class,
                "scripted failure",
            )),
            Some(Answer::Empty) => Ok(None),
            // Out of script: behave like an idle service's long poll.
            None => {
                tokio::time::sleep(Duration::from_secs(90)).await;
                Ok(None)
            }
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    async fn report_task_progress(
        &self,
        _: &TaskId,
        _: &[Field],
    ) -> Result<ProgressResponse, ApiError> {
        Ok(ProgressResponse::default())
    }

    async fn report_task_runner_heartbeat(
        &self,
        _: &HeartbeatRequest,
    ) -> Result<HeartbeatResponse, ApiError> {
        let count = self.heartbeats.fetch_add(1, Ordering::SeqCst) + 1;
        let terminate = self
            .terminate_after
            .lock()
            .is_some_and(|after| count >= after);
        Ok(HeartbeatResponse { terminate })
    }

    async fn set_task_status(&self, _: &TaskId, _: &StatusReport) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Without precondition slots, so these tests count activity slots only
/// (`precondition_slots.rs` tests those).
fn config(concurrency: usize, pollers: usize) -> PollerConfig {
    PollerConfig {
        concurrency,
        pollers,
        precondition_slots: 0,
        ..PollerConfig::new("workers")
    }
}

/// Collects dispatched tasks, keeping their slots until released.
#[derive(Default)]
struct Held {
    tasks: Mutex<Vec<(Task, Option<Slot>)>>,
}

impl Held {
    fn count(&self) -> usize {
        self.tasks.lock().len()
    }

    fn release_all(&self) {
        for (_, slot) in self.tasks.lock().iter_mut() {
            slot.take();
        }
    }
}

fn holding(held: &Arc<Held>) -> Arc<dyn crate::Dispatch> {
    let held = held.clone();
    Arc::new(move |task: Task, slot: Slot| held.tasks.lock().push((task, Some(slot))))
}

/// A poller started on a scripted service: the poller, the tasks it
/// dispatched (held), its stop token and its run.
fn run_poller(
    service: &Arc<Scripted>,
    config: PollerConfig,
) -> (
    Arc<Poller>,
    Arc<Held>,
    CancellationToken,
    tokio::task::JoinHandle<crate::PollSummary>,
) {
    let poller = Arc::new(Poller::new(service.clone(), CallBudget::unlimited(), config).unwrap());
    let held = Arc::new(Held::default());
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let (poller, stop, dispatch) = (poller.clone(), stop.clone(), holding(&held));
        async move { poller.run(dispatch, stop).await }
    });
    (poller, held, stop, run)
}

/// `config(1, 1)` with one precondition slot.
fn one_activity_slot_and_one_precondition_slot() -> PollerConfig {
    PollerConfig {
        precondition_slots: 1,
        ..config(1, 1)
    }
}

#[tokio::test(start_paused = true)]
async fn a_poll_needs_a_free_slot() {
    let service = Scripted::new([Answer::Task, Answer::Task, Answer::Task]);
    let (_, held, stop, run) = run_poller(&service, config(1, 2));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(held.count(), 1, "one slot, one task");
    assert_eq!(
        service.polls.lock().len(),
        1,
        "no poll while the only slot is taken"
    );
    held.release_all();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(held.count(), 2);
    assert_eq!(
        service.most_in_flight.load(Ordering::SeqCst),
        1,
        "never more polls than slots"
    );
    stop.cancel();
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn empty_polls_loop_at_once_and_errors_back_off() {
    let service = Scripted::new([
        Answer::Empty,
        Answer::Empty,
        Answer::Fail(ErrorClass::Transient),
        Answer::Fail(ErrorClass::Transient),
        Answer::Fail(ErrorClass::Transient),
        Answer::Task,
    ]);
    let poller = Poller::new(service.clone(), CallBudget::unlimited(), config(1, 1)).unwrap();
    let held = Arc::new(Held::default());
    let stop = CancellationToken::new();
    let start = Instant::now();
    let running = poller.run(holding(&held), stop.clone());
    tokio::pin!(running);
    loop {
        tokio::select! {
            _ = &mut running => break,
            () = tokio::time::sleep(Duration::from_millis(10)) => {
                if held.count() == 1 { stop.cancel(); }
            }
        }
    }
    let polls = service.polls.lock().clone();
    assert_eq!(
        polls[1] - start,
        Duration::ZERO,
        "an empty poll loops at once"
    );
    assert_eq!(polls[2] - start, Duration::ZERO);
    let backoff = crate::Backoff::default();
    for (index, failures) in [(3, 1), (4, 2), (5, 3)] {
        let gap = polls[index] - polls[index - 1];
        assert!(
            gap <= backoff.ceiling(failures, ErrorClass::Transient) + Duration::from_millis(10),
            "gap {gap:?} after {failures} failures"
        );
    }
    assert_eq!(poller.summary().errors, 3);
}

#[tokio::test(start_paused = true)]
async fn stopping_lets_an_in_flight_poll_return_and_dispatches_its_task() {
    /// A service whose one poll answers a task after a long wait.
    struct SlowTask;
    #[async_trait]
    impl TaskService for SlowTask {
        async fn poll_for_task(&self, _: &PollRequest) -> Result<Option<Task>, ApiError> {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(Some(Task::new("late", "df-1", "@A_Attempt=1")))
        }
        async fn report_task_progress(
            &self,
            _: &TaskId,
            _: &[Field],
        ) -> Result<ProgressResponse, ApiError> {
            Ok(ProgressResponse::default())
        }
        async fn report_task_runner_heartbeat(
            &self,
            _: &HeartbeatRequest,
        ) -> Result<HeartbeatResponse, ApiError> {
            Ok(HeartbeatResponse::default())
        }
        async fn set_task_status(&self, _: &TaskId, _: &StatusReport) -> Result<(), ApiError> {
            Ok(())
        }
    }
    let poller = Poller::new(Arc::new(SlowTask), CallBudget::unlimited(), config(4, 1)).unwrap();
    let held = Arc::new(Held::default());
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stopper.cancel();
    });
    let summary = poller.run(holding(&held), stop).await;
    assert_eq!(summary.polls, 1, "no new poll after stop");
    assert_eq!(held.count(), 1, "the in-flight poll's task was dispatched");
}

#[tokio::test(start_paused = true)]
async fn the_heartbeat_beats_at_start_and_every_interval_until_told_to_terminate() {
    let service = Scripted::new([]);
    *service.terminate_after.lock() = Some(3);
    let heartbeat = Heartbeat::new(
        service.clone(),
        CallBudget::unlimited(),
        HeartbeatRequest::new("runner-1"),
        Duration::from_secs(900),
    );
    let terminate = CancellationToken::new();
    let start = Instant::now();
    heartbeat
        .run(CancellationToken::new(), terminate.clone())
        .await;
    assert!(terminate.is_cancelled());
    assert_eq!(service.heartbeats.load(Ordering::SeqCst), 3);
    assert_eq!(
        Instant::now() - start,
        Duration::from_secs(1800),
        "at start, +15 min, +30 min"
    );
}

#[test]
fn bad_configurations_are_refused_with_the_worker_group_named() {
    let service = Scripted::new([]);
    let error = Poller::new(service.clone(), CallBudget::unlimited(), config(0, 2)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "worker group 'workers': concurrency must be at least 1"
    );
    let error = Poller::new(
        service,
        CallBudget::unlimited(),
        PollerConfig {
            worker_group: String::new(),
            ..config(1, 1)
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("empty"));
}

/// `config(concurrency, concurrency)` with two precondition slots.
fn with_precondition_slots(concurrency: usize) -> PollerConfig {
    PollerConfig {
        precondition_slots: 2,
        ..config(concurrency, concurrency)
    }
}

#[tokio::test(start_paused = true)]
async fn preconditions_are_polled_when_long_activities_fill_every_slot() {
    let service = Scripted::new([Answer::Task, Answer::Precondition, Answer::Precondition]);
    let (_, held, stop, run) = run_poller(&service, with_precondition_slots(1));
    // The activity holds its slot past the settle time: a long one.
    tokio::time::sleep(PRECONDITION_SETTLE + Duration::from_secs(1)).await;
    assert_eq!(
        held.count(),
        3,
        "one activity in the only activity slot, two preconditions beside it"
    );
    stop.cancel();
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn precondition_loops_stay_out_while_short_tasks_keep_freeing_slots() {
    // The only activity slot is full between tasks, but each task ends
    // within the settle time: the activity loop polls for every slot freed,
    // and no precondition loop polls beside it.
    let service = Scripted::new((0..40).map(|_| Answer::Task));
    let (_, held, stop, run) = run_poller(&service, one_activity_slot_and_one_precondition_slot());
    for _ in 0..30 {
        tokio::time::sleep(PRECONDITION_SETTLE / 10).await;
        for (_, slot) in held.tasks.lock().iter_mut() {
            if let Some(slot) = slot.take() {
                assert!(!slot.is_waiting(), "a precondition loop polled: {slot:?}");
            }
        }
    }
    assert!(held.count() >= 29, "a task every tenth of the settle time");
    assert_eq!(
        service.polls.lock().len(),
        held.count(),
        "every poll brought a task: none was a precondition loop's"
    );
    stop.cancel();
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn precondition_loops_wait_while_an_activity_slot_is_free() {
    let service = Scripted::new([Answer::Task]);
    let (_, held, stop, run) = run_poller(&service, with_precondition_slots(2));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(held.count(), 1);
    assert_eq!(
        service.polls.lock().len(),
        2,
        "the task, then one long poll on the other activity slot; the precondition loops wait, as an activity slot is not held by a task"
    );
    assert_eq!(service.most_in_flight.load(Ordering::SeqCst), 1);
    stop.cancel();
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_activity_from_a_precondition_poll_waits_for_an_activity_slot() {
    let service = Scripted::new([Answer::Task, Answer::Task]);
    let (poller, held, stop, run) =
        run_poller(&service, one_activity_slot_and_one_precondition_slot());
    tokio::time::sleep(PRECONDITION_SETTLE + Duration::from_secs(1)).await;
    assert_eq!(held.count(), 2);
    let mut waiting = held.tasks.lock()[1].1.take().expect("held");
    assert!(waiting.is_waiting(), "{waiting:?}");
    let ready = tokio::spawn(async move {
        waiting.ready().await;
        waiting
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!ready.is_finished(), "the only activity slot is taken");
    held.tasks.lock()[0].1.take();
    let freed = Instant::now();
    let slot = ready.await.unwrap();
    assert!(!slot.is_waiting());
    assert_eq!(
        Instant::now(),
        freed,
        "the acknowledged task gets the freed slot at once, not after the activity loop's long poll"
    );
    assert_eq!(
        poller.free_slots(),
        0,
        "the task holds the activity slot now"
    );
    stop.cancel();
    drop(slot);
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_slot_freed_during_a_precondition_poll_waits_for_what_it_brings() {
    // The precondition loop polls once the only activity slot has held
    // its task for the settle time; its poll answers 10 ms later, and the
    // activity slot frees 5 ms into it. The activity loop must not take it
    // into a long poll (90 s here) while the activity the precondition
    // poll brings would then wait for it.
    let service = Scripted::new([Answer::Task, Answer::TaskAfter(Duration::from_millis(10))]);
    let start = Instant::now() + PRECONDITION_SETTLE;
    let (_, held, stop, run) = run_poller(&service, one_activity_slot_and_one_precondition_slot());
    tokio::time::sleep_until(start + Duration::from_millis(5)).await;
    assert_eq!(held.count(), 1, "the precondition loop's poll is in flight");
    held.tasks.lock()[0].1.take();
    tokio::time::sleep(Duration::from_millis(6)).await;
    assert_eq!(held.count(), 2);
    let mut waiting = held.tasks.lock()[1].1.take().expect("held");
    assert!(waiting.is_waiting(), "an activity from a precondition poll");
    tokio::time::timeout(Duration::from_millis(1), waiting.ready())
        .await
        .expect("the slot freed at 5 ms waited for it");
    assert!(start.elapsed() < Duration::from_millis(12));
    assert_eq!(
        service.polls.lock().len(),
        2,
        "the activity loop did not poll with the slot the task needed"
    );
    stop.cancel();
    drop(waiting);
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_activity_waiting_for_a_slot_gets_one_after_the_poll_loops_stopped() {
    let service = Scripted::new([Answer::Task, Answer::Task]);
    let (poller, held, stop, run) =
        run_poller(&service, one_activity_slot_and_one_precondition_slot());
    tokio::time::sleep(PRECONDITION_SETTLE + Duration::from_secs(1)).await;
    let mut waiting = held.tasks.lock()[1].1.take().expect("held");
    stop.cancel();
    tokio::time::sleep(Duration::from_secs(1)).await;
    // No poll loop is left to hand the slot over: the task takes it.
    held.tasks.lock()[0].1.take();
    tokio::time::timeout(Duration::from_millis(1), waiting.ready())
        .await
        .expect("the freed slot goes to the waiting task");
    assert!(!waiting.is_waiting());
    assert_eq!(poller.free_slots(), 0);
    drop(waiting);
    held.release_all();
    run.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_precondition_polled_in_an_activity_slot_moves_to_a_free_precondition_slot() {
    let service = Scripted::new([Answer::Precondition, Answer::Task]);
    let (_, held, stop, run) = run_poller(&service, with_precondition_slots(1));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        held.count(),
        2,
        "the precondition left the only activity slot to the activity"
    );
    stop.cancel();
    held.release_all();
    run.await.unwrap();
}
