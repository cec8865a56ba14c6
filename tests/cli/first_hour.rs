//! The first hour of a new user with nornir and Ansible habits (issue 18): mistakes answered
//! with what was meant, one name for the output flag, output that scales to the fleet, a
//! project to start from, and the tools a CLI is expected to have.

use insta::assert_snapshot;

use crate::support::{Scratch, Session, netrun, netrun_in, without_timings};

/// Sessions one after another, as a terminal would show them.
fn transcript(sessions: &[Session]) -> String {
    sessions
        .iter()
        .map(|s| without_timings(&s.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_host_name_given_as_a_command_is_refused_with_the_selector_meant() {
    let host = netrun(&["command", "show version", "edge01.earth", "--lab"]);
    let group = netrun(&["command", "show version", "leaf", "--lab"]);
    let glob = netrun(&["command", "show version", "edge*", "--lab"]);
    for session in [&host, &group, &glob] {
        assert_eq!(session.code, 2, "{session}");
        assert!(session.stdout.is_empty(), "nothing ran: {session}");
    }
    assert_snapshot!(transcript(&[host, group, glob]));
}

#[test]
fn commands_after_a_double_dash_are_sent_as_they_are() {
    // `--` says "these are commands": a word that is also a host name is sent as typed.
    let session = netrun(&[
        "command",
        "--hosts",
        "leaf01.mars",
        "--lab",
        "--output",
        "json",
        "--",
        "show version",
        "leaf01.mars",
    ]);
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("leaf01.mars"),
        "the second command was sent: {session}"
    );
    // Several commands without host names still run in order.
    let session = netrun(&[
        "command",
        "show version",
        "show clock",
        "--hosts",
        "edge01.earth",
        "--lab",
    ]);
    assert_eq!(session.code, 0, "{session}");
}

#[test]
fn selection_typos_get_the_nearest_names() {
    let sessions = [
        netrun(&["inventory", "--filter", "stie=earth"]),
        netrun(&["inventory", "--filter", "site=eatrh"]),
        netrun(&["inventory", "--filter", "groups=leef"]),
        netrun(&["inventory", "--filter", "platform=cisco_iso"]),
        netrun(&["inventory", "--hosts", "edge01"]),
        netrun(&["inventory", "--hosts", "spine"]),
        netrun(&["inventory", "--where", "stie == \"earth\""]),
        netrun(&["inventory", "--hosts", "edge*", "--filter", "site=venus"]),
        netrun(&["inventory", "show", "edge1.earth"]),
    ];
    for session in &sessions {
        assert_eq!(session.code, 2, "{session}");
    }
    assert_snapshot!(transcript(&sessions));
}

#[test]
fn task_and_platform_typos_get_the_nearest_names() {
    let sessions = [
        netrun(&["run", "get_vresion", "--lab"]),
        netrun(&["platforms", "cisco_iso"]),
    ];
    for session in &sessions {
        assert_eq!(session.code, 2, "{session}");
    }
    assert_snapshot!(transcript(&sessions));
}

#[test]
fn ansible_habits_name_netruns_way() {
    let sessions = [
        netrun(&["command", "show version", "--limit", "edge01.earth"]),
        netrun(&["command", "show version", "-f", "20"]),
        netrun(&["command", "show version", "-C"]),
        netrun(&["run", "set_ntp", "-e", "servers=10.0.0.1"]),
        netrun(&["command", "show version", "-k"]),
        netrun(&["command", "show version", "-u", "admin"]),
        netrun(&["inventory", "--filtre", "site=earth"]),
    ];
    for session in &sessions {
        assert_eq!(session.code, 2, "{session}");
    }
    assert_snapshot!(transcript(&sessions));
}

#[test]
fn one_output_flag_everywhere_and_explain_honours_it() {
    // `--output`/`-o` for every command; `--format` still works on inventory.
    let short = netrun(&["inventory", "--hosts", "edge01.earth", "-o", "json"]);
    let old = netrun(&["inventory", "--hosts", "edge01.earth", "--format", "json"]);
    assert_eq!(short.code, 0, "{short}");
    assert_eq!(short.stdout, old.stdout);
    let explain = netrun(&[
        "inventory",
        "show",
        "edge01.earth",
        "--explain",
        "--output",
        "json",
    ]);
    assert_eq!(explain.code, 0, "{explain}");
    let doc: serde_json::Value = serde_json::from_str(&explain.stdout)
        .unwrap_or_else(|e| panic!("--explain --output json is JSON ({e}): {explain}"));
    let rows = doc.as_array().expect("a list of rows");
    let platform = rows
        .iter()
        .find(|row| row["key"] == "platform")
        .expect("a platform row");
    assert_eq!(platform["value"], "ios");
    assert_eq!(platform["source"], "group ios");
    let password = rows
        .iter()
        .find(|row| row["key"] == "password")
        .expect("password");
    assert_eq!(password["value"], "***", "secrets stay hidden");
}

/// A lab inventory of `count` hosts where every 10th refuses the login and every 25th is a
/// Linux server (`show version` fails there).
fn fleet(count: usize) -> Scratch {
    let scratch = Scratch::new();
    let mut hosts = String::new();
    for i in 1..=count {
        let (platform, lab) = if i % 25 == 0 {
            ("linux", "")
        } else if i % 10 == 0 {
            ("ios", "reject_auth: true")
        } else {
            ("ios", "")
        };
        hosts.push_str(&format!(
            "r{i:03}: {{platform: {platform}, username: ops, password: lab-pw, data: {{lab: {{{lab}}}}}}}\n"
        ));
    }
    scratch.file("inventory/hosts.yaml", &hosts);
    scratch
}

#[test]
fn a_large_run_lists_only_the_hosts_not_ok_then_a_recap_by_cause() {
    let scratch = fleet(120);
    let session = scratch.netrun(&["command", "show version", "--lab", "--workers", "40"]);
    assert_eq!(session.code, 1, "{session}");
    assert_snapshot!(without_timings(&session.to_string()));
    // --all-rows lists every host; the recap still closes the table.
    let all = scratch.netrun(&[
        "command",
        "show version",
        "--lab",
        "--workers",
        "40",
        "--all-rows",
    ]);
    assert_eq!(all.code, 1, "{all}");
    assert_eq!(
        all.stdout.lines().filter(|l| l.starts_with(" r")).count(),
        120
    );
    assert!(all.stdout.contains("not ok: 14 hosts, by cause"), "{all}");
}

#[test]
fn quiet_prints_only_the_hosts_not_ok_and_the_summary() {
    let scratch = fleet(12);
    let session = scratch.netrun(&["command", "show version", "--lab", "-q"]);
    assert_eq!(session.code, 1, "{session}");
    assert_snapshot!(without_timings(&session.to_string()));
    let ok = netrun(&[
        "command",
        "show version",
        "--hosts",
        "edge01.earth",
        "--lab",
        "-q",
    ]);
    assert_eq!(ok.code, 0, "{ok}");
    assert_snapshot!(without_timings(&ok.to_string()));
}

#[test]
fn outside_a_project_tasks_says_so() {
    let scratch = Scratch::new();
    let session = scratch.netrun(&["tasks"]);
    assert_eq!(session.code, 2, "{session}");
    let inventory = scratch.netrun(&["inventory"]);
    assert_eq!(inventory.code, 2, "{inventory}");
    assert_snapshot!(transcript(&[session, inventory]));
}

#[test]
fn init_writes_a_project_that_runs_against_the_lab_at_once() {
    let scratch = Scratch::new();
    let init = scratch.netrun(&["init", "fleet"]);
    assert_eq!(init.code, 0, "{init}");
    let project = scratch.path.join("fleet");
    let inventory = netrun_in(&project, &["inventory"], &[]);
    let tasks = netrun_in(&project, &["tasks"], &[]);
    let run = netrun_in(
        &project,
        &["run", "get_version", "--filter", "site=north", "--lab"],
        &[],
    );
    assert_eq!(run.code, 0, "{run}");
    let check = netrun_in(&project, &["check"], &[]);
    assert_eq!(check.code, 0, "{check}");
    let again = scratch.netrun(&["init", "fleet"]);
    assert_eq!(again.code, 2, "{again}");
    assert_snapshot!(transcript(&[init, inventory, tasks, run, again]));
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let session = netrun(&["completions", shell]);
        assert_eq!(session.code, 0, "{session}");
        assert!(session.stdout.contains("netrun"), "{session}");
        assert!(session.stdout.contains("filter"), "{shell} completes flags");
    }
    let bash = Scratch::new();
    let script = netrun(&["completions", "bash"]).stdout;
    bash.file("netrun.bash", &script);
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(bash.path.join("netrun.bash"))
        .status()
        .expect("run bash -n (tests/prerequisites.sh installs bash)");
    assert!(checked.success(), "the bash script parses");
    let man = netrun(&["man"]);
    assert_eq!(man.code, 0, "{man}");
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH netrun"),
        "{man}"
    );
    assert!(man.stdout.contains("completions"), "{man}");
}
