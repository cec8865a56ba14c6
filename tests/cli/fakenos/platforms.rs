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

mod verdict;

use super::{Device, FakeNos, Replay, python3};
use crate::support::{Scratch, Session};
use netrun::platform::{Platform, Platforms};
use serde_json::{Value, json};
use std::process::Command;
use verdict::{Check, Row, check_doc, render_table, slowest, steps_of};

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
