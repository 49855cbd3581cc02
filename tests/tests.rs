//! The binary's end-to-end tests: the `taskrunner` process against
//! datapipeline-local, real S3 stores and proxies. One test binary with a
//! module per area, so the SDK is linked once; the chaos run is apart
//! (tests/chaos.rs).

mod support;
// The S3 server the taskrunner-s3 tests use.
mod command_line;
mod examples;
mod java_runner;
mod local_mode;
mod local_s3;
mod log_uri;
mod metrics;
mod period_conformance;
mod preconditions;
mod proxy;
#[path = "../crates/taskrunner-s3/tests/support/mod.rs"]
mod s3;
mod secrets;
mod shell_activities;
mod sql_local;
mod sql_rds;
mod stopping;
mod test_targets;
