//! What no input, device or plugin may do to a run: stall it with a runaway template, keep it
//! from hearing Ctrl-C, balloon it with output, drive the terminal, or leak a secret.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::plugins::{acme_scratch, acmeos, lib_arg};
use crate::support::{Scratch, Session};

fn json(session: &Session) -> serde_json::Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("{e}: {session}"))
}

/// Nested loops of 10^10 iterations, each emitting `body`.
fn runaway(body: &str) -> String {
    format!(
        "{{% for i in range(100000) %}}{{% for j in range(100000) %}}{body}{{% endfor %}}{{% endfor %}}"
    )
}

#[test]
fn a_runaway_template_fails_its_host_with_the_budget_it_used_up() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "r1: {}\nr2: {}\n").file(
        "tasks/spin.yaml",
        &format!(
            "steps:\n  - name: spin\n    render: '{}'\n  - name: after\n    render: never\n",
            runaway("")
        ),
    );
    let started = Instant::now();
    let session = s.netrun(&["run", "spin", "--timeout", "30", "--output", "json"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(session.code, 1, "{session}");
    for host in json(&session)["hosts"].as_array().expect("hosts") {
        assert_eq!(host["status"], "failed", "{session}");
        assert_eq!(
            host["error"],
            "template of step `spin`: did more work than its budget of 2000000 steps allows (raise `limits.template_fuel` in netrun.yaml)",
            "{session}"
        );
        assert_eq!(host["results"].as_array().map(Vec::len), Some(1));
    }
}

#[test]
fn a_template_that_writes_too_much_fails_at_the_output_cap() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "r1: {}\n")
        .file("netrun.yaml", "limits: {template_output: 4096}\n")
        .file(
            "tasks/flood.yaml",
            &format!(
                "steps:\n  - name: flood\n    render: '{}'\n",
                runaway(&"x".repeat(64))
            ),
        );
    let session = s.netrun(&["run", "flood", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    assert_eq!(
        json(&session)["hosts"][0]["error"],
        "template of step `flood`: output exceeded 4096 bytes (raise `limits.template_output` in netrun.yaml)",
        "{session}"
    );
}

#[test]
fn a_runaway_where_is_a_usage_error_with_a_hint() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "r1: {data: {site: earth}}\n");
    let session = s.netrun(&[
        "inventory",
        "--where",
        "((range(100000) | map('string') | join) * 1000) | length > 0 and site == 'earth'",
    ]);
    assert_eq!(session.code, 2, "{session}");
    assert!(
        session.stderr.contains("engine ran out of fuel"),
        "{session}"
    );
    assert!(
        session
            .stderr
            .contains("`limits.template_fuel` in netrun.yaml"),
        "{session}"
    );
}

/// Starts netrun in `dir` with `args`, its output captured.
fn spawn(dir: &std::path::Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netrun")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits until `child` catches SIGINT and SIGTERM (its handlers are installed, as
/// `/proc/PID/status` shows), so that on a loaded machine a signal is not sent before netrun
/// can act on it and the default action kills it instead.
fn wait_for_handlers(child: &Child) {
    const INT_AND_TERM: u64 = (1 << (2 - 1)) | (1 << (15 - 1));
    let started = Instant::now();
    loop {
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .expect("/proc/PID/status of netrun");
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .unwrap_or(0);
        if caught & INT_AND_TERM == INT_AND_TERM {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "netrun never installed its signal handlers"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Interrupts `child` once its handlers are in place and `settle` has passed, and returns its
/// exit code, output and how long it took to end after the signal.
fn interrupt(child: Child, settle: Duration, name: &str) -> (Option<i32>, String, Duration) {
    wait_for_handlers(&child);
    std::thread::sleep(settle);
    signal(&child, name);
    let sent = Instant::now();
    let output = child.wait_with_output().expect("wait");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        sent.elapsed(),
    )
}

#[test]
fn ctrl_c_ends_a_run_of_hosts_stuck_in_cpu_work_within_two_seconds() {
    let s = Scratch::new();
    // A budget big enough that the loops run for minutes: the hosts really are stuck.
    let hosts: String = (0..6).map(|i| format!("h{i}: {{}}\n")).collect();
    s.file("inventory/hosts.yaml", &hosts)
        .file("netrun.yaml", "limits: {template_fuel: 100000000000}\n")
        .file(
            "tasks/spin.yaml",
            &format!("steps:\n  - name: spin\n    render: '{}'\n", runaway("")),
        );
    for name in ["INT", "TERM"] {
        let child = spawn(&s.path, &["run", "spin", "--output", "json"]);
        let (code, stdout, took) = interrupt(child, Duration::from_millis(1500), name);
        assert_eq!(code, Some(130), "SIG{name}: {stdout}");
        assert!(
            took < Duration::from_secs(2),
            "SIG{name}: ended {took:?} after the signal"
        );
        let doc: serde_json::Value = serde_json::from_str(&stdout).expect("partial results");
        let hosts = doc["hosts"].as_array().expect("hosts");
        assert_eq!(hosts.len(), 6, "{stdout}");
        assert!(
            hosts.iter().all(|h| h["status"] == "failed"
                && h["error"] == "interrupted before this host finished"),
            "{stdout}"
        );
    }
}

#[test]
fn ctrl_c_ends_a_run_stuck_in_a_plugin_call_within_two_seconds() {
    let s = acme_scratch(
        "r1: {}\nr2: {}\n",
        &[(
            "hang",
            "connection: acmeos\nsteps:\n  - call: sleep\n    args: {ms: 3600000}\n",
        )],
    );
    let acme = lib_arg(acmeos());
    let child = spawn(
        &s.path,
        &["--plugin", &acme, "run", "hang", "--output", "json"],
    );
    let (code, stdout, took) = interrupt(child, Duration::from_millis(1500), "INT");
    assert_eq!(code, Some(130), "{stdout}");
    assert!(
        took < Duration::from_secs(2),
        "ended {took:?} after the signal"
    );
    assert!(
        stdout.contains("interrupted before this host finished"),
        "{stdout}"
    );
}

#[test]
fn a_second_ctrl_c_leaves_at_once() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "h0: {}\n")
        .file("netrun.yaml", "limits: {template_fuel: 100000000000}\n")
        .file(
            "tasks/spin.yaml",
            &format!("steps:\n  - name: spin\n    render: '{}'\n", runaway("")),
        );
    let child = spawn(&s.path, &["run", "spin"]);
    wait_for_handlers(&child);
    std::thread::sleep(Duration::from_millis(1000));
    signal(&child, "INT");
    signal(&child, "INT");
    let sent = Instant::now();
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    assert!(sent.elapsed() < Duration::from_secs(2));
}

#[test]
fn output_past_max_output_fails_the_step_and_closes_the_session() {
    let s = Scratch::new();
    s.file(
        "inventory/hosts.yaml",
        "r1: {platform: ios, username: u, password: p, data: {tech_support_lines: 2000}}\n",
    )
    .file("netrun.yaml", "ssh: {max_output: 50000}\n")
    .file(
        "tasks/tech.yaml",
        "steps:\n  - command: show tech-support\n    ignore_errors: true\n  - command: show clock\n",
    );
    let session = s.netrun(&["run", "tech", "--lab", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let host = &json(&session)["hosts"][0];
    assert_eq!(
        host["results"][0]["error"],
        "output of 'show tech-support' exceeded 50000 bytes (max_output); the session was closed",
        "{session}"
    );
    // The next step got a fresh session.
    assert_eq!(host["results"][1]["status"], "ok", "{session}");
    assert_eq!(host["connections"], 2, "{session}");
}

#[test]
fn a_command_that_outlives_its_deadline_is_a_timeout() {
    let s = Scratch::new();
    s.file(
        "inventory/hosts.yaml",
        "r1: {platform: ios, username: u, password: p, data: {lab: {latency_ms: 3000}}}\n",
    )
    // No session-setup commands: only ours meets the latency.
    .file(
        "netrun.yaml",
        "ssh: {command_timeout: 1}\nplatforms: {ios: {on_open: []}}\n",
    );
    let session = s.netrun(&["command", "show clock", "--lab", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let host = &json(&session)["hosts"][0];
    assert_eq!(host["status"], "timeout", "{session}");
    assert_eq!(host["results"][0]["status"], "timeout", "{session}");
    assert!(
        host["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("command 'show clock' did not finish within 1s (command timeout)"),
        "{session}"
    );
}

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let s = Scratch::new();
    s.file(
        "inventory/hosts.yaml",
        "\"r1\\e]0;pwned\\a\": {platform: linux, username: u, password: p, data: {note: \"a\\rb\\u009b2J\"}}\n",
    )
    .file("tasks/note.yaml", "steps:\n  - render: '{{ host.note }}'\n");
    let listing = s.netrun(&["inventory"]);
    assert_eq!(listing.code, 0, "{listing}");
    assert!(listing.stdout.contains("r1\\e]0;pwned\\a"), "{listing}");
    assert!(!listing.stdout.contains('\u{1b}'), "{listing}");
    let explain = s.netrun(&["inventory", "show", "r1\u{1b}]0;pwned\u{7}", "--explain"]);
    assert_eq!(explain.code, 0, "{explain}");
    assert!(explain.stdout.contains("a\\rb\\u{9b}2J"), "{explain}");
    let table = s.netrun(&["run", "note"]);
    assert_eq!(table.code, 0, "{table}");
    assert!(table.stdout.contains("a\\rb\\u{9b}2J"), "{table}");
    assert!(
        !table.stdout.contains('\r') && !table.stdout.contains('\u{9b}'),
        "{table}"
    );
    // Not a terminal: raw output is the text as it is; JSON stays JSON.
    let raw = s.netrun(&["run", "note", "--output", "raw"]);
    assert!(raw.stdout.contains("a\rb\u{9b}2J"), "{raw}");
    assert!(
        raw.stdout.contains("==== r1\\e]0;pwned\\a (ok) ===="),
        "{raw}"
    );
    let doc = json(&s.netrun(&["run", "note", "--output", "json"]));
    assert_eq!(doc["hosts"][0]["result"], "a\rb\u{9b}2J");
    let missing = s.netrun(&["inventory", "show", "x\u{1b}[2J"]);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains("x\\e[2J"), "{missing}");
}

#[test]
fn secrets_a_device_echoes_are_hidden_everywhere_unless_asked() {
    let s = Scratch::new();
    s.file(
        "inventory/hosts.yaml",
        "srv1: {platform: linux, username: u, password: pw-9f8e7d, data: {api_token: tok-5a4b3c}}\n",
    )
    .file(
        "tasks/leak.yaml",
        "steps:\n  - command: 'echo token {{ host.api_token }} and {{ host.api_token }}'\n",
    );
    let saved = s.path.join("saved");
    let saved_arg = saved.display().to_string();
    for format in ["table", "json", "ndjson", "raw"] {
        let session = s.netrun(&[
            "run",
            "leak",
            "--lab",
            "--output",
            format,
            "--save-dir",
            &saved_arg,
        ]);
        assert_eq!(session.code, 0, "{session}");
        assert!(
            !session.stdout.contains("tok-5a4b3c"),
            "{format}: {session}"
        );
        assert!(
            session.stdout.contains("token *** and ***"),
            "{format}: {session}"
        );
        let file = std::fs::read_to_string(saved.join("srv1.txt")).expect("saved file");
        assert_eq!(file, "token *** and ***\n");
    }
    let shown = s.netrun(&["run", "leak", "--lab", "--output", "raw", "--show-secrets"]);
    assert!(
        shown.stdout.contains("token tok-5a4b3c and tok-5a4b3c"),
        "{shown}"
    );
}

#[test]
fn an_error_about_a_variable_names_it_and_never_shows_its_value() {
    let s = Scratch::new();
    s.file(
        "inventory/hosts.yaml",
        "r1: {port: '${NETRUN_TEST_PORT}'}\n",
    );
    let session =
        crate::support::netrun_in(&s.path, &["inventory"], &[("NETRUN_TEST_PORT", "hunter2")]);
    assert_eq!(session.code, 2, "{session}");
    assert!(session.stderr.contains("NETRUN_TEST_PORT"), "{session}");
    assert!(!session.stderr.contains("hunter2"), "{session}");
}
