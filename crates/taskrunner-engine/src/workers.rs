//! [`Workers`]: long-lived tokio tasks that run polled tasks one after
//! another, instead of a new tokio task for each.
//!
//! Why: spawning a tokio task allocates its cell aligned to a cache line,
//! and glibc serves aligned allocations through `memalign`, which splits
//! and frees chunks around the one it returns: about 5,500 instructions a
//! spawn, a tenth of everything the runner added to a task over the bare
//! SDK calls (docs/PERFORMANCE.md, framework-overhead). A worker that
//! finished a task waits for the next one; a task's future then lives in
//! the worker's state, allocated once.
//!
//! A polled task goes to the worker that became idle last (its memory is
//! the warmest), or to a new worker when none is idle, so there are never
//! fewer workers than tasks to run: a task never waits for a worker. At
//! most [`MAX_IDLE`] wait idle; one more that finishes ends, so a burst of
//! tasks does not leave its workers' memory behind. After
//! [`Workers::close`], a worker ends once its task is done.

use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;

/// The most workers kept waiting for a task. More than the task slots of
/// most runners; each idle one holds the memory of the largest task future
/// it ran (a few kilobytes).
pub(crate) const MAX_IDLE: usize = 64;

/// Runs jobs of type `J` on long-lived tokio tasks.
#[derive(Debug)]
pub(crate) struct Workers<J> {
    /// Where each idle worker waits for its next job; `None` once closed.
    idle: Mutex<Option<Vec<oneshot::Sender<J>>>>,
    /// Every worker, so that shutdown can wait for them.
    tracker: TaskTracker,
}

impl<J: Send + 'static> Workers<J> {
    /// No workers yet; they start with the first jobs.
    pub(crate) fn new() -> Self {
        Self {
            idle: Mutex::new(Some(Vec::new())),
            tracker: TaskTracker::new(),
        }
    }

    /// Hands `job` to an idle worker, or starts a worker for it. Never
    /// waits. After [`close`](Self::close), the job runs on a worker that
    /// ends with it.
    ///
    /// `run` makes the future that does a job, and must do the same for
    /// every call: a worker keeps the `run` it was started with.
    pub(crate) fn run<F, Fut>(self: &Arc<Self>, mut job: J, run: F)
    where
        F: Fn(J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        loop {
            let waiting = self.idle.lock().as_mut().and_then(Vec::pop);
            let Some(waiting) = waiting else {
                break;
            };
            // A worker that is gone (it panicked) gives the job back.
            match waiting.send(job) {
                Ok(()) => return,
                Err(returned) => job = returned,
            }
        }
        let workers = Arc::clone(self);
        self.tracker.spawn(async move {
            let mut job = job;
            loop {
                run(job).await;
                let (handing, next) = oneshot::channel();
                {
                    let mut idle = workers.idle.lock();
                    match idle.as_mut() {
                        Some(idle) if idle.len() < MAX_IDLE => idle.push(handing),
                        _ => return,
                    }
                }
                match next.await {
                    Ok(next) => job = next,
                    Err(_) => return,
                }
            }
        });
    }

    /// Ends every idle worker, and each busy one when its job is done.
    pub(crate) fn close(&self) {
        // Dropping the senders wakes the idle workers, which then end.
        self.idle.lock().take();
        self.tracker.close();
    }

    /// Waits until every worker has ended. Only ends after
    /// [`close`](Self::close).
    pub(crate) async fn wait(&self) {
        self.tracker.wait().await;
    }

    /// Closes the workers when the returned guard is dropped. An idle
    /// worker's `run` may hold what holds the workers (the executor does),
    /// so without a close nothing would ever end it.
    pub(crate) fn close_on_drop(self: &Arc<Self>) -> CloseOnDrop<J> {
        CloseOnDrop(Arc::clone(self))
    }
}

/// Closes its [`Workers`] when dropped (see [`Workers::close_on_drop`]).
#[derive(Debug)]
pub(crate) struct CloseOnDrop<J: Send + 'static>(Arc<Workers<J>>);

impl<J: Send + 'static> Drop for CloseOnDrop<J> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::Semaphore;

    use super::*;

    type Job = (usize, Arc<Semaphore>);

    fn workers() -> Arc<Workers<Job>> {
        Arc::new(Workers::new())
    }

    /// A job that holds its semaphore until it may end, and counts itself.
    type Run = dyn Fn(Job) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

    fn job(done: &Arc<AtomicUsize>) -> Box<Run> {
        let done = Arc::clone(done);
        Box::new(move |(_, gate): Job| {
            let done = Arc::clone(&done);
            Box::pin(async move {
                let _permit = gate.acquire().await;
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
    }

    fn live_workers(workers: &Workers<Job>) -> usize {
        workers.tracker.len()
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_never_wait_for_a_worker_and_idle_workers_are_reused() {
        let (workers, done) = (workers(), Arc::new(AtomicUsize::new(0)));
        let gate = Arc::new(Semaphore::new(0));
        for index in 0..3 {
            workers.run((index, gate.clone()), job(&done));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            live_workers(&workers),
            3,
            "three jobs at once, three workers"
        );
        gate.add_permits(3);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(done.load(Ordering::SeqCst), 3);

        for index in 0..3 {
            workers.run((index, gate.clone()), job(&done));
            gate.add_permits(1);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert_eq!(
            live_workers(&workers),
            3,
            "the idle workers ran the later jobs"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn close_ends_idle_workers_at_once_and_busy_ones_after_their_job() {
        let (workers, done) = (workers(), Arc::new(AtomicUsize::new(0)));
        let gate = Arc::new(Semaphore::new(0));
        workers.run((0, gate.clone()), job(&done));
        workers.run((1, Arc::new(Semaphore::new(1))), job(&done));
        tokio::time::sleep(Duration::from_millis(1)).await;
        workers.close();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(live_workers(&workers), 1, "the idle worker ended");
        gate.add_permits(1);
        tokio::time::timeout(Duration::from_secs(1), workers.wait())
            .await
            .expect("the busy worker ends after its job");
        assert_eq!(done.load(Ordering::SeqCst), 2);

        // A job after close still runs, on a worker that then ends.
        workers.run((2, Arc::new(Semaphore::new(1))), job(&done));
        tokio::time::timeout(Duration::from_secs(1), workers.wait())
            .await
            .expect("ends");
        assert_eq!(done.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn the_guard_ends_idle_workers_that_hold_their_own_workers() {
        let workers = workers();
        let done = Arc::new(AtomicUsize::new(0));
        let guard = workers.close_on_drop();
        let holder = Arc::clone(&workers);
        let count = Arc::clone(&done);
        workers.run((0, Arc::new(Semaphore::new(1))), move |_| {
            // Like the executor's: the job's maker holds the workers.
            let _held = Arc::clone(&holder);
            let count = Arc::clone(&count);
            async move {
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(live_workers(&workers), 1, "idle, waiting for a job");
        drop(guard);
        tokio::time::timeout(Duration::from_secs(1), workers.wait())
            .await
            .expect("the idle worker ended");
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_idle_workers_stay() {
        let (workers, done) = (workers(), Arc::new(AtomicUsize::new(0)));
        let gate = Arc::new(Semaphore::new(0));
        for index in 0..MAX_IDLE + 5 {
            workers.run((index, gate.clone()), job(&done));
        }
        gate.add_permits(MAX_IDLE + 5);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(done.load(Ordering::SeqCst), MAX_IDLE + 5);
        assert_eq!(live_workers(&workers), MAX_IDLE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_panicked_is_replaced() {
        let workers: Arc<Workers<bool>> = Arc::new(Workers::new());
        let done = Arc::new(AtomicUsize::new(0));
        let run = {
            let done = Arc::clone(&done);
            move |panics: bool| {
                let done = Arc::clone(&done);
                async move {
                    assert!(!panics, "the job panics");
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        };
        workers.run(false, run.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        workers.run(true, run.clone());
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            workers.tracker.len(),
            0,
            "the idle worker took the job and died"
        );
        workers.run(false, run);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(done.load(Ordering::SeqCst), 2);
    }
}
