//! `netrun inventory`: listing, selecting, explaining, and every kind of bad input.

use insta::assert_snapshot;

use crate::support::{Scratch, netrun, netrun_in};

#[test]
fn lists_one_site_of_the_example_fleet() {
    assert_snapshot!(netrun(&["inventory", "--filter", "site=earth"]));
}

#[test]
fn filters_combine_and_where_has_not() {
    assert_snapshot!(netrun(&[
        "inventory",
        "--filter",
        "groups=switches",
        "--where",
        "not (site == 'mars' or platform == 'eos')",
    ]));
    assert_snapshot!(netrun(&[
        "inventory",
        "--filter",
        "platform~^(ios|nxos)$",
        "--filter",
        "role!=edge"
    ]));
}

#[test]
fn hosts_by_glob_and_from_a_file() {
    assert_snapshot!(netrun(&["inventory", "--hosts", "edge*,leaf01.mars"]));
    let scratch = Scratch::new();
    scratch.file(
        "failed.txt",
        "# hosts that failed last run\nspine02.earth\nedge01.mars\n",
    );
    let file = format!("@{}", scratch.path.join("failed.txt").display());
    let session = netrun(&["inventory", "--hosts", &file]);
    assert_eq!(session.code, 0, "{session}");
    let names: Vec<&str> = session
        .stdout
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["spine02.earth", "edge01.mars", "2"]);
}

/// A host list round-trips every name, even one that reads as a glob or a comment.
#[test]
fn hosts_file_names_are_exact_before_globs_and_comments() {
    let scratch = Scratch::new();
    scratch
        .file(
            "inventory/hosts.yaml",
            "\"r[1]\": {}\nr1: {}\n\"#x\": {}\nr2: {}\n",
        )
        .file("failed.txt", "r[1]\n#x\n# a comment\nr[2]\n");
    let session = scratch.netrun(&["inventory", "--hosts", "@failed.txt", "--format", "json"]);
    assert_eq!(session.code, 0, "{session}");
    let hosts: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let names: Vec<&str> = hosts["hosts"]
        .as_array()
        .expect("a list of hosts")
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert_eq!(names, ["r[1]", "#x", "r2"], "{session}");
}

#[test]
fn no_host_matched_is_exit_2_with_the_filters() {
    assert_snapshot!(netrun(&[
        "inventory",
        "--filter",
        "site=venus",
        "--filter",
        "role=edge"
    ]));
    assert_snapshot!(netrun(&["inventory", "--hosts", "edge01.venus"]));
}

#[test]
fn bad_filters_are_usage_errors() {
    assert_snapshot!(netrun(&["inventory", "--filter", "cpu>high"]));
    assert_snapshot!(netrun(&["inventory", "--where", "site =="]));
    assert_snapshot!(netrun(&["inventory", "--where", "stie == 'earth'"]));
}

#[test]
fn json_has_every_resolved_field_and_no_secret() {
    let session = netrun(&["inventory", "--hosts", "leaf01.mars", "--format", "json"]);
    assert_eq!(session.code, 0, "{session}");
    assert!(
        !session.stdout.contains("netrun-lab"),
        "password leaked: {session}"
    );
    assert_snapshot!(session);
}

#[test]
fn yaml_output() {
    let session = netrun(&["inventory", "--hosts", "srv01.earth", "--format", "yaml"]);
    assert!(
        !session.stdout.contains("netrun-lab"),
        "password leaked: {session}"
    );
    assert_snapshot!(session);
}

#[test]
fn explain_says_where_each_value_comes_from() {
    assert_snapshot!(netrun(&["inventory", "show", "leaf01.mars", "--explain"]));
}

#[test]
fn explain_names_environment_variables() {
    let scratch = Scratch::new();
    scratch
        .file("inventory/hosts.yaml", "r1:\n  groups: [lab]\n  username: ${LAB_USER}\n")
        .file("inventory/groups.yaml", "lab:\n  password: ${LAB_PASSWORD}\n  connection_options:\n    ssh:\n      extras: {secret: \"${LAB_PASSWORD}\"}\n")
        .file("inventory/defaults.yaml", "port: ${LAB_PORT}\n");
    let env = [
        ("LAB_USER", "ops"),
        ("LAB_PASSWORD", "s3cr3t"),
        ("LAB_PORT", "2222"),
    ];
    let session = netrun_in(
        &scratch.path,
        &["inventory", "show", "r1", "--explain"],
        &env,
    );
    assert!(!session.stdout.contains("s3cr3t"), "{session}");
    assert_snapshot!(session);
    let session = netrun_in(&scratch.path, &["inventory", "--format", "json"], &env);
    assert!(!session.stdout.contains("s3cr3t"), "{session}");
    assert!(session.stdout.contains("\"port\": 2222"), "{session}");
}

#[test]
fn unknown_host_in_show() {
    assert_snapshot!(netrun(&["inventory", "show", "edge09.earth"]));
}

/// Each bad inventory exits 2 with file, line, column, the entry and the value at fault.
#[test]
fn bad_inventories_are_rejected_precisely() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "yaml syntax",
            &[("hosts.yaml", "r1:\n  hostname: \"10.0.0.1\n  port: 22\n")],
        ),
        (
            "unclosed list",
            &[("hosts.yaml", "r1:\n  hostname: [10.0.0.1\n")],
        ),
        ("tab indentation", &[("hosts.yaml", "r1:\n\thostname: a\n")]),
        (
            "unknown field",
            &[("hosts.yaml", "r1:\n  hostnmae: 10.0.0.1\n")],
        ),
        ("wrong type", &[("hosts.yaml", "r1:\n  port: twenty-two\n")]),
        (
            "port out of range",
            &[("hosts.yaml", "r1:\n  port: 70000\n")],
        ),
        (
            "groups not a list",
            &[("hosts.yaml", "r1:\n  groups: core\n")],
        ),
        (
            "duplicate host",
            &[("hosts.yaml", "r1: {}\nr2: {}\nr1: {}\n")],
        ),
        (
            "duplicate field",
            &[("hosts.yaml", "r1:\n  port: 22\n  port: 23\n")],
        ),
        (
            "duplicate field after another",
            &[(
                "hosts.yaml",
                "h1:\n  data: {a: 1}\n  port: 22\n  data: {b: 2}\n",
            )],
        ),
        (
            "duplicate field in defaults and connection options",
            &[
                ("hosts.yaml", "r1: {}\n"),
                (
                    "defaults.yaml",
                    "connection_options:\n  ssh:\n    port: 22\n    port: 23\n",
                ),
            ],
        ),
        (
            "duplicate data key",
            &[("hosts.yaml", "r1:\n  data:\n    site: a\n    site: b\n")],
        ),
        (
            "undefined group",
            &[
                ("hosts.yaml", "r1:\n  groups: [core, edge]\n"),
                ("groups.yaml", "core: {}\n"),
            ],
        ),
        (
            "undefined parent group",
            &[
                ("hosts.yaml", "r1: {groups: [a]}\n"),
                ("groups.yaml", "a:\n  groups: [b]\n"),
            ],
        ),
        (
            "group cycle",
            &[
                ("hosts.yaml", "r1: {groups: [a]}\n"),
                ("groups.yaml", "a:\n  groups: [b]\nb:\n  groups:\n    - a\n"),
            ],
        ),
        (
            "groups in defaults",
            &[
                ("hosts.yaml", "r1: {}\n"),
                ("defaults.yaml", "groups: [a]\n"),
            ],
        ),
        (
            "unknown connection option",
            &[(
                "hosts.yaml",
                "r1:\n  connection_options:\n    ssh:\n      timeout: 5\n",
            )],
        ),
        (
            "unset variable",
            &[(
                "hosts.yaml",
                "r1:\n  password: ${NETRUN_TEST_UNSET_PASSWORD}\n",
            )],
        ),
        ("not a mapping", &[("hosts.yaml", "- r1\n- r2\n")]),
        ("missing hosts file", &[("groups.yaml", "a: {}\n")]),
    ];
    let mut transcript = String::new();
    for (name, files) in cases {
        let scratch = Scratch::new();
        std::fs::create_dir_all(scratch.path.join("inventory")).unwrap();
        for (file, text) in *files {
            scratch.file(&format!("inventory/{file}"), text);
        }
        let session = scratch.netrun(&["inventory"]);
        assert_eq!(session.code, 2, "{name}: {session}");
        assert!(
            session.stdout.is_empty(),
            "{name}: nothing may be half-printed: {session}"
        );
        assert!(!session.stderr.contains("panicked"), "{name}: {session}");
        transcript.push_str(&format!("# {name}\n{}\n", session.stderr));
    }
    assert_snapshot!(transcript);
}

#[test]
fn config_file_unknown_key_and_precedence() {
    let scratch = Scratch::new();
    scratch
        .file("inv-a/hosts.yaml", "from-config: {}\n")
        .file("inv-b/hosts.yaml", "from-env: {}\n")
        .file("inv-c/hosts.yaml", "from-flag: {}\n")
        .file("netrun.yaml", "inventory: inv-a\nrunner:\n  workers: 10\n");
    let names = |s: &crate::support::Session| {
        s.stdout
            .lines()
            .nth(2)
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(names(&scratch.netrun(&["inventory"])), "from-config");
    let env = [("NETRUN_INVENTORY", "inv-b")];
    assert_eq!(
        names(&netrun_in(&scratch.path, &["inventory"], &env)),
        "from-env"
    );
    assert_eq!(
        names(&netrun_in(
            &scratch.path,
            &["--inventory", "inv-c", "inventory"],
            &env
        )),
        "from-flag"
    );

    scratch.file(
        "netrun.yaml",
        "inventory: inv-a\nssh:\n  conect_timeout: 5\n",
    );
    assert_snapshot!(scratch.netrun(&["inventory"]));
    assert_snapshot!(scratch.netrun(&["--config", "missing.yaml", "inventory"]));
}

#[test]
fn plugins_lists_the_builtin_ssh_plugin() {
    let session = netrun(&["plugins"]);
    assert_eq!(session.code, 0, "{session}");
    assert!(session.stdout.contains("ssh"), "{session}");
    assert!(session.stdout.contains("built-in"), "{session}");
}

#[test]
fn help_and_version() {
    assert_snapshot!(netrun(&["--help"]));
    assert_snapshot!(netrun(&["inventory", "--help"]));
    let version = netrun(&["--version"]);
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout,
        format!("netrun {}\n", env!("CARGO_PKG_VERSION"))
    );
    let usage = netrun(&["inventory", "--format", "xml"]);
    assert_eq!(usage.code, 2, "{usage}");
}

#[test]
fn a_nornir_config_names_the_inventory_files() {
    let scratch = Scratch::new();
    scratch
        .file("nornir/inv/hosts.yml", "r1:\n  groups: [core]\n")
        .file("nornir/inv/groups.yml", "core:\n  platform: eos\n")
        .file("nornir/inv/defaults.yml", "username: netops\n")
        .file("other/hosts.yaml", "elsewhere: {}\n")
        .file(
            "nornir/config.yaml",
            "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: inv/hosts.yml\n    group_file: inv/groups.yml\n    defaults_file: inv/defaults.yml\n  transform_function: mylib.fix_hosts\nrunner:\n  plugin: threaded\n  options:\n    num_workers: 5\ncore:\n  raise_on_error: true\n",
        )
        .file(
            "netbox.yaml",
            "inventory:\n  plugin: NetBoxInventory2\n  options:\n    nb_url: https://netbox.example\n",
        );
    let session = scratch.netrun(&[
        "--nornir-config",
        "nornir/config.yaml",
        "inventory",
        "--format",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}");
    let hosts: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    assert_eq!(hosts["hosts"][0]["name"], "r1", "{session}");
    assert_eq!(hosts["hosts"][0]["platform"], "eos", "{session}");
    assert_eq!(hosts["hosts"][0]["username"], "netops", "{session}");
    assert_snapshot!(session.stderr);

    // netrun.yaml may name it too; --inventory still wins over both.
    scratch.file("netrun.yaml", "nornir_config: nornir/config.yaml\n");
    let from_file = scratch.netrun(&["inventory", "-q"]);
    assert!(from_file.stdout.contains("r1"), "{from_file}");
    let flag = scratch.netrun(&["--inventory", "other", "inventory", "-q"]);
    assert!(flag.stdout.contains("elsewhere"), "{flag}");
    assert!(!flag.stdout.contains("r1"), "{flag}");

    assert_snapshot!(scratch.netrun(&["--nornir-config", "netbox.yaml", "inventory"]));
}
