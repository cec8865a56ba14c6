//! Dialects for the built-in platforms that have no dialect file of their own: the family
//! dialect (`dialects/cli.yaml`, or `linux` for platforms driven through a POSIX shell) with
//! everything netrun relies on taken from the platform's definition in the built-in table, so
//! the lab and netrun cannot disagree: each prompt is the platform's first example prompt with
//! the device's name in place of the example's, and the enable, configuration, paging and
//! session-setup commands are the ones netrun sends.

use regex::{Regex, RegexBuilder};
use serde_yaml::{Mapping, Value};

use crate::platform::Platform;
use crate::platform::{Pattern, PromptPattern};

/// The host name the derived prompts are checked with; a prompt pattern that does not accept
/// it keeps the example's own name.
const SAMPLE_HOST: &str = "lab-edge01";

/// Pager texts devices print, tried in order against the platform's pager patterns.
const PAGERS: &[&str] = &[
    " --More-- ",
    "--More--",
    "-- More --",
    "-- MORE --, next page: Space, next line: Enter, quit: q",
    "--More-- or (q)uit",
    "---(more)---",
    "---- More ----",
    "---MORE---",
    "--- more ---",
    "Press any key to continue (Q to quit)",
    "Type <CR> to continue, Q<CR> to stop:",
    "More: <space>,  Quit: q or CTRL+Z, One line: <return> ",
];

/// Password questions, tried in order against the platform's enable password pattern.
const PASSWORDS: &[&str] = &["Password: ", "password: ", "Enable password: "];

/// Lines shaped like other devices' prompts, printed by every derived lookalike command.
const FOREIGN_PROMPTS: &[&str] = &[
    "edge12#",
    "R1>",
    "[edit]",
    "user@host>",
    "core-sw1(config)#",
];

/// The family a platform without a dialect borrows its outputs from.
pub(super) fn family(platform: &Platform) -> &'static str {
    if platform.marker { "linux" } else { "cli" }
}

/// The patch that turns the family dialect into this platform's (merged over the family by the
/// catalog, like an `extends` child).
pub(super) fn patch(platform: &Platform) -> Result<Value, String> {
    let def = &platform.def;
    let mut root = Mapping::new();
    let set = |m: &mut Mapping, k: &str, v: Value| {
        m.insert(Value::from(k), v);
    };
    set(&mut root, "name", Value::from(platform.name.clone()));
    set(
        &mut root,
        "about",
        Value::from(format!(
            "{} (the lab's `{}` family dialect with this platform's prompts and commands)",
            platform.name,
            family(platform)
        )),
    );
    set(&mut root, "lookalike", Value::from("show log"));
    let examples = &def.examples;
    let user = prompt(&def.prompt.user, &examples.user).ok_or_else(|| {
        format!(
            "platform {}: no user prompt example to simulate",
            platform.name
        )
    })?;
    let privileged = match &def.prompt.privileged {
        Some(p) if def.enable.is_some() => prompt(p, &examples.privileged),
        _ => None,
    }
    .unwrap_or_else(|| user.clone());
    let config = def
        .prompt
        .config
        .as_ref()
        .and_then(|p| prompt(p, &examples.config))
        .unwrap_or_else(|| privileged.clone());
    let mut prompts = Mapping::new();
    set(&mut prompts, "user", Value::from(user));
    set(&mut prompts, "privileged", Value::from(privileged));
    set(&mut prompts, "config", Value::from(config.clone()));
    set(&mut prompts, "submode", Value::from(config));
    set(&mut root, "prompt", Value::Mapping(prompts));
    set(&mut root, "start", Value::from("privileged"));

    let mut commands = Mapping::new();
    // Keys differ by trailing spaces where one command means two things in two modes (`exit`
    // leaving configuration mode, then `exit` again in exec mode); the words are the same.
    let mut command = |words: &str, action: &str, modes: &[&str]| {
        let mut entry = Mapping::new();
        entry.insert(Value::from("action"), Value::from(action));
        entry.insert(
            Value::from("modes"),
            Value::Sequence(modes.iter().map(|m| Value::from(*m)).collect()),
        );
        let mut key = words.trim().to_string();
        while commands.contains_key(key.as_str()) {
            key.push(' ');
        }
        commands.insert(Value::from(key), Value::Mapping(entry));
    };
    // Without an enable step the login lands where netrun's user prompt says, with every
    // privilege: the privileged prompt is the user one.
    let exec: &[&str] = if def.enable.is_some() {
        &["privileged"]
    } else {
        &["user", "privileged"]
    };
    match &def.enable {
        None => set(&mut root, "enable", Value::Null),
        Some(enable) => {
            command(&enable.command, "enable", &["user"]);
            let question = pick(PASSWORDS, &[&enable.password_prompt], true)
                .unwrap_or_else(|| unescape(&enable.password_prompt.0));
            let mut e = Mapping::new();
            set(
                &mut e,
                "password",
                Value::from(question.replace('{', "{{").replace('}', "}}")),
            );
            set(&mut e, "tries", Value::from(3));
            set(&mut e, "failed", Value::from("% Access denied\n"));
            set(&mut root, "enable", Value::Mapping(e));
        }
    }
    if let Some(cfg) = &def.config {
        for (i, line) in cfg.enter.iter().enumerate() {
            if i == 0 {
                command(line, "configure", exec);
            } else {
                command(line, "noop", &["config"]);
            }
        }
        for (line, action, in_config) in leave_steps(&cfg.exit) {
            command(line, action, if in_config { &["config"] } else { exec });
        }
        // A sub-mode, so Ctrl-Z (an exit "command" on some CLIs) leaves configuration mode.
        let mut submode = Mapping::new();
        set(&mut submode, "match", Value::from("interface *"));
        set(&mut submode, "name", Value::from("config-if"));
        let mut config = Mapping::new();
        set(
            &mut config,
            "submodes",
            Value::Sequence(vec![Value::Mapping(submode)]),
        );
        set(&mut root, "config", Value::Mapping(config));
    }
    // Session setup (paging off, ...) after the configuration commands, which it may use.
    let known = |line: &String| {
        def.config
            .as_ref()
            .is_some_and(|c| c.enter.contains(line) || c.exit.contains(line))
    };
    for line in def.on_open.iter().filter(|l| !known(l)) {
        command(line, "paging_off", &["user", "privileged", "config"]);
    }
    let patterns: Vec<&Pattern> = def.pager.patterns.iter().collect();
    let mut paging = Mapping::new();
    match pick(PAGERS, &patterns, false) {
        Some(marker) => {
            set(&mut paging, "length", Value::from(24));
            set(&mut paging, "marker", Value::from(marker));
        }
        None => set(&mut paging, "length", Value::from(0)),
    }
    set(&mut root, "paging", Value::Mapping(paging));
    if def.username_suffix.is_some() {
        set(&mut root, "user_options", Value::from(true));
    }
    let mut lookalike = FOREIGN_PROMPTS
        .iter()
        .map(|s| (*s).to_string())
        .chain(examples.user.iter().cloned())
        .chain(examples.privileged.iter().cloned())
        .chain(examples.config.iter().cloned())
        .chain(examples.lookalikes.iter().cloned())
        .chain(examples.context.iter().cloned())
        .collect::<Vec<_>>();
    lookalike.push("-- end of log --".into());
    let log = lookalike
        .iter()
        .map(|l| l.replace("{{", "{ {").replace("{%", "{ %"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut log_entry = Mapping::new();
    set(&mut log_entry, "output", Value::from(log));
    set(
        &mut log_entry,
        "modes",
        Value::Sequence(exec.iter().map(|m| Value::from(*m)).collect()),
    );
    commands.insert(Value::from("show log"), Value::Mapping(log_entry));
    set(&mut root, "commands", Value::Mapping(commands));
    Ok(Value::Mapping(root))
}

/// What each exit command does: the first of the usual leaving words (else the last command)
/// leaves configuration mode, those before it do nothing there, and those that then arrive in
/// exec mode do nothing there. Each command once per mode; `true`: configuration mode.
fn leave_steps(exit: &[String]) -> Vec<(&str, &'static str, bool)> {
    let leaving = exit
        .iter()
        .position(|c| matches!(c.trim(), "end" | "return" | "exit all" | "quit"))
        .unwrap_or(exit.len().saturating_sub(1));
    let mut in_config: Vec<(&str, &'static str)> = Vec::new();
    for (i, line) in exit.iter().enumerate().take(leaving + 1) {
        let action = if i == leaving { "end" } else { "noop" };
        match in_config.iter_mut().find(|(l, _)| l.trim() == line.trim()) {
            Some(slot) if action == "end" => slot.1 = action,
            Some(_) => {}
            None => in_config.push((line.as_str(), action)),
        }
    }
    // Replayed with the final meanings: what arrives after the leaving step is exec mode's.
    let mut steps: Vec<(&str, &'static str, bool)> =
        in_config.iter().map(|(l, a)| (*l, *a, true)).collect();
    let mut config = true;
    for line in exit {
        if config {
            config = in_config
                .iter()
                .find(|(l, _)| l.trim() == line.trim())
                .is_none_or(|(_, a)| *a != "end");
        } else if !steps.iter().any(|(l, _, c)| !c && l.trim() == line.trim()) {
            steps.push((line.as_str(), "noop", false));
        }
    }
    steps
}

/// A prompt template from the first example the pattern accepts: the example with the
/// captured base name replaced by `{hostname}` (when the pattern accepts a host name there).
fn prompt(pattern: &PromptPattern, examples: &[String]) -> Option<String> {
    let re = Regex::new(&format!("^(?:{})$", pattern.0)).ok()?;
    let example = examples.iter().find(|e| re.is_match(e.trim_end()))?;
    let escape = |s: &str| s.replace('{', "{{").replace('}', "}}");
    let Some(base) = re.captures(example.trim_end()).and_then(|c| c.name("base")) else {
        return Some(escape(example));
    };
    let (before, after) = (&example[..base.start()], &example[base.end()..]);
    let with_sample = format!("{before}{SAMPLE_HOST}{after}");
    if re.is_match(with_sample.trim_end()) {
        Some(format!("{}{{hostname}}{}", escape(before), escape(after)))
    } else {
        Some(escape(example))
    }
}

/// The first candidate one of the patterns finds (`whole`: matches it entirely).
fn pick(candidates: &[&str], patterns: &[&Pattern], whole: bool) -> Option<String> {
    let compiled: Vec<Regex> = patterns
        .iter()
        .filter_map(|p| {
            let source = if whole {
                format!("^(?:{})$", p.0)
            } else {
                p.0.clone()
            };
            RegexBuilder::new(&source).build().ok()
        })
        .collect();
    candidates
        .iter()
        .find(|c| compiled.iter().any(|re| re.is_match(c)))
        .map(|c| (*c).to_string())
}

/// A regex of literal text with its escapes removed (a last resort for a question text).
fn unescape(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '^' | '$' => {}
            _ => out.push(c),
        }
    }
    out
}
