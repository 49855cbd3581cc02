//! tower layers for activity services.
//!
//! Every route of the [`Router`](crate::Router) runs as if wrapped in
//! [`TraceLayer`] (outside) and [`CatchPanicLayer`] (inside it, so a panic
//! is logged as an error in the activity's span), around whatever layers
//! the user applied; the route does their work in its own future, with
//! their code ([`Route`](crate::Route)). The layers are for services used
//! outside a router.

mod catch_panic;
mod trace;

pub(crate) use catch_panic::{panicked, settle};
pub use catch_panic::{CatchPanic, CatchPanicLayer};
pub(crate) use trace::{activity_span, log_outcome};
pub use trace::{Trace, TraceLayer};
