//! Property and fuzz tests: the inventory loader, the task-file loader, host selection and the
//! prompt engine fed generated and arbitrary input. Each property runs `NETRUN_FUZZ_CASES`
//! cases (default 256, which keeps the whole binary under a minute in CI) from the seed
//! `NETRUN_FUZZ_SEED` (default a fixed one, so that CI runs the same cases every time;
//! `random` for a new one each run); set both for a long local run (docs/fuzzing.md). Inputs
//! that once broke a property are kept in `regressions.rs` and run every time.

mod inventory;
mod prompt;
mod regressions;
mod select;
mod targets;
mod tasks;
mod yamlish;

use proptest::test_runner::{Config, RngSeed};

/// Cases per property, from `NETRUN_FUZZ_CASES`.
pub fn cases() -> u32 {
    std::env::var("NETRUN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256)
}

/// The seed, from `NETRUN_FUZZ_SEED`: a number, or `random`.
fn seed() -> RngSeed {
    match std::env::var("NETRUN_FUZZ_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse().expect("NETRUN_FUZZ_SEED is a number or `random`")),
        None => RngSeed::Fixed(20_261_129),
    }
}

/// The proptest settings of every property: the case count and seed above, and no regression
/// files written beside the sources (found inputs become tests in `regressions.rs` instead).
pub fn config() -> Config {
    Config {
        cases: cases(),
        rng_seed: seed(),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}
