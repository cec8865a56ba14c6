//! `netrun command` against the built-in lab: the README's main job and its outputs.

use insta::assert_snapshot;

use crate::support::{Scratch, netrun, repo, without_timings};

#[test]
fn show_version_on_one_site_of_the_lab() {
    let session = netrun(&[
        "command",
        "show version",
        "--filter",
        "site=earth",
        "--filter",
        "role!=server",
        "--lab",
    ]);
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!(without_timings(&session.to_string()));
}

#[test]
fn a_host_that_cannot_run_the_command_fails_alone() {
    // srv01.earth is a Linux server: `show version` is not a command there.
    let session = netrun(&[
        "command",
        "show version",
        "--filter",
        "site=earth",
        "--lab",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    assert_eq!(doc["summary"]["hosts"], 7);
    assert_eq!(doc["summary"]["ok"], 6);
    assert_eq!(doc["summary"]["failed"], 1);
    let hosts = doc["hosts"].as_array().expect("hosts");
    let names: Vec<&str> = hosts
        .iter()
        .map(|h| h["host"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "edge01.earth",
            "edge02.earth",
            "spine01.earth",
            "spine02.earth",
            "leaf01.earth",
            "leaf02.earth",
            "srv01.earth"
        ],
        "hosts in inventory order"
    );
    let server = &hosts[6];
    assert_eq!(server["status"], "failed");
    // The shell's own complaint, from stderr, names the cause.
    assert_eq!(
        server["error"], "'show version' exited with status 127: bash: show: command not found",
        "{server}"
    );
    // The host's own os_version beats its platform group's.
    let edge = hosts[0]["results"][0]["result"]
        .as_str()
        .unwrap_or_default();
    assert!(edge.contains("Version 15.2(7)E4"), "{edge}");
    assert!(
        !edge.contains("show version"),
        "the echo is stripped: {edge}"
    );
    assert!(!edge.contains("edge01#"), "the prompt is stripped: {edge}");
    assert!(!edge.contains('\r'), "line endings are normalised");
}

#[test]
fn several_commands_run_in_order_and_raw_output_shows_them() {
    let session = netrun(&[
        "command",
        "show version",
        "show ip interface brief",
        "--hosts",
        "leaf01.mars",
        "--lab",
        "--output",
        "raw",
    ]);
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!(without_timings(&session.to_string()));
}

#[test]
fn save_failed_then_rerun_just_those_hosts() {
    let scratch = Scratch::new();
    let failed = scratch.path.join("failed.txt");
    let saved = scratch.path.join("out");
    let session = netrun(&[
        "command",
        "show running-config",
        "--filter",
        "site=earth",
        "--lab",
        "--save-failed",
        failed.to_str().unwrap_or_default(),
        "--save-dir",
        saved.to_str().unwrap_or_default(),
    ]);
    assert_eq!(session.code, 1, "{session}");
    // Junos and Linux have no `show running-config`: those two fail, the rest are backed up.
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap_or_default(),
        "leaf02.earth\nsrv01.earth\n"
    );
    let backup = std::fs::read_to_string(saved.join("edge01.earth.txt")).unwrap_or_default();
    assert!(backup.contains("hostname edge01"), "{backup}");
    let rerun = netrun(&["inventory", "--hosts", &format!("@{}", failed.display())]);
    assert_eq!(rerun.code, 0, "{rerun}");
    assert!(
        rerun.stdout.contains("srv01.earth") && rerun.stdout.contains("leaf02.earth"),
        "{rerun}"
    );
    assert!(!rerun.stdout.contains("edge01"), "{rerun}");
}

#[test]
fn host_names_cannot_write_outside_the_save_and_log_directories() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "\"sub/r1\": {platform: ios, username: u, password: p}\n\"../escaped\": {platform: ios, username: u, password: p}\n",
    );
    let session = scratch.netrun(&[
        "command",
        "show clock",
        "--lab",
        "--save-dir",
        "out/saved",
        "--session-log",
        "out/logs",
    ]);
    assert_eq!(session.code, 0, "{session}");
    let mut files: Vec<String> = ["out/saved", "out/logs", "out"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(scratch.path.join(dir))
                .into_iter()
                .flatten()
        })
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            entry.path().is_file().then_some(name)
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "%2E.%2Fescaped.log",
            "%2E.%2Fescaped.txt",
            "sub%2Fr1.log",
            "sub%2Fr1.txt"
        ]
    );
    assert!(!scratch.path.join("out/escaped.txt").exists());
    assert!(!scratch.path.join("out/saved/sub").exists());
}

#[test]
fn hosts_that_cannot_be_connected_stop_the_run_before_it_starts() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1: {platform: ios, username: u}\nr2: {username: u}\nr3: {platform: vax, username: u}\nr4:\n  platform: ios\n  username: u\n  connection_options: {ssh: {extras: {known_hosts: sometimes}}}\n",
    );
    // --strict-platforms keeps the refusal of hosts without a known platform.
    let session = scratch.netrun(&["--strict-platforms", "command", "show version"]);
    assert_eq!(session.code, 2, "{session}");
    assert!(session.stdout.is_empty(), "{session}");
    assert_snapshot!(session);
}

#[test]
fn hosts_without_a_known_platform_are_driven_as_generic_with_a_warning() {
    let scratch = Scratch::new();
    scratch.file(
        "inventory/hosts.yaml",
        "r1: {username: u, password: p}
r2: {platform: huawei_vx, username: u, password: p}
r3: {platform: ios, username: u, password: p}
",
    );
    let session = scratch.netrun(&["command", "show version", "--lab"]);
    assert_eq!(session.code, 0, "{session}");
    assert!(
        session.stderr.contains(
            "netrun: warning: 1 host driven as the `generic` platform (no platform set): r1;"
        ),
        "{session}"
    );
    assert!(
        session.stderr.contains(
            "1 host driven as the `generic` platform (unknown platform `huawei_vx`, did you mean \
             `huawei_ce`, `huawei_ne` or `huawei_vrp`?): r2;"
        ),
        "{session}"
    );
    assert!(session.stdout.contains("3 hosts: 3 ok"), "{session}");
}

#[test]
fn lab_refuses_non_loopback_addresses() {
    let session = crate::support::netrun_in(&repo(), &["lab", "--listen", "0.0.0.0:0"], &[]);
    assert_eq!(session.code, 2, "{session}");
    assert!(session.stderr.contains("only binds loopback"), "{session}");
}

#[test]
fn dry_run_belongs_to_tasks_not_to_raw_commands() {
    // `command` sends exactly what it is given; pretending to dry-run it would send changes.
    let session = netrun(&["command", "hostname CHANGED", "--dry-run", "--lab"]);
    assert_eq!(session.code, 2, "{session}");
    assert!(session.stdout.is_empty(), "{session}");
    assert!(
        session
            .stderr
            .contains("unexpected argument '--dry-run' found"),
        "{session}"
    );
}

/// Runs netrun at the repository root with its stdout already closed by the reader, like
/// `netrun ... | true`; returns the exit code and stderr.
fn with_closed_stdout(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netrun"))
        .current_dir(repo())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start netrun");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait for netrun");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_goes_away_changes_neither_the_exit_code_nor_the_files() {
    let scratch = Scratch::new();
    let failed = scratch.path.join("failed.txt");
    for output in ["table", "json", "ndjson"] {
        let _ = std::fs::remove_file(&failed);
        let (code, stderr) = with_closed_stdout(&[
            "command",
            "show version",
            "--filter",
            "site=earth",
            "--lab",
            "--output",
            output,
            "--save-failed",
            failed.to_str().unwrap_or_default(),
        ]);
        assert_eq!(
            code,
            Some(1),
            "{output}: srv01.earth still failed; {stderr}"
        );
        assert_eq!(stderr, "", "{output}: a closed pipe is not an error");
        assert_eq!(
            std::fs::read_to_string(&failed).unwrap_or_default(),
            "srv01.earth\n",
            "{output}"
        );
    }
    for format in ["table", "json", "yaml"] {
        let (code, stderr) = with_closed_stdout(&["inventory", "--format", format]);
        assert_eq!((code, stderr.as_str()), (Some(0), ""), "{format}");
    }
}

#[test]
fn saved_output_keeps_each_step_on_its_own_lines_and_leaves_out_skips() {
    let scratch = Scratch::new();
    let dir = scratch.path.join("saved");
    let dir_arg = dir.to_str().unwrap_or_default();
    let session = netrun(&[
        "command",
        "show clock",
        "show clock",
        "--hosts",
        "spine02.earth",
        "--lab",
        "--save-dir",
        dir_arg,
    ]);
    assert_eq!(session.code, 0, "{session}");
    let text = std::fs::read_to_string(dir.join("spine02.earth.txt")).unwrap_or_default();
    assert_eq!(text.matches("Clock source: local\n").count(), 2, "{text}");
    // The upgrade task skips its install and confirm steps where the version already matches.
    let session = netrun(&[
        "run",
        "upgrade_os_cli",
        "--arg",
        "version=15.2(7)E4",
        "--hosts",
        "edge01.earth",
        "--lab",
        "--save-dir",
        dir_arg,
    ]);
    assert_eq!(session.code, 0, "{session}");
    let text = std::fs::read_to_string(dir.join("edge01.earth.txt")).unwrap_or_default();
    assert!(
        text.ends_with("Configuration register is 0x2102\n"),
        "{text}"
    );
    assert!(!text.contains("skipped"), "{text}");
}

#[test]
fn the_upgrade_example_dry_runs_cleanly() {
    let session = netrun(&[
        "run",
        "upgrade_os_cli",
        "--arg",
        "version=15.2(7)E4",
        "--filter",
        "platform=ios",
        "--lab",
        "--dry-run",
    ]);
    assert_eq!(session.code, 0, "{session}");
}
