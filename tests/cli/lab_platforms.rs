//! The lab simulates every built-in platform the way netrun's own platform table expects: one
//! `netrun run --lab` over a host of each platform logs in (enable secret set, so platforms with
//! an enable step start unprivileged), runs a command whose output is full of prompt-like lines
//! twice, changes the configuration where the platform has a configuration mode, and runs the
//! command once more. Whole outputs read the same every time and never leak into the next step.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::Scratch;

/// A configuration line each platform's CLI accepts (most take any line; set-style CLIs want
/// their verb).
fn config_line(platform: &str) -> &'static str {
    match platform {
        "junos" | "vyos" | "ubiquiti_edgerouter" | "juniper_screenos" | "paloalto_panos" => {
            "set system location lab"
        }
        "nokia_sros" => "/configure system location lab",
        "cumulus_linux" => "nv set system message pre-login lab",
        "checkpoint_gaia" => "set snmp location lab",
        "fortinet" => "config system global",
        "mikrotik_routeros" => "/system identity print",
        _ => "snmp-server location lab",
    }
}

/// Platforms the lab and netrun do not agree on yet, and why. The test fails when one of them
/// starts working (take it off the list) as well as when another one breaks.
const KNOWN_GAPS: &[(&str, &str)] = &[
    (
        "avaya_ers",
        "the lab's Ctrl-Y login question is not answered by netrun's login hook",
    ),
    (
        "cisco_wlc",
        "the lab's `User:` login question and netrun's login hooks do not meet",
    ),
    (
        "fortinet_wlc",
        "the table's user prompt base includes `(1)`, its config prompt's does not",
    ),
    (
        "nokia_srl",
        "config prompt equals the exec prompt; the lab shows no candidate marker",
    ),
    (
        "nokia_sros_classic",
        "the table's example prompts use different names per mode",
    ),
    (
        "teldat_cit",
        "leaving configuration is Ctrl-P, which the lab does not simulate",
    ),
];

fn normalised(text: &str) -> String {
    // Clock lines may tick between two reads.
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}

#[test]
fn every_built_in_platform_runs_through_the_lab_with_whole_outputs() {
    let scratch = Scratch::new();
    let builtin = netrun::platform::Platforms::builtin();
    let simulations = netrun::lab::simulations().expect("the lab's data loads");
    let mut hosts = String::new();
    let mut expect_config = BTreeMap::new();
    for name in builtin.names() {
        let platform = builtin.get(name).expect("listed platform");
        let look = simulations
            .iter()
            .find(|s| s.platform == name)
            .map(|s| s.lookalike.clone())
            .unwrap_or_else(|| panic!("the lab simulates {name}"));
        // Platforms configured by exec commands (Cumulus `nv set`) have no configuration mode.
        let has_config = platform
            .def
            .config
            .as_ref()
            .is_some_and(|c| !c.enter.is_empty());
        expect_config.insert(name.to_string(), has_config);
        hosts.push_str(&format!(
            "lab-{host}:\n  platform: {name}\n  username: ops\n  password: pw\n  \
             connection_options: {{ssh: {{extras: {{secret: en-pw}}}}}}\n  \
             data: {{lookalike: {look:?}, config_line: {line:?}, config_mode: {has_config}}}\n",
            host = name.replace('_', "-"),
            line = config_line(name),
        ));
    }
    scratch.file("inventory/hosts.yaml", &hosts);
    scratch.file(
        "tasks/lab_check.yaml",
        "steps:\n\
         \x20 - {name: look1, command: '{{ host.lookalike }}'}\n\
         \x20 - {name: look2, command: '{{ host.lookalike }}'}\n\
         \x20 - {name: config, when: host.config_mode, config: ['{{ host.config_line }}']}\n\
         \x20 - {name: look3, command: '{{ host.lookalike }}'}\n",
    );
    let session = scratch.netrun(&["run", "lab_check", "--lab", "--output", "json"]);
    let doc: Value =
        serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("{e}: {session}"));
    let mut table = Vec::new();
    let mut bad = Vec::new();
    for host in doc["hosts"].as_array().expect("hosts") {
        let name = host["host"].as_str().unwrap_or_default();
        let platform = name.trim_start_matches("lab-").replace('-', "_");
        let node = |step: &str| {
            host["results"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["name"] == step)
                .cloned()
                .unwrap_or_default()
        };
        let status = |step: &str| {
            node(step)["status"]
                .as_str()
                .unwrap_or("missing")
                .to_string()
        };
        let text = |step: &str| {
            node(step)["result"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let mut problems = Vec::new();
        for step in ["look1", "look2", "look3"] {
            if status(step) != "ok" {
                problems.push(format!("{step} {}: {}", status(step), node(step)["error"]));
            }
        }
        if text("look1").trim().is_empty() {
            problems.push("empty output".into());
        }
        if normalised(&text("look1")) != normalised(&text("look2"))
            || normalised(&text("look1")) != normalised(&text("look3"))
        {
            problems.push(format!(
                "outputs differ:\n--- look1\n{}\n--- look2\n{}\n--- look3\n{}",
                text("look1"),
                text("look2"),
                text("look3")
            ));
        }
        let config = status("config");
        let config_ok = if expect_config.get(&platform).copied().unwrap_or(false) {
            config == "changed" || config == "ok"
        } else {
            config == "skipped"
        };
        if !config_ok {
            problems.push(format!("config {config}: {}", node("config")["error"]));
        }
        table.push(format!(
            "{platform:<24} lookalike {:<6} config {config}",
            if problems.is_empty() { "whole" } else { "BAD" }
        ));
        if !problems.is_empty() {
            bad.push(format!("{platform}: {}", problems.join("; ")));
        }
    }
    println!("{}", table.join("\n"));
    assert_eq!(
        table.len(),
        expect_config.len(),
        "every platform reported: {session}"
    );
    let mut failing: Vec<&str> = bad
        .iter()
        .map(|b| b.split(':').next().unwrap_or_default())
        .collect();
    let mut known: Vec<&str> = KNOWN_GAPS.iter().map(|(p, _)| *p).collect();
    failing.sort_unstable();
    known.sort_unstable();
    assert_eq!(
        failing,
        known,
        "platforms that misbehave (known gaps: {KNOWN_GAPS:?}):\n{}",
        bad.join("\n\n")
    );
}
