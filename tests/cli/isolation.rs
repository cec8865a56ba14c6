//! Plugins that crash, hang or lie, in a helper process (the default) and in netrun's own
//! process (`isolation: in-process`): a crash fails only the hosts the plugin was serving, a
//! hang ends its host at the deadline, and a library that crashes or hangs while loading is a
//! broken plugin that runs of other tasks never touch. Each plugin is the C example built with
//! one of its `NR_TEST_*` misbehaviours.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::plugins::{c_plugin, lib_arg};
use crate::support::{Scratch, Session, netrun_in};

fn json(session: &Session) -> Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("{e}: {session}"))
}

/// host → (status, error of its last step) from a `--output json` run.
fn outcomes(session: &Session) -> Vec<(String, String, String)> {
    let doc = json(session);
    doc["hosts"]
        .as_array()
        .unwrap_or_else(|| panic!("no hosts: {session}"))
        .iter()
        .map(|h| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let last = h["results"].as_array().and_then(|r| r.last()).cloned();
            let error = last.map(|n| text(&n["error"])).unwrap_or_default();
            (text(&h["host"]), text(&h["status"]), error)
        })
        .collect()
}

/// The step names of the first host.
fn step_names(session: &Session) -> Vec<String> {
    json(session)["hosts"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["name"].as_str().map(str::to_string))
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// A scratch directory with `hosts` and one task `t` of `steps` over the `echo` plugin.
fn echo_scratch(hosts: &str, steps: &str) -> Scratch {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", hosts).file(
        "tasks/t.yaml",
        &format!("connection: echo\nsteps:\n{steps}"),
    );
    s
}

/// Runs netrun in `s` with `config` as its netrun.yaml.
fn with_config(s: &Scratch, config: &str, args: &[&str]) -> Session {
    s.file("netrun.yaml", config);
    s.netrun(args)
}

/// netrun.yaml loading `lib` with `isolation`.
fn config_for(lib: &Path, isolation: &str) -> String {
    format!(
        "plugins:\n  - {{path: '{}', isolation: {isolation}}}\n",
        lib.display()
    )
}

#[test]
fn a_plugin_that_crashes_fails_only_the_host_it_was_serving() {
    for (variant, how) in [
        ("-DNR_TEST_SEGV_CALL", "signal 11"),
        ("-DNR_TEST_ABORT_CALL", "signal 6"),
        // exit(0) is no success: the host whose call it was fails all the same.
        ("-DNR_TEST_EXIT_CALL", "exit status 0"),
    ] {
        let s = echo_scratch(
            "ok1: {}\ncrash1: {}\nok2: {}\n",
            "  - call: echo\n    args: {x: 1}\n",
        );
        let lib = c_plugin(&s.path, "echo", &[variant]);
        // One host at a time: ok2 runs after the crash, on a helper started afresh.
        let session = s.netrun(&[
            "--plugin",
            &lib_arg(&lib),
            "run",
            "t",
            "--workers",
            "1",
            "--output",
            "json",
        ]);
        assert_eq!(session.code, 1, "{session}");
        let crashed = format!("plugin `echo` crashed ({how})");
        assert_eq!(
            outcomes(&session),
            owned(&[
                ("ok1", "ok", ""),
                ("crash1", "failed", &crashed),
                ("ok2", "ok", "")
            ]),
            "{session}"
        );
    }
}

#[test]
fn calls_pending_when_the_plugin_exits_fail_and_later_hosts_get_a_new_helper() {
    // slow1's call takes 2 s; crash1's makes the plugin exit(0) after 1 s, while slow1's is
    // still running in the same helper. later starts when they end, on a new helper.
    let s = echo_scratch("slow1: {}\ncrash1: {}\nlater: {}\n", "  - call: sleep\n");
    let lib = c_plugin(&s.path, "echo", &["-DNR_TEST_OPS", "-DNR_TEST_EXIT_CALL"]);
    let session = s.netrun(&[
        "--plugin",
        &lib_arg(&lib),
        "run",
        "t",
        "--workers",
        "2",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 1, "{session}");
    let crashed = "plugin `echo` crashed (exit status 0)";
    assert_eq!(
        outcomes(&session),
        owned(&[
            ("slow1", "failed", crashed),
            ("crash1", "failed", crashed),
            ("later", "ok", ""),
        ]),
        "{session}"
    );
}

#[test]
fn impossible_lengths_from_a_plugin_are_refused_before_they_are_read() {
    let s = echo_scratch("r1: {}\n", "  - call: echo\n");
    let huge_result = c_plugin(&s.path, "echo", &["-DNR_TEST_HUGE_RESULT"]);
    let huge_name = c_plugin(&s.path, "huge_name", &["-DNR_TEST_HUGE_NAME"]);
    // Reading 2^40 bytes would crash netrun: both modes survive it.
    for isolation in ["process", "in-process"] {
        let config = format!(
            "{}  - {{path: '{}', isolation: {isolation}}}\n",
            config_for(&huge_result, isolation),
            huge_name.display()
        );
        let run = with_config(&s, &config, &["run", "t", "--output", "json"]);
        assert_eq!(run.code, 1, "{run}");
        assert_eq!(
            outcomes(&run),
            owned(&[(
                "r1",
                "failed",
                "the `echo` plugin returned a bad result: result has an impossible length (1099511627776 bytes)"
            )]),
            "{isolation}: {run}"
        );
        let listing = with_config(&s, &config, &["plugins"]);
        assert_eq!(listing.code, 0, "{listing}");
        let line = format!(
            "  {}: name has an impossible length (1099511627776 bytes)\n",
            huge_name.display()
        );
        assert!(listing.stdout.contains(&line), "{isolation}: {listing}");
    }
}

/// Runs every `(name, args)` of `runs` at once in `dir`: the slow ones wait out the same
/// init timeout together. Each session comes back with how long it took.
fn at_once(dir: &Path, env: &[(&str, &str)], runs: &[&[&str]]) -> Vec<(Session, Duration)> {
    thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|args| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let session = netrun_in(dir, args, env);
                    (session, started.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("netrun thread"))
            .collect()
    })
}

#[test]
fn a_library_whose_init_crashes_or_hangs_is_broken_and_untouched_by_other_runs() {
    let s = echo_scratch("r1: {}\n", "  - call: echo\n    args: {x: 1}\n");
    s.file(
        "tasks/needs_aborts.yaml",
        "connection: aborts\nsteps:\n  - call: echo\n",
    );
    let dir: PathBuf = s.path.join("data/netrun/plugins");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    c_plugin(&dir, "echo", &[]);
    let aborts = c_plugin(&dir, "aborts", &["-DNR_TEST_ABORT_INIT"]);
    let hangs = c_plugin(&dir, "hangs", &["-DNR_TEST_HANG_INIT"]);
    let data = s.path.join("data");
    let env = [("XDG_DATA_HOME", data.to_str().unwrap_or_default())];
    let results = at_once(
        &s.path,
        &env,
        &[
            &["run", "t", "--output", "json"],
            &["plugins"],
            &["check"],
            &["run", "needs_aborts"],
        ],
    );
    let aborted = format!("{}: init crashed (signal 6)", aborts.display());
    let hung = format!("{}: init did not answer within 10 s", hangs.display());

    // The run of a task over echo loads echo.so alone: neither the crash nor the hang of the
    // other libraries reaches it.
    let (run, took) = &results[0];
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(outcomes(run), owned(&[("r1", "ok", "")]), "{run}");
    assert!(*took < Duration::from_secs(5), "run took {took:?}");

    // `plugins` and `check` load every library: the hang costs them the init timeout, once.
    let (listing, took) = &results[1];
    assert_eq!(listing.code, 0, "{listing}");
    assert!(
        listing
            .stdout
            .ends_with(&format!("\nbroken plugins:\n  {aborted}\n  {hung}\n")),
        "{listing}"
    );
    assert!(listing.stdout.contains("echo (read-only)"), "{listing}");
    assert!(*took < Duration::from_secs(15), "plugins took {took:?}");
    let (check, _) = &results[2];
    assert_eq!(check.code, 2, "{check}");
    for reason in [&aborted, &hung] {
        assert!(check.stderr.contains(reason.as_str()), "{check}");
    }

    // A task over a plugin no library provides fails validation, with the reasons.
    let (needing, _) = &results[3];
    assert_eq!(needing.code, 2, "{needing}");
    assert!(needing.stderr.contains(&aborted), "{needing}");
    assert!(
        needing
            .stderr
            .contains("connection plugin `aborts` is not available"),
        "{needing}"
    );
}

#[test]
fn a_plugin_that_never_returns_ends_its_host_at_the_deadline_in_both_modes() {
    let s = echo_scratch("r1: {}\n", "  - call: echo\n  - call: echo\n");
    // (variant, steps that finished before the deadline, host status)
    let cases = [
        ("open", vec!["deadline"], "timeout"),
        ("call", vec!["deadline"], "timeout"),
        // Checked before the second step reuses the connection.
        ("is_alive", vec!["echo", "deadline"], "timeout"),
        // Closing is a courtesy: the steps are done, and the close is given up at the deadline.
        ("close", vec!["echo", "echo"], "ok"),
    ];
    let mut runs = Vec::new();
    for (hang, _, _) in &cases {
        let define = format!("-DNR_TEST_HANG_{}", hang.to_uppercase());
        let lib = c_plugin(&s.path, &format!("hang_{hang}"), &[&define]);
        for isolation in ["process", "in-process"] {
            let config = s.path.join(format!("{hang}-{isolation}.yaml"));
            std::fs::write(&config, config_for(&lib, isolation)).expect("config");
            runs.push(vec![
                "--config".to_string(),
                lib_arg(&config),
                "run".into(),
                "t".into(),
                "--timeout".into(),
                "2".into(),
                "--output".into(),
                "json".into(),
            ]);
        }
    }
    let args: Vec<Vec<&str>> = runs
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<&[&str]> = args.iter().map(Vec::as_slice).collect();
    let results = at_once(&s.path, &[], &refs);
    for (i, (session, took)) in results.iter().enumerate() {
        let (hang, steps, status) = &cases[i / 2];
        let mode = if i % 2 == 0 { "process" } else { "in-process" };
        let code = if *status == "ok" { 0 } else { 1 };
        assert_eq!(session.code, code, "{hang} {mode}: {session}");
        assert_eq!(
            json(session)["hosts"][0]["status"],
            *status,
            "{hang} {mode}: {session}"
        );
        assert_eq!(step_names(session), *steps, "{hang} {mode}: {session}");
        assert!(
            *took < Duration::from_secs(5),
            "{hang} {mode}: the run took {took:?} with --timeout 2"
        );
    }
}

#[test]
fn each_plugin_runs_in_a_helper_unless_netrun_yaml_says_in_process() {
    let s = Scratch::new();
    s.file("inventory/hosts.yaml", "r1: {}\n");
    let mut plugins = Vec::new();
    for name in ["a", "b", "c"] {
        let define = format!("-DNR_TEST_NAME=\"{name}\"");
        plugins.push(c_plugin(&s.path, name, &["-DNR_TEST_OPS", &define]));
        s.file(
            &format!("tasks/{name}.yaml"),
            &format!("connection: {name}\nsteps:\n  - call: pid\n"),
        );
    }
    // The plugin's parent process is this test when it runs inside netrun, and netrun when it
    // runs in a helper.
    let in_process = |config: Option<&str>, task: &str| -> bool {
        let c = lib_arg(&plugins[2]);
        let args = ["--plugin", c.as_str(), "run", task, "--output", "json"];
        let session = match config {
            Some(config) => with_config(&s, config, &args),
            None => s.netrun(&args),
        };
        assert_eq!(session.code, 0, "{session}");
        json(&session)["hosts"][0]["result"]["ppid"] == std::process::id()
    };
    // The default: a helper, for `--plugin` too.
    assert!(!in_process(None, "c"));
    let config = format!(
        "plugin_isolation: in-process\nplugins:\n  - {{path: {}, isolation: process}}\n  - {}\n",
        plugins[0].display(),
        plugins[1].display()
    );
    assert!(!in_process(Some(&config), "a"), "its entry says process");
    assert!(
        in_process(Some(&config), "b"),
        "plugin_isolation says in-process"
    );
    assert!(
        in_process(Some(&config), "c"),
        "--plugin follows plugin_isolation"
    );
}

#[test]
fn a_plugin_that_prints_to_stdout_does_not_disturb_the_helper() {
    let s = echo_scratch(
        "r1: {}\nr2: {}\n",
        "  - call: print\n  - call: echo\n    args: {x: 1}\n",
    );
    let lib = c_plugin(&s.path, "echo", &["-DNR_TEST_OPS"]);
    let session = s.netrun(&["--plugin", &lib_arg(&lib), "run", "t", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}");
    assert_eq!(
        outcomes(&session),
        owned(&[("r1", "ok", ""), ("r2", "ok", "")]),
        "{session}"
    );
    // The plugin's stdout is the helper's stderr, which is netrun's.
    assert_eq!(
        session.stderr,
        "echo prints this line to its stdout\n".repeat(2),
        "{session}"
    );
}

#[test]
fn the_helper_subcommand_is_hidden_and_isolation_is_checked_with_file_and_line() {
    let s = Scratch::new();
    let help = s.netrun(&["--help"]);
    assert_eq!(help.code, 0, "{help}");
    assert!(!help.stdout.contains("plugin-host"), "{help}");
    let bad = with_config(
        &s,
        "plugins:\n  - {path: echo.so, isolation: sandbox}\n",
        &["plugins"],
    );
    assert_eq!(bad.code, 2, "{bad}");
    assert_eq!(
        bad.stderr.lines().next(),
        Some(
            "error: netrun.yaml:2:32: plugins[0].isolation: unknown variant `sandbox`, expected `process` or `in-process`"
        ),
        "{bad}"
    );
}
