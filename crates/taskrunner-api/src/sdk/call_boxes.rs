//! [`CallBoxes`]: the heap memory of an SDK operation's call futures, kept
//! from one call for the next.
//!
//! Why: an SDK call's future is about 5 KiB, too large to stay inline in
//! the callers' futures (every move would copy it), so each call puts it
//! on the heap. glibc serves a request that large outside its per-thread
//! cache: each one searched the free lists and first merged every small
//! freed chunk (`_int_malloc`, `malloc_consolidate`), three times a task.
//! Those three were most of what the runner's allocations cost over a bare
//! SDK loop, whose calls' futures live in its own task
//! (docs/PERFORMANCE.md, framework-overhead). A finished call's box goes
//! back to its pool, and the next call's future is written into it.

use std::fmt;
use std::future::Future;

use parking_lot::Mutex;
use tokio_util::sync::ReusableBoxFuture;

/// The most boxes a pool keeps: more than the calls of one operation a
/// runner usually has in flight at once, so that steady work allocates
/// none, and few enough that a burst does not keep its memory.
const MAX_KEPT: usize = 32;

/// Boxes for futures of one output type, ready for the next call.
pub(super) struct CallBoxes<T> {
    free: Mutex<Vec<ReusableBoxFuture<'static, T>>>,
}

/// An empty pool: the first calls allocate their boxes.
impl<T> Default for CallBoxes<T> {
    fn default() -> Self {
        Self {
            free: Mutex::new(Vec::new()),
        }
    }
}

impl<T: 'static> CallBoxes<T> {
    /// Runs `call` in a kept box (or a new one when none is free) and keeps
    /// the box for the next call once `call` has finished. A call dropped
    /// before it finishes frees its box.
    ///
    /// Not an `async fn`: `call` goes into its box here, when the call is
    /// made, so the returned future holds the box's pointer and not a copy
    /// of `call` (which the caller's own future would then hold too).
    pub(super) fn run<F>(&self, call: F) -> impl Future<Output = T> + Send + '_
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        let kept = self.free.lock().pop();
        let mut boxed = match kept {
            Some(mut boxed) => {
                // Reuses the memory when `call` has the layout of the
                // future it held: always, for one call site.
                boxed.set(call);
                boxed
            }
            None => ReusableBoxFuture::new(call),
        };
        async move {
            let output = (&mut boxed).await;
            let mut free = self.free.lock();
            if free.len() < MAX_KEPT {
                free.push(boxed);
            }
            output
        }
    }

    /// How many boxes are kept.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free.lock().len()
    }
}

impl<T> fmt::Debug for CallBoxes<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallBoxes")
            .field("kept", &self.free.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_finished_calls_box_is_kept_and_reused() {
        let boxes = CallBoxes::<u32>::default();
        assert_eq!(boxes.run(async { 1 }).await, 1);
        assert_eq!(boxes.kept(), 1);
        assert_eq!(boxes.run(async { 2 }).await, 2);
        assert_eq!(boxes.kept(), 1, "the second call used the first one's box");
    }

    #[tokio::test]
    async fn a_dropped_call_frees_its_box() {
        let boxes = CallBoxes::<u32>::default();
        let pending = boxes.run(std::future::pending());
        assert!(
            tokio::time::timeout(std::time::Duration::ZERO, pending)
                .await
                .is_err(),
            "never finishes"
        );
        assert_eq!(boxes.kept(), 0);
        assert_eq!(boxes.run(async { 3 }).await, 3);
        assert_eq!(boxes.kept(), 1);
    }

    #[tokio::test]
    async fn keeps_at_most_its_limit() {
        let boxes = CallBoxes::<usize>::default();
        let mut calls: Vec<_> = (0..MAX_KEPT + 8)
            .map(|index| {
                Box::pin(boxes.run(async move {
                    tokio::task::yield_now().await;
                    index
                }))
            })
            .collect();
        // Each call takes a box of its own before any finishes.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for call in &mut calls {
            assert!(call.as_mut().poll(&mut cx).is_pending());
        }
        for (index, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await, index);
        }
        assert_eq!(boxes.kept(), MAX_KEPT);
    }
}
