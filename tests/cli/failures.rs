//! Every failure class, reported per host by the real binary: the status, the words a network
//! engineer reads, and the exit code. Devices are the lab (`--lab` in-process, or a separate
//! `netrun lab` process when the client must see real ports and host keys), plus plain sockets on
//! 127.0.0.1 for the faults below SSH.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{DEFAULTS, LabProcess, Scratch, Session};

/// A key that is not the lab's: the lab's host key is fixed, so a known_hosts line with this one
/// is a changed key.
const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO39lVbL/fpj7Md0wRz5jwnBttBza2li7VuB8aCLY5b9";

/// A 127.0.0.1 port with nothing listening: bound, read, released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A listener that accepts TCP connections and never says a word (no SSH banner): a tarpit.
/// The thread lives until the test binary exits.
fn tarpit() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// Runs `netrun ARGS --output json` in `scratch` and parses the document.
fn run_json(scratch: &Scratch, args: &[&str]) -> (Session, Value) {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let session = scratch.netrun(&all);
    let doc = serde_json::from_str(&session.stdout)
        .unwrap_or_else(|e| panic!("not a JSON document ({e}):\n{session}"));
    (session, doc)
}

/// The JSON result of host `name`.
fn host<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["hosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["host"] == name))
        .unwrap_or_else(|| panic!("no host {name} in {doc:#}"))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// Asserts host `name` ended with `status` and an error containing every one of `words`.
fn assert_host(doc: &Value, name: &str, status: &str, words: &[&str]) {
    let h = host(doc, name);
    assert_eq!(text(h, "status"), status, "{name}: {h:#}");
    let error = text(h, "error");
    for word in words {
        assert!(error.contains(word), "{name}: {word:?} not in {error:?}");
    }
}

/// A client inventory in `scratch/inventory`: [`DEFAULTS`] plus `extras` for ssh, and `hosts`.
fn client_inventory(scratch: &Scratch, extras: &str, hosts: &str) {
    scratch.file(
        "inventory/defaults.yaml",
        &format!("{DEFAULTS}connection_options:\n  ssh:\n    extras: {extras}\n"),
    );
    scratch.file("inventory/hosts.yaml", hosts);
}

#[test]
fn refused_port_is_unreachable() {
    let scratch = Scratch::new();
    let port = closed_port();
    client_inventory(
        &scratch,
        "{known_hosts_file: known_hosts}",
        &format!("r1:\n  hostname: 127.0.0.1\n  port: {port}\n"),
    );
    let started = Instant::now();
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[&format!("connection refused by 127.0.0.1:{port}")],
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{session}");
}

#[test]
fn unresolvable_name_is_unreachable() {
    let scratch = Scratch::new();
    client_inventory(
        &scratch,
        "{known_hosts_file: known_hosts, connect_timeout: 5}",
        "r1:\n  hostname: nonexistent.invalid\n",
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &["cannot resolve 'nonexistent.invalid' (DNS)"],
    );
}

#[test]
fn rejected_login_is_unreachable() {
    // The lab device refuses every login.
    let scratch = Scratch::new();
    client_inventory(
        &scratch,
        "{}",
        "r1:\n  data: {lab: {reject_auth: true}}\nr2: {}\n",
    );
    let (session, doc) = run_json(&scratch, &["command", "show version", "--lab"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[
            "authentication rejected for user 'netops'",
            "tried: password",
        ],
    );
    assert_eq!(text(host(&doc, "r2"), "status"), "ok", "{session}");

    // A wrong password: the lab process knows `netrun-lab`, the client sends another one.
    let lab = LabProcess::start(&scratch.path, "r1: {}\n", 1);
    client_inventory(
        &scratch,
        "{known_hosts: 'off'}",
        &format!(
            "r1:\n  hostname: 127.0.0.1\n  port: {}\n  password: not-the-password\n",
            lab.port
        ),
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[
            "authentication rejected for user 'netops'",
            "tried: password",
        ],
    );
    // The password never appears in what netrun prints.
    assert!(!session.stdout.contains("not-the-password"), "{session}");
}

#[test]
fn host_keys_are_checked_against_known_hosts() {
    let scratch = Scratch::new();
    let lab = LabProcess::start(&scratch.path, "r1: {}\n", 1);
    let hosts = format!("r1:\n  hostname: 127.0.0.1\n  port: {}\n", lab.port);
    let key_host = format!("[127.0.0.1]:{}", lab.port);
    let known_hosts = scratch.path.join("known_hosts");

    // Strict, and the host is not in the file.
    scratch.file("known_hosts", "# nothing about the lab yet\n");
    client_inventory(
        &scratch,
        "{known_hosts: strict, known_hosts_file: known_hosts}",
        &hosts,
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[
            &format!("unknown host key for {key_host}"),
            "known_hosts policy is strict; add it to known_hosts",
        ],
    );

    // accept-new records the key; strict then accepts it.
    client_inventory(
        &scratch,
        "{known_hosts: accept-new, known_hosts_file: known_hosts}",
        &hosts,
    );
    let (session, _) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 0, "{session}");
    let learned = std::fs::read_to_string(&known_hosts).expect("known_hosts");
    assert!(learned.contains(&key_host), "{learned}");
    client_inventory(
        &scratch,
        "{known_hosts: strict, known_hosts_file: known_hosts}",
        &hosts,
    );
    let (session, _) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 0, "{session}");

    // The file records a different key for that host and port: refused, naming file and line.
    scratch.file(
        "known_hosts",
        &format!("# lab\n[127.0.0.1]:1 {OTHER_KEY}\n{key_host} {OTHER_KEY}\n"),
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[
            &format!("HOST KEY MISMATCH for {key_host}"),
            "device presented SHA256:",
            "known_hosts line 3 records a different key",
        ],
    );
    // accept-new never accepts a changed key either, and leaves the file alone.
    client_inventory(
        &scratch,
        "{known_hosts: accept-new, known_hosts_file: known_hosts}",
        &hosts,
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 1, "{session}");
    assert_host(&doc, "r1", "unreachable", &["HOST KEY MISMATCH"]);
    let after = std::fs::read_to_string(&known_hosts).expect("known_hosts");
    assert_eq!(after.lines().count(), 3, "{after}");
}

#[test]
fn silent_server_is_a_connect_timeout() {
    let scratch = Scratch::new();
    let port = tarpit();
    client_inventory(
        &scratch,
        "{known_hosts_file: known_hosts, connect_timeout: 1}",
        &format!("r1:\n  hostname: 127.0.0.1\n  port: {port}\n"),
    );
    let started = Instant::now();
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    let took = started.elapsed();
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &[&format!(
            "no answer from 127.0.0.1:{port} within 1s (connect timeout)"
        )],
    );
    assert!(took < Duration::from_secs(3), "took {took:?}\n{session}");
}

#[test]
fn device_error_fails_with_the_device_message() {
    let scratch = Scratch::new();
    client_inventory(&scratch, "{}", "r1: {}\n");
    let (session, doc) = run_json(
        &scratch,
        &[
            "command",
            "show version",
            "show nonsense",
            "show clock",
            "--lab",
        ],
    );
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "failed",
        &["device rejected 'show nonsense'", "% Invalid input"],
    );
    // The command before it kept its output; the host stopped at the failure.
    let nodes = host(&doc, "r1")["results"].as_array().expect("results");
    let names: Vec<&str> = nodes.iter().map(|n| text(n, "name")).collect();
    assert_eq!(names, ["show version", "show nonsense"], "{session}");
    assert_eq!(text(&nodes[0], "status"), "ok");
    assert!(text(&nodes[0], "result").contains("Cisco IOS"), "{session}");
    assert_eq!(text(&nodes[1], "status"), "failed");
    assert!(
        text(&nodes[1], "result").contains("% Invalid input"),
        "{session}"
    );
}

#[test]
fn connection_dropped_mid_command_fails_keeping_earlier_output() {
    let scratch = Scratch::new();
    // The lab counts every command on the connection, and an IOS session starts with two
    // (`terminal length 0`, `terminal width 511`): 3 lets exactly one of ours through.
    client_inventory(
        &scratch,
        "{}",
        "r1:\n  data: {lab: {drop_after_commands: 3}}\n",
    );
    let (session, doc) = run_json(
        &scratch,
        &["command", "show version", "show clock", "--lab"],
    );
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "failed",
        &["channel closed by device during 'show clock'"],
    );
    let nodes = host(&doc, "r1")["results"].as_array().expect("results");
    assert_eq!(nodes.len(), 2, "{session}");
    assert_eq!(text(&nodes[0], "status"), "ok");
    assert!(text(&nodes[0], "result").contains("Cisco IOS"), "{session}");
    assert_eq!(text(&nodes[1], "status"), "failed");
}

#[test]
fn device_that_never_shows_a_prompt_is_unreachable() {
    let scratch = Scratch::new();
    client_inventory(
        &scratch,
        "{command_timeout: 1}",
        "r1:\n  data: {lab: {never_answer: true}}\n",
    );
    let started = Instant::now();
    let (session, doc) = run_json(&scratch, &["command", "show version", "--lab"]);
    let took = started.elapsed();
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "r1",
        "unreachable",
        &["logged in, but no prompt within 1s", "nothing received"],
    );
    assert!(took < Duration::from_secs(4), "took {took:?}\n{session}");
}

#[test]
fn host_deadline_cancels_only_the_slow_host() {
    let scratch = Scratch::new();
    client_inventory(
        &scratch,
        "{}",
        "a1: {}\nslow:\n  data: {lab: {latency_ms: 3000}}\na2: {}\n",
    );
    let started = Instant::now();
    let (session, doc) = run_json(
        &scratch,
        &["command", "show version", "--timeout", "1", "--lab"],
    );
    let took = started.elapsed();
    assert_eq!(session.code, 1, "{session}");
    assert_host(
        &doc,
        "slow",
        "timeout",
        &["host deadline of 1 s passed; the host was cancelled"],
    );
    for name in ["a1", "a2"] {
        let h = host(&doc, name);
        assert_eq!(text(h, "status"), "ok", "{session}");
        assert!(
            h["duration_ms"].as_u64().unwrap_or(u64::MAX) < 1000,
            "{h:#}"
        );
    }
    assert!(
        took < Duration::from_millis(2500),
        "took {took:?}\n{session}"
    );
}

/// Durations, ports and the resolver's wording vary between runs and machines; same-width
/// stand-ins keep the table aligned.
fn stable(text: &str) -> String {
    let seconds = regex::Regex::new(r"\b\d+\.\d\d s\b").expect("regex");
    let port = regex::Regex::new(r"127\.0\.0\.1\]?:\d{5}").expect("regex");
    let resolver = regex::Regex::new(r"\(DNS\): (.*?)(\s{2,})").expect("regex");
    let text = seconds.replace_all(text, |c: &regex::Captures| {
        "x".repeat(c[0].len() - 2) + " s"
    });
    let text = resolver.replace_all(&text, |c: &regex::Captures| {
        let width = c[1].chars().count() + c[2].chars().count();
        format!("(DNS): {:<width$}", "<resolver's reason>")
    });
    port.replace_all(&text, |c: &regex::Captures| {
        let mut s = c[0].to_string();
        let n = s.len();
        s.replace_range(n - 5.., "PPPPP");
        s
    })
    .into_owned()
}

#[test]
fn mixed_run_reports_every_host_in_one_table() {
    let scratch = Scratch::new();
    let lab = LabProcess::start(
        &scratch.path,
        "\
healthy: {}
bad-login:
  data: {lab: {reject_auth: true}}
rekeyed: {}
wrong-os:
  platform: junos
dropping:
  data: {lab: {drop_after_commands: 3}}
mute:
  data: {lab: {never_answer: true}}
slow:
  data: {lab: {latency_ms: 5000}}
",
        7,
    );
    let p = lab.port;
    let refused = closed_port();
    let tarpit = tarpit();
    // `rekeyed` is checked against a file recording another key; the rest learn into a file of
    // their own.
    scratch.file(
        "rekeyed_known_hosts",
        &format!("[127.0.0.1]:{} {OTHER_KEY}\n", p + 2),
    );
    client_inventory(
        &scratch,
        "{known_hosts_file: known_hosts, connect_timeout: 1, command_timeout: 1}",
        &format!(
            "\
healthy:
  hostname: 127.0.0.1
  port: {p}
refused:
  hostname: 127.0.0.1
  port: {refused}
no-dns:
  hostname: nonexistent.invalid
bad-login:
  hostname: 127.0.0.1
  port: {}
rekeyed:
  hostname: 127.0.0.1
  port: {}
  connection_options:
    ssh:
      extras: {{known_hosts: strict, known_hosts_file: rekeyed_known_hosts}}
tarpit:
  hostname: 127.0.0.1
  port: {tarpit}
wrong-os:
  hostname: 127.0.0.1
  port: {}
  platform: junos
dropping:
  hostname: 127.0.0.1
  port: {}
mute:
  hostname: 127.0.0.1
  port: {}
slow:
  hostname: 127.0.0.1
  port: {}
  connection_options:
    ssh:
      extras: {{command_timeout: 30}}
",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6
        ),
    );
    let started = Instant::now();
    // `show version` last: its first line is what the table shows for the healthy host, and
    // unlike the clock it is the same every run.
    let session = scratch.netrun(&["command", "show clock", "show version", "--timeout", "3"]);
    let took = started.elapsed();
    assert_eq!(session.code, 1, "{session}");
    assert!(took < Duration::from_secs(5), "took {took:?}\n{session}");
    let summary = session.stdout.lines().last().unwrap_or_default();
    assert_eq!(
        summary,
        "10 hosts: 1 ok, 0 changed, 2 failed, 6 unreachable, 1 timeout, 0 skipped"
    );
    let rows: Vec<&str> = session
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let names = [
        "healthy",
        "refused",
        "no-dns",
        "bad-login",
        "rekeyed",
        "tarpit",
        "wrong-os",
        "dropping",
        "mute",
        "slow",
    ];
    assert_eq!(rows[2..12], names, "{session}");
    assert_snapshot!(stable(&session.to_string()));
}

#[test]
fn the_lab_writes_its_counters_on_exit() {
    let scratch = Scratch::new();
    let lab = LabProcess::start(&scratch.path, "r1: {}\n", 1);
    client_inventory(
        &scratch,
        "{known_hosts: 'off'}",
        &format!("r1:\n  hostname: 127.0.0.1\n  port: {}\n", lab.port),
    );
    let (session, doc) = run_json(&scratch, &["command", "show version"]);
    assert_eq!(session.code, 0, "{session}");
    assert_eq!(doc["summary"]["ok"], 1, "{session}");
    // Without the 200 ms rewrites' file, only the write on exit can leave one behind; the
    // next tick is most likely still ahead when SIGTERM arrives.
    let _ = std::fs::remove_file(scratch.path.join("counters.json"));
    let counters = lab.stop().expect("counters file written on exit");
    let totals = &counters["totals"];
    assert_eq!(totals["tcp_connections"], 1, "{counters:#}");
    assert_eq!(totals["auth_successes"], 1, "{counters:#}");
    assert_eq!(totals["open_connections"], 0, "{counters:#}");
}

#[test]
fn one_connection_per_host_for_many_commands() {
    let scratch = Scratch::new();
    let names: Vec<String> = (1..=10).map(|i| format!("r{i:02}")).collect();
    let lab_hosts: String = names.iter().map(|n| format!("{n}: {{}}\n")).collect();
    let lab = LabProcess::start(&scratch.path, &lab_hosts, 10);
    let hosts: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "{n}:\n  hostname: 127.0.0.1\n  port: {}\n",
                lab.port + i as u16
            )
        })
        .collect();
    client_inventory(&scratch, "{known_hosts: 'off'}", &hosts);
    let (session, doc) = run_json(
        &scratch,
        &[
            "command",
            "show version",
            "show clock",
            "show ip interface brief",
        ],
    );
    assert_eq!(session.code, 0, "{session}");
    assert_eq!(doc["summary"]["ok"], 10, "{session}");
    for name in &names {
        let h = host(&doc, name);
        assert_eq!(h["connections"], 1, "{h:#}");
        assert_eq!(h["results"].as_array().map(Vec::len), Some(3), "{h:#}");
    }
    // The lab rewrites its counters every 200 ms: wait for a file written after the run.
    let counters = lab.counters_when(|c| {
        c["totals"]["tcp_connections"].as_u64() >= Some(10) && c["totals"]["open_connections"] == 0
    });
    let totals = &counters["totals"];
    assert_eq!(totals["tcp_connections"], 10, "{counters:#}");
    assert_eq!(totals["auth_successes"], 10, "{counters:#}");
    assert_eq!(totals["auth_failures"], 0, "{counters:#}");
    assert_eq!(totals["channels"], 10, "{counters:#}");
    // Three commands each, plus the two session-setup commands IOS gets on login.
    assert_eq!(totals["commands"], 50, "{counters:#}");
    assert_eq!(totals["open_connections"], 0, "{counters:#}");
    for name in &names {
        assert_eq!(
            counters["devices"][name.as_str()]["tcp_connections"],
            1,
            "{counters:#}"
        );
    }
}
