use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::result::Node;

fn host(name: &str, status: Status, text: &str) -> HostResult {
    let mut node = Node::new("step", status, Duration::from_millis(120));
    if status.is_success() {
        node.result = Some(Arc::new(serde_json::Value::String(text.to_string())));
    } else {
        node.error = Some(text.to_string());
    }
    HostResult::from_nodes(name.to_string(), vec![node], Duration::from_millis(120))
}

const VERSION: &str = "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version 15.2(7)E4, RELEASE SOFTWARE (fc2)";

fn layout(width: Option<usize>) -> TableLayout {
    TableLayout {
        color: false,
        width,
        only_problems: false,
    }
}

#[test]
fn words_are_cut_whole() {
    assert_eq!(shorten_words("show version", 20), "show version");
    assert_eq!(
        shorten_words("connection refused by host", 20),
        "connection refused…"
    );
    assert_eq!(
        shorten_words("abcdefghijklmnopqrstuvwxyz", 10),
        "abcdefghi…"
    );
    assert_eq!(shorten_words("x", 0), "");
}

#[test]
fn a_pipe_gets_every_character() {
    let long = format!("{VERSION} {VERSION}");
    let table = results_table(&[host("r1", Status::Ok, &long)], &layout(None));
    assert!(table.contains(&long), "{table}");
}

#[test]
fn a_terminal_row_fits_its_width_and_cuts_at_a_word() {
    let hosts = [
        host("edge01.earth", Status::Ok, VERSION),
        host(
            "edge02.earth",
            Status::Failed,
            "% Invalid input detected at '^' marker.",
        ),
    ];
    for width in [60, 80, 200] {
        let table = results_table(&hosts, &layout(Some(width)));
        // The rows fit; the summary line is the terminal's to wrap.
        let rows = table.lines().count() - 1;
        for line in table.lines().take(rows) {
            assert!(line.chars().count() <= width, "{width} columns:\n{table}");
        }
        assert_eq!(
            table.lines().count(),
            5,
            "one line per host at {width}:\n{table}"
        );
        let row = table.lines().nth(2).unwrap_or_default();
        if width < 200 {
            let cut = row.split('…').next().unwrap_or_default();
            assert!(
                cut.ends_with(|c: char| c.is_alphanumeric() || c == ',' || c == ')'),
                "cut after a whole word: {row}"
            );
            assert!(VERSION.contains(cut.split("no  ").last().unwrap_or_default().trim()));
        }
    }
}

#[test]
fn a_narrow_terminal_gets_one_block_per_host_without_split_names() {
    let hosts = [
        host(
            "a-very-long-host-name.datacenter.example",
            Status::Ok,
            VERSION,
        ),
        host(
            "r2",
            Status::Unreachable,
            "connection refused by 127.0.0.1:22",
        ),
    ];
    let table = results_table(&hosts, &layout(Some(40)));
    assert_eq!(
        table,
        "a-very-long-host-name.datacenter.example  ok  0.12 s\n  \
         Cisco IOS Software, C2900 Software…\n\
         r2  unreachable  0.12 s\n  \
         connection refused by 127.0.0.1:22\n\
         2 hosts: 1 ok, 0 changed, 0 failed, 1 unreachable, 0 timeout, 0 skipped\n"
    );
}

#[test]
fn the_recap_groups_hosts_by_cause_largest_first() {
    let mut hosts: Vec<HostResult> = (0..12)
        .map(|i| host(&format!("r{i}"), Status::Ok, "ok"))
        .collect();
    hosts.push(host("f1", Status::Failed, "% Invalid input"));
    for i in 0..7 {
        hosts.push(host(
            &format!("u{i}"),
            Status::Unreachable,
            "connection refused",
        ));
    }
    let only = TableLayout {
        only_problems: true,
        ..layout(None)
    };
    let table = results_table(&hosts, &only);
    let recap = table.split("\n\n").nth(1).unwrap_or_default();
    assert_eq!(
        recap,
        "not ok: 8 hosts, by cause\n     \
         7  unreachable connection refused\n        \
         u0, u1, u2, u3, u4 and 2 more\n     \
         1  failed      % Invalid input\n        \
         f1"
    );
    assert!(
        table.contains("(12 hosts ok, changed or skipped not listed"),
        "{table}"
    );
    assert!(!table.contains(" r0 "), "{table}");
}
