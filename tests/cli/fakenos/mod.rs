//! The real `netrun` binary against fakenos, an independent device simulator (PyPI package
//! `fakenos`, pinned in tests/prerequisites.sh), serving devices on 127.0.0.1 through
//! tests/fixtures/fakenos_serve.py.
//!
//! What netrun returns for a command must be exactly what fakenos's shell prints for it: the
//! expected text comes from fakenos itself (the launcher's `replay`, which runs the same
//! shell without SSH), so echo, prompt, `\r`, pager or escape-sequence leftovers all show up
//! as a difference. This module holds the launcher and the tests on two devices;
//! `platforms.rs` drives every platform fakenos simulates.

mod platforms;

use crate::support::{Scratch, Session, repo};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PREREQS: &str = "run `bash tests/prerequisites.sh` to install it";
const USERNAME: &str = "netrun";
const PASSWORD: &str = "fakenos-pw";
/// How long the launcher may take to import fakenos.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the launcher may take to answer one request (starting devices loads each
/// platform's definitions in Python: slow on a busy machine).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(240);
/// The launcher's own last-resort lifetime, should this test process die without closing it.
const LAUNCHER_MAX_SECONDS: &str = "900";

/// The devices of the two-device tests: (inventory name and prompt, fakenos platform).
const DEVICES: [(&str, &str); 2] = [("R1", "cisco_ios"), ("SW1", "arista_eos")];

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

/// `n` distinct free loopback ports (all held until all are chosen, so none repeats).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("local address").port())
        .collect()
}

/// One device to serve.
#[derive(Clone, Debug)]
struct Device {
    /// Inventory name.
    name: String,
    /// fakenos platform.
    platform: String,
    /// The name in its prompt.
    base_prompt: String,
    /// Extra commands, in fakenos's format.
    commands: Value,
}

impl Device {
    fn new(name: &str, platform: &str, base_prompt: &str) -> Device {
        Device {
            name: name.into(),
            platform: platform.into(),
            base_prompt: base_prompt.into(),
            commands: json!({}),
        }
    }
}

/// A running fakenos launcher; stopped (stdin closed, then killed if need be) when dropped.
struct FakeNos {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    devices: Vec<Device>,
    /// Port per device, in `devices` order.
    ports: Vec<u16>,
    log: PathBuf,
}

impl FakeNos {
    /// The launcher, with no device yet.
    fn launch(scratch: &Scratch) -> FakeNos {
        let python = python3();
        let log = scratch.path.join("fakenos.log");
        let mut child = Command::new(python)
            .arg(launcher())
            .args(["serve", "--max-seconds", LAUNCHER_MAX_SECONDS])
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
        let mut server = FakeNos {
            child,
            stdin,
            lines: rx,
            devices: Vec::new(),
            ports: Vec::new(),
            log,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match server
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.trim() == "ready" => return server,
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        let exited = server.child.try_wait().ok().flatten();
        let log = server.log();
        match exited {
            Some(status) if status.code() == Some(3) => {
                panic!("fakenos is not installed: {PREREQS}\n{log}")
            }
            Some(status) => panic!("the fakenos launcher exited ({status}):\n{log}"),
            None => panic!("fakenos did not print `ready` within {READY_TIMEOUT:?}:\n{log}"),
        }
    }

    /// Starts `devices`, each on a free loopback port.
    fn serve(&mut self, devices: Vec<Device>) {
        let ports = free_ports(devices.len());
        let spec: Vec<Value> = devices
            .iter()
            .zip(&ports)
            .map(|(d, port)| {
                json!({"name": d.name, "platform": d.platform, "port": port,
                       "base_prompt": d.base_prompt, "commands": d.commands,
                       "username": USERNAME, "password": PASSWORD})
            })
            .collect();
        self.ask(json!({"op": "start", "devices": spec}));
        self.devices = devices;
        self.ports = ports;
    }

    fn start(scratch: &Scratch, devices: Vec<Device>) -> FakeNos {
        let mut server = FakeNos::launch(scratch);
        server.serve(devices);
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Asks the launcher one question (see fakenos_serve.py) and returns its answer.
    fn ask(&mut self, request: Value) -> Value {
        let stdin = self.stdin.as_mut().expect("launcher stdin");
        writeln!(stdin, "{request}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("the fakenos launcher went away ({e}):\n{}", self.log()));
        let line = self.lines.recv_timeout(ANSWER_TIMEOUT).unwrap_or_else(|e| {
            panic!("no answer from the fakenos launcher ({e}):\n{}", self.log())
        });
        let answer: Value = serde_json::from_str(&line).expect("the launcher answers JSON");
        if let Some(error) = answer.get("error") {
            let op = &request["op"];
            panic!(
                "the fakenos launcher failed on {op}: {error}\n{}",
                self.log()
            );
        }
        answer
    }

    /// What fakenos's own shell prints for each of `sessions` (device, commands from its
    /// first prompt on): per session, the output and the prompt after each command.
    fn replay(&mut self, sessions: &[(&Device, Vec<String>)]) -> Vec<Replay> {
        let sessions: Vec<Value> = sessions
            .iter()
            .map(|(d, commands)| {
                json!({"platform": d.platform, "base_prompt": d.base_prompt,
                       "commands": commands, "extra_commands": d.commands})
            })
            .collect();
        let answer = self.ask(json!({"op": "replay", "sessions": sessions}));
        answer
            .as_array()
            .expect("replay answers a list")
            .iter()
            .map(|r| {
                let strings = |key: &str| -> Vec<String> {
                    r[key]
                        .as_array()
                        .expect("a list")
                        .iter()
                        .map(|s| s.as_str().expect("text").to_string())
                        .collect()
                };
                Replay {
                    outputs: strings("outputs").iter().map(|o| as_reported(o)).collect(),
                    prompts: strings("prompts"),
                    closed: r["closed"] == true,
                }
            })
            .collect()
    }

    /// A SimpleInventory in `scratch` with one host per device, `host_extra` added to each
    /// host's entry, `extras` to every host's ssh extras. An enable `secret` makes netrun
    /// enter privileged mode where the platform has one; fakenos's `enable` asks for no
    /// password, which netrun must accept.
    fn write_inventory(
        &self,
        scratch: &Scratch,
        extras: &str,
        host_extra: impl Fn(&Device) -> String,
    ) {
        let mut hosts = String::new();
        for (device, port) in self.devices.iter().zip(&self.ports) {
            hosts.push_str(&format!(
                "{}:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: {}\n{}",
                device.name,
                device.platform,
                host_extra(device)
            ));
        }
        scratch
            .file("inventory/hosts.yaml", &hosts)
            .file("inventory/groups.yaml", "{}\n")
            .file(
                "inventory/defaults.yaml",
                &format!(
                    "username: {USERNAME}\npassword: {PASSWORD}\nconnection_options:\n  ssh:\n    \
                     extras:\n      known_hosts: \"off\"\n{extras}"
                ),
            );
    }
}

impl Drop for FakeNos {
    fn drop(&mut self) {
        // Closing stdin makes the launcher exit; kill it (this child only) if it has not gone
        // after a few seconds.
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

/// One replayed session.
#[derive(Debug, Clone)]
struct Replay {
    /// Each command's output as netrun reports output.
    outputs: Vec<String>,
    /// The prompt after each command.
    prompts: Vec<String>,
    /// A command ended the session.
    closed: bool,
}

/// fakenos's output with its line ends as a terminal shows them (`\r\n` → `\n`) and the
/// final line end removed, as netrun reports output.
fn as_reported(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// The two-device launcher of the tests below.
fn two_devices(scratch: &Scratch) -> FakeNos {
    let devices = DEVICES
        .iter()
        .map(|(name, platform)| Device::new(name, platform, name))
        .collect();
    let fakenos = FakeNos::start(scratch, devices);
    fakenos.write_inventory(
        scratch,
        "      secret: not-asked\n      command_timeout: 30\n",
        |_| String::new(),
    );
    fakenos
}

/// What fakenos's own shell prints for `command` on device `name` of [`DEVICES`] (`mode`:
/// `user`, or `enable` after its `enable`).
fn fakenos_prints(fakenos: &mut FakeNos, name: &str, mode: &str, command: &str) -> String {
    let device = fakenos
        .devices
        .iter()
        .find(|d| d.name == name)
        .expect("a device of the test")
        .clone();
    let mut commands = Vec::new();
    if mode == "enable" {
        commands.push("enable".to_string());
    }
    commands.push(command.to_string());
    let replay = fakenos.replay(&[(&device, commands)]);
    replay[0].outputs.last().expect("an output").clone()
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
    let mut fakenos = two_devices(&scratch);
    let commands = ["show version", "show ip interface brief"];
    let (session, doc) = run_json(&scratch, &commands);
    assert_eq!(
        session.code,
        0,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    for (name, _) in DEVICES {
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
            let want = fakenos_prints(&mut fakenos, name, "enable", command);
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
    let mut fakenos = two_devices(&scratch);
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
    for ((name, _), (stamp_host, stamp)) in DEVICES.iter().zip(stamps) {
        assert_eq!(*name, stamp_host);
        assert_eq!(host(&doc, name)["status"], "ok", "{doc:#}");
        let got = result_text(&doc, name, 0);
        assert_clean(got, name);
        let first_line = regex::Regex::new(&format!("^{stamp}(\n|$)")).expect("regex");
        assert!(first_line.is_match(got), "{name} show clock: {got:?}");
        let want = fakenos_prints(&mut fakenos, name, "user", "show clock");
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
    let fakenos = two_devices(&scratch);
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
    let mut fakenos = two_devices(&scratch);
    let (session, doc) = run_json(&scratch, &["show clock", "show bogus", "show version"]);
    assert_eq!(
        session.code,
        1,
        "{session}\nfakenos log:\n{}",
        fakenos.log()
    );
    for (name, _) in DEVICES {
        let h = host(&doc, name);
        assert_eq!(h["status"], "failed", "{name}: {h:#}");
        let steps = h["results"].as_array().expect("results");
        // The first failure stops the host: `show version` is not sent.
        assert_eq!(steps.len(), 2, "{name}: {h:#}");
        assert_eq!(steps[0]["status"], "ok");
        assert_eq!(steps[1]["name"], "show bogus");
        assert_eq!(steps[1]["status"], "failed");
        let message = fakenos_prints(&mut fakenos, name, "enable", "show bogus");
        let error = steps[1]["error"].as_str().expect("error text");
        assert!(
            error.contains(&message),
            "{name}: error {error:?} lacks the device's message {message:?}"
        );
        assert_eq!(steps[1]["result"], message.as_str(), "{name}: {h:#}");
    }
    // The devices' own words.
    assert_eq!(
        fakenos_prints(&mut fakenos, "R1", "enable", "show bogus"),
        "% Invalid input detected at '^' marker."
    );
    assert_eq!(
        fakenos_prints(&mut fakenos, "SW1", "enable", "show bogus"),
        "% Invalid input"
    );
}

#[test]
fn fakenos_dry_run_compares_against_the_devices_running_config() {
    // fakenos keeps no configuration, but its `show running-config` is an independent IOS
    // configuration: a dry run reads it and would send only what it lacks, with its parents.
    let scratch = Scratch::new();
    let fakenos = two_devices(&scratch);
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
