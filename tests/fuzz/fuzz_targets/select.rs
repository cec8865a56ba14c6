//! libFuzzer target: `--filter`, `--where` and `--hosts` from arbitrary text.
#![no_main]

use std::sync::{Arc, OnceLock};

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|input: (Vec<String>, Option<&str>, Vec<String>)| {
    static INVENTORY: OnceLock<Arc<netrun::inventory::Inventory>> = OnceLock::new();
    let inv = INVENTORY.get_or_init(targets::small_inventory);
    targets::selection(inv, &input.0, input.1, &input.2);
});
