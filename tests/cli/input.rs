//! Input that once made netrun hang, crash or balloon: special files where a YAML file should
//! be, groups and subtasks nested as deep as a file allows, YAML nested past the parser's limit,
//! alias bombs, and bytes that are not text. Each ends in time with exit 2 and a message that
//! names the file (and the line and column) at fault.

use std::path::Path;
use std::time::Duration;

use insta::assert_snapshot;

use crate::support::{Scratch, netrun_within};

/// Generous for a debug build on a loaded machine; a hang never ends.
const LIMIT: Duration = Duration::from_secs(120);

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn special_files_are_refused_at_once() {
    let mut transcript = String::new();
    for (name, args) in [
        ("inventory/hosts.yaml", &["inventory"][..]),
        ("inventory/groups.yaml", &["inventory"][..]),
        ("inventory/defaults.yaml", &["inventory"][..]),
        ("tasks/fifo.yaml", &["check"][..]),
        ("netrun.yaml", &["inventory"][..]),
        ("other.yaml", &["--config", "other.yaml", "inventory"][..]),
    ] {
        let scratch = Scratch::new();
        scratch.file("inventory/hosts.yaml", "r1: {platform: ios}\n");
        scratch.file("tasks/ok.yaml", "steps:\n  - command: show version\n");
        let path = scratch.path.join(name);
        let _ = std::fs::remove_file(&path);
        mkfifo(&path);
        let session = netrun_within(&scratch.path, args, LIMIT);
        assert_eq!(session.code, 2, "{session}");
        transcript.push_str(&format!("# {name} is a FIFO\n{session}\n"));
    }
    // A device that never ends (reading /dev/zero would fill memory) and a directory where a
    // file belongs are refused the same way.
    let scratch = Scratch::new();
    scratch.file("inventory/groups.yaml", "");
    std::os::unix::fs::symlink("/dev/zero", scratch.path.join("inventory/hosts.yaml"))
        .expect("symlink");
    transcript.push_str(&format!(
        "# hosts.yaml is a link to /dev/zero\n{}\n",
        netrun_within(&scratch.path, &["inventory"], LIMIT)
    ));
    let scratch = Scratch::new();
    scratch.file("inventory/hosts.yaml/x", "");
    transcript.push_str(&format!(
        "# hosts.yaml is a directory\n{}",
        netrun_within(&scratch.path, &["inventory"], LIMIT)
    ));
    assert_snapshot!(transcript);
}

/// `g0: {groups: [g1]}` … `g{n-1}: LAST`.
fn group_chain(n: usize, last: &str) -> String {
    let mut text = String::new();
    for i in 0..n - 1 {
        text.push_str(&format!("g{i}: {{groups: [g{}]}}\n", i + 1));
    }
    text.push_str(&format!("g{}: {last}\n", n - 1));
    text
}

#[test]
fn a_chain_of_100_000_groups_loads_and_a_cycle_at_its_end_is_reported() {
    let scratch = Scratch::new();
    scratch.file("inventory/hosts.yaml", "r1: {groups: [g0]}\n");
    scratch.file(
        "inventory/groups.yaml",
        &group_chain(100_000, "{platform: eos}"),
    );
    let session = netrun_within(
        &scratch.path,
        &["inventory", "--filter", "groups=g99999", "--format", "json"],
        LIMIT,
    );
    assert_eq!(session.code, 0, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    assert_eq!(doc["hosts"][0]["platform"], "eos", "{session}");

    scratch.file(
        "inventory/groups.yaml",
        &group_chain(100_000, "{groups: [g99995]}"),
    );
    let session = netrun_within(&scratch.path, &["inventory"], LIMIT);
    assert_snapshot!(session);
}

#[test]
fn nesting_past_the_parser_limit_and_alias_bombs_are_positioned_errors() {
    let scratch = Scratch::new();
    let depth = 100_000;
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "r1:\n  data:\n    deep: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    let deep = netrun_within(&scratch.path, &["inventory"], LIMIT);
    let mut bomb = String::from(
        "r1:\n  data:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..9 {
        let alias = format!("*l{}", level - 1);
        bomb.push_str(&format!(
            "    l{level}: &l{level} [{}]\n",
            [alias.as_str(); 10].join(", ")
        ));
    }
    scratch.file("inventory/hosts.yaml", &bomb);
    let laughs = netrun_within(&scratch.path, &["inventory"], LIMIT);
    assert_snapshot!(format!("{deep}\n{laughs}"));
}

#[test]
fn bytes_that_are_not_text_are_pointed_at() {
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.path.join("inventory")).expect("dir");
    std::fs::write(
        scratch.path.join("inventory/hosts.yaml"),
        b"r1: {}\nr2:\n  data: {site: caf\xe9}\n",
    )
    .expect("write");
    let latin1 = netrun_within(&scratch.path, &["inventory"], LIMIT);
    std::fs::write(
        scratch.path.join("inventory/hosts.yaml"),
        b"r1: {groups: [g]}\n",
    )
    .expect("write");
    std::fs::write(
        scratch.path.join("inventory/groups.yaml"),
        b"g:\n  data:\n    note: a\x00b\n",
    )
    .expect("write");
    let nul = netrun_within(&scratch.path, &["inventory"], LIMIT);
    assert_snapshot!(format!("{latin1}\n{nul}"));
}

/// `t0` calls `t1` calls … `t{n-1}`, which runs a command (or closes a cycle).
fn task_chain(scratch: &Scratch, n: usize, last: &str) {
    for i in 0..n - 1 {
        scratch.file(
            &format!("tasks/t{i}.yaml"),
            &format!(
                "params:\n  depth: {{default: {i}}}\nsteps:\n  - task: t{}\n    params: {{depth: {}}}\n",
                i + 1,
                i + 1
            ),
        );
    }
    scratch.file(&format!("tasks/t{}.yaml", n - 1), last);
}

#[test]
fn long_subtask_chains_are_checked_in_time() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1: {hostname: 127.0.0.1, platform: ios, username: u, password: p}\n",
    );
    task_chain(
        &scratch,
        5000,
        "params:\n  depth: {}\nsteps:\n  - command: show version\n",
    );
    let started = std::time::Instant::now();
    let check = netrun_within(&scratch.path, &["check"], LIMIT);
    assert_eq!(check.code, 0, "{check}");
    // Quadratic copying made this take minutes; it is well under a second in release.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let tasks = netrun_within(&scratch.path, &["tasks", "t0"], LIMIT);
    assert_eq!(tasks.code, 0, "{tasks}");

    scratch.file(
        "tasks/t4999.yaml",
        "params:\n  depth: {}\nsteps:\n  - task: t4990\n    params: {depth: 1}\n",
    );
    let cycle = netrun_within(&scratch.path, &["run", "t0"], LIMIT);
    assert_snapshot!(cycle);
}
