//! Inputs that fuzzing found to break a property, kept as tests (docs/fuzzing.md tells the
//! story of each).

use crate::targets::{collector, inventory_files, task_files};

/// A task file whose last line has no line break and fails to parse: libyaml placed the error
/// on the line after the last, outside the file (now clamped to the end of the text).
#[test]
fn an_error_at_the_end_of_a_file_without_a_final_newline_is_inside_it() {
    task_files(&[b"description: fuzz\nsteps:\n."]);
    inventory_files(b"h: [\n", None, None);
    inventory_files(b"h: {}\n", Some(b"g: {groups: [\n"), None);
}

/// Flow collections nested 100,000 deep: libyaml's cost grows with the square of the depth
/// (40 s of CPU) before serde_yaml's depth limit refused the document.
#[test]
fn deep_flow_nesting_is_refused_before_the_parser_sees_it() {
    let started = std::time::Instant::now();
    let deep = format!("h:\n  data:\n    x: {}\n", "[".repeat(100_000));
    inventory_files(deep.as_bytes(), None, None);
    let deep = format!("steps: {}\n", "{a: ".repeat(100_000));
    task_files(&[deep.as_bytes()]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// Blank lines just before the prompt: they are output (the property once trimmed them all).
#[test]
fn blank_lines_before_the_prompt_are_output() {
    collector("line\n\n\n", &[3, 5], b"");
}
