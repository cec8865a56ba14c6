//! A nornir project migrated unchanged: credentials and the enable secret under nornir's
//! plugins' connection options, `.yml` inventory files.

use insta::assert_snapshot;

use crate::support::{LabProcess, Scratch};

/// A config step that the verify step checks on the device itself.
const TASK: &str = "description: a syslog server, then check it is configured\nsteps:\n  - name: logging\n    config:\n      - logging host 192.0.2.50\n  - name: verify\n    command: show running-config\n    failed_when: '\"logging host 192.0.2.50\" not in result'\n";

/// A device in user mode whose `enable` wants `enable-me`; the client knows the secret only
/// as netmiko's `extras.secret`, as a nornir inventory keeps it.
#[test]
fn a_netmiko_enable_secret_enters_privileged_mode_for_config() {
    let scratch = Scratch::new();
    let lab = LabProcess::start(
        &scratch.path,
        "r1:\n  connection_options:\n    ssh:\n      extras: {secret: enable-me}\n",
        1,
    );
    let hosts = |netmiko_extras: &str| {
        format!(
            "r1:\n  hostname: 127.0.0.1\n  groups: [ios]\n  connection_options:\n    netmiko:\n      port: {port}\n      extras: {{{netmiko_extras}}}\n    ssh:\n      extras: {{known_hosts: 'off'}}\n",
            port = lab.port
        )
    };
    scratch
        .file(
            "inventory/hosts.yaml",
            &hosts("secret: enable-me, fast_cli: false"),
        )
        .file(
            "inventory/groups.yaml",
            "ios:\n  platform: cisco_ios\n  username:\n  password:\n",
        )
        .file(
            "inventory/defaults.yaml",
            "username: netops\npassword: netrun-lab\n",
        )
        .file("tasks/logging.yaml", TASK);
    let session = scratch.netrun(&["run", "logging", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    assert!(!session.stdout.contains("enable-me"), "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let host = &doc["hosts"][0];
    assert_eq!(host["status"], "changed", "{session}");

    // Without the secret the device stays in user mode: the error says so and names the
    // setting a nornir inventory would use.
    scratch.file("inventory/hosts.yaml", &hosts("fast_cli: false"));
    let session = scratch.netrun(&["run", "logging", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let error = doc["hosts"][0]["results"][0]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("user mode"), "{session}");
    assert!(
        error.contains("connection_options.netmiko.extras.secret"),
        "{session}"
    );
}

/// nornir projects often name their files `hosts.yml`: found without a config file.
#[test]
fn yml_inventory_files_are_found_without_a_nornir_config() {
    let scratch = Scratch::new();
    scratch
        .file("inventory/hosts.yml", "r1:\n  groups: [core]\n")
        .file("inventory/groups.yml", "core:\n  platform: eos\n")
        .file("inventory/defaults.yml", "username: netops\n");
    let session = scratch.netrun(&["inventory", "show", "r1", "--explain"]);
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!(session);
}

/// The code block that follows the line `` `LABEL`: `` in docs/from-nornir.md.
fn doc_block(doc: &str, label: &str) -> String {
    let marker = format!("`{label}`:");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/from-nornir.md has no `{label}` block"));
    let rest = &doc[start..];
    let open = rest.find("```").expect("a code block after the label");
    let body = &rest[open..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    body[..body.find("```").expect("closing fence")].to_string()
}

/// The worked example of docs/from-nornir.md, as written there: the nornir project's files,
/// the selection that replaces its F filter, and the task file run against the lab.
#[test]
fn the_migration_guide_example_works_as_written() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/from-nornir.md"),
    )
    .expect("read docs/from-nornir.md");
    let scratch = Scratch::new();
    for file in [
        "config.yaml",
        "inventory/hosts.yaml",
        "inventory/groups.yaml",
        "inventory/defaults.yaml",
        "tasks/ntp_and_syslog.yaml",
    ] {
        scratch.file(file, &doc_block(&doc, file));
    }
    let select = [
        "--filter",
        "direct_groups=branch",
        "--filter",
        "platform!=junos",
    ];
    let mut args = vec![
        "--nornir-config",
        "config.yaml",
        "inventory",
        "--format",
        "json",
    ];
    args.extend(select);
    let session = scratch.netrun(&args);
    assert_eq!(session.code, 0, "{session}");
    let listed: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let names: Vec<&str> = listed["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(names, ["br1-rtr", "br2-rtr"], "{session}");
    let explain = scratch.netrun(&[
        "--inventory",
        "inventory",
        "inventory",
        "show",
        "br1-rtr",
        "--explain",
    ]);
    assert!(
        explain
            .stdout
            .contains("connection_options.netmiko.extras.secret of group ios"),
        "{explain}"
    );
    let mut args = vec!["--inventory", "inventory", "run", "ntp_and_syslog", "--lab"];
    args.extend(select);
    args.extend(["--output", "json"]);
    let session = scratch.netrun(&args);
    assert_eq!(session.code, 0, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    for host in doc["hosts"].as_array().expect("hosts") {
        assert_eq!(host["status"], "changed", "{session}");
    }
}
