//! tower layers for activity services.
//!
//! The [`Router`](crate::Router) wraps every route in [`TraceLayer`] (outside)
//! and [`CatchPanicLayer`] (inside it, so a panic is logged as an error in the
//! activity's span), around whatever layers the user applied.

mod catch_panic;
mod trace;

pub use catch_panic::{CatchPanic, CatchPanicLayer};
pub use trace::{Trace, TraceLayer};
