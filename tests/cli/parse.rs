//! TextFSM parsing: `netrun parse` on saved output (by index, by template file, from stdin, a
//! manifest of many), where templates are found, and parsed steps in runs against the lab.

use std::io::Write;
use std::process::{Command, Stdio};

use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{Scratch, Session, netrun, netrun_in, repo, without_timings};

/// A small templates directory in the ntc-templates layout, written for these tests.
const INDEX: &str = "\
# Test index: columns first, then rows; the first row that matches wins.
Template, Hostname, Platform, Command

demo_show_things.textfsm, .*, cisco_ios, sh[[ow]] thi[[ngs]]
demo_show_broken.textfsm, .*, cisco_ios, sh[[ow]] bro[[ken]]
";

const THINGS: &str = "\
Value Required NAME (\\S+)
Value STATE (up|down)
Value List TAGS (\\w+)

Start
  ^thing ${NAME} is ${STATE}
  ^  tag ${TAGS}
  ^end -> Record
  ^garbage -> Error \"unexpected garbage\"
";

const BROKEN: &str = "\
Value NAME (\\S+)
Value Listy STATE (up|down)

Start
  ^${NAME} -> Record
";

const OUTPUT: &str = "\
thing eth0 is up
  tag uplink
  tag core
end
thing eth1 is down
end
";

/// A scratch directory with `tpl/` (the templates above) and `out.txt` (device output).
fn scratch() -> Scratch {
    let scratch = Scratch::new();
    scratch
        .file("tpl/index", INDEX)
        .file("tpl/demo_show_things.textfsm", THINGS)
        .file("tpl/demo_show_broken.textfsm", BROKEN)
        .file("out.txt", OUTPUT)
        .file("empty/README", "no index here\n");
    scratch
}

/// The session with the scratch directory's path replaced, so that snapshots are stable.
fn shown(session: &Session, scratch: &Scratch) -> String {
    without_timings(&session.to_string())
        .replace(&scratch.path.display().to_string(), "[scratch]")
        .replace(&repo().display().to_string(), "[repo]")
}

/// Runs netrun in `scratch` with `input` on its standard input.
fn netrun_with_stdin(scratch: &Scratch, args: &[&str], input: &str) -> Session {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(&scratch.path)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netrun");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for netrun");
    Session {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn saved_output_parses_by_platform_and_command_in_every_format() {
    let s = scratch();
    let by_index = [
        "parse",
        "out.txt",
        "--platform",
        "ios",
        "--command",
        "sh things",
    ];
    let json = s.netrun(&[&by_index[..], &["--templates", "tpl"]].concat());
    assert_eq!(json.code, 0, "{json}");
    assert_snapshot!(shown(&json, &s));
    let table = s.netrun(&[&by_index[..], &["--templates", "tpl", "--format", "table"]].concat());
    assert_snapshot!(shown(&table, &s));
    let yaml = s.netrun(&[&by_index[..], &["--templates", "tpl", "--format", "yaml"]].concat());
    assert_snapshot!(shown(&yaml, &s));
}

#[test]
fn standard_input_and_a_template_file_need_no_index() {
    let s = scratch();
    let session = netrun_with_stdin(
        &s,
        &["parse", "-", "--template", "tpl/demo_show_things.textfsm"],
        OUTPUT,
    );
    assert_eq!(session.code, 0, "{session}");
    let records: Value = serde_json::from_str(&session.stdout).expect("json");
    assert_eq!(records[0]["name"], "eth0");
    assert_eq!(records[0]["tags"], serde_json::json!(["uplink", "core"]));
    assert_eq!(records[1]["state"], "down");
}

#[test]
fn template_and_index_errors_exit_2_and_rejected_text_exits_1() {
    let s = scratch();
    s.file("garbage.txt", "thing eth0 is up\ngarbage\n");
    let broken = s.netrun(&[
        "parse",
        "out.txt",
        "--platform",
        "cisco_ios",
        "--command",
        "show broken",
        "--templates",
        "tpl",
    ]);
    let missing = s.netrun(&[
        "parse",
        "out.txt",
        "--platform",
        "ios",
        "--command",
        "show nothing",
        "--templates",
        "tpl",
    ]);
    let rejected = s.netrun(&[
        "parse",
        "garbage.txt",
        "--template",
        "tpl/demo_show_things.textfsm",
    ]);
    let unreadable = s.netrun(&[
        "parse",
        "nope.txt",
        "--template",
        "tpl/demo_show_things.textfsm",
    ]);
    assert_eq!(
        [broken.code, missing.code, rejected.code, unreadable.code],
        [2, 2, 1, 2]
    );
    assert_snapshot!(
        [&broken, &missing, &rejected, &unreadable]
            .map(|session| shown(session, &s))
            .join("\n")
    );
}

#[test]
fn templates_are_found_by_flag_then_config_then_net_textfsm_then_python() {
    let s = scratch();
    let args = [
        "parse",
        "out.txt",
        "--platform",
        "ios",
        "--command",
        "show things",
    ];
    let by_env = netrun_in(&s.path, &args, &[("NET_TEXTFSM", "tpl")]);
    assert_eq!(by_env.code, 0, "{by_env}");
    // --templates wins over NET_TEXTFSM.
    let by_flag = netrun_in(
        &s.path,
        &[&args[..], &["--templates", "tpl"]].concat(),
        &[("NET_TEXTFSM", "empty")],
    );
    assert_eq!(by_flag.code, 0, "{by_flag}");
    // parse.templates in netrun.yaml (relative to the file) wins over NET_TEXTFSM.
    s.file("conf/netrun.yaml", "parse:\n  templates: ../tpl\n");
    let by_config = netrun_in(
        &s.path,
        &[&["--config", "conf/netrun.yaml"], &args[..]].concat(),
        &[("NET_TEXTFSM", "empty")],
    );
    assert_eq!(by_config.code, 0, "{by_config}");
    let no_index = netrun_in(&s.path, &args, &[("NET_TEXTFSM", "empty")]);
    // Nothing named and no python3 to ask for the ntc_templates package.
    let nothing = netrun_in(&s.path, &args, &[("NET_TEXTFSM", ""), ("PATH", "")]);
    assert_eq!([no_index.code, nothing.code], [2, 2]);
    assert_snapshot!(format!("{}\n{}", shown(&no_index, &s), shown(&nothing, &s)));
}

#[test]
fn a_manifest_parses_many_outputs_in_one_process() {
    let s = scratch();
    s.file(
        "saved/manifest.jsonl",
        concat!(
            r#"{"raw": "../out.txt", "platform": "ios", "command": "show things"}"#,
            "\n",
            r#"{"raw": "../out.txt", "platform": "ios", "command": "show nothing"}"#,
            "\n",
            r#"{"raw": "../out.txt", "platform": "cisco_ios", "command": "sh thi"}"#,
            "\n",
        ),
    );
    let session = s.netrun(&[
        "parse",
        "--manifest",
        "saved/manifest.jsonl",
        "--templates",
        "tpl",
    ]);
    assert_eq!(session.code, 1, "{session}");
    assert_snapshot!(shown(&session, &s));
}

/// Every case of the shared ntc-templates corpus through `netrun parse --manifest` with the
/// pip-installed ntc-templates (tests/prerequisites.sh): the records must equal Python's.
#[test]
fn the_shared_ntc_corpus_parses_exactly_as_python_textfsm() {
    let corpus = repo().join("../shared/ntc-corpus");
    let manifest = corpus.join("manifest.jsonl");
    assert!(
        manifest.is_file(),
        "the ntc-templates corpus is missing: expected {}",
        manifest.display()
    );
    let session = netrun(&["parse", "--manifest", &manifest.display().to_string()]);
    assert_eq!(
        session.code, 0,
        "{}\n(ntc-templates==9.2.0 comes from tests/prerequisites.sh)",
        session.stderr
    );
    let cases: Vec<Value> = std::fs::read_to_string(&manifest)
        .expect("read manifest")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("manifest line"))
        .collect();
    let lines: Vec<&str> = session.stdout.lines().collect();
    assert_eq!(lines.len(), cases.len());
    let mut different = Vec::new();
    for (case, line) in cases.iter().zip(&lines) {
        let expected_path = corpus.join(case["expected"].as_str().expect("expected"));
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).expect("read expected"))
                .expect("expected json");
        let got: Value = serde_json::from_str(line).expect("output line");
        if got != expected {
            different.push(case["raw"].to_string());
        }
    }
    assert!(
        different.is_empty(),
        "{} of {} cases differ: {different:?}",
        different.len(),
        cases.len()
    );
}

#[test]
fn get_version_shows_the_version_of_every_device_of_the_lab() {
    let session = netrun(&["run", "get_version", "--lab", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let doc: Value = serde_json::from_str(&session.stdout).expect("json");
    let versions: Vec<(&str, &str)> = doc["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap_or_default(),
                h["result"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        versions
            .iter()
            .all(|(_, v)| v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())),
        "{versions:?}"
    );
    // The records stay in the parsed step, the device's text beside them.
    let edge = &doc["hosts"][0]["results"][0];
    assert_eq!(edge["result"][0]["version"], "15.2(7)E4", "{edge}");
    assert!(
        edge["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Cisco IOS Software"))
    );
}

#[test]
fn command_parse_gives_records_and_a_missing_template_fails_the_host() {
    let s = scratch();
    let inventory = repo().join("inventory");
    let inventory = inventory.display().to_string();
    let parsed = netrun(&[
        "command",
        "show version",
        "--parse",
        "--lab",
        "--filter",
        "platform=ios,eos",
    ]);
    assert_eq!(parsed.code, 0, "{parsed}");
    let raw = netrun(&[
        "command",
        "show version",
        "--parse",
        "--lab",
        "--hosts",
        "leaf01.earth",
        "--output",
        "raw",
    ]);
    assert_eq!(raw.code, 0, "{raw}");
    let missing = netrun_in(
        &s.path,
        &[
            "--inventory",
            &inventory,
            "command",
            "show clock",
            "--parse",
            "--templates",
            "tpl",
            "--lab",
            "--hosts",
            "edge01.earth",
        ],
        &[],
    );
    assert_eq!(missing.code, 1, "{missing}");
    assert_snapshot!(
        [&parsed, &raw, &missing]
            .map(|session| shown(session, &s))
            .join("\n")
    );
}

#[test]
fn later_steps_see_records_and_text_and_parse_belongs_to_command_steps() {
    let s = scratch();
    let inventory = repo().join("inventory");
    let inventory = inventory.display().to_string();
    s.file(
        "tasks/templates/clock.textfsm",
        "Value TIME (\\d+:\\d+:\\d+\\S*)\nValue ZONE (\\S+)\n\nStart\n  ^\\*?${TIME}\\s+${ZONE} -> Record\n",
    )
    .file(
        "tasks/clock.yaml",
        "steps:\n  - name: clock\n    command: show clock\n    parse: {textfsm: clock.textfsm}\n    failed_when: result | length != 1 or result[0].zone != \"UTC\"\n  - render: \"{{ clock.result[0].zone }} text={{ clock.text is string }} records={{ clock.result is sequence }}\"\n",
    )
    .file(
        "bad/render.yaml",
        "steps:\n  - render: hello\n    parse: textfsm\n",
    )
    .file(
        "bad/outside.yaml",
        "steps:\n  - command: show clock\n    parse: {textfsm: ../clock.textfsm}\n",
    )
    .file(
        "bad/broken.yaml",
        "steps:\n  - command: show clock\n    parse:\n      ios: {textfsm: broken.textfsm}\n      default: textfsm\n",
    )
    .file("bad/templates/broken.textfsm", BROKEN);
    let session = netrun_in(
        &s.path,
        &[
            "--inventory",
            &inventory,
            "run",
            "clock",
            "--lab",
            "--filter",
            "platform=ios",
        ],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!(shown(&session, &s));
    let bad = ["render", "outside", "broken"]
        .map(|task| netrun_in(&s.path, &["--tasks", "bad", "tasks", task], &[]));
    assert_eq!(bad.each_ref().map(|b| b.code), [2, 2, 2]);
    assert_snapshot!(bad.each_ref().map(|b| shown(b, &s)).join("\n"));
}
