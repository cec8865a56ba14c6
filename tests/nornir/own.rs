//! nornir's own test inventories, which this repository does not copy (they are nornir's
//! files): `tests/inventory_data` and `tests/plugins/inventory/data` of nornir's source at the
//! pinned release, found through `NORNIR_SRC` (a checkout or an unpacked archive of the tag).
//!
//! Besides the field-by-field comparison, the resolution facts nornir's
//! `tests/core/test_inventory.py` asserts about `tests/inventory_data` are restated here as
//! (host, field, expected) and checked against netrun: data lookups, passwords, the group
//! order, every host's resolved data, and `get_connection_parameters`.

use std::path::PathBuf;

use serde_json::{Value, json};

/// `$NORNIR_SRC`, a nornir source tree at the pinned release.
pub fn source() -> PathBuf {
    let Some(dir) = std::env::var_os("NORNIR_SRC") else {
        panic!(
            "NORNIR_SRC is not set: point it at nornir {}'s source (e.g. `git clone --branch v{} \
             https://github.com/nornir-automation/nornir`); its test inventories are not copied \
             into this repository",
            crate::NORNIR_VERSION,
            crate::NORNIR_VERSION
        );
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("tests/inventory_data/hosts.yaml").is_file(),
        "NORNIR_SRC={} has no tests/inventory_data/hosts.yaml",
        dir.display()
    );
    dir
}

/// One fact nornir's inventory tests assert, as netrun's JSON should show it.
struct Fact {
    host: &'static str,
    /// A path into netrun's host document: `data.my_var`, `connection_options.dummy.port`.
    field: &'static str,
    expected: Value,
}

fn fact(host: &'static str, field: &'static str, expected: Value) -> Fact {
    Fact {
        host,
        field,
        expected,
    }
}

/// nornir's `test_var_resolution`, `test_attributes_resolution` (as the layer that decides:
/// netrun never prints a password), `test_parent_groups_extended`, `test_extended_data` and
/// `test_get_connection_parameters`, restated.
fn facts() -> Vec<Fact> {
    let mut facts = vec![
        fact(
            "dev1.group_1",
            "data.my_var",
            json!("comes_from_dev1.group_1"),
        ),
        fact("dev2.group_1", "data.my_var", json!("comes_from_group_1")),
        fact("dev3.group_2", "data.my_var", json!("comes_from_defaults")),
        fact(
            "dev4.group_2",
            "data.my_var",
            json!("comes_from_dev4.group_2"),
        ),
        fact("dev5.no_group", "data.my_var", json!("comes_from_defaults")),
        fact(
            "dev6.group_3",
            "data.my_var",
            json!("comes_from_parent_group"),
        ),
        fact("dev1.group_1", "data.a_false_var", json!(false)),
        fact(
            "dev1.group_1",
            "group_order",
            json!(["group_1", "parent_group"]),
        ),
        fact("dev3.group_2", "group_order", json!(["group_2"])),
        fact("dev5.no_group", "group_order", json!([])),
        fact(
            "dev6.group_3",
            "group_order",
            json!(["group_3", "dummy_group", "parent_group"]),
        ),
        fact(
            "dev1.group_1",
            "data",
            json!({"a_false_var": false, "a_var": "blah", "my_var": "comes_from_dev1.group_1",
                   "nested_data": {"a_dict": {"a": 1, "b": 2}, "a_list": [1, 2],
                                   "a_string": "asdasd"},
                   "only_default": "only_defined_in_default", "role": "www", "site": "site1",
                   "some_string_to_test_any_all": "prefix", "www_server": "nginx"}),
        ),
        fact(
            "dev3.group_2",
            "data",
            json!({"my_var": "comes_from_defaults", "only_default": "only_defined_in_default",
                   "role": "www", "site": "site2", "some_string_to_test_any_all": "other_prefix",
                   "www_server": "apache"}),
        ),
        fact(
            "dev5.no_group",
            "data",
            json!({"my_var": "comes_from_defaults", "only_default": "only_defined_in_default"}),
        ),
        fact(
            "dev6.group_3",
            "data",
            json!({"a_false_var": false, "a_var": "blah", "asd": 1,
                   "my_var": "comes_from_parent_group",
                   "only_default": "only_defined_in_default", "site": "site2"}),
        ),
    ];
    let connection = [
        // (host, port, hostname, username, platform, extras)
        (
            "dev1.group_1",
            65020,
            "dummy_from_host",
            "eos",
            json!({"blah": "from_host"}),
        ),
        (
            "dev2.group_1",
            65021,
            "dummy_from_parent_group",
            "junos",
            json!({"blah": "from_group"}),
        ),
        (
            "dev3.group_2",
            65022,
            "dummy_from_defaults",
            "linux",
            json!({"blah": "from_defaults"}),
        ),
    ];
    for (host, port, hostname, platform, extras) in connection {
        facts.push(fact(host, "connection_options.dummy.port", json!(port)));
        facts.push(fact(
            host,
            "connection_options.dummy.hostname",
            json!(hostname),
        ));
        facts.push(fact(
            host,
            "connection_options.dummy.username",
            json!("root"),
        ));
        facts.push(fact(
            host,
            "connection_options.dummy.password",
            json!("***"),
        ));
        facts.push(fact(
            host,
            "connection_options.dummy.platform",
            json!(platform),
        ));
        facts.push(fact(host, "connection_options.dummy.extras", extras));
    }
    // A plugin named nowhere (nornir's `get_connection_parameters("asd")`): the host's attributes.
    for (field, expected) in [
        ("port", json!(65020)),
        ("hostname", json!("localhost")),
        ("username", json!("root")),
        ("password", json!("***")),
        ("platform", json!("eos")),
    ] {
        facts.push(fact("dev1.group_1", field, expected));
    }
    facts
}

/// The layer `inventory show --explain` names for each password nornir's
/// `test_attributes_resolution` asserts (each value is set on exactly one layer of the file).
const PASSWORDS: [(&str, &str); 6] = [
    ("dev1.group_1", "host"),
    ("dev2.group_1", "group group_1"),
    ("dev3.group_2", "defaults"),
    ("dev4.group_2", "group parent_group"),
    ("dev5.no_group", "defaults"),
    ("dev6.group_3", "group parent_group"),
];

/// nornir's `host.data["my_var"]` (the host's own data) raises `KeyError` for these: the value
/// is inherited, so `--explain` must not name the host.
const INHERITED: [(&str, &str); 2] = [
    ("dev2.group_1", "group group_1"),
    ("dev3.group_2", "defaults"),
];

fn lookup<'a>(host: &'a Value, field: &str) -> &'a Value {
    let mut value = host;
    for part in field.split('.') {
        value = &value[part];
    }
    value
}

/// The source column of `netrun inventory show HOST --explain` for `key`.
fn explained_source(dir: &std::path::Path, host: &str, key: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(std::env::temp_dir())
        .arg("--inventory")
        .arg(dir)
        .args(["inventory", "show", host, "--explain"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run netrun");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines() {
        let columns: Vec<&str> = line
            .trim()
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if columns.first() == Some(&key) {
            // "null here, inherited from group g": the layer that decided is the last named.
            let source = columns.last().unwrap_or(&"");
            return source
                .rsplit_once("inherited from ")
                .map_or(*source, |(_, layer)| layer)
                .to_string();
        }
    }
    panic!("no `{key}` row in the explanation of {host}:\n{stdout}");
}

/// Checks nornir's resolution assertions against netrun; returns how many were checked.
pub fn assertions(dir: &std::path::Path) -> usize {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(std::env::temp_dir())
        .arg("--inventory")
        .arg(dir)
        .args(["inventory", "--format", "json"])
        .output()
        .expect("run netrun");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("netrun prints JSON");
    let hosts = doc["hosts"].as_array().expect("hosts");
    let host = |name: &str| -> &Value {
        hosts
            .iter()
            .find(|h| h["name"] == name)
            .unwrap_or_else(|| panic!("netrun has no host {name}"))
    };
    let mut wrong = Vec::new();
    let mut checked = 0;
    for f in facts() {
        checked += 1;
        let got = lookup(host(f.host), f.field);
        if *got != f.expected {
            wrong.push(format!(
                "{}: {}: nornir asserts {}, netrun {got}",
                f.host, f.field, f.expected
            ));
        }
    }
    for (name, layer) in PASSWORDS {
        checked += 1;
        let source = explained_source(dir, name, "password");
        if source != layer {
            wrong.push(format!(
                "{name}: password: nornir's value is {layer}'s, netrun took {source}'s"
            ));
        }
    }
    for (name, layer) in INHERITED {
        checked += 1;
        let source = explained_source(dir, name, "data.my_var");
        if source != layer {
            wrong.push(format!(
                "{name}: data.my_var: inherited from {layer} in nornir, netrun: {source}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "nornir's inventory assertions that fail:\n{}",
        wrong.join("\n")
    );
    // Blank usernames inherit, so `check` accepts every host (it refused them all before).
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(std::env::temp_dir())
        .arg("--inventory")
        .arg(dir)
        .arg("check")
        .output()
        .expect("run netrun");
    assert!(
        check.status.success(),
        "netrun check refuses nornir's test inventory:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    checked
}
