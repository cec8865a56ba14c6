//! Property and fuzz tests: the inventory loader, the task-file loader, host selection and the
//! prompt engine fed generated and arbitrary input. Each property runs `NETRUN_FUZZ_CASES`
//! cases (default 256, which keeps the whole binary within a few seconds in CI); set it higher
//! for a long local run (docs/fuzzing.md). Inputs that once broke a property are kept in
//! `regressions.rs` and run every time.

mod inventory;
mod prompt;
mod regressions;
mod select;
mod targets;
mod tasks;
mod yamlish;

use proptest::test_runner::Config;

/// Cases per property, from `NETRUN_FUZZ_CASES`.
pub fn cases() -> u32 {
    std::env::var("NETRUN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// The proptest settings of every property: the case count above, and no regression files
/// written beside the sources (found inputs become tests in `regressions.rs` instead).
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}
