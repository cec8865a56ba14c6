//! The plugin contract as a third party meets it: CLI transports as plugins, ABI revisions older
//! and newer than netrun's, deadlines that hold against calls that never return, and `check`
//! accepting exactly the tasks `run` can carry out.

use std::time::{Duration, Instant};

use crate::support::plugins::{acme_scratch, acmeos, c_plugin, lib_arg, run_acme};
use crate::support::{Scratch, Session};

/// Runs netrun in `s` with every library of `plugins` loaded.
fn with_plugins(s: &Scratch, plugins: &[&std::path::Path], args: &[&str]) -> Session {
    let mut all: Vec<String> = Vec::new();
    for plugin in plugins {
        all.extend(["--plugin".to_string(), lib_arg(plugin)]);
    }
    all.extend(args.iter().map(|a| a.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    s.netrun(&refs)
}

fn json(session: &Session) -> serde_json::Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("{e}: {session}"))
}

#[test]
fn command_and_config_steps_reach_a_cli_plugin_as_operations() {
    let s = Scratch::new();
    let serial = c_plugin(
        &s.path,
        "serial",
        &["-DNR_TEST_CLI", "-DNR_TEST_NAME=\"serial\""],
    );
    s.file("inventory/hosts.yaml", "r1: {}\n").file(
        "tasks/configure.yaml",
        "connection: serial\nsteps:\n  - command: show version\n  - config: [ntp server 10.0.0.1, 'description \"x\"']\n",
    );
    let check = with_plugins(&s, &[&serial], &["check"]);
    assert_eq!(check.code, 0, "{check}");
    let run = with_plugins(&s, &[&serial], &["run", "configure", "--output", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let steps = &json(&run)["hosts"][0]["results"];
    assert_eq!(
        steps[0]["result"], r#"cli.command {"command":"show version"}"#,
        "{run}"
    );
    assert_eq!(
        steps[1]["result"], r#"cli.config {"lines":["ntp server 10.0.0.1","description \"x\""]}"#,
        "{run}"
    );
    assert_eq!(steps[1]["status"], "changed", "{run}");
}

#[test]
fn check_and_run_accept_exactly_the_same_tasks() {
    let s = Scratch::new();
    let serial = c_plugin(
        &s.path,
        "serial",
        &["-DNR_TEST_CLI", "-DNR_TEST_NAME=\"serial\""],
    );
    let echo = c_plugin(&s.path, "echo", &[]);
    s.file("inventory/hosts.yaml", "r1: {}\n");
    // (task, accepted): every kind of step over a CLI plugin and over a plugin without `cli`.
    let cases = [
        (
            "connection: serial\nsteps:\n  - command: show clock\n",
            true,
        ),
        (
            "connection: serial\nsteps:\n  - config: [hostname r1]\n",
            true,
        ),
        (
            "connection: serial\nsteps:\n  - call: echo\n    args: {a: 1}\n",
            true,
        ),
        ("connection: serial\nsteps:\n  - call: reboot\n", false),
        ("connection: echo\nsteps:\n  - command: show clock\n", false),
        (
            "connection: echo\nsteps:\n  - config: [hostname r1]\n",
            false,
        ),
        ("connection: echo\nsteps:\n  - call: echo\n", true),
        (
            "connection: telnet\nsteps:\n  - command: show clock\n",
            false,
        ),
    ];
    for (i, (task, accepted)) in cases.iter().enumerate() {
        let dir = Scratch::new();
        dir.file("inventory/hosts.yaml", "r1: {}\n")
            .file(&format!("tasks/t{i}.yaml"), task);
        let check = with_plugins(&dir, &[&serial, &echo], &["check"]);
        let run = with_plugins(&dir, &[&serial, &echo], &["run", &format!("t{i}")]);
        if *accepted {
            assert_eq!(
                check.code, 0,
                "check refused a runnable task:\n{task}\n{check}"
            );
            assert_eq!(
                run.code, 0,
                "check accepted a task run fails:\n{task}\n{run}"
            );
        } else {
            assert_eq!(check.code, 2, "check accepted:\n{task}\n{check}");
            assert_eq!(run.code, 2, "run started:\n{task}\n{run}");
            // Both say the same thing, at the same place.
            let first = |text: &str| text.lines().next().unwrap_or_default().to_string();
            assert_eq!(first(&check.stderr), first(&run.stderr), "{check}\n{run}");
        }
    }
}

#[test]
fn plugins_built_against_older_and_newer_abi_revisions_load() {
    let s = Scratch::new();
    let older = c_plugin(
        &s.path,
        "older",
        &["-DNR_TEST_REVISION_1_0", "-DNR_TEST_NAME=\"older\""],
    );
    let newer = c_plugin(
        &s.path,
        "newer",
        &["-DNR_TEST_APPENDED_FIELD", "-DNR_TEST_NAME=\"newer\""],
    );
    s.file("inventory/hosts.yaml", "r1: {}\n")
        .file(
            "tasks/old.yaml",
            "connection: older\nsteps:\n  - call: echo\n    args: {rev: 1.0}\n",
        )
        .file(
            "tasks/new.yaml",
            "connection: newer\nsteps:\n  - call: echo\n    args: {rev: next}\n",
        );
    let listing = with_plugins(&s, &[&older, &newer], &["plugins"]);
    assert_eq!(listing.code, 0, "{listing}");
    assert!(!listing.stdout.contains("broken"), "{listing}");
    for task in ["old", "new"] {
        let run = with_plugins(&s, &[&older, &newer], &["run", task, "--output", "json"]);
        assert_eq!(run.code, 0, "{run}");
        assert!(run.stdout.contains("\"rev\""), "{run}");
    }
}

#[test]
fn a_plugin_call_that_hangs_ends_its_host_and_the_run_at_the_deadline() {
    let s = acme_scratch(
        "stuck: {}\n",
        &[
            // 20 s, and one that would take an hour: neither may hold the run past --timeout.
            (
                "slow",
                "connection: acmeos\nsteps:\n  - call: sleep\n    args: {ms: 20000}\n  - call: get_version\n",
            ),
            (
                "forever",
                "connection: acmeos\nsteps:\n  - call: sleep\n    args: {ms: 3600000}\n",
            ),
        ],
    );
    let _ = acmeos();
    for task in ["slow", "forever"] {
        let started = Instant::now();
        let session = run_acme(&s, &["run", task, "--timeout", "2", "--output", "json"]);
        let took = started.elapsed();
        assert_eq!(session.code, 1, "{session}");
        let host = &json(&session)["hosts"][0];
        assert_eq!(host["status"], "timeout", "{session}");
        // The connection was abandoned mid-call: no step after it ran over it.
        let names: Vec<&str> = host["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["name"].as_str())
            .collect();
        assert_eq!(names, ["deadline"], "{session}");
        assert!(
            took < Duration::from_secs(6),
            "{task}: the run took {took:?} with --timeout 2"
        );
    }
}
