//! The service's fuzz suites, apart from the other tests so that they can
//! be run alone, in release builds and with more cases (docs/FUZZING.md):
//! `FUZZ_CASES=200000 cargo test --release -p datapipeline-local --test fuzz fuzz_requests`.

mod fuzz_definition;
mod fuzz_expression;
mod fuzz_requests;
mod fuzz_support;
