//! The shape of every baseline in the suites: a few tokio tasks working
//! through a shared count of units, each claiming the next unit before it
//! starts, so that exactly that many run and none waits for work.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context as _;

/// Runs `work(loop, unit)` for every unit below `units` from `concurrency`
/// loops (`loop` is the loop's index, for per-loop names). Answers when the
/// last unit is done, or with the first error, naming the loops `what`
/// (the other loops are then stopped).
pub(crate) async fn run<W, F>(
    units: usize,
    concurrency: usize,
    what: &str,
    work: W,
) -> anyhow::Result<()>
where
    W: Fn(usize, usize) -> F + Clone + Send + 'static,
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let claimed = Arc::new(AtomicUsize::new(0));
    let mut loops = tokio::task::JoinSet::new();
    for index in 0..concurrency {
        let (claimed, work) = (claimed.clone(), work.clone());
        loops.spawn(async move {
            loop {
                let unit = claimed.fetch_add(1, Ordering::Relaxed);
                if unit >= units {
                    return anyhow::Ok(());
                }
                work(index, unit).await?;
            }
        });
    }
    while let Some(joined) = loops.join_next().await {
        if let Err(error) = joined.with_context(|| format!("a {what} loop panicked"))? {
            loops.abort_all();
            return Err(error.context(format!("a {what} loop failed")));
        }
    }
    Ok(())
}
