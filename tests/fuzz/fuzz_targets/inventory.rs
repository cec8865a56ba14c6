//! libFuzzer target: hosts.yaml, groups.yaml and defaults.yaml from arbitrary bytes.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|files: (&[u8], Option<&[u8]>, Option<&[u8]>)| {
    targets::inventory_files(files.0, files.1, files.2);
});
