//! The task-file loader on arbitrary bytes and on generated task files that call each other.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::targets::task_files;
use crate::yamlish::{scalar, value};

/// A step of a task file, calling `t0`…`t4` or doing something else.
fn step() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        Just("command: show version".to_string()),
        Just("command: {text: \"{{ params.x }}\", type: cli}".to_string()),
        Just("config: [hostname x]".to_string()),
        Just("config: {template: ok.j2}".to_string()),
        Just("render: {template: missing.j2}".to_string()),
        Just("render: \"{{ host.name\"".to_string()),
        Just("call: nothing".to_string()),
        (0..5u8).prop_map(|t| format!("task: t{t}")),
        (0..5u8, scalar()).prop_map(|(t, v)| format!("task: t{t}\n    params: {{x: {v}}}")),
        scalar().prop_map(|v| format!("task: {v}")),
        value().prop_map(|v| format!("command: {v}")),
    ];
    let modifier = prop::sample::select(vec![
        "",
        "\n    when: \"host.platform == 'ios'\"",
        "\n    when: \"((\"",
        "\n    connection: ssh",
        "\n    connection: acme",
        "\n    ignore_errors: yes",
        "\n    changed_when: true",
        "\n    name: x",
    ]);
    (kind, modifier).prop_map(|(kind, modifier)| format!("  - {kind}{modifier}\n"))
}

/// A task file: maybe params, then steps.
fn task_file() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::option::of(prop::sample::select(vec![
            "params:\n  x: {}\n",
            "params:\n  x: {required: true}\n",
            "params:\n  x: {default: 1}\n  y: {}\n",
            "params: [x]\n",
        ])),
        vec(step(), 0..5),
        prop::option::of((any::<usize>(), vec(any::<u8>(), 1..3))),
    )
        .prop_map(|(params, steps, fault)| {
            let mut text = String::from("description: fuzz\n");
            text.push_str(params.unwrap_or_default());
            text.push_str("steps:\n");
            text.push_str(&steps.concat());
            let mut bytes = text.into_bytes();
            if let Some((at, insert)) = fault {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, insert);
            }
            bytes
        })
}

proptest! {
    #![proptest_config(crate::config())]

    #[test]
    fn arbitrary_bytes_as_task_files(files in vec(vec(any::<u8>(), 0..200), 1..4)) {
        let files: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        task_files(&files);
    }

    #[test]
    fn generated_task_files_that_call_each_other(files in vec(task_file(), 1..6)) {
        let files: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
        task_files(&files);
    }
}
