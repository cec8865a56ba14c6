//! Running many hosts: streaming output, what cron sees, interrupts and deadlines.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Scratch;

/// A `netrun lab` process serving `inventory/` of `scratch` on consecutive loopback ports.
struct LabProcess {
    child: Child,
    counters: PathBuf,
}

impl LabProcess {
    fn start(scratch: &Scratch, first_port: u16) -> LabProcess {
        let counters = scratch.path.join("counters.json");
        let child = Command::new(env!("CARGO_BIN_EXE_netrun"))
            .current_dir(&scratch.path)
            .args([
                "lab",
                "--listen",
                &format!("127.0.0.1:{first_port}"),
                "--counters",
            ])
            .arg(&counters)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start netrun lab");
        let lab = LabProcess { child, counters };
        let started = Instant::now();
        while lab.totals().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "netrun lab did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        lab
    }

    /// The lab's totals, once it has written its counters.
    fn totals(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(&self.counters).ok()?;
        let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
        Some(doc["totals"].clone())
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A first port such that it and the next `count - 1` are free on 127.0.0.1 right now.
fn free_ports(count: u16) -> u16 {
    for _ in 0..50 {
        let Ok(probe) = std::net::TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = probe.local_addr() else {
            continue;
        };
        drop(probe);
        let first = addr.port();
        if first.checked_add(count).is_none() {
            continue;
        }
        let all_free =
            (first..first + count).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return first;
        }
    }
    panic!("no {count} consecutive free ports on 127.0.0.1");
}

/// Hosts `(name, lab data)` on ports `first..`, for a separate lab process.
fn lab_inventory(scratch: &Scratch, first: u16, hosts: &[(&str, &str)]) {
    let mut text = String::new();
    for (i, (name, lab)) in hosts.iter().enumerate() {
        text.push_str(&format!(
            "{name}:\n  hostname: 127.0.0.1\n  port: {}\n  platform: ios\n  username: ops\n  password: lab-pw\n  data: {{lab: {{{lab}}}}}\n  connection_options: {{ssh: {{extras: {{known_hosts: 'off'}}}}}}\n",
            first + i as u16
        ));
    }
    scratch.file("inventory/hosts.yaml", &text);
}

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
    let first = free_ports(hosts.len() as u16);
    lab_inventory(&scratch, first, &hosts);
    let lab = LabProcess::start(&scratch, first);

    let child = Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(&scratch.path)
        .args(["command", "show version", "--output", "json"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netrun");
    // Wait until every host is logged in and the slow ones are stuck in their command.
    let started = Instant::now();
    while lab
        .totals()
        .map(|t| t["auth_successes"].as_u64().unwrap_or(0))
        .unwrap_or(0)
        < 4
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "hosts never logged in"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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
    let started = Instant::now();
    loop {
        let open = lab
            .totals()
            .map(|t| t["open_connections"].as_u64().unwrap_or(u64::MAX));
        if open == Some(0) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "connections left open: {open:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        lab.totals().map(|t| t["tcp_connections"].clone()),
        Some(4.into())
    );
}
