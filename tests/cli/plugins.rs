//! Shared-library connection plugins through the real binary: the Rust example (acmeos, built
//! with cargo) and the C example (echo, built with cc), broken libraries, and the seed demo.

use std::time::{Duration, Instant};

use crate::support::plugins::{acme_scratch, acme_version, acmeos, c_plugin, lib_arg, run_acme};
use crate::support::{Scratch, netrun_in, repo};

#[test]
fn plugins_lists_builtin_and_loaded() {
    let s = Scratch::new();
    let echo = c_plugin(&s.path, "echo", &[]);
    let acme = lib_arg(acmeos());
    let session = s.netrun(&["--plugin", &acme, "--plugin", &lib_arg(&echo), "plugins"]);
    assert_eq!(session.code, 0, "{session}");
    for expected in [
        "ssh",
        "built-in",
        "acmeos",
        "get_version (read-only)",
        "install_os_version\n",
        "echo (read-only)",
        "1.0.0",
        "custom",
    ] {
        assert!(session.stdout.contains(expected), "{expected}: {session}");
    }
    assert!(!session.stdout.contains("broken"), "{session}");
}

#[test]
fn broken_plugins_are_listed_and_only_fail_tasks_that_need_them() {
    let s = Scratch::new();
    let good = c_plugin(&s.path, "echo", &[]);
    let cases = [
        (
            "nosym",
            vec!["-DNR_TEST_NO_SYMBOL"],
            "missing symbol `netrun_plugin_init`",
        ),
        (
            "abi2",
            vec!["-DNR_TEST_ABI=2"],
            "ABI version 2 is not supported",
        ),
        (
            "small",
            vec!["-DNR_TEST_SMALL"],
            "function table too small: 8 bytes",
        ),
        (
            "badname",
            vec!["-DNR_TEST_NAME=\"Bad-Name\""],
            "bad name `Bad-Name`",
        ),
        ("dup", vec![], "name `echo` is already used by"),
        (
            "sshname",
            vec!["-DNR_TEST_NAME=\"ssh\""],
            "name `ssh` is taken by a built-in plugin",
        ),
        (
            "initerr",
            vec!["-DNR_TEST_INIT_ERROR", "-DNR_TEST_NAME=\"licensed\""],
            "init failed (code 1): license file not found",
        ),
    ];
    let mut args = vec!["--plugin".to_string(), lib_arg(&good)];
    for (name, defines, _) in &cases {
        let lib = c_plugin(&s.path, name, defines);
        args.extend(["--plugin".to_string(), lib_arg(&lib)]);
    }
    let args_ref = |extra: &[&str]| -> Vec<String> {
        let mut all = args.clone();
        all.extend(extra.iter().map(|a| a.to_string()));
        all
    };
    let run = |extra: &[&str]| {
        let all = args_ref(extra);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        s.netrun(&refs)
    };
    let listing = run(&["plugins"]);
    assert_eq!(listing.code, 0, "{listing}");
    assert!(listing.stdout.contains("broken plugins:"), "{listing}");
    for (name, _, reason) in &cases {
        let line = listing
            .stdout
            .lines()
            .find(|l| l.contains(&format!("{name}.so: ")))
            .unwrap_or_else(|| panic!("no line for {name}: {listing}"));
        assert!(line.contains(reason), "{name}: {line}");
    }

    s.file("inventory/hosts.yaml", "r1: {}\nr2: {}\n")
        .file(
            "tasks/echo.yaml",
            "connection: echo\nsteps:\n  - call: echo\n    args: {x: 1}\n",
        )
        .file(
            "tasks/licensed.yaml",
            "connection: licensed\nsteps:\n  - call: anything\n",
        );
    // A task needing a broken plugin fails validation (exit 2) with the plugin's reason; a task
    // that does not use it runs, with the other file still in the tasks directory.
    let needing = run(&["run", "licensed"]);
    assert_eq!(needing.code, 2, "{needing}");
    assert!(needing.stderr.contains("licensed"), "{needing}");
    assert!(
        needing.stderr.contains("license file not found"),
        "{needing}"
    );

    let ok = run(&["run", "echo", "--output", "json"]);
    assert_eq!(ok.code, 0, "{ok}");
    assert!(ok.stdout.contains("\"x\": 1"), "{ok}");
}

#[test]
fn a_panicking_plugin_op_fails_only_its_host() {
    let s = acme_scratch(
        "good: {}\nboom: {}\n",
        &[(
            "t",
            "connection: acmeos\nsteps:\n  - call: panic\n  - call: get_version\n",
        )],
    );
    let session = run_acme(&s, &["run", "t", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let hosts = doc["hosts"].as_array().expect("hosts");
    let status = |name: &str| {
        hosts
            .iter()
            .find(|h| h["host"] == name)
            .map(|h| h["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(status("good"), "ok", "{session}");
    assert_eq!(status("boom"), "failed", "{session}");
    assert!(
        session
            .stdout
            .contains("plugin panicked: acmeos bug on boom"),
        "{session}"
    );
}

#[test]
fn a_hundred_hosts_run_concurrently_through_a_plugin() {
    let hosts: String = (0..100).map(|i| format!("h{i:03}: {{}}\n")).collect();
    let s = acme_scratch(
        &hosts,
        &[(
            "slow",
            "connection: acmeos\nsteps:\n  - call: sleep\n    args: {ms: 300}\n",
        )],
    );
    let _ = acmeos();
    let started = Instant::now();
    let session = run_acme(&s, &["run", "slow", "--output", "json"]);
    let took = started.elapsed();
    assert_eq!(session.code, 0, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let hosts = doc["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 100, "{session}");
    assert!(hosts.iter().all(|h| h["status"] == "ok"), "{session}");
    // Serially this would take 30 s.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn dry_run_skips_changing_calls_but_runs_read_only_ones() {
    let s = acme_scratch(
        "r1: {}\n",
        &[(
            "up",
            "connection: acmeos\nsteps:\n  - call: install_os_version\n    args: {version: 9.9.9}\n  - call: get_version\n",
        )],
    );
    let dry = run_acme(&s, &["run", "up", "--dry-run", "--output", "json"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert!(!dry.stdout.contains("\"installed\""), "{dry}");
    assert!(dry.stdout.contains(&acme_version("r1")), "{dry}");
    let real = run_acme(&s, &["run", "up", "--output", "json"]);
    assert_eq!(real.code, 0, "{real}");
    assert!(real.stdout.contains("\"installed\": \"9.9.9\""), "{real}");
    assert!(
        real.stdout.contains("\"full_version\": \"9.9.9\""),
        "{real}"
    );
}

#[test]
fn seed_demo_upgrades_only_outdated_hosts() {
    let demo = repo().join("plugins/acmeos/demo");
    let acme = lib_arg(acmeos());
    let session = netrun_in(
        &demo,
        &[
            "--plugin",
            &acme,
            "run",
            "upgrade_os",
            "--arg",
            "version=5.4.1",
            "--filter",
            "site=earth",
            "--output",
            "json",
        ],
        &[],
    );
    assert_eq!(session.code, 1, "{session}");
    let doc: serde_json::Value = serde_json::from_str(&session.stdout).expect("json");
    let hosts = doc["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 5, "{session}");
    for host in hosts {
        let name = host["host"].as_str().expect("name");
        if name.contains("bad") {
            assert_eq!(host["status"], "unreachable", "{session}");
            assert!(
                host.to_string()
                    .contains("problem communicating with device"),
                "{session}"
            );
            continue;
        }
        let outdated = acme_version(name) != "5.4.1";
        let expected = if outdated { "changed" } else { "ok" };
        assert_eq!(host["status"], expected, "{name}: {session}");
        assert!(host.to_string().contains(&acme_version(name)), "{session}");
    }
}

#[test]
fn plugins_in_the_user_directory_are_loaded() {
    let s = Scratch::new();
    let dir = s.path.join("data/netrun/plugins");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    c_plugin(&dir, "echo", &[]);
    let data = s.path.join("data");
    let env = [("XDG_DATA_HOME", data.to_str().unwrap_or_default())];
    let session = crate::support::netrun_in(&s.path, &["plugins"], &env);
    assert_eq!(session.code, 0, "{session}");
    assert!(session.stdout.contains("echo (read-only)"), "{session}");
    assert!(
        session.stdout.contains("data/netrun/plugins"),
        "the path is shown: {session}"
    );
}

#[test]
fn check_fails_on_a_plugin_that_cannot_load_and_says_why() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "r1: {platform: ios, username: u}\n")
        // Long enough that the loader reads a header and rejects it (a tiny file is "too short").
        .file("junk.so", &"this is not a shared library\n".repeat(10));
    let junk = s.path.join("junk.so");
    let missing = s.path.join("missing.so");
    let args = |command: &str| {
        vec![
            "--plugin".to_string(),
            lib_arg(&junk),
            "--plugin".to_string(),
            lib_arg(&missing),
            command.to_string(),
        ]
    };
    let run = |command: &str| {
        let all = args(command);
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        s.netrun(&refs)
    };

    let check = run("check");
    assert_eq!(check.code, 2, "{check}");
    assert!(check.stdout.is_empty(), "{check}");
    assert!(
        check.stderr.contains("2 plugins cannot be loaded"),
        "{check}"
    );
    for (path, reason) in [
        (&junk, "invalid ELF header"),
        (&missing, "No such file or directory"),
    ] {
        let line = check
            .stderr
            .lines()
            .find(|l| l.contains(&format!("{}: ", path.display())))
            .unwrap_or_else(|| panic!("no line for {}: {check}", path.display()));
        assert!(line.contains(reason), "{line}");
    }

    // A bare file name is the file in the current directory, not a search of the library path.
    let bare = s.netrun(&["--plugin", "junk.so", "check"]);
    assert_eq!(bare.code, 2, "{bare}");
    assert!(bare.stderr.contains("invalid ELF header"), "{bare}");

    // `netrun plugins` lists them (exit 0) with the loader's own message, not just "dlopen failed".
    let listing = run("plugins");
    assert_eq!(listing.code, 0, "{listing}");
    for reason in ["invalid ELF header", "No such file or directory"] {
        assert!(listing.stdout.contains(reason), "{reason}: {listing}");
    }
}
