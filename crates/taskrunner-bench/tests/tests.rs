//! The benchmarks' integration tests, one module per area, in one test
//! binary.

mod smoke;
