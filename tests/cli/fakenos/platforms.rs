//! Every platform the installed fakenos simulates, driven with netrun's built-in definition
//! of it (the host's `platform:` is fakenos's name, a netmiko name, so aliases are exercised
//! too), all devices from one fakenos process and all hosts in one netrun run per command set.
//!
//! Per platform: each command fakenos defines for the mode netrun ends up in (byte-for-byte
//! against fakenos's own shell, replayed along the same commands netrun sends), a long output
//! full of lines that look like the device's prompts, an unknown command (must fail with the
//! device's message), enable (a command fakenos answers only at the privileged prompt) and a
//! configuration step (`changed` only when fakenos's prompt really entered and left its
//! configuration mode). Where the simulator differs from the real device, netrun keeps the
//! real behaviour and the difference is listed in [`EXPECTED`] with the reason.
//!
//! The results make the platform table of docs/platforms.md; the test fails when that table
//! is stale (`NETRUN_UPDATE_DOCS=1` rewrites it).

use super::{Device, FakeNos, Replay, python3};
use crate::support::{Scratch, Session, repo};
use netrun::platform::{Platform, Platforms};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;

/// Output of many lines, among them lines that are exactly the device's prompts.
const LONG_COMMAND: &str = "show netrun long-output";
const LONG_LINES: usize = 1500;
/// Answered only at fakenos's privileged prompt: tells whether enable really happened.
const PRIVILEGE_PROBE: &str = "show netrun privilege";
/// Accepted only in fakenos's configuration mode(s).
const CONFIG_LINE: &str = "logging host 192.0.2.10";
const UNKNOWN: &str = "show netrun-bogus";

/// Commands per device: fakenos types each command back one byte every 10 ms, so a
/// platform with a hundred commands is spread over several devices that run side by side
/// (but each device costs a connection: not too many).
const SHOWS_PER_DEVICE: usize = 30;

/// What differs where the simulator does not behave like the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aspect {
    /// The session cannot be used at all.
    Login,
    /// The unknown command is not reported failed with fakenos's message.
    Unknown,
    /// fakenos's enable is not used.
    Enable,
    /// The configuration step does not end as fakenos's prompts say it should.
    Config,
}

/// fakenos's answer to any unknown command on platforms that define no answer of their own.
const GENERIC_UNKNOWN: &str = "Unknown command";

/// Known, explained differences between fakenos and the devices it imitates, where netrun
/// keeps the real device's behaviour: (fakenos platform, aspect, why).
const EXPECTED: &[(&str, Aspect, &str)] = &[
    (
        "linux",
        Aspect::Login,
        "fakenos's linux refuses exec channels, which every sshd serves and netrun uses for \
         linux; its shell is no POSIX shell either (netrun's prompt marker needs `PS1`).",
    ),
    (
        "ericsson_ipos",
        Aspect::Enable,
        "IPOS raises privilege with `enable 15`; fakenos knows only a bare `enable`, so the \
         test gives this host no secret and runs its commands at `R>`.",
    ),
    (
        "yamaha",
        Aspect::Enable,
        "RTX routers enter administrator mode with `administrator`; fakenos knows only a bare \
         `enable`, so the test gives this host no secret and runs its commands at `R>`.",
    ),
    (
        "brocade_fastiron",
        Aspect::Config,
        "fakenos's configuration prompt is a fixed `brocade_fastiron(config)#` whatever the \
         device's name; netrun accepts only the device's own prompt, so the step times out.",
    ),
];

/// Platforms whose devices have no enable step, where fakenos still gives every platform a
/// generic `enable` leading to `R#`: netrun's definitions rightly have none.
const NO_ENABLE_ON_THE_DEVICE: &[&str] = &[
    "alcatel_aos",
    "checkpoint_gaia",
    "ciena_saos",
    "cisco_ftd",
    "cisco_nxos",
    "cisco_xr",
    "extreme_exos",
    "fortinet",
    "hp_comware",
    "huawei_vrp",
    "juniper_junos",
    "juniper_screenos",
    "mikrotik_routeros",
    "paloalto_panos",
    "ubiquiti_edgerouter",
    "vyatta_vyos",
    "zyxel_os",
];

const NO_ENABLE_NOTE: &str = "The device has no enable step (fakenos's `enable` is generic).";
const GENERIC_UNKNOWN_NOTE: &str = "fakenos answers `Unknown command`, which this device never prints; netrun recognises the \
     device's own error texts.";

fn expected(platform: &str, aspect: Aspect) -> Option<&'static str> {
    EXPECTED
        .iter()
        .find(|(p, a, _)| *p == platform && *a == aspect)
        .map(|(_, _, why)| *why)
}

fn platform_names() -> Vec<String> {
    let out = Command::new(python3())
        .args([
            "-c",
            "import json; from fakenos.core.nos import available_platforms as a; \
             print(json.dumps(sorted(a)))",
        ])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "cannot list fakenos's platforms:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

/// The long output, with fakenos's `{base_prompt}` placeholder for the device's name.
fn long_output() -> String {
    let prompts = ["{base_prompt}>", "{base_prompt}#", "{base_prompt}$"];
    let mut text = String::new();
    for i in 0..LONG_LINES {
        let line = match i % 4 {
            // A line that is exactly one of the device's prompts.
            0 => prompts[(i / 4) % prompts.len()].to_string(),
            1 => format!("{i:05} {{base_prompt}}(config-if)# description uplink {i}"),
            2 => format!("{{base_prompt}}> {i:05} counters 0 0 0 0"),
            _ => format!("{i:05} {}", "x".repeat(60)),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// The commands the test adds to a device of `described`'s platform.
fn extra_commands(described: &Value, long: &str) -> Value {
    let mut commands = json!({
        LONG_COMMAND: {"output": long, "help": "netrun: long output"},
        PRIVILEGE_PROBE: {"output": "privileged at {base_prompt}#",
                          "prompt": ["{base_prompt}#"], "help": "netrun: privilege probe"},
    });
    let config_prompts = config_prompts(described);
    if !config_prompts.is_empty() {
        commands[CONFIG_LINE] =
            json!({"output": "", "prompt": config_prompts, "help": "netrun: config line"});
    }
    commands
}

/// One fakenos platform and how netrun drives it.
struct Case {
    fakenos: String,
    netrun: &'static Platform,
    /// What fakenos knows about the platform (its `describe`).
    described: Value,
    /// netrun's enable command is one fakenos knows: the host gets a secret.
    try_enable: bool,
    /// The commands netrun sends after login, before the steps: `on_open` and enable.
    login: Vec<String>,
    /// The simulator's commands compared in the command run.
    shows: Vec<String>,
}

impl Case {
    fn fakenos_has(&self, command: &str) -> bool {
        self.described["commands"].get(command).is_some()
    }
}

/// One device served: a platform's probe and part of its commands.
struct Served {
    device: Device,
    case: usize,
    /// The first device of its platform also runs the long output, the unknown command and
    /// the configuration step.
    first: bool,
    shows: Vec<String>,
}

impl Served {
    fn command_steps(&self) -> Vec<String> {
        let mut steps = vec![PRIVILEGE_PROBE.to_string()];
        if self.first {
            steps.push(LONG_COMMAND.into());
        }
        steps.extend(self.shows.iter().cloned());
        if self.first {
            steps.push(UNKNOWN.into());
        }
        steps
    }
}

fn is_function(case: &Case, command: &str) -> bool {
    case.described["commands"][command]["output"] == "function"
}

fn accepted_at(command: &Value, prompt: &str, base: &str) -> bool {
    match command["prompts"].as_array() {
        None => true,
        Some(list) => list
            .iter()
            .any(|p| p.as_str().map(|p| p.replace("{base_prompt}", base)) == Some(prompt.into())),
    }
}

/// The results of one host in a `--output json` document, by step name.
fn steps_of(doc: &Value, host: &str) -> BTreeMap<String, Value> {
    let h = doc["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| h["host"] == host)
        .unwrap_or_else(|| panic!("no host {host} in {doc:#}"));
    let mut steps = BTreeMap::new();
    let mut stack: Vec<Value> = h["results"].as_array().cloned().unwrap_or_default();
    while let Some(node) = stack.pop() {
        if let Some(children) = node["children"].as_array() {
            stack.extend(children.iter().cloned());
        }
        if let Some(name) = node["name"].as_str() {
            steps.insert(name.to_string(), node.clone());
        }
    }
    steps
}

fn run_task(scratch: &Scratch, task: &str) -> (Session, Value) {
    let session = scratch.netrun(&[
        "run",
        task,
        "--inventory",
        "inventory",
        "--output",
        "json",
        "--workers",
        "100",
    ]);
    let doc: Value = serde_json::from_str(&session.stdout)
        .unwrap_or_else(|e| panic!("netrun's JSON does not parse ({e}):\n{session}"));
    (session, doc)
}

/// One row of the platform table.
#[derive(Default)]
struct Row {
    platform: String,
    fakenos: String,
    shows: String,
    unknown: String,
    enable: String,
    config: String,
    notes: Vec<String>,
}

/// The prompt fakenos shows after `replay`'s commands, or its first prompt.
fn prompt_after(case: &Case, replay: &Replay, commands: usize, base: &str) -> String {
    match commands.checked_sub(1) {
        Some(i) => replay.prompts.get(i).cloned().unwrap_or_default(),
        None => case.described["initial_prompt"]
            .as_str()
            .expect("initial prompt")
            .replace("{base_prompt}", base),
    }
}

#[test]
fn fakenos_every_platform_runs_built_in_like_the_simulator() {
    let started = std::time::Instant::now();
    let names = platform_names();
    assert!(names.len() >= 41, "fakenos lists only {names:?}");
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| Platforms::builtin().get(n).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "fakenos simulates platforms netrun's built-in table (src/platform/platforms.yaml) \
         does not know, by name or alias: {unknown:?}"
    );
    let scratch = Scratch::new();
    let mut fakenos = FakeNos::launch(&scratch);
    let described = fakenos.ask(json!({"op": "describe"}));
    let long = long_output();

    let mut cases: Vec<Case> = names
        .iter()
        .map(|name| {
            let netrun: &'static Platform = Platforms::builtin().get(name).expect("checked");
            let described = described["platforms"][name].clone();
            let try_enable = netrun
                .enable
                .as_ref()
                .is_some_and(|e| described["commands"].get(&e.command).is_some());
            let mut login = netrun.on_open.clone();
            if let (true, Some(enable)) = (try_enable, &netrun.enable) {
                login.push(enable.command.clone());
            }
            Case {
                fakenos: name.clone(),
                netrun,
                described,
                try_enable,
                login,
                shows: Vec::new(),
            }
        })
        .collect();

    // The commands compared: those fakenos defines that print something at the prompt
    // netrun's login ends at and lead nowhere else. Computed outputs may change the mode or
    // end the session (`quit`): each candidate is tried alone first.
    let models: Vec<Device> = cases
        .iter()
        .map(|c| {
            let mut d = Device::new(&c.fakenos, &c.fakenos, "R0");
            d.commands = extra_commands(&c.described, "");
            d
        })
        .collect();
    let logins: Vec<(&Device, Vec<String>)> = cases
        .iter()
        .zip(&models)
        .map(|(c, d)| (d, c.login.clone()))
        .collect();
    let after_login = fakenos.replay(&logins);
    let mut trials: Vec<(&Device, Vec<String>)> = Vec::new();
    let mut candidates: Vec<Vec<String>> = Vec::new();
    for ((case, model), replay) in cases.iter().zip(&models).zip(&after_login) {
        let prompt = prompt_after(case, replay, case.login.len(), "R0");
        let mut shows: Vec<String> = case.described["commands"]
            .as_object()
            .expect("commands")
            .iter()
            .filter(|(name, c)| {
                let kind = c["output"].as_str().unwrap_or_default();
                !name.starts_with('_')
                    && c["new_prompt"].is_null()
                    && (kind == "text" || (kind == "function" && !name.contains("clock")))
                    && accepted_at(c, &prompt, "R0")
            })
            .map(|(name, _)| name.clone())
            .collect();
        shows.sort();
        for show in shows.iter().filter(|s| is_function(case, s)) {
            let mut commands = case.login.clone();
            commands.push(show.clone());
            trials.push((model, commands));
        }
        candidates.push(shows);
    }
    let mut outcomes = fakenos.replay(&trials).into_iter();
    for ((case, shows), replay) in cases.iter_mut().zip(candidates).zip(&after_login) {
        let before = prompt_after(case, replay, case.login.len(), "R0");
        for show in shows {
            // A canned text changes nothing; only computed outputs were tried.
            let stays = !is_function(case, &show) || {
                let outcome = outcomes.next().expect("one outcome per trial");
                !outcome.closed && outcome.prompts.last() == Some(&before)
            };
            if stays {
                case.shows.push(show);
            }
        }
    }

    // The devices: each platform's commands in groups, one device per group.
    let mut served: Vec<Served> = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let groups: Vec<Vec<String>> = if case.shows.is_empty() {
            vec![Vec::new()]
        } else {
            case.shows
                .chunks(SHOWS_PER_DEVICE)
                .map(<[String]>::to_vec)
                .collect()
        };
        for (g, shows) in groups.into_iter().enumerate() {
            let name = match g {
                0 => case.fakenos.clone(),
                _ => format!("{}_{}", case.fakenos, g + 1),
            };
            let mut device = Device::new(&name, &case.fakenos, &format!("R{}", served.len() + 1));
            device.commands = extra_commands(&case.described, &long);
            served.push(Served {
                device,
                case: i,
                first: g == 0,
                shows,
            });
        }
    }
    fakenos.serve(served.iter().map(|s| s.device.clone()).collect());
    eprintln!(
        "fakenos: {} devices up after {:?}",
        served.len(),
        started.elapsed()
    );

    // The command run and the configuration run: every host in one run each.
    let max_shows = served.iter().map(|s| s.shows.len()).max().unwrap_or(0);
    let mut task = String::from("steps:\n");
    let mut step = |name: &str, command: &str, when: &str| {
        task.push_str(&format!(
            "  - name: {name}\n    command: {command:?}\n    ignore_errors: true\n    when: {when}\n"
        ));
    };
    step("probe", PRIVILEGE_PROBE, "true");
    step("long", LONG_COMMAND, "host.fakenos_first");
    for i in 0..max_shows {
        step(
            &format!("show{i}"),
            &format!("{{{{ host.fakenos_shows[{i}] }}}}"),
            &format!("host.fakenos_shows | length > {i}"),
        );
    }
    step("unknown", UNKNOWN, "host.fakenos_first");
    scratch.file("tasks/fakenos_commands.yaml", &task);
    scratch.file(
        "tasks/fakenos_config.yaml",
        &format!(
            "steps:\n  - name: config\n    when: host.fakenos_first and host.netrun_config\n    \
             config: [{CONFIG_LINE:?}]\n"
        ),
    );
    let inventory =
        |fakenos: &FakeNos, timeout: u32| {
            fakenos.write_inventory(
            &scratch,
            &format!("      command_timeout: {timeout}\n"),
            |d| {
                let s = served.iter().find(|s| s.device.name == d.name).expect("served");
                let case = &cases[s.case];
                let data = json!({"fakenos_shows": s.shows, "fakenos_first": s.first,
                                  "netrun_config": case.netrun.config.is_some()});
                let secret = if case.try_enable {
                    "  connection_options:\n    ssh:\n      extras:\n        secret: not-asked\n"
                } else {
                    ""
                };
                format!("  data: {data}\n{secret}")
            },
        );
        };
    inventory(&fakenos, 60);
    let (commands_session, commands_doc) = run_task(&scratch, "fakenos_commands");
    eprintln!(
        "fakenos: command run done after {:?}; slowest hosts: {}",
        started.elapsed(),
        slowest(&commands_doc)
    );
    // Configuration steps are short: a device that never shows the prompt netrun waits for
    // (brocade_fastiron) should not hold the run for long.
    inventory(&fakenos, 8);
    let (config_session, config_doc) = run_task(&scratch, "fakenos_config");
    eprintln!("fakenos: config run done after {:?}", started.elapsed());

    // What fakenos prints along the same commands.
    let sessions: Vec<(&Device, Vec<String>)> = served
        .iter()
        .map(|s| {
            let mut commands = cases[s.case].login.clone();
            commands.extend(s.command_steps());
            (&s.device, commands)
        })
        .collect();
    let command_replays = fakenos.replay(&sessions);
    let sessions: Vec<(&Device, Vec<String>)> = served
        .iter()
        .map(|s| {
            let case = &cases[s.case];
            let mut commands = case.login.clone();
            if let Some(config) = &case.netrun.config {
                commands.extend(config.enter.iter().cloned());
                commands.push(CONFIG_LINE.into());
                commands.extend(config.exit.iter().cloned());
            }
            (&s.device, commands)
        })
        .collect();
    let config_replays = fakenos.replay(&sessions);

    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let mut check = Check {
            case,
            problems: &mut problems,
            row: Row {
                platform: case.netrun.name.clone(),
                fakenos: case.fakenos.clone(),
                ..Row::default()
            },
            observed: Vec::new(),
        };
        let mut equal = 0;
        let mut rejected = 0;
        let mut usable = true;
        for (j, s) in served.iter().enumerate().filter(|(_, s)| s.case == i) {
            let steps = steps_of(&commands_doc, &s.device.name);
            let (e, r, u) = check.commands(s, &steps, &command_replays[j]);
            equal += e;
            rejected += r;
            usable &= u;
            if s.first && u {
                check.config(&steps_of(&config_doc, &s.device.name), &config_replays[j]);
            }
        }
        if usable {
            check.row.shows = format!("{equal}/{}", case.shows.len());
            if rejected > 0 {
                check
                    .row
                    .shows
                    .push_str(&format!(" ({rejected} an error text, failed)"));
            }
        }
        check.finish();
        rows.push(check.row);
    }
    let table = render_table(&rows);
    eprintln!("fakenos: checked after {:?}\n{table}", started.elapsed());
    check_doc(&table, &mut problems);
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}\n\ncommand run:\n{}\nconfig run:\n{}\nfakenos log:\n{}",
        problems.len(),
        problems.join("\n"),
        commands_session.stderr,
        config_session.stderr,
        fakenos.log()
    );
}

/// The checks of one platform, building its row.
struct Check<'a> {
    case: &'a Case,
    problems: &'a mut Vec<String>,
    row: Row,
    /// Differences seen, each with the note that explains it.
    observed: Vec<(Aspect, Option<&'static str>)>,
}

impl Check<'_> {
    fn differ(&mut self, aspect: Aspect, note: Option<&'static str>) {
        if !self.observed.iter().any(|(a, _)| *a == aspect) {
            self.observed.push((aspect, note));
        }
    }

    /// One device's command run: (commands equal, of which failed as error texts, usable).
    fn commands(
        &mut self,
        served: &Served,
        steps: &BTreeMap<String, Value>,
        replay: &Replay,
    ) -> (usize, usize, bool) {
        let name = served.device.name.clone();
        let case = self.case;
        if replay.closed {
            self.problems.push(format!(
                "{name}: fakenos ended the session during {:?}",
                served.command_steps()
            ));
        }
        let offset = case.login.len();
        let want = |i: usize| replay.outputs.get(offset + i).cloned().unwrap_or_default();
        let got = |step: &str| steps.get(step).cloned().unwrap_or(Value::Null);
        let rejected_by_device = |node: &Value| {
            node["status"] == "failed"
                && node["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("device rejected"))
        };
        let probe = got("probe");
        if probe["status"] != "ok" && !rejected_by_device(&probe) {
            self.differ(Aspect::Login, None);
            let error = probe["error"].as_str().unwrap_or("?");
            self.row.shows = format!("— ({})", first_line(error));
            return (0, 0, false);
        }
        // Enable: the probe answers only at fakenos's privileged prompt.
        if probe["result"].as_str() != Some(want(0).as_str()) {
            self.problems.push(format!(
                "{name}: the privilege probe differs from fakenos's {:?}: {probe:#}",
                want(0)
            ));
        }
        if served.first {
            let privileged = want(0).starts_with("privileged at");
            let on_open = case.netrun.on_open.len();
            let landed = replay
                .prompts
                .get(on_open.wrapping_sub(1))
                .map_or(case.described["initial_prompt"] == "{base_prompt}#", |p| {
                    p.ends_with('#')
                });
            self.row.enable = match (&case.netrun.enable, privileged) {
                (_, true) if landed => "lands privileged".into(),
                (Some(e), true) => format!("entered (`{}`)", e.command),
                (Some(e), false) => {
                    self.differ(Aspect::Enable, None);
                    format!("not tried: fakenos has no `{}`", e.command)
                }
                (None, true) => "none".into(),
                (None, false) if case.fakenos_has("enable") => {
                    let known = NO_ENABLE_ON_THE_DEVICE.contains(&case.fakenos.as_str());
                    if !known {
                        self.differ(Aspect::Enable, None);
                    }
                    self.row.notes.push(NO_ENABLE_NOTE.into());
                    "none on the device".into()
                }
                (None, false) => "none".into(),
            };
        }
        let mut steps_checked: Vec<(String, &str)> = served
            .shows
            .iter()
            .enumerate()
            .map(|(k, c)| (format!("show{k}"), c.as_str()))
            .collect();
        if served.first {
            steps_checked.insert(0, ("long".into(), LONG_COMMAND));
        }
        let (mut equal, mut rejected) = (0, 0);
        for (k, (step, command)) in steps_checked.iter().enumerate() {
            let node = got(step);
            let text = node["result"].as_str().unwrap_or_default();
            // Some of fakenos's canned outputs are the device's own error messages: those
            // must fail, with the same text.
            let failed = rejected_by_device(&node);
            if (node["status"] == "ok" || failed) && text == want(1 + k) {
                if step != "long" {
                    equal += 1;
                    rejected += usize::from(failed);
                }
            } else {
                self.problems.push(format!(
                    "{name} `{command}`: status {} (error {}), result differs from fakenos: {}",
                    node["status"],
                    node["error"],
                    first_difference(text, &want(1 + k))
                ));
            }
        }
        if served.first {
            // Unknown command: failed, with the device's message.
            let message = want(1 + steps_checked.len());
            let node = got("unknown");
            let error = node["error"].as_str().unwrap_or_default();
            if node["status"] == "failed"
                && error.contains(&message)
                && node["result"] == message.as_str()
            {
                self.row.unknown = format!("failed: `{}`", first_line(&message));
            } else if message == GENERIC_UNKNOWN && node["status"] == "ok" {
                self.row.unknown = format!("ok: `{message}`");
                self.row.notes.push(GENERIC_UNKNOWN_NOTE.into());
            } else {
                self.differ(Aspect::Unknown, None);
                self.row.unknown = format!(
                    "{}: `{}`",
                    node["status"].as_str().unwrap_or("?"),
                    first_line(&message)
                );
            }
        }
        (equal, rejected, true)
    }

    /// The configuration step: changed only when fakenos's prompt entered and left
    /// configuration mode.
    fn config(&mut self, steps: &BTreeMap<String, Value>, replay: &Replay) {
        let case = self.case;
        let node = steps.get("config").cloned().unwrap_or(Value::Null);
        let Some(spec) = case.netrun.config.as_ref() else {
            if node["status"] != "skipped" {
                self.problems.push(format!(
                    "{}: config step ran without a config mode: {node:#}",
                    case.fakenos
                ));
            }
            self.row.config = "—".into();
            return;
        };
        let login = case.login.len();
        let prompt = |i: usize| replay.prompts.get(i).cloned().unwrap_or_default();
        let before = match login.checked_sub(1) {
            Some(i) => prompt(i),
            None => case.described["initial_prompt"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let entered_at = login + spec.enter.len() - 1;
        let entered = !prompt(entered_at).is_empty() && prompt(entered_at) != before;
        let line_ok = replay
            .outputs
            .get(entered_at + 1)
            .is_some_and(String::is_empty);
        let left = !replay.closed && replay.prompts.last() == Some(&before);
        let want_changed = entered && line_ok && left;
        let failed = matches!(node["status"].as_str(), Some("failed" | "timeout"));
        let changed = node["changed"] == true && !failed;
        if changed != want_changed || (!want_changed && !failed) {
            self.problems.push(format!(
                "{}: config step {} but fakenos {} configuration mode (prompts {:?}): {node:#}",
                case.fakenos,
                node["status"],
                if want_changed {
                    "entered and left"
                } else {
                    "did not enter and leave"
                },
                replay.prompts
            ));
        }
        self.row.config = match (want_changed, entered) {
            (true, _) => "changed".into(),
            (false, true) => {
                self.differ(Aspect::Config, None);
                format!("{}: not left", node["status"].as_str().unwrap_or("?"))
            }
            (false, false) => format!(
                "{}: fakenos has no such mode (prompt stays `{}`)",
                node["status"].as_str().unwrap_or("?"),
                before.replace(&base_of(&before), "R")
            ),
        };
    }

    /// Every difference seen must be an expected one, and every expected one seen.
    fn finish(&mut self) {
        let platform = self.case.fakenos.as_str();
        for (aspect, _) in self.observed.clone() {
            match expected(platform, aspect) {
                Some(why) => self.row.notes.push(why.into()),
                None => self
                    .problems
                    .push(format!("{platform}: unexpected {aspect:?} difference")),
            }
        }
        for (p, aspect, _) in EXPECTED {
            if *p == platform && !self.observed.iter().any(|(a, _)| a == aspect) {
                self.problems.push(format!(
                    "{platform}: the expected {aspect:?} difference no longer happens; \
                     remove it from EXPECTED"
                ));
            }
        }
        if self.row.enable == "none on the device" && !NO_ENABLE_ON_THE_DEVICE.contains(&platform) {
            self.problems
                .push(format!("{platform}: not in NO_ENABLE_ON_THE_DEVICE"));
        }
        if NO_ENABLE_ON_THE_DEVICE.contains(&platform) && self.row.enable != "none on the device" {
            self.problems.push(format!(
                "{platform}: listed in NO_ENABLE_ON_THE_DEVICE but its enable is {:?}",
                self.row.enable
            ));
        }
    }
}

/// The three slowest hosts of a run, for the log.
fn slowest(doc: &Value) -> String {
    let mut hosts: Vec<(u64, String)> = doc["hosts"]
        .as_array()
        .map(|hosts| {
            hosts
                .iter()
                .map(|h| {
                    let steps = h["results"].as_array().cloned().unwrap_or_default();
                    let ms = steps.iter().filter_map(|s| s["duration_ms"].as_u64()).sum();
                    (ms, h["host"].as_str().unwrap_or("?").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    hosts.sort();
    hosts
        .iter()
        .rev()
        .take(3)
        .map(|(ms, h)| format!("{h} {ms} ms"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `R12` of `R12#`: the device names differ between runs of the table, not the prompts.
fn base_of(prompt: &str) -> String {
    prompt
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// fakenos's configuration prompts of a platform: where its commands lead that are not the
/// user or privileged prompt.
fn config_prompts(described: &Value) -> Vec<String> {
    let mut prompts: Vec<String> = described["commands"]
        .as_object()
        .expect("commands")
        .values()
        .filter_map(|c| c["new_prompt"].as_str())
        .filter(|p| p.contains("config"))
        .map(str::to_string)
        .collect();
    prompts.sort();
    prompts.dedup();
    prompts
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let line: String = line.chars().take(60).collect();
    line.replace('|', "\\|")
}

fn first_difference(got: &str, want: &str) -> String {
    let at = got
        .char_indices()
        .zip(want.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(got.len().min(want.len()));
    let from = at.saturating_sub(40);
    let slice = |s: &str| {
        s.get(from..(at + 40).min(s.len()))
            .unwrap_or_default()
            .to_string()
    };
    format!(
        "at byte {at} (lengths {} / {}): netrun {:?} / fakenos {:?}",
        got.len(),
        want.len(),
        slice(got),
        slice(want)
    )
}

fn render_table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| platform | fakenos | show commands equal | unknown command | enable | config | notes |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.platform,
            r.fakenos,
            r.shows,
            r.unknown,
            r.enable,
            r.config,
            r.notes.join(" ")
        ));
    }
    text
}

const DOC: &str = "docs/platforms.md";
const START: &str = "<!-- fakenos table: generated by tests/cli/fakenos/platforms.rs -->\n";
const END: &str = "<!-- end of fakenos table -->\n";

/// The table in docs/platforms.md must be the one this run produced.
fn check_doc(table: &str, problems: &mut Vec<String>) {
    let path = repo().join(DOC);
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        problems.push(format!("{DOC} lacks the markers {START:?} and {END:?}"));
        return;
    };
    let current = &doc[start + START.len()..end];
    if current == table {
        return;
    }
    if std::env::var_os("NETRUN_UPDATE_DOCS").is_some() {
        let updated = format!("{}{START}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).expect("write the doc");
        return;
    }
    problems.push(format!(
        "the table in {DOC} is stale; NETRUN_UPDATE_DOCS=1 rewrites it. This run's table:\n{table}"
    ));
}
