//! libFuzzer target: a tasks directory of task files from arbitrary bytes.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|files: Vec<&[u8]>| {
    if !files.is_empty() && files.len() <= 8 {
        targets::task_files(&files);
    }
});
