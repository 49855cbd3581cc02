//! The typed-fields fuzz suite, apart so that it can be run alone, in a
//! release build and with more cases (docs/FUZZING.md).

mod fuzz_fields;
