//! netrun against nornir itself: the same SimpleInventory directory is loaded by nornir
//! (`tests/fixtures/nornir_inventory.py`, with the nornir version pinned in
//! tests/prerequisites.sh) and by `netrun inventory --format json`, and every resolved field of
//! every host is compared: the attributes, the direct groups and the group order, every data
//! key, and every field of every connection plugin named on the host's path (nornir's
//! `host.get_connection_parameters(PLUGIN)`, which netrun's `connection_options` mirror).
//!
//! A difference fails the test unless the `ALLOWED` table of `allowed.rs` lists it with the
//! rule (README, "Differences from nornir") that explains it, and that rule's check confirms
//! the difference is of its kind. An entry no difference needs fails the test too, so the
//! table never outlives what it excuses.
//!
//! Passwords: netrun never prints one (`"***"`), so for the host's and each connection's
//! `password` the test compares presence (set or null) only. nornir's values are printed by the
//! script and mapped to `"***"` here; secret-named data and extras keys likewise (README,
//! "Secrets").

mod allowed;
mod compare;
mod generate;
mod own;
mod sides;

use std::path::PathBuf;

use compare::Report;

/// The nornir release the expected values come from; tests/prerequisites.sh installs it.
const NORNIR_VERSION: &str = "3.6.0";

/// Environment for the `env` fixture (netrun expands `${VAR}`; nornir keeps the text).
const ENV: [(&str, &str); 5] = [
    ("NETRUN_NORNIR_USER", "envuser"),
    ("NETRUN_NORNIR_PASSWORD", "env-pw"),
    ("NETRUN_NORNIR_DOMAIN", "env.example"),
    ("NETRUN_NORNIR_SECRET", "env-secret"),
    ("NETRUN_NORNIR_PORT", "2424"),
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nornir")
        .join(name)
}

/// Compares one inventory directory and fails on what the allowed table does not explain.
fn differential(name: &str, dir: &std::path::Path) -> Report {
    let nornir = sides::nornir(dir);
    assert_eq!(
        nornir.version, NORNIR_VERSION,
        "the nornir found by python3 is not the pinned one: run `bash tests/prerequisites.sh`"
    );
    let netrun = sides::netrun(dir, &ENV);
    let report = compare::compare(name, &nornir, &netrun);
    println!("{}", report.summary());
    assert!(report.passed(), "{}", report.failure());
    report
}

#[test]
fn nested_groups_match_nornir() {
    let report = differential("nested", &fixture("nested"));
    assert!(
        report.hosts >= 9,
        "the fixture lost hosts: {}",
        report.summary()
    );
}

#[test]
fn blanks_and_nulls_match_nornir() {
    differential("blanks", &fixture("blanks"));
}

#[test]
fn connection_options_match_nornir() {
    differential("connections", &fixture("connections"));
}

#[test]
fn yaml_anchors_match_nornir() {
    differential("anchors", &fixture("anchors"));
}

#[test]
fn yaml_merge_keys_match_nornir() {
    differential("merge_keys", &fixture("merge_keys"));
}

#[test]
fn bom_and_numbers_match_nornir() {
    differential("bom_numbers", &fixture("bom_numbers"));
}

#[test]
fn environment_variables_differ_only_as_documented() {
    differential("env", &fixture("env"));
}

#[test]
fn a_thousand_generated_hosts_match_nornir() {
    let dir = generate::Scratch::new("generated");
    generate::inventory(&dir.path, 1000);
    let report = differential("generated", &dir.path);
    assert_eq!(report.hosts, 1000, "{}", report.summary());
}

/// The example fleet of the repository (`inventory/`, README's examples).
#[test]
fn the_example_fleet_matches_nornir() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("inventory");
    let report = differential("example", &dir);
    assert!(report.hosts >= 10, "{}", report.summary());
}

/// nornir's own test inventories (not in this repository): `NORNIR_SRC=/path/to/nornir cargo
/// test --test nornir -- --ignored`.
#[test]
#[ignore = "needs NORNIR_SRC, nornir's source at the pinned tag (its test files are not copied here)"]
fn nornirs_own_test_inventories_match_nornir() {
    let src = own::source();
    let main = differential("nornir_tests", &src.join("tests/inventory_data"));
    let plugin = differential(
        "nornir_plugin_tests",
        &src.join("tests/plugins/inventory/data"),
    );
    let checked = own::assertions(&src.join("tests/inventory_data"));
    println!(
        "nornir's own inventories: {} hosts, {} fields; {checked} of nornir's resolution assertions hold",
        main.hosts + plugin.hosts,
        main.fields + plugin.fields
    );
}

/// Every fixture directory is compared by one of the tests above.
#[test]
fn every_fixture_is_compared() {
    let mut found: Vec<String> = std::fs::read_dir(fixture(""))
        .expect("read tests/fixtures/nornir")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let tested = [
        "anchors",
        "blanks",
        "bom_numbers",
        "connections",
        "env",
        "merge_keys",
        "nested",
    ];
    assert_eq!(found, tested, "add a test for each fixture directory");
}

/// The comparison can fail: a value changed on one side is reported, with both values.
#[test]
fn a_changed_value_is_reported() {
    let dir = fixture("nested");
    let nornir = sides::nornir(&dir);
    let mut netrun = sides::netrun(&dir, &[]);
    let host = netrun.hosts.iter_mut().find(|h| h.name == "docstring");
    let host = host.expect("docstring host");
    host.fields
        .insert("data.who".into(), serde_json::json!("tampered"));
    host.fields.remove("group_order");
    let report = compare::compare("nested", &nornir, &netrun);
    assert!(!report.passed());
    let failure = report.failure();
    assert!(failure.contains("docstring: data.who"), "{failure}");
    assert!(failure.contains("\"tampered\""), "{failure}");
    assert!(failure.contains("docstring: group_order"), "{failure}");
}

/// tests/prerequisites.sh installs the version this file expects.
#[test]
fn prerequisites_pin_the_same_nornir() {
    let script = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/prerequisites.sh"),
    )
    .expect("read tests/prerequisites.sh");
    assert!(
        script.contains(&format!("NORNIR_VERSION={NORNIR_VERSION}\n")),
        "tests/prerequisites.sh must pin nornir {NORNIR_VERSION}"
    );
}
