//! libFuzzer target: the prompt engine's byte stream, cut into arbitrary chunks.
#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|input: (&[u8], Vec<usize>, &str)| {
    targets::normalizer(input.0, &input.1);
    targets::collector(input.2, &input.1, input.0);
});
