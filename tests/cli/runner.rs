//! Running many hosts: streaming output, what cron sees, interrupts and deadlines.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{LabProcess, Scratch};

fn in_process_inventory(scratch: &Scratch, hosts: &[(&str, &str)]) {
    let text: String = hosts
        .iter()
        .map(|(name, lab)| format!("{name}: {{platform: ios, username: ops, password: lab-pw, data: {{lab: {{{lab}}}}}}}\n"))
        .collect();
    scratch.file("inventory/hosts.yaml", &text);
}

#[test]
fn ndjson_prints_each_host_as_it_finishes_then_the_summary() {
    let scratch = Scratch::new();
    in_process_inventory(
        &scratch,
        &[("slow", "latency_ms: 1500"), ("fast1", ""), ("fast2", "")],
    );
    let session = scratch.netrun(&["command", "show version", "--lab", "--output", "ndjson"]);
    assert_eq!(session.code, 0, "{session}");
    let lines: Vec<serde_json::Value> = session
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line is not JSON ({e}): {l}")))
        .collect();
    assert_eq!(lines.len(), 4, "{session}");
    assert_eq!(
        lines[2]["host"], "slow",
        "the slow host finishes last: {session}"
    );
    let mut fast: Vec<&str> = lines[..2]
        .iter()
        .map(|l| l["host"].as_str().unwrap_or_default())
        .collect();
    fast.sort();
    assert_eq!(fast, ["fast1", "fast2"]);
    assert_eq!(lines[3]["summary"]["hosts"], 3);
    assert_eq!(lines[3]["summary"]["ok"], 3);
}

#[test]
fn cron_sees_no_progress_bar_and_no_colour() {
    let scratch = Scratch::new();
    in_process_inventory(&scratch, &[("r1", ""), ("r2", "reject_auth: true")]);
    let session = scratch.netrun(&["command", "show version", "--lab"]);
    assert_eq!(session.code, 1, "{session}");
    assert!(
        session.stderr.is_empty(),
        "nothing on stderr in a pipe: {session}"
    );
    assert!(
        !session.stdout.contains('\u{1b}'),
        "no escape codes in a pipe: {session}"
    );

    let forced = scratch.netrun(&[
        "command",
        "show version",
        "--lab",
        "--color",
        "always",
        "--progress",
        "always",
    ]);
    assert!(
        forced.stdout.contains("\u{1b}["),
        "--color always colours: {forced}"
    );
    assert!(
        forced.stderr.contains("2/2 hosts"),
        "--progress always draws: {forced}"
    );
    assert!(forced.stderr.contains("1 failed"), "{forced}");
}

#[test]
fn deadline_fires_while_other_hosts_complete() {
    let scratch = Scratch::new();
    in_process_inventory(
        &scratch,
        &[("ok1", ""), ("stuck", "latency_ms: 10000"), ("ok2", "")],
    );
    let started = Instant::now();
    let session = scratch.netrun(&[
        "command",
        "show version",
        "--lab",
        "--timeout",
        "1",
        "--output",
        "json",
    ]);
    let took = started.elapsed();
    assert_eq!(session.code, 1, "{session}");
    assert!(
        took < Duration::from_secs(5),
        "the deadline cut the stuck host short: {took:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let statuses: Vec<&str> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["ok", "timeout", "ok"]);
    assert!(
        doc["hosts"][1]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("deadline of 1 s"),
        "{session}"
    );
    assert_eq!(doc["summary"]["timeout"], 1);
}

#[test]
fn interrupt_prints_partial_results_exits_130_and_leaves_no_connection_open() {
    let scratch = Scratch::new();
    let hosts = [
        ("fast1", ""),
        ("slow1", "latency_ms: 20000"),
        ("fast2", ""),
        ("slow2", "latency_ms: 20000"),
    ];
    let lab_hosts: String = hosts
        .iter()
        .map(|(name, lab)| format!("{name}: {{data: {{lab: {{{lab}}}}}}}\n"))
        .collect();
    let lab = LabProcess::start(&scratch.path, &lab_hosts, hosts.len() as u16);
    let client: String = hosts
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!(
                "{name}: {{hostname: 127.0.0.1, port: {}, platform: ios, username: netops, password: netrun-lab, connection_options: {{ssh: {{extras: {{known_hosts: 'off'}}}}}}}}\n",
                lab.port + i as u16
            )
        })
        .collect();
    scratch.file("inventory/hosts.yaml", &client);
    let totals = |ready: &dyn Fn(&serde_json::Value) -> bool| {
        lab.counters_when(|c| ready(&c["totals"]))["totals"].clone()
    };

    let child = Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(&scratch.path)
        .args(["command", "show version", "--output", "json"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netrun");
    // Wait until every host is logged in and the slow ones are stuck in their command.
    let logged_in = totals(&|t| t["auth_successes"] == 4);
    assert_eq!(
        logged_in["auth_successes"], 4,
        "hosts never logged in: {logged_in}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("partial results as JSON");
    let statuses: Vec<(&str, &str)> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["host"].as_str().unwrap_or_default(),
                h["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("fast1", "ok"),
            ("slow1", "failed"),
            ("fast2", "ok"),
            ("slow2", "failed")
        ]
    );
    assert!(
        doc["hosts"][1]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted"),
        "{doc}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));

    // The lab sees every connection closed.
    let last = totals(&|t| t["open_connections"] == 0 && t["tcp_connections"] == 4);
    assert_eq!(last["open_connections"], 0, "connections left open: {last}");
    assert_eq!(last["tcp_connections"], 4, "{last}");
}

#[test]
fn a_lost_connection_is_reopened_once_and_reported() {
    let scratch = Scratch::new();
    // The lab counts the two session-setup commands, so the third command of the first
    // connection is the one that drops it.
    in_process_inventory(&scratch, &[("r1", "drop_after_commands: 3")]);
    scratch.file(
        "tasks/flaky.yaml",
        "steps:\n  - command: show version\n  - name: dropped\n    command: show clock\n    ignore_errors: true\n  - name: after\n    command: show ip interface brief\n",
    );
    let session = scratch.netrun(&["run", "flaky", "--lab", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let host = &doc["hosts"][0];
    assert_eq!(host["connections"], 2, "{host:#}");
    assert_eq!(
        host["events"][0], "ssh connection was lost; reconnected",
        "{host:#}"
    );
    assert_eq!(host["results"][1]["status"], "failed");
    assert_eq!(host["results"][1]["ignored"], true);
    assert_eq!(
        host["results"][2]["status"], "ok",
        "the step after the drop ran on a new connection"
    );
}

#[test]
fn session_logs_have_the_conversation_and_no_secret() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1:\n  platform: ios\n  username: ops\n  password: s3cret-pw\n  connection_options: {ssh: {extras: {secret: en-s3cret}}}\n",
    );
    let logs = scratch.path.join("logs");
    let session = scratch.netrun(&[
        "command",
        "show version",
        "--lab",
        "--session-log",
        logs.to_str().unwrap_or_default(),
    ]);
    assert_eq!(session.code, 0, "{session}");
    let log = std::fs::read_to_string(logs.join("r1.log")).unwrap_or_default();
    assert!(log.contains(">>> sent \"enable\\n\""), "{log}");
    assert!(log.contains(">>> sent \"show version\\n\""), "{log}");
    assert!(log.contains("Cisco IOS Software"), "{log}");
    assert!(
        !log.contains("s3cret-pw") && !log.contains("en-s3cret"),
        "secrets redacted: {log}"
    );
}

#[test]
fn secret_named_data_a_task_sends_is_scrubbed_from_the_session_log() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1:\n  platform: ios\n  username: ops\n  password: pw\n  data:\n    api_token: TOK-s3cret\n    snmp: {communities: {ro_secret: [C0MM-s3cret]}}\n",
    );
    scratch.file(
        "tasks/snmp.yaml",
        "steps:\n  - config:\n      - \"snmp-server community {{ host.api_token }} RO\"\n      - \"snmp-server community {{ host.snmp.communities.ro_secret[0] }} RO\"\n",
    );
    let session = scratch.netrun(&["run", "snmp", "--lab", "--session-log", "logs"]);
    assert_eq!(session.code, 0, "{session}");
    let log = std::fs::read_to_string(scratch.path.join("logs/r1.log")).unwrap_or_default();
    assert!(log.contains("snmp-server community *** RO"), "{log}");
    assert!(
        !log.contains("TOK-s3cret") && !log.contains("C0MM-s3cret"),
        "data secrets redacted: {log}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let scratch = Scratch::new();
    let hosts: String = (0..5000)
        .map(|i| format!("host{i:05}: {{platform: ios}}\n"))
        .collect();
    scratch.file("inventory/hosts.yaml", &hosts);
    let mut child = Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(&scratch.path)
        .arg("inventory")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netrun");
    // Read one line, then close our end like `| head -1` does.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    let _ = std::io::Read::read(&mut stdout, &mut first);
    drop(stdout);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
