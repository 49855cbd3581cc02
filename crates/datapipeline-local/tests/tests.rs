//! datapipeline-local through the real aws-sdk-datapipeline client: one
//! test binary with a module per area, so the SDK is linked once. The fuzz
//! suites are apart (tests/fuzz.rs).

mod bad_input;
// The web console's JSON over HTTP (the page itself: tests/python/test_console.py).
mod console;
mod control;
mod durability;
mod errors;
mod faults;
mod guide_definitions;
mod late_requests;
mod leases;
mod lifecycle;
mod operations;
mod preconditions;
mod runtime_fields;
mod schedules;
mod signatures;
mod support;
