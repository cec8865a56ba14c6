//! Safe changes on production (README "Safe changes"): backups that a failing host cannot
//! destroy, config steps that send only what is missing, dry runs and diffs that show the
//! change, rollouts in batches that stop on failures. Devices are the lab: in-process with
//! `--lab`, or a `netrun lab` process when a second run must see what the first one changed.

use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::support::{DEFAULTS, LabProcess, Scratch, repo, without_timings};

/// Every file in `dir`, sorted, with its text.
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_failing_host_keeps_its_previous_backup() {
    let scratch = Scratch::new();
    scratch.file("inventory/defaults.yaml", DEFAULTS);
    scratch.file("inventory/hosts.yaml", "r1: {}\nr2: {}\nr3: {}\nr4: {}\n");
    let backup = ["command", "show version", "show running-config", "--lab"];
    let session = scratch.netrun(&[&backup[..], &["--save-dir", "backups"]].concat());
    assert_eq!(session.code, 0, "{session}");
    let before = files(&scratch.path.join("backups"));
    assert_eq!(before.len(), 4, "{before:?}");
    assert!(
        before.iter().all(|(_, text)| text.contains("hostname r")),
        "{before:?}"
    );

    // The next night: r1 refuses the login, r2 drops the connection after `show version`
    // (an IOS session starts with two commands of its own), r3 is too slow for the deadline.
    scratch.file(
        "inventory/hosts.yaml",
        "r1:\n  data: {lab: {reject_auth: true}}\n\
         r2:\n  data: {lab: {drop_after_commands: 3}}\n\
         r3:\n  data: {lab: {latency_ms: 3000}}\n\
         r4: {}\n",
    );
    let session = scratch.netrun(
        &[
            &backup[..],
            &[
                "--save-dir",
                "backups",
                "--timeout",
                "1",
                "--output",
                "json",
            ],
        ]
        .concat(),
    );
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).unwrap_or_default();
    let statuses: Vec<&str> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        ["unreachable", "failed", "timeout", "ok"],
        "{session}"
    );
    let after = files(&scratch.path.join("backups"));
    let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["r1.txt", "r2.failed.txt", "r2.txt", "r3.txt", "r4.txt"],
        "no temporary file is left behind"
    );
    // Last night's backups of the three failing hosts are byte for byte what they were.
    for name in ["r1.txt", "r2.txt", "r3.txt"] {
        let old = before.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        let new = after.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        assert_eq!(old, new, "{name}");
    }
    // What r2 did answer before it went away is kept beside its backup.
    let partial = &after[1].1;
    assert!(partial.contains("Cisco IOS Software"), "{partial}");
    assert!(!partial.contains("hostname r2"), "{partial}");

    // r2 recovers: its backup is replaced and the stale partial file goes.
    scratch.file("inventory/hosts.yaml", "r1: {}\nr2: {}\nr3: {}\nr4: {}\n");
    let session =
        scratch.netrun(&[&backup[..], &["--hosts", "r2", "--save-dir", "backups"]].concat());
    assert_eq!(session.code, 0, "{session}");
    let names: Vec<String> = files(&scratch.path.join("backups"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["r1.txt", "r2.txt", "r3.txt", "r4.txt"]);
}

/// A `netrun lab` process serving `hosts` (`NAME: PLATFORM` lines), and a client inventory in
/// `scratch` that points at it, with the task files of the repository and `extra` tasks.
fn lab_fleet(scratch: &Scratch, hosts: &[(&str, &str)], extra: &[(&str, &str)]) -> LabProcess {
    let lab_hosts: String = hosts
        .iter()
        .map(|(name, platform)| format!("{name}: {{platform: {platform}}}\n"))
        .collect();
    let lab = LabProcess::start(&scratch.path, &lab_hosts, hosts.len() as u16);
    let client: String = hosts
        .iter()
        .enumerate()
        .map(|(i, (name, platform))| {
            format!(
                "{name}:\n  hostname: 127.0.0.1\n  port: {}\n  platform: {platform}\n",
                lab.port + i as u16
            )
        })
        .collect();
    scratch.file(
        "inventory/defaults.yaml",
        &format!(
            "{DEFAULTS}data:\n  ntp_servers: [192.0.2.10, 192.0.2.11]\n\
             connection_options:\n  ssh:\n    extras: {{known_hosts: 'off'}}\n"
        ),
    );
    scratch.file("inventory/hosts.yaml", &client);
    for name in ["set_ntp.yaml", "templates/ntp.j2"] {
        let text = std::fs::read_to_string(repo().join("tasks").join(name)).unwrap_or_default();
        scratch.file(&format!("tasks/{name}"), &text);
    }
    for (name, text) in extra {
        scratch.file(&format!("tasks/{name}"), text);
    }
    lab
}

/// `netrun ARGS --output json`, parsed; the exit code must be `code`.
fn json(scratch: &Scratch, args: &[&str], code: i32) -> Value {
    let session = scratch.netrun(&[args, &["--output", "json"]].concat());
    assert_eq!(session.code, code, "{session}");
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("{e}\n{session}"))
}

/// Host name → (status, the first step's `key`).
fn by_host<'a>(doc: &'a Value, key: &str) -> Vec<(String, String, &'a Value)> {
    doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["host"].as_str().unwrap_or_default().to_string(),
                h["status"].as_str().unwrap_or_default().to_string(),
                &h["results"][0][key],
            )
        })
        .collect()
}

#[test]
fn set_ntp_sends_only_what_is_missing_and_a_second_run_sends_nothing() {
    let scratch = Scratch::new();
    let _lab = lab_fleet(
        &scratch,
        &[
            ("r1", "ios"),
            ("r2", "eos"),
            ("r3", "nxos"),
            ("r4", "iosxr"),
        ],
        &[],
    );
    let wanted = json!(["ntp server 192.0.2.10 prefer", "ntp server 192.0.2.11"]);

    // The dry run says what a real run will send, and sends nothing.
    let dry = json(&scratch, &["run", "set_ntp", "--dry-run", "--diff"], 0);
    for (host, status, would) in by_host(&dry, "would_send") {
        assert_eq!(
            (status.as_str(), would),
            ("changed", &wanted),
            "{host}: {dry:#}"
        );
    }
    assert_eq!(dry["hosts"][0]["results"][0]["dry_run"], true);
    assert_eq!(
        dry["hosts"][0]["results"][0]["diff"],
        "--- r1 running configuration\n+++ r1 after the change (dry run)\n\
         +ntp server 192.0.2.10 prefer\n+ntp server 192.0.2.11\n"
    );
    // `--check` is the same flag, and the table says what would change.
    let table = scratch.netrun(&["run", "set_ntp", "--check", "--hosts", "r1"]);
    assert_snapshot!("dry_run_table", without_timings(&table.to_string()));

    // The real run sends exactly those lines; the verify step finds them.
    let real = json(&scratch, &["run", "set_ntp"], 0);
    for (host, status, sent) in by_host(&real, "sent") {
        assert_eq!(
            (status.as_str(), sent),
            ("changed", &wanted),
            "{host}: {real:#}"
        );
    }

    // The second run: every line is there, nothing is sent, every host is ok.
    let again = json(&scratch, &["run", "set_ntp", "--diff"], 0);
    for (host, status, sent) in by_host(&again, "sent") {
        assert_eq!(
            (status.as_str(), sent),
            ("ok", &json!([])),
            "{host}: {again:#}"
        );
    }
    assert_eq!(again["summary"]["changed"], 0, "{again:#}");
    let dry = json(&scratch, &["run", "set_ntp", "--dry-run"], 0);
    assert_eq!(dry["summary"]["ok"], 4, "{dry:#}");

    // A third server for r1: only its line is sent, and --diff shows it.
    let hosts =
        std::fs::read_to_string(scratch.path.join("inventory/hosts.yaml")).unwrap_or_default();
    scratch.file(
        "inventory/hosts.yaml",
        &hosts.replacen(
            "r1:\n",
            "r1:\n  data: {ntp_servers: [192.0.2.10, 192.0.2.11, 192.0.2.12]}\n",
            1,
        ),
    );
    let session = scratch.netrun(&[
        "run", "set_ntp", "--hosts", "r1", "--diff", "--output", "raw",
    ]);
    // The lab stamps a change as a device does; the time is the only unstable part.
    let stamped = regex::Regex::new(r"Last configuration change at [^\n]* by").expect("regex");
    let session = stamped
        .replace_all(
            &session.to_string(),
            "Last configuration change at [time] by",
        )
        .into_owned();
    assert_snapshot!("real_run_diff_raw", without_timings(&session));
    let hosts =
        std::fs::read_to_string(scratch.path.join("inventory/hosts.yaml")).unwrap_or_default();
    scratch.file(
        "inventory/hosts.yaml",
        &hosts.replacen(
            "r2:\n",
            "r2:\n  data: {ntp_servers: [192.0.2.10, 192.0.2.11, 192.0.2.12]}\n",
            1,
        ),
    );
    let table = scratch.netrun(&["run", "set_ntp", "--hosts", "r1,r2", "--diff"]);
    assert_snapshot!("second_run_table", without_timings(&table.to_string()));
}

#[test]
fn junos_set_lines_are_matched_against_display_set() {
    let scratch = Scratch::new();
    let task = "steps:\n  - name: ntp\n    config:\n      - set system ntp server 192.0.2.10\n      - delete system ntp server 192.0.2.99\n";
    let _lab = lab_fleet(&scratch, &[("j1", "junos")], &[("junos_ntp.yaml", task)]);
    let first = json(&scratch, &["run", "junos_ntp", "--diff"], 0);
    // The delete is not sent: there is nothing to delete.
    assert_eq!(
        by_host(&first, "sent")[0].2,
        &json!(["set system ntp server 192.0.2.10"]),
        "{first:#}"
    );
    let diff = first["hosts"][0]["results"][0]["diff"]
        .as_str()
        .unwrap_or_default();
    assert!(
        diff.contains("\n+set system ntp server 192.0.2.10\n"),
        "{diff}"
    );
    let second = json(&scratch, &["run", "junos_ntp"], 0);
    assert_eq!(by_host(&second, "sent")[0].1, "ok", "{second:#}");
}

#[test]
fn match_none_sends_everything_and_sections_come_with_their_parents() {
    let scratch = Scratch::new();
    let tasks = [
        (
            "always.yaml",
            "steps:\n  - name: ntp\n    match: none\n    config: [ntp server 192.0.2.10]\n",
        ),
        (
            "uplink.yaml",
            "steps:\n  - name: uplink\n    config:\n      - interface GigabitEthernet0/1\n      - \" description uplink to core\"\n      - \" mtu 9000\"\n",
        ),
        (
            "flat.yaml",
            "steps:\n  - name: flat\n    config: [interface GigabitEthernet0/1, description flat]\n",
        ),
    ];
    let _lab = lab_fleet(&scratch, &[("r1", "ios")], &tasks);
    for _ in 0..2 {
        let doc = json(&scratch, &["run", "always"], 0);
        assert_eq!(by_host(&doc, "sent")[0].1, "changed", "{doc:#}");
    }
    let doc = json(&scratch, &["run", "uplink"], 0);
    assert_eq!(
        by_host(&doc, "sent")[0].2,
        &json!([
            "interface GigabitEthernet0/1",
            " description uplink to core",
            " mtu 9000"
        ]),
        "{doc:#}"
    );
    let doc = json(&scratch, &["run", "uplink"], 0);
    assert_eq!(by_host(&doc, "sent")[0].1, "ok", "{doc:#}");
    // Flat lines under a section the device has: every line is sent, and the step says why.
    let doc = json(&scratch, &["run", "flat"], 0);
    let step = &doc["hosts"][0]["results"][0];
    assert_eq!(
        step["sent"],
        json!(["interface GigabitEthernet0/1", "description flat"])
    );
    assert!(
        step["note"]
            .as_str()
            .unwrap_or_default()
            .contains("not indented"),
        "{doc:#}"
    );
    // `match` belongs to config steps.
    scratch.file(
        "tasks/bad.yaml",
        "steps:\n  - command: show version\n    match: none\n",
    );
    let session = scratch.netrun(&["run", "bad"]);
    assert_eq!(session.code, 2, "{session}");
    assert!(
        session
            .stderr
            .contains("`match` belongs to a `config` step"),
        "{session}"
    );
}

#[test]
fn a_serial_rollout_stops_after_its_failure_budget() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/defaults.yaml",
        &format!("{DEFAULTS}data:\n  site: earth\n"),
    );
    scratch.file(
        "inventory/hosts.yaml",
        "r1: {}\nr2: {}\nr3:\n  data: {lab: {reject_auth: true}}\nr4: {}\nr5: {}\nr6: {}\n",
    );
    let session = scratch.netrun(&[
        "command",
        "show version",
        "--lab",
        "--serial",
        "2",
        "--max-fail",
        "1",
    ]);
    assert_snapshot!(
        "serial_rollout_stops",
        without_timings(&session.to_string())
    );
    // Per-site concurrency runs every host, one at a time here.
    let session = scratch.netrun(&[
        "command",
        "show clock",
        "--lab",
        "--max-per",
        "site=1",
        "--hosts",
        "r1,r2,r4",
    ]);
    assert_eq!(session.code, 0, "{session}");
    // Bad rollout options are usage errors.
    for bad in [
        &["--serial", "0"][..],
        &["--max-fail", "150%"],
        &["--max-per", "site"],
        &["--max-per", "password=1"],
    ] {
        let session = scratch.netrun(&[&["command", "show clock", "--lab"][..], bad].concat());
        assert_eq!(session.code, 2, "{session}");
    }
}
