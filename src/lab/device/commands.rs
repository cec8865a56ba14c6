//! What a lab device does with a command line: built-in commands, canned outputs with their
//! filters, and configuration-mode lines.

use serde_json::Value;

use super::super::catalog::Platform;
use super::config::*;
use super::matching::*;
use super::*;

/// Cisco exec-mode commands handled by the state machine itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Builtin {
    Enable,
    Disable,
    TermLength,
    TermWidth,
    Noop,
    Configure,
    Exit,
}

pub(super) const CISCO_BUILTINS: &[(&str, Builtin)] = &[
    ("enable", Builtin::Enable),
    ("disable", Builtin::Disable),
    ("terminal length *", Builtin::TermLength),
    ("terminal width *", Builtin::TermWidth),
    ("terminal monitor", Builtin::Noop),
    ("terminal no monitor", Builtin::Noop),
    ("terminal pager *", Builtin::TermLength),
    ("configure terminal", Builtin::Configure),
    ("configure", Builtin::Configure),
    ("exit", Builtin::Exit),
    ("logout", Builtin::Exit),
    ("quit", Builtin::Exit),
];

pub(super) const JUNOS_BUILTINS: &[(&str, Builtin)] = &[
    ("set cli screen-length *", Builtin::TermLength),
    ("set cli screen-width *", Builtin::TermWidth),
    ("set cli complete-on-space *", Builtin::Noop),
    ("set cli terminal *", Builtin::Noop),
    ("set cli timestamp *", Builtin::Noop),
    ("configure", Builtin::Configure),
    ("configure private", Builtin::Configure),
    ("configure exclusive", Builtin::Configure),
    ("edit", Builtin::Configure),
    ("exit", Builtin::Exit),
    ("quit", Builtin::Exit),
];

pub(super) const LINUX_BUILTINS: &[(&str, Builtin)] =
    &[("exit", Builtin::Exit), ("logout", Builtin::Exit)];

impl Device {
    /// Runs one non-empty line in the current mode; `prompt_len` aligns error carets.
    pub(super) fn run(&mut self, line: &str, prompt_len: usize) -> Reply {
        match (self.shared.platform, self.mode) {
            (Platform::Linux, _) => self.run_exec(line, prompt_len),
            (Platform::Junos, Mode::Config) => self.run_junos_config(line, prompt_len),
            (_, Mode::Config) => self.run_cisco_config(line, prompt_len),
            _ => self.run_exec(line, prompt_len),
        }
    }

    /// Operational/exec mode: builtins, canned outputs and output filters.
    fn run_exec(&mut self, line: &str, prompt_len: usize) -> Reply {
        let platform = self.shared.platform;
        let (command, filters) = if platform == Platform::Linux {
            (line, None)
        } else {
            match line.find('|') {
                Some(at) => (&line[..at], Some(&line[at + 1..])),
                None => (line, None),
            }
        };
        let words = words(command);
        let abbreviate = platform != Platform::Linux;
        let builtins = match platform {
            Platform::Junos => JUNOS_BUILTINS,
            Platform::Linux => LINUX_BUILTINS,
            _ => CISCO_BUILTINS,
        };
        let mut best = 0;
        for (pattern, builtin) in builtins {
            let (pattern_words, wildcard) = split_pattern(pattern);
            match match_words(&pattern_words, wildcard, &words, abbreviate) {
                Match::Full(args) => {
                    let args = args.map(|at| command[at..].trim()).unwrap_or("");
                    return self.run_builtin(*builtin, args, command, prompt_len);
                }
                Match::Partial(depth) => best = best.max(depth),
            }
        }
        let catalog = Arc::clone(&self.shared.catalog);
        for def in &catalog.platform(platform).commands {
            let pattern: Vec<&str> = def.words.iter().map(String::as_str).collect();
            match match_words(&pattern, def.wildcard, &words, abbreviate) {
                Match::Full(args) => {
                    let args = args.map(|at| command[at..].trim()).unwrap_or("");
                    let display_set = filters.is_some_and(|f| f.contains("display set"));
                    let text = match self.render(&def.template, args, display_set) {
                        Ok(text) => text,
                        Err(err) => return Reply::Error(format!("% lab template error: {err:#}")),
                    };
                    return match filters {
                        Some(f) => {
                            let offset = line.len() - f.len();
                            self.filter(text, f, offset, prompt_len)
                        }
                        None => Reply::Text {
                            text,
                            pageable: true,
                        },
                    };
                }
                Match::Partial(depth) => best = best.max(depth),
            }
        }
        self.invalid(command, &words, best, prompt_len)
    }

    fn run_builtin(
        &mut self,
        builtin: Builtin,
        args: &str,
        line: &str,
        prompt_len: usize,
    ) -> Reply {
        match builtin {
            Builtin::Enable => {
                if self.mode == Mode::User && self.shared.enable_secret.is_some() {
                    Reply::AskSecret
                } else {
                    self.mode = Mode::Privileged;
                    Reply::Nothing
                }
            }
            Builtin::Disable => {
                if self.shared.enable_secret.is_some() {
                    self.mode = Mode::User;
                }
                Reply::Nothing
            }
            Builtin::TermLength | Builtin::TermWidth => match args.parse::<usize>() {
                Ok(n) => {
                    let length = builtin == Builtin::TermLength;
                    if length {
                        self.page_len = n;
                    }
                    // netmiko waits for these confirmations on EOS and Junos.
                    let note = match (self.shared.platform, length) {
                        (Platform::Eos, true) if n == 0 => "Pagination disabled.".to_string(),
                        (Platform::Eos, true) => format!("Pagination set to {n} lines."),
                        (Platform::Eos, false) => format!("Width set to {n} columns."),
                        (Platform::Junos, true) => format!("Screen length set to {n}"),
                        (Platform::Junos, false) => format!("Screen width set to {n}"),
                        _ => return Reply::Nothing,
                    };
                    Reply::Text {
                        text: note,
                        pageable: false,
                    }
                }
                Err(_) => {
                    let at = line.len() - line.trim_start().len() + line.trim().len() - args.len();
                    self.error_at(at, prompt_len, false)
                }
            },
            Builtin::Noop if self.shared.platform == Platform::Junos => {
                let text = if line.contains("complete-on-space") {
                    if args == "off" {
                        "Disabling complete-on-space"
                    } else {
                        "Enabling complete-on-space"
                    }
                } else {
                    ""
                };
                Reply::Text {
                    text: text.into(),
                    pageable: false,
                }
            }
            Builtin::Noop => Reply::Nothing,
            Builtin::Configure => {
                if self.mode == Mode::User {
                    let ws = words(line);
                    return self.invalid(line, &ws, 0, prompt_len);
                }
                self.mode = Mode::Config;
                self.submode = None;
                match self.shared.platform {
                    Platform::Junos => {
                        self.candidate = match &self.shared.store().config {
                            Config::SetLines(lines) => lines.clone(),
                            Config::Blocks(_) => Vec::new(),
                        };
                        Reply::Text {
                            text: "Entering configuration mode".into(),
                            pageable: false,
                        }
                    }
                    Platform::Ios | Platform::Nxos => Reply::Text {
                        text: "Enter configuration commands, one per line.  End with CNTL/Z."
                            .into(),
                        pageable: false,
                    },
                    _ => Reply::Nothing,
                }
            }
            Builtin::Exit => Reply::Close,
        }
    }

    /// The platform's "unknown command" answer, caret under word `depth`.
    fn invalid(
        &self,
        line: &str,
        words: &[(usize, &str)],
        depth: usize,
        prompt_len: usize,
    ) -> Reply {
        let platform = self.shared.platform;
        if platform == Platform::Linux {
            let first = words.first().map(|(_, w)| *w).unwrap_or("");
            return Reply::Error(format!("bash: {first}: command not found"));
        }
        match words.get(depth) {
            Some((at, _)) => self.error_at(*at, prompt_len, depth == 0),
            None => Reply::Error(match platform {
                Platform::Junos => {
                    let at = prompt_len + line.trim_end().len() + 1;
                    format!(
                        "{}^\nsyntax error, command is not complete.",
                        " ".repeat(at)
                    )
                }
                Platform::Nxos => "% Incomplete command at '^' marker.".into(),
                _ => "% Incomplete command.\n\n".into(),
            }),
        }
    }

    /// An error pointing at byte `at` of the typed line.
    fn error_at(&self, at: usize, prompt_len: usize, first_word: bool) -> Reply {
        let caret = format!("{}^", " ".repeat(prompt_len + at));
        Reply::Error(match self.shared.platform {
            Platform::Eos => "% Invalid input".into(),
            Platform::Nxos => format!("{caret}\n% Invalid command at '^' marker."),
            Platform::Junos if first_word => format!("{caret}\nunknown command."),
            Platform::Junos => format!("{caret}\nsyntax error, expecting <command>."),
            _ => format!("{caret}\n% Invalid input detected at '^' marker.\n\n"),
        })
    }

    /// Applies `| include ...`-style output filters (Cisco and Junos names).
    fn filter(&self, mut text: String, filters: &str, offset: usize, prompt_len: usize) -> Reply {
        let mut pageable = true;
        let mut base = offset;
        for stage in filters.split('|') {
            let ws = words(stage);
            let Some((at, verb)) = ws.first().copied() else {
                return self.error_at(base, prompt_len, false);
            };
            let arg = stage[at + verb.len()..].trim();
            let verb = verb.to_ascii_lowercase();
            let is = |full: &str| full.starts_with(verb.as_str());
            let keep = |f: &dyn Fn(&str) -> bool, text: &str| -> String {
                text.lines().filter(|l| f(l)).collect::<Vec<_>>().join("\n")
            };
            let pattern = regex::Regex::new(arg);
            text = if is("include") || (self.shared.platform == Platform::Junos && is("match")) {
                match &pattern {
                    Ok(re) => keep(&|l| re.is_match(l), &text),
                    Err(_) => text
                        .lines()
                        .filter(|l| l.contains(arg))
                        .collect::<Vec<_>>()
                        .join("\n"),
                }
            } else if is("exclude") || (self.shared.platform == Platform::Junos && is("except")) {
                match &pattern {
                    Ok(re) => keep(&|l| !re.is_match(l), &text),
                    Err(_) => text
                        .lines()
                        .filter(|l| !l.contains(arg))
                        .collect::<Vec<_>>()
                        .join("\n"),
                }
            } else if is("begin") {
                let mut started = false;
                text.lines()
                    .filter(|l| {
                        started = started || pattern.as_ref().is_ok_and(|re| re.is_match(l));
                        started
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            } else if is("section") {
                let mut inside = false;
                text.lines()
                    .filter(|l| {
                        if !l.starts_with(' ') {
                            inside = pattern.as_ref().is_ok_and(|re| re.is_match(l));
                        }
                        inside
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            } else if is("count") && self.shared.platform == Platform::Junos {
                format!("Count: {} lines", text.lines().count())
            } else if is("count") {
                let n = match &pattern {
                    Ok(re) => text.lines().filter(|l| re.is_match(l)).count(),
                    Err(_) => 0,
                };
                format!("Number of lines which match regexp = {n}")
            } else if self.shared.platform == Platform::Junos && is("no-more") {
                pageable = false;
                text
            } else if self.shared.platform == Platform::Junos && is("display") {
                text
            } else {
                return self.error_at(base + at, prompt_len, false);
            };
            base += stage.len() + 1;
        }
        Reply::Text { text, pageable }
    }

    /// Renders a canned output over the device vars and the live session state.
    fn render(
        &self,
        template: &str,
        args: &str,
        display_set: bool,
    ) -> Result<String, minijinja::Error> {
        let mut ctx = self.shared.vars.clone();
        let (hostname, running) = {
            let store = self.shared.store();
            let running = match &store.config {
                Config::Blocks(blocks) => {
                    render_blocks(blocks, self.shared.platform, self.indent())
                }
                Config::SetLines(lines) if display_set => lines
                    .iter()
                    .map(|l| format!("set {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Config::SetLines(lines) => render_junos_tree(lines, self.indent()),
            };
            (store.hostname.clone(), running)
        };
        ctx.insert("name".into(), Value::from(self.shared.name.clone()));
        ctx.insert("hostname".into(), Value::from(hostname));
        ctx.insert("username".into(), Value::from(self.shared.username.clone()));
        ctx.insert("platform".into(), Value::from(self.shared.platform.name()));
        ctx.insert("running_config".into(), Value::from(running));
        ctx.insert("args".into(), Value::from(args));
        ctx.insert("now".into(), now_value());
        self.shared.catalog.render(template, &Value::Object(ctx))
    }

    fn indent(&self) -> usize {
        self.shared.catalog.platform(self.shared.platform).indent
    }

    /// Cisco configuration mode: `end`, `exit`, `do`, sub-modes; everything else is stored.
    fn run_cisco_config(&mut self, line: &str, prompt_len: usize) -> Reply {
        let trimmed = line.trim();
        let lower = trimmed.to_ascii_lowercase();
        let first = lower.split_whitespace().next().unwrap_or("");
        if first == "end" || (self.shared.platform == Platform::Iosxr && first == "abort") {
            self.leave_config();
            return Reply::Nothing;
        }
        if first == "exit" {
            if self.submode.is_some() {
                self.submode = None;
            } else {
                self.leave_config();
            }
            return Reply::Nothing;
        }
        if first == "do" {
            let offset = line.len() - line.trim_start().len() + 2;
            let rest = &line[offset.min(line.len())..];
            let saved = self.mode;
            self.mode = Mode::Privileged;
            let reply = self.run_exec(rest, prompt_len + offset);
            if self.mode == Mode::Privileged {
                self.mode = saved;
            }
            return reply;
        }
        if self.shared.platform == Platform::Iosxr && first == "commit" {
            return Reply::Nothing;
        }
        let normalized = normalize_first_word(trimmed);
        if let Some(suffix) = submode_of(&normalized, self.shared.platform) {
            let index = self.shared.store().open_block(&normalized);
            self.submode = Some((index, suffix));
            return Reply::Nothing;
        }
        let mut store = self.shared.store();
        match self.submode {
            Some((index, _)) => store.set_child(index, trimmed, self.shared.platform),
            None => {
                self.submode = None;
                store.set_top(&normalized);
            }
        }
        Reply::Nothing
    }

    /// Junos configuration mode: `set`/`delete` edit the candidate, `commit` publishes it.
    fn run_junos_config(&mut self, line: &str, prompt_len: usize) -> Reply {
        let ws = words(line);
        let first = ws.first().map(|(_, w)| *w).unwrap_or("");
        let rest = ws
            .get(1)
            .map(|(at, _)| line[*at..].trim().to_string())
            .unwrap_or_default();
        match first {
            "set" if !rest.is_empty() => {
                set_junos_line(&mut self.candidate, rest);
                Reply::Nothing
            }
            "delete" if !rest.is_empty() => {
                let before = self.candidate.len();
                self.candidate
                    .retain(|l| l != &rest && !l.starts_with(&format!("{rest} ")));
                if self.candidate.len() == before {
                    Reply::Text {
                        text: "warning: statement not found".into(),
                        pageable: false,
                    }
                } else {
                    Reply::Nothing
                }
            }
            "set" | "delete" => self.invalid(line, &ws, 1, prompt_len),
            "commit" => {
                let hostname = self
                    .candidate
                    .iter()
                    .rev()
                    .find_map(|l| l.strip_prefix("system host-name "))
                    .map(str::to_string);
                {
                    let mut store = self.shared.store();
                    store.config = Config::SetLines(self.candidate.clone());
                    if let Some(h) = hostname {
                        store.hostname = h;
                    }
                }
                if rest == "and-quit" {
                    self.leave_config();
                    return Reply::Text {
                        text: "commit complete\nExiting configuration mode".into(),
                        pageable: false,
                    };
                }
                Reply::Text {
                    text: "commit complete".into(),
                    pageable: false,
                }
            }
            "rollback" => {
                if let Config::SetLines(lines) = &self.shared.store().config {
                    self.candidate = lines.clone();
                }
                Reply::Text {
                    text: "load complete".into(),
                    pageable: false,
                }
            }
            "exit" | "quit" if rest.is_empty() || rest == "configuration-mode" => {
                self.leave_config();
                Reply::Text {
                    text: "Exiting configuration mode".into(),
                    pageable: false,
                }
            }
            "top" | "up" => Reply::Nothing,
            "show" => Reply::Text {
                text: render_junos_tree(&self.candidate, self.indent()),
                pageable: true,
            },
            "run" if !rest.is_empty() => {
                let offset = ws.get(1).map(|(at, _)| *at).unwrap_or(0);
                self.mode = Mode::Privileged;
                let reply = self.run_exec(&line[offset..], prompt_len + offset);
                if self.mode == Mode::Privileged {
                    self.mode = Mode::Config;
                }
                reply
            }
            _ => self.invalid(line, &ws, 0, prompt_len),
        }
    }
}

/// Wall-clock time (UTC) for `show clock`-style templates.
pub(super) fn now_value() -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // 1970-01-01 was a Thursday.
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    serde_json::json!({
        "year": year,
        "month": month,
        "month_name": MONTHS[(month as usize - 1) % 12],
        "day": day,
        "weekday": WEEKDAYS[(days.rem_euclid(7)) as usize],
        "hour": rem / 3600,
        "minute": rem % 3600 / 60,
        "second": rem % 60,
        "millis": now.subsec_millis(),
    })
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(super) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
