//! Task files: every step kind and modifier, params, validation before any device is
//! contacted, dry runs, subtasks, and the example tasks end to end against the lab.

use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{LabProcess, Scratch, Session, netrun, netrun_in, repo, without_timings};

fn fixtures() -> std::path::PathBuf {
    repo().join("tests/fixtures/tasks")
}

fn json(session: &Session) -> Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {session}"))
}

/// `(step name, status)` of a host's top-level nodes.
fn steps(doc: &Value, host: &str) -> Vec<(String, String)> {
    let hosts = doc["hosts"].as_array().cloned().unwrap_or_default();
    let found = hosts
        .iter()
        .find(|h| h["host"] == host)
        .cloned()
        .unwrap_or_default();
    found["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            (
                n["name"].as_str().unwrap_or_default().to_string(),
                n["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_step_kind_and_modifier() {
    let session = netrun_in(
        &fixtures(),
        &[
            "--tasks", "good", "run", "kinds", "--arg", "tag=t1", "--lab", "--output", "json",
        ],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    assert_eq!(
        steps(&doc, "r1"),
        pairs(&[
            ("version", "ok"),
            ("hostname", "ok"),
            ("from_file", "ok"),
            ("banner", "changed"),
            ("junos_only", "skipped"),
            ("flagged", "changed"),
            ("tolerated", "failed"),
            ("uses_earlier", "ok"),
            ("sub", "ok"),
            ("explicit", "ok"),
        ])
    );
    let r1 = &doc["hosts"][0];
    assert_eq!(
        r1["status"], "changed",
        "an ignored failure does not fail the host"
    );
    assert_eq!(
        r1["connections"], 1,
        "every step and the subtask share one connection"
    );
    let node = |name: &str| {
        r1["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(node("hostname")["result"], "r1 runs 15.2(4)M7 (t1)");
    assert_eq!(node("from_file")["result"], "r1 at ios");
    assert_eq!(
        node("junos_only")["result"],
        "skipped: when `host.platform == \"junos\"` is false"
    );
    assert_eq!(node("tolerated")["ignored"], true);
    assert!(
        node("tolerated")["error"]
            .as_str()
            .unwrap_or_default()
            .contains("% Invalid input")
    );
    assert_eq!(
        node("uses_earlier")["result"],
        "R1 RUNS 15.2(4)M7 (T1) / tolerated failed=True"
    );
    let sub = node("sub");
    let children: Vec<&str> = sub["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(children, ["echo", "clock"]);
    assert_eq!(
        sub["results"][0]["result"], "child got t1",
        "subtask params are rendered"
    );
    // Junos takes the other branches of the platform maps and conditions.
    assert_eq!(
        steps(&doc, "j1")[3..6].to_vec(),
        pairs(&[
            ("banner", "skipped"),
            ("junos_only", "ok"),
            ("flagged", "changed")
        ])
    );
}

#[test]
fn a_failing_subtask_fails_its_parent_and_stops_the_host() {
    let session = netrun_in(
        &fixtures(),
        &[
            "--tasks",
            "good",
            "run",
            "fails_in_child",
            "--hosts",
            "r1",
            "--lab",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(
        steps(&doc, "r1"),
        pairs(&[("first", "ok"), ("breaks", "failed")])
    );
    let sub = &doc["hosts"][0]["results"][1];
    assert_eq!(sub["error"], "subtask `breaks` failed");
    assert_eq!(sub["results"][0]["status"], "failed");
    assert!(
        doc["hosts"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("subtask `breaks` failed")
    );
}

#[test]
fn params_are_checked_before_anything_runs() {
    let missing = netrun_in(
        &fixtures(),
        &["--tasks", "good", "run", "kinds", "--lab"],
        &[],
    );
    let undeclared = netrun_in(
        &fixtures(),
        &[
            "--tasks",
            "good",
            "run",
            "kinds",
            "--arg",
            "tag=1",
            "--arg",
            "colour=red",
            "--lab",
        ],
        &[],
    );
    let malformed = netrun_in(
        &fixtures(),
        &["--tasks", "good", "run", "kinds", "--arg", "tag"],
        &[],
    );
    let unknown = netrun_in(&fixtures(), &["--tasks", "good", "run", "nope"], &[]);
    for session in [&missing, &undeclared, &malformed, &unknown] {
        assert_eq!(session.code, 2, "{session}");
        assert!(session.stdout.is_empty(), "nothing ran: {session}");
    }
    assert_snapshot!(format!("{missing}{undeclared}{malformed}{unknown}"));
}

#[test]
fn dry_run_skips_changes_but_runs_reads() {
    let session = netrun_in(
        &fixtures(),
        &[
            "--tasks",
            "good",
            "run",
            "kinds",
            "--arg",
            "tag=t1",
            "--hosts",
            "r1",
            "--lab",
            "--dry-run",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    let banner = &doc["hosts"][0]["results"][3];
    assert_eq!(banner["name"], "banner");
    // A config step reads the running configuration and reports what it would send.
    assert_eq!(banner["status"], "changed");
    assert_eq!(banner["dry_run"], true);
    assert_eq!(
        banner["would_send"],
        serde_json::json!(["banner motd ^managed by netrun^"])
    );
    assert_eq!(
        doc["hosts"][0]["results"][0]["status"], "ok",
        "reads still run"
    );
}

/// Each invalid task directory is rejected with exit 2, the file, the line and what to change,
/// by `netrun check` and by `netrun run` alike, before any device is contacted.
#[test]
fn invalid_task_files_are_rejected_precisely() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "unknown key",
            &[(
                "t.yaml",
                "steps:\n  - command: show version\n    retries: 3\n",
            )],
        ),
        (
            "unknown top-level key",
            &[("t.yaml", "descripton: typo\nsteps: []\n")],
        ),
        (
            "template syntax",
            &[(
                "t.yaml",
                "steps:\n  - name: broken\n    command: \"show {{ host.name \"\n",
            )],
        ),
        (
            "expression syntax",
            &[(
                "t.yaml",
                "steps:\n  - command: show version\n    when: host.platform ==\n",
            )],
        ),
        ("no step kind", &[("t.yaml", "steps:\n  - name: nothing\n")]),
        (
            "two step kinds",
            &[(
                "t.yaml",
                "steps:\n  - command: show version\n    render: x\n",
            )],
        ),
        (
            "unknown subtask",
            &[("t.yaml", "steps:\n  - task: backup\n")],
        ),
        (
            "subtask cycle",
            &[
                ("a.yaml", "steps:\n  - task: b\n"),
                ("b.yaml", "steps:\n  - render: x\n  - task: a\n"),
            ],
        ),
        (
            "call on ssh",
            &[("t.yaml", "steps:\n  - call: get_version\n    args: {}\n")],
        ),
        (
            "missing plugin",
            &[(
                "t.yaml",
                "connection: acmeos\nsteps:\n  - call: get_version\n",
            )],
        ),
        (
            "missing template file",
            &[("t.yaml", "steps:\n  - config: {template: nope.j2}\n")],
        ),
        (
            "args without call",
            &[(
                "t.yaml",
                "steps:\n  - command: show version\n    args: {a: 1}\n",
            )],
        ),
        (
            "bad param spec",
            &[("t.yaml", "params:\n  v: {requried: true}\nsteps: []\n")],
        ),
        (
            "config line template syntax",
            &[(
                "t.yaml",
                "steps:\n  - config:\n      - ntp server 1.2.3.4\n      - \"logging host {{ host.syslog }\"\n",
            )],
        ),
        (
            "two step kinds in the second step",
            &[(
                "t.yaml",
                "steps:\n  - render: a\n  - command: show version\n    render: x\n",
            )],
        ),
        (
            "missing template file in the third step",
            &[(
                "t.yaml",
                "steps:\n  - render: a\n  - render: b\n  - config: {template: nope.j2}\n",
            )],
        ),
        (
            "missing plugin in the second step",
            &[(
                "t.yaml",
                "steps:\n  - render: a\n  - connection: acmeos\n    call: get_version\n",
            )],
        ),
        (
            "absolute template path",
            &[("t.yaml", "steps:\n  - render: {template: /etc/hostname}\n")],
        ),
        (
            "include of an absolute path",
            &[(
                "t.yaml",
                "steps:\n  - render: x\n  - render: \"{% include '/etc/os-release' %}\"\n",
            )],
        ),
        (
            "template path through ..",
            &[("t.yaml", "steps:\n  - config: {template: ../t.yaml}\n")],
        ),
        (
            "unknown subtask param",
            &[
                (
                    "t.yaml",
                    "steps:\n  - render: a\n  - task: child\n    params: {what: 1, typo: 1}\n",
                ),
                (
                    "child.yaml",
                    "params:\n  what: {required: true}\nsteps:\n  - render: x\n",
                ),
            ],
        ),
        (
            "missing subtask param",
            &[
                ("t.yaml", "steps:\n  - render: a\n  - task: child\n"),
                (
                    "child.yaml",
                    "params:\n  what: {required: true}\n  opt: {required: true, default: 1}\nsteps:\n  - render: x\n",
                ),
            ],
        ),
        (
            "platform map template syntax",
            &[(
                "t.yaml",
                "steps:\n  - command:\n      ios: show version\n      junos: \"show {% if %}\"\n",
            )],
        ),
    ];
    let mut transcript = String::new();
    for (name, files) in cases {
        let scratch = Scratch::new();
        scratch.file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n");
        for (file, text) in *files {
            scratch.file(&format!("tasks/{file}"), text);
        }
        let check = scratch.netrun(&["check"]);
        assert_eq!(check.code, 2, "{name}: {check}");
        let task = files[0].0.trim_end_matches(".yaml");
        let run = scratch.netrun(&["run", task]);
        assert_eq!(run.code, 2, "{name}: {run}");
        assert_eq!(run.stderr, check.stderr, "{name}: run and check agree");
        assert!(run.stdout.is_empty(), "{name}: nothing ran: {run}");
        transcript.push_str(&format!("# {name}\n{}\n", check.stderr));
    }
    assert_snapshot!(transcript);
}

#[test]
fn a_task_file_that_is_not_utf8_is_named_as_such() {
    let scratch = Scratch::new();
    scratch.file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n");
    scratch.file("tasks/good.yaml", "steps:\n  - render: x\n");
    std::fs::write(
        scratch.path.join("tasks/bad.yaml"),
        b"steps:\n  - render: caf\xe9\n",
    )
    .expect("write file");
    let check = scratch.netrun(&["check"]);
    assert_eq!(check.code, 2, "{check}");
    let run = scratch.netrun(&["run", "bad"]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(run.stderr, check.stderr, "run and check agree");
    assert_snapshot!(check.stderr);
    // Like any invalid task file, it does not stop runs of the others.
    let other = scratch.netrun(&["run", "good"]);
    assert_eq!(other.code, 0, "{other}");
}

/// A child task that shows what it was given: type and value of each param.
const SHOW_PARAMS: &str = "params:\n  a: {}\n  b: {}\n  c: {}\n  d: {}\n  s: {default: \"x\"}\nsteps:\n  - render: \"{% for k in ['a', 'b', 'c', 'd', 's'] %}{{ k }}={{ params[k] | tojson }} {% endfor %}\"\n";

#[test]
fn subtask_params_arrive_as_written() {
    let scratch = Scratch::new();
    scratch.file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n");
    scratch.file("tasks/child.yaml", SHOW_PARAMS);
    scratch.file(
        "tasks/parent.yaml",
        "steps:\n  - task: child\n    params: {a: \"desc: uplink\", b: \"#5\", c: \"17.10\", d: 5, s: \"{{ host.name }}\"}\n",
    );
    let session = scratch.netrun(&["run", "parent", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    assert_eq!(
        doc["hosts"][0]["results"][0]["result"],
        r##"a="desc: uplink" b="#5" c="17.10" d=5 s="r1" "##,
        "{session}"
    );
}

#[test]
fn arg_values_are_text_unless_unambiguous() {
    let scratch = Scratch::new();
    scratch.file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n");
    scratch.file("tasks/child.yaml", SHOW_PARAMS);
    let session = scratch.netrun(&[
        "run", "child", "--arg", "a=17.10", "--arg", "b=true", "--arg", "c=42", "--arg",
        "d='x: y'", "--arg", "s=7", "--output", "json",
    ]);
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    assert_eq!(
        doc["hosts"][0]["results"][0]["result"], r#"a="17.10" b=true c=42 d="x: y" s="7" "#,
        "{session}"
    );
    let mapping = scratch.netrun(&["run", "child", "--arg", "a=x: y"]);
    assert_eq!(mapping.code, 2, "{mapping}");
    assert!(mapping.stdout.is_empty(), "nothing ran: {mapping}");
    assert_snapshot!(mapping.stderr);
}

#[test]
fn check_passes_on_the_example_repository() {
    let session = netrun(&["check"]);
    assert_eq!(session.code, 0, "{session}");
    assert_eq!(
        session.stdout,
        "ok: config (defaults), 11 hosts, 4 tasks, 1 connection plugin\n"
    );
}

#[test]
fn tasks_lists_and_describes() {
    assert_snapshot!(netrun(&["tasks"]));
    assert_snapshot!(netrun(&["tasks", "upgrade_os_cli"]));
}

#[test]
fn get_version_prints_the_versions_of_one_site() {
    let session = netrun(&["run", "get_version", "--filter", "site=earth", "--lab"]);
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!(without_timings(&session.to_string()));
}

#[test]
fn upgrade_os_cli_changes_only_the_hosts_that_need_it() {
    let session = netrun(&[
        "run",
        "upgrade_os_cli",
        "--arg",
        "version=15.2(7)E4",
        "--filter",
        "platform=ios",
        "--lab",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    assert_eq!(
        steps(&doc, "edge01.earth"),
        pairs(&[
            ("get_version", "ok"),
            ("install", "skipped"),
            ("confirm", "skipped")
        ])
    );
    assert_eq!(
        steps(&doc, "leaf01.mars"),
        pairs(&[
            ("get_version", "ok"),
            ("install", "changed"),
            ("confirm", "ok")
        ])
    );
    assert_eq!(doc["summary"]["changed"], 1);
    assert_eq!(doc["summary"]["ok"], 1);
}

#[test]
fn backup_config_writes_one_file_per_host() {
    let scratch = Scratch::new();
    let dir = scratch.path.join("backups");
    let session = netrun(&[
        "run",
        "backup_config",
        "--filter",
        "site=mars",
        "--lab",
        "--save-dir",
        dir.to_str().unwrap_or_default(),
    ]);
    assert_eq!(session.code, 0, "{session}");
    let ios = std::fs::read_to_string(dir.join("leaf01.mars.txt")).unwrap_or_default();
    assert!(ios.contains("hostname leaf01"), "{ios}");
    let junos = std::fs::read_to_string(dir.join("edge01.mars.txt")).unwrap_or_default();
    assert!(junos.contains("host-name edge01"), "{junos}");
}

#[test]
fn set_ntp_renders_the_template_from_host_data() {
    let session = netrun(&[
        "run",
        "set_ntp",
        "--filter",
        "site=mars",
        "--lab",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}");
    let doc = json(&session);
    assert_eq!(
        steps(&doc, "leaf01.mars"),
        pairs(&[("ntp", "changed"), ("verify", "ok")])
    );
    assert_eq!(
        steps(&doc, "edge01.mars"),
        pairs(&[("ntp", "skipped"), ("verify", "skipped")]),
        "junos is not covered"
    );
    let dry = netrun(&[
        "run",
        "set_ntp",
        "--filter",
        "site=mars",
        "--lab",
        "--dry-run",
        "--output",
        "json",
    ]);
    let dry = json(&dry);
    let ntp = &dry["hosts"][2]["results"][0];
    assert_eq!(ntp["status"], "changed");
    assert_eq!(
        ntp["would_send"],
        serde_json::json!(["ntp server 192.0.2.10 prefer", "ntp server 192.0.2.11"])
    );
}

#[test]
fn a_multi_step_task_with_subtasks_uses_one_connection_per_host() {
    let scratch = Scratch::new();
    let lab_hosts = "r1: {data: {ntp_servers: [192.0.2.1]}}\nr2: {data: {ntp_servers: [192.0.2.1]}}\nr3: {data: {ntp_servers: [192.0.2.1]}}\n";
    let lab = LabProcess::start(&scratch.path, lab_hosts, 3);
    let client: String = (0..3u16)
        .map(|i| format!(
            "r{}: {{hostname: 127.0.0.1, port: {}, platform: ios, username: netops, password: netrun-lab, data: {{os_version: x, ntp_servers: [192.0.2.1]}}, connection_options: {{ssh: {{extras: {{known_hosts: 'off'}}}}}}}}\n",
            i + 1,
            lab.port + i
        ))
        .collect();
    scratch.file("inventory/hosts.yaml", &client);
    let good = fixtures().join("good");
    for entry in std::fs::read_dir(&good).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_file()
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            scratch.file(
                &format!("tasks/{}", entry.file_name().to_string_lossy()),
                &text,
            );
        }
    }
    scratch.file("tasks/templates/banner.j2", "{{ host.name }}\n");
    let session = scratch.netrun(&["run", "kinds", "--arg", "tag=x", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let counters = lab.counters_when(|c| {
        c["totals"]["tcp_connections"] == 3 && c["totals"]["open_connections"] == 0
    });
    assert_eq!(counters["totals"]["tcp_connections"], 3, "{counters:#}");
    assert_eq!(counters["totals"]["auth_successes"], 3, "{counters:#}");
    assert_eq!(counters["totals"]["open_connections"], 0, "{counters:#}");
}

#[test]
fn platform_override_errors_name_the_config_file_in_use() {
    let scratch = Scratch::new();
    scratch
        .file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n")
        // A new platform needs `base:` or `prompt.user`.
        .file("cfg.yaml", "platforms:\n  acme: {aliases: [acmeos]}\n");
    let session = scratch.netrun(&["--config", "cfg.yaml", "check"]);
    assert_eq!(session.code, 2, "{session}");
    // The mistake is named at its own line and column, in the file actually used.
    assert!(
        session.stderr.starts_with(
            "error: cfg.yaml:2:9: platforms.acme: new platform `acme` needs `base: <existing platform>` or `prompt.user`"
        ),
        "{session}"
    );
    assert!(!session.stderr.contains("netrun.yaml"), "{session}");
}

#[test]
fn a_named_tasks_directory_that_does_not_exist_is_an_error() {
    let scratch = Scratch::new();
    let session = scratch.netrun(&["--tasks", "no-such-dir", "check"]);
    assert_eq!(session.code, 2, "{session}");
    assert_eq!(
        session.stderr,
        "error: tasks: directory no-such-dir does not exist\n"
    );
}

#[test]
fn platform_aliases_read_as_their_canonical_name_in_tasks_and_filters() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1: {platform: cisco_ios, username: u, password: p}\nr2: {platform: arista_eos, username: u, password: p}\n",
    );
    scratch.file(
        "tasks/clock.yaml",
        "steps:\n  - name: clock\n    when: host.platform == \"ios\"\n    command: show clock\n",
    );
    let session = scratch.netrun(&["run", "clock", "--lab", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let doc: Value = serde_json::from_str(&session.stdout).expect("json");
    let statuses: Vec<&str> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["results"][0]["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["ok", "skipped"], "{session}");
    let session = scratch.netrun(&["inventory", "--filter", "platform=ios", "--format", "json"]);
    assert_eq!(session.code, 0, "{session}");
    assert!(
        session.stdout.contains("\"r1\"") && !session.stdout.contains("\"r2\""),
        "{session}"
    );
}
