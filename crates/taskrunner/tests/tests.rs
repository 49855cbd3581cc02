//! The facade as users see it: runners against datapipeline-local through
//! the real SDK client. One test binary with a module per area, so the SDK
//! is linked once.

mod activity_unit;
mod attempt_timeout;
mod cancel;
mod chaos;
mod deleted_pipeline;
mod failure;
mod layers;
mod lease_reassignment;
mod misbehaving;
mod misbehaving_service;
mod panic;
mod precondition;
mod shutdown;
mod smoke;
mod success;
mod support;
mod terminate;
mod typed_fields;
mod unconfirmed_status;
mod unroutable;
mod worker_groups;
