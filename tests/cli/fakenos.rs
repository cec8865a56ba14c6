//! The real `netrun` binary against fakenos, an independent device simulator (PyPI package
//! `fakenos`, pinned in tests/prerequisites.sh), serving `cisco_ios` and `arista_eos` devices
//! on 127.0.0.1 through tests/fixtures/fakenos_serve.py.
//!
//! What netrun returns for a command must be exactly what fakenos's shell prints for it: the
//! expected text comes from fakenos itself (`fakenos_serve.py expect`, which runs the same
//! shell without SSH), so echo, prompt, `\r`, pager or escape-sequence leftovers all show up
//! as a difference.

use crate::support::{Scratch, Session, repo};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PREREQS: &str = "run `bash tests/prerequisites.sh` to install it";
const USERNAME: &str = "netrun";
const PASSWORD: &str = "fakenos-pw";
/// How long the launcher may take to start its devices.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// The launcher's own last-resort lifetime, should this test process die without closing it.
const LAUNCHER_MAX_SECONDS: &str = "600";

/// The fakenos devices of these tests: (inventory name, fakenos platform, netrun platform).
const DEVICES: [(&str, &str, &str); 2] = [
    ("R1", "cisco_ios", "cisco_ios"),
    ("SW1", "arista_eos", "arista_eos"),
];

fn launcher() -> PathBuf {
    repo().join("tests/fixtures/fakenos_serve.py")
}

fn python3() -> &'static str {
    let probe = Command::new("python3")
        .args(["-c", "import fakenos"])
        .output();
    match probe {
        Err(e) => panic!("python3 not found ({e}); the fakenos tests need it: {PREREQS}"),
        Ok(out) if !out.status.success() => panic!(
            "python3 cannot import fakenos ({}); {PREREQS}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("no message")
        ),
        Ok(_) => "python3",
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

/// A running fakenos launcher; stopped (stdin closed, then killed if need be) when dropped.
struct FakeNos {
    child: Child,
    stdin: Option<ChildStdin>,
    /// (inventory name, port) per device.
    ports: Vec<(&'static str, u16)>,
    log: PathBuf,
}

impl FakeNos {
    fn start(scratch: &Scratch) -> FakeNos {
        let python = python3();
        let mut last_log = String::new();
        for attempt in 0..3 {
            let ports: Vec<(&'static str, u16)> = DEVICES
                .iter()
                .map(|(name, ..)| (*name, free_port()))
                .collect();
            let spec: Vec<Value> = DEVICES
                .iter()
                .zip(&ports)
                .map(|((name, platform, _), (_, port))| {
                    serde_json::json!({"name": name, "platform": platform, "port": port,
                                       "username": USERNAME, "password": PASSWORD})
                })
                .collect();
            let log = scratch.path.join(format!("fakenos-{attempt}.log"));
            let mut child = Command::new(python)
                .arg(launcher())
                .args(["serve", "--max-seconds", LAUNCHER_MAX_SECONDS])
                .arg(Value::Array(spec).to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log).expect("launcher log"))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start python3 ({e}); {PREREQS}"));
            let stdin = child.stdin.take();
            let stdout = child.stdout.take().expect("launcher stdout");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            let deadline = Instant::now() + READY_TIMEOUT;
            let ready = loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) if line.trim() == "ready" => break true,
                    Ok(_) => continue,
                    Err(_) => break false,
                }
            };
            let mut server = FakeNos {
                child,
                stdin,
                ports,
                log,
            };
            if ready {
                return server;
            }
            let exited = server.child.try_wait().ok().flatten();
            last_log = server.log();
            drop(server);
            match exited {
                // 3 = fakenos missing: no point in retrying.
                Some(status) if status.code() == Some(3) => {
                    panic!("fakenos is not installed: {PREREQS}\n{last_log}")
                }
                // A port taken between choosing it and binding it: choose again.
                Some(_) if last_log.contains("Address already in use") => continue,
                Some(status) => panic!("the fakenos launcher exited ({status}):\n{last_log}"),
                None => {
                    panic!("fakenos did not print `ready` within {READY_TIMEOUT:?}:\n{last_log}")
                }
            }
        }
        panic!("could not start fakenos on free loopback ports:\n{last_log}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A SimpleInventory in `scratch` with one host per device. The enable `secret` makes
    /// netrun enter privileged mode, where fakenos answers `show version`; fakenos's
    /// `enable` asks for no password, which netrun must accept.
    fn write_inventory(&self, scratch: &Scratch) {
        let mut hosts = String::new();
        for ((name, _, platform), (_, port)) in DEVICES.iter().zip(&self.ports) {
            hosts.push_str(&format!(
                "{name}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {platform}\n"
            ));
        }
        scratch
            .file("inventory/hosts.yaml", &hosts)
            .file("inventory/groups.yaml", "{}\n")
            .file(
                "inventory/defaults.yaml",
                &format!(
                    "username: {USERNAME}\npassword: {PASSWORD}\nconnection_options:\n  ssh:\n    \
                     extras:\n      known_hosts: \"off\"\n      secret: not-asked\n      \
                     command_timeout: 30\n"
                ),
            );
    }
}

impl Drop for FakeNos {
    fn drop(&mut self) {
        // Closing stdin asks the launcher to stop its devices; kill it (this child only) if
        // it has not gone after a few seconds.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What fakenos's own shell prints for `command` on `platform` (`mode`: `user` or `enable`),
/// with its line ends as a terminal shows them (`\r\n` → `\n`) and the final line end
/// removed, as netrun reports output.
fn fakenos_prints(platform: &str, base_prompt: &str, mode: &str, command: &str) -> String {
    let out = Command::new(python3())
        .arg(launcher())
        .args(["expect", platform, base_prompt, mode, command])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); {PREREQS}"));
    assert!(
        out.status.success(),
        "fakenos_serve.py expect failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("expect prints JSON");
    let text = doc["output"]
        .as_str()
        .expect("output")
        .replace("\r\n", "\n");
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// Runs `netrun command ... --output json` and returns the session and its parsed document.
fn run_json(scratch: &Scratch, commands: &[&str]) -> (Session, Value) {
    let mut args = vec!["command"];
    args.extend_from_slice(commands);
    args.extend_from_slice(&["--inventory", "inventory", "--output", "json"]);
    let session = scratch.netrun(&args);
    let doc: Value = serde_json::from_str(&session.stdout)
        .unwrap_or_else(|e| panic!("netrun's JSON does not parse ({e}):\n{session}"));
    (session, doc)
}

/// The host entry named `name` in a results document.
fn host<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["hosts"]
        .as_array()
        .expect("hosts array")
        .iter()
        .find(|h| h["host"] == name)
        .unwrap_or_else(|| panic!("no host {name} in {doc:#}"))
}

fn result_text<'a>(doc: &'a Value, name: &str, step: usize) -> &'a str {
    host(doc, name)["results"][step]["result"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} step {step} has no text result: {doc:#}"))
}

/// No trace of the terminal: no carriage return, escape sequence, pager or prompt line.
fn assert_clean(text: &str, prompt_base: &str) {
    assert!(!text.contains('\r'), "carriage return in {text:?}");
    assert!(!text.contains('\u{1b}'), "escape sequence in {text:?}");
    assert!(!text.contains("More"), "pager text in {text:?}");
    for line in text.lines() {
        let line = line.trim_end();
        assert!(
            line != format!("{prompt_base}>") && line != format!("{prompt_base}#"),
            "prompt line in {text:?}"
        );
    }
}

#[test]
fn fakenos_show_commands_are_exactly_what_the_devices_print() {
    let scratch = Scratch::new();
    let fakenos = FakeNos::start(&scratch);
    fakenos.write_inventory(&scratch);
    let commands = ["show version", "show ip interface brief"];
    let (session, doc) = run_json(&scratch, &commands);
    assert_eq!(
        session.code,
        0,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    for (name, platform, _) in DEVICES {
        let h = host(&doc, name);
        assert_eq!(h["status"], "ok", "{name}: {h:#}");
        assert_eq!(
            h["connections"], 1,
            "{name}: one connection for both commands"
        );
        for (step, command) in commands.iter().enumerate() {
            assert_eq!(h["results"][step]["name"], *command);
            assert_eq!(
                h["results"][step]["status"], "ok",
                "{name} {command}: {h:#}"
            );
            let got = result_text(&doc, name, step);
            let want = fakenos_prints(platform, name, "enable", command);
            assert_eq!(
                got, want,
                "{name} `{command}`: netrun's result differs from fakenos"
            );
            assert_clean(got, name);
            assert!(
                !got.trim_start().starts_with(command),
                "{name}: echoed command left in {got:?}"
            );
        }
    }
    // Anchors independent of fakenos_serve.py's `expect`: the devices' own texts.
    let ios_version = result_text(&doc, "R1", 0);
    assert!(ios_version.starts_with("\nCisco IOS XE Software, Version 17.03.01a\n"));
    assert!(ios_version.contains("\nR1 uptime is 1 day, 17 hours, 32 minutes\n"));
    assert!(ios_version.ends_with("\nConfiguration register is 0x2102"));
    let eos_version = result_text(&doc, "SW1", 0);
    assert!(eos_version.starts_with("cEOSLab\nHardware version: \n"));
    assert!(eos_version.ends_with("\nFree memory: 1816320 kB"));
    let eos_brief = result_text(&doc, "SW1", 1);
    // Leading and trailing blanks of the device's lines are kept.
    assert!(eos_brief.starts_with(&format!("{}Address \nInterface ", " ".repeat(74))));
    assert!(eos_brief.ends_with(
        "\nLoopback3       1.2.3.4/24        up           up                65535            "
    ));
}

#[test]
fn fakenos_show_clock_is_what_the_devices_print_but_for_the_time() {
    let scratch = Scratch::new();
    let fakenos = FakeNos::start(&scratch);
    fakenos.write_inventory(&scratch);
    let (session, doc) = run_json(&scratch, &["show clock"]);
    assert_eq!(
        session.code,
        0,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    // The time differs between netrun's run and the reference: each platform's timestamp
    // is checked for its shape, then replaced; the rest must be identical.
    let stamps = [
        // `*11:54:03.000 UTC Sat Apr 16 2022`
        (
            "R1",
            r"\*\d\d:\d\d:\d\d\.000 \S+ [A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d{4}",
        ),
        // `Sat Apr 16 11:54:03 2022`
        (
            "SW1",
            r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4}",
        ),
    ];
    for ((name, platform, _), (stamp_host, stamp)) in DEVICES.iter().zip(stamps) {
        assert_eq!(*name, stamp_host);
        assert_eq!(host(&doc, name)["status"], "ok", "{doc:#}");
        let got = result_text(&doc, name, 0);
        assert_clean(got, name);
        let first_line = regex::Regex::new(&format!("^{stamp}(\n|$)")).expect("regex");
        assert!(first_line.is_match(got), "{name} show clock: {got:?}");
        let want = fakenos_prints(platform, name, "user", "show clock");
        assert!(
            first_line.is_match(&want),
            "fakenos {name} show clock: {want:?}"
        );
        assert_eq!(
            first_line.replace(got, "<time>$1"),
            first_line.replace(&want, "<time>$1"),
            "{name} show clock"
        );
    }
}

#[test]
fn fakenos_raw_output_reads_like_the_devices() {
    let scratch = Scratch::new();
    let fakenos = FakeNos::start(&scratch);
    fakenos.write_inventory(&scratch);
    let session = scratch.netrun(&[
        "command",
        "show ip interface brief",
        "show bogus",
        "--inventory",
        "inventory",
        "--output",
        "raw",
    ]);
    assert_eq!(
        session.code,
        1,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    insta::assert_snapshot!(session);
}

#[test]
fn fakenos_unknown_command_fails_with_the_devices_message() {
    let scratch = Scratch::new();
    let fakenos = FakeNos::start(&scratch);
    fakenos.write_inventory(&scratch);
    let (session, doc) = run_json(&scratch, &["show clock", "show bogus", "show version"]);
    assert_eq!(
        session.code,
        1,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    for (name, platform, _) in DEVICES {
        let h = host(&doc, name);
        assert_eq!(h["status"], "failed", "{name}: {h:#}");
        let steps = h["results"].as_array().expect("results");
        // The first failure stops the host: `show version` is not sent.
        assert_eq!(steps.len(), 2, "{name}: {h:#}");
        assert_eq!(steps[0]["status"], "ok");
        assert_eq!(steps[1]["name"], "show bogus");
        assert_eq!(steps[1]["status"], "failed");
        let message = fakenos_prints(platform, name, "enable", "show bogus");
        let error = steps[1]["error"].as_str().expect("error text");
        assert!(
            error.contains(&message),
            "{name}: error {error:?} lacks the device's message {message:?}"
        );
        assert_eq!(steps[1]["result"], message.as_str(), "{name}: {h:#}");
    }
    // The devices' own words.
    assert_eq!(
        fakenos_prints("cisco_ios", "R1", "enable", "show bogus"),
        "% Invalid input detected at '^' marker."
    );
    assert_eq!(
        fakenos_prints("arista_eos", "SW1", "enable", "show bogus"),
        "% Invalid input"
    );
}

#[test]
fn fakenos_dry_run_compares_against_the_devices_running_config() {
    // fakenos keeps no configuration, but its `show running-config` is an independent IOS
    // configuration: a dry run reads it and would send only what it lacks, with its parents.
    let scratch = Scratch::new();
    let fakenos = FakeNos::start(&scratch);
    fakenos.write_inventory(&scratch);
    scratch.file(
        "tasks/mgmt.yaml",
        "steps:\n  - name: mgmt\n    config:\n      - hostname R1\n      - vrf definition MGMT\n      \
         - \" rd 1:1\"\n      - \" description management\"\n      - ntp server 192.0.2.99\n",
    );
    let session = scratch.netrun(&[
        "run",
        "mgmt",
        "--hosts",
        "R1",
        "--inventory",
        "inventory",
        "--dry-run",
        "--diff",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}\n{}", fakenos.log());
    let doc: Value = serde_json::from_str(&session.stdout).expect("JSON");
    let step = &host(&doc, "R1")["results"][0];
    assert_eq!(step["status"], "changed", "{doc:#}");
    assert_eq!(
        step["would_send"],
        serde_json::json!([
            "vrf definition MGMT",
            " description management",
            "ntp server 192.0.2.99"
        ]),
        "{doc:#}"
    );
    assert_eq!(
        step["diff"],
        "--- R1 running configuration\n+++ R1 after the change (dry run)\n vrf definition MGMT\n\
         + description management\n+ntp server 192.0.2.99\n"
    );
}
