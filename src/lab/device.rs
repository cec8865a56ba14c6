//! The simulated CLI: a pure state machine fed with the bytes a client types, answering with the
//! bytes a real device would print. No I/O here, so it is unit-tested byte for byte.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::Faults;
use super::catalog::{Catalog, Platform};
use super::counters::LiveCounters;

/// Lines per page until the client sets the terminal/screen length.
const DEFAULT_PAGE_LEN: usize = 24;

/// What the channel task must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Bytes to send to the client.
    Output(Vec<u8>),
    /// A command was submitted; its answer follows (latency and drop faults apply here).
    Command,
    /// The user left the CLI: send exit status 0, EOF and close the channel.
    Close,
}

/// Data and persistent state of one simulated device, shared by all its connections.
#[derive(Debug)]
pub(crate) struct DeviceShared {
    pub(crate) name: String,
    pub(crate) platform: Platform,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) enable_secret: Option<String>,
    pub(crate) faults: Faults,
    pub(crate) counters: LiveCounters,
    catalog: Arc<Catalog>,
    vars: Map<String, Value>,
    store: Mutex<Store>,
}

/// Running state that survives the connection: hostname and configuration.
#[derive(Debug)]
struct Store {
    hostname: String,
    config: Config,
}

/// Cisco-style configuration: top-level lines, each with its indented children.
#[derive(Debug, Clone, PartialEq)]
struct Block {
    line: String,
    children: Vec<String>,
}

#[derive(Debug, Clone)]
enum Config {
    Blocks(Vec<Block>),
    /// Junos keeps `set ...` lines (without the `set`).
    SetLines(Vec<String>),
}

impl DeviceShared {
    /// Prepares a device: merges default vars and renders the base configuration once.
    pub(crate) fn new(
        spec: &super::DeviceSpec,
        platform: Platform,
        catalog: Arc<Catalog>,
    ) -> Result<DeviceShared, String> {
        let data = catalog.platform(platform);
        let mut vars = data.defaults.clone();
        for (key, value) in &spec.vars {
            vars.insert(key.clone(), value.clone());
        }
        // Like a device's configured hostname: the first label of the inventory name, in the
        // characters a network OS accepts, and never empty (an inventory name like `../x`).
        let hostname: String = spec
            .name
            .split('.')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let hostname = if hostname.is_empty() {
            "device".to_string()
        } else {
            hostname
        };
        let mut ctx = vars.clone();
        ctx.insert("name".into(), Value::from(spec.name.clone()));
        ctx.insert("hostname".into(), Value::from(hostname.clone()));
        ctx.insert("username".into(), Value::from(spec.username.clone()));
        ctx.insert("platform".into(), Value::from(platform.name()));
        let base = catalog
            .render(&data.base_template, &Value::Object(ctx))
            .map_err(|err| format!("device {}: base configuration: {err:#}", spec.name))?;
        let config = if platform == Platform::Junos {
            Config::SetLines(
                base.lines()
                    .filter_map(|l| l.trim().strip_prefix("set "))
                    .map(str::to_string)
                    .collect(),
            )
        } else {
            Config::Blocks(parse_blocks(&base))
        };
        Ok(DeviceShared {
            name: spec.name.clone(),
            platform,
            username: spec.username.clone(),
            password: spec.password.clone(),
            enable_secret: spec.enable_secret.clone(),
            faults: spec.faults.clone(),
            counters: LiveCounters::default(),
            catalog,
            vars,
            store: Mutex::new(Store { hostname, config }),
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written in a way that
        // matters for a simulator, so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let level = first_indent(text);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed == "!" {
            continue;
        }
        if line.starts_with(' ')
            && let Some(last) = blocks.last_mut()
        {
            // Deeper nesting keeps its extra indentation relative to the first level.
            let depth = line.len() - line.trim_start().len();
            let extra = depth.saturating_sub(level);
            last.children
                .push(format!("{}{}", " ".repeat(extra), trimmed));
            continue;
        }
        blocks.push(Block {
            line: trimmed.to_string(),
            children: Vec::new(),
        });
    }
    blocks
}

fn first_indent(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(' ') && !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Privileged,
    Config,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Line,
    /// Typing the enable secret (no echo); the number is the attempt.
    Secret(u8),
    /// Waiting at the pager.
    More,
}

/// What a command produced.
/// What an `exec` command produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ExecOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error (extended data type 1).
    pub stderr: String,
    /// Exit status.
    pub status: u32,
}

enum Reply {
    Text { text: String, pageable: bool },
    Error(String),
    AskSecret,
    Close,
    Nothing,
}

/// Cisco exec-mode commands handled by the state machine itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Builtin {
    Enable,
    Disable,
    TermLength,
    TermWidth,
    Noop,
    Configure,
    Exit,
}

const CISCO_BUILTINS: &[(&str, Builtin)] = &[
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

const JUNOS_BUILTINS: &[(&str, Builtin)] = &[
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

const LINUX_BUILTINS: &[(&str, Builtin)] = &[("exit", Builtin::Exit), ("logout", Builtin::Exit)];

/// Cisco configuration commands that open a sub-mode, with the prompt suffix they show.
const SUBMODES: &[(&str, &str)] = &[
    ("interface", "config-if"),
    ("router", "config-router"),
    ("line", "config-line"),
    ("vlan", "config-vlan"),
    ("vrf", "config-vrf"),
    ("route-map", "config-route-map"),
    ("ip access-list", "config-acl"),
    ("class-map", "config-cmap"),
    ("policy-map", "config-pmap"),
    ("management", "config-mgmt"),
];

/// Result of matching typed words against a command pattern.
enum Match {
    /// Matched; free arguments start at this byte offset of the line (if any).
    Full(Option<usize>),
    /// This many words matched before the first mismatch (or the input ran out).
    Partial(usize),
}

/// One interactive (or exec) session with a device.
pub(crate) struct Device {
    shared: Arc<DeviceShared>,
    mode: Mode,
    input: Input,
    line: Vec<u8>,
    secret: Vec<u8>,
    /// A `\r` was just seen: a following `\n` belongs to the same Enter.
    after_cr: bool,
    page_len: usize,
    pending: VecDeque<String>,
    /// Cisco: the configuration block (index) and prompt suffix of the current sub-mode.
    submode: Option<(usize, &'static str)>,
    /// Junos: the candidate configuration while in configuration mode.
    candidate: Vec<String>,
    closed: bool,
}

impl Device {
    /// A fresh session: privileged unless the device has an enable secret.
    pub(crate) fn new(shared: Arc<DeviceShared>) -> Device {
        let mode = if shared.enable_secret.is_some() && shared.platform.is_cisco_like() {
            Mode::User
        } else {
            Mode::Privileged
        };
        let page_len = if shared.platform == Platform::Linux {
            0
        } else {
            DEFAULT_PAGE_LEN
        };
        Device {
            shared,
            mode,
            input: Input::Line,
            line: Vec::new(),
            secret: Vec::new(),
            after_cr: false,
            page_len,
            pending: VecDeque::new(),
            submode: None,
            candidate: Vec::new(),
            closed: false,
        }
    }

    /// What the shell prints when it starts.
    pub(crate) fn start(&self) -> Vec<Step> {
        let mut text = String::new();
        match self.shared.platform {
            Platform::Junos => {
                text.push_str("--- JUNOS ");
                text.push_str(&self.var_str("os_version"));
                text.push_str(" Kernel 64-bit\r\n");
            }
            Platform::Linux => {
                text.push_str("Welcome to ");
                text.push_str(&self.var_str("distro"));
                text.push_str("\r\n\r\n");
            }
            _ => text.push_str("\r\n"),
        }
        text.push_str(&self.prompt_text());
        vec![Step::Output(text.into_bytes())]
    }

    fn var_str(&self, key: &str) -> String {
        match self.shared.vars.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }

    /// Feeds typed bytes (any chunking) and returns what to do.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Vec<Step> {
        let mut out = Out::default();
        for &byte in data {
            if self.closed {
                break;
            }
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            if byte == b'\r' {
                self.after_cr = true;
            }
            match self.input {
                Input::More => self.pager_key(byte, &mut out),
                Input::Secret(attempt) => self.secret_key(byte, attempt, &mut out),
                Input::Line => self.line_key(byte, &mut out),
            }
        }
        out.finish()
    }

    /// Runs one command outside a shell (`exec` channel).
    pub(crate) fn exec(&mut self, command: &str) -> ExecOutput {
        self.mode = Mode::Privileged;
        self.page_len = 0;
        let linux = self.shared.platform == Platform::Linux;
        let newline = if linux { "\n" } else { "\r\n" };
        let lines = |text: &str| {
            let mut joined = String::new();
            for line in text.lines() {
                joined.push_str(line);
                joined.push_str(newline);
            }
            joined
        };
        match self.run(command, 0) {
            Reply::Text { text, .. } => ExecOutput {
                stdout: lines(&text),
                stderr: String::new(),
                status: 0,
            },
            // A Linux shell reports an unknown command on stderr with status 127 (the lab's
            // only Linux error); network OSes print their errors as ordinary output.
            Reply::Error(text) if linux => ExecOutput {
                stdout: String::new(),
                stderr: lines(&text),
                status: 127,
            },
            Reply::Error(text) => ExecOutput {
                stdout: lines(&text),
                stderr: String::new(),
                status: 1,
            },
            Reply::AskSecret | Reply::Close | Reply::Nothing => ExecOutput::default(),
        }
    }

    fn line_key(&mut self, byte: u8, out: &mut Out) {
        match byte {
            b'\r' | b'\n' => {
                out.text("\r\n");
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.submit(&line, out);
            }
            0x08 | 0x7f => {
                if self.line.pop().is_some() {
                    out.text("\x08 \x08");
                }
            }
            0x03 => {
                self.line.clear();
                out.text("^C\r\n");
                if self.shared.platform.is_cisco_like() && self.mode == Mode::Config {
                    self.leave_config();
                }
                self.prompt(out);
            }
            0x1a if self.shared.platform.is_cisco_like() => {
                self.line.clear();
                out.text("^Z\r\n");
                if self.mode == Mode::Config {
                    self.leave_config();
                }
                self.prompt(out);
            }
            // Other control bytes (tab, escape sequences' lead byte, ...) are not simulated.
            0x00..=0x1f => {}
            _ => {
                self.line.push(byte);
                out.bytes(&[byte]);
            }
        }
    }

    fn secret_key(&mut self, byte: u8, attempt: u8, out: &mut Out) {
        match byte {
            b'\r' | b'\n' => {
                out.text("\r\n");
                let typed = std::mem::take(&mut self.secret);
                let ok = self
                    .shared
                    .enable_secret
                    .as_deref()
                    .is_some_and(|s| s.as_bytes() == typed.as_slice());
                self.input = Input::Line;
                if ok {
                    self.mode = Mode::Privileged;
                } else if matches!(self.shared.platform, Platform::Ios | Platform::Iosxr) {
                    // IOS asks three times before giving up.
                    if attempt < 3 {
                        self.input = Input::Secret(attempt + 1);
                        out.text("Password: ");
                        return;
                    }
                    out.text("% Bad secrets\r\n\r\n");
                } else {
                    out.text("% Access denied\r\n");
                }
                self.prompt(out);
            }
            0x08 | 0x7f => {
                self.secret.pop();
            }
            _ => self.secret.push(byte),
        }
    }

    fn pager_key(&mut self, byte: u8, out: &mut Out) {
        // Erase the pager marker in place, as devices do.
        out.text("\r            \r");
        let lines = match byte {
            b'q' | b'Q' | 0x03 => {
                self.pending.clear();
                0
            }
            b'\r' | b'\n' => 1,
            _ => self.page_len.max(1),
        };
        for _ in 0..lines {
            match self.pending.pop_front() {
                Some(line) => {
                    out.text(&line);
                    out.text("\r\n");
                }
                None => break,
            }
        }
        if self.pending.is_empty() {
            self.input = Input::Line;
            self.prompt(out);
        } else {
            out.text(self.pager_marker());
        }
    }

    fn pager_marker(&self) -> &'static str {
        if self.shared.platform == Platform::Junos {
            "---(more)---"
        } else {
            " --More-- "
        }
    }

    fn submit(&mut self, line: &str, out: &mut Out) {
        if line.trim().is_empty() {
            self.prompt(out);
            return;
        }
        out.command();
        let prompt_len = self.prompt_line().len();
        match self.run(line, prompt_len) {
            Reply::Text { text, pageable } => self.print_paged(&text, pageable, out),
            Reply::Error(text) => self.print_paged(&text, false, out),
            Reply::AskSecret => {
                self.input = Input::Secret(1);
                out.text("Password: ");
            }
            Reply::Close => {
                self.closed = true;
                out.close();
            }
            Reply::Nothing => self.prompt(out),
        }
    }

    fn print_paged(&mut self, text: &str, pageable: bool, out: &mut Out) {
        let mut lines = text.lines().map(str::to_string);
        let total = text.lines().count();
        let paged = pageable && self.page_len > 0 && total > self.page_len;
        let shown = if paged { self.page_len } else { total };
        for line in lines.by_ref().take(shown) {
            out.text(&line);
            out.text("\r\n");
        }
        if paged {
            self.pending = lines.collect();
            self.input = Input::More;
            out.text(self.pager_marker());
        } else {
            self.prompt(out);
        }
    }

    fn prompt(&self, out: &mut Out) {
        out.text(&self.prompt_text());
    }

    /// The full prompt, including Junos' `[edit]` banner line in configuration mode.
    fn prompt_text(&self) -> String {
        if self.shared.platform == Platform::Junos && self.mode == Mode::Config {
            format!("\r\n[edit]\r\n{}", self.prompt_line())
        } else {
            self.prompt_line()
        }
    }

    /// The prompt's last line (what the caret of an error message is aligned with).
    fn prompt_line(&self) -> String {
        let host = self.shared.store().hostname.clone();
        let user = &self.shared.username;
        let config = match self.submode {
            Some((_, suffix)) => format!("({suffix})"),
            None => "(config)".to_string(),
        };
        match (self.shared.platform, self.mode) {
            (Platform::Linux, _) => format!("{user}@{host}:~$ "),
            (Platform::Junos, Mode::Config) => format!("{user}@{host}# "),
            (Platform::Junos, _) => format!("{user}@{host}> "),
            (Platform::Iosxr, Mode::User) => format!("RP/0/RP0/CPU0:{host}>"),
            (Platform::Iosxr, Mode::Privileged) => format!("RP/0/RP0/CPU0:{host}#"),
            (Platform::Iosxr, Mode::Config) => format!("RP/0/RP0/CPU0:{host}{config}#"),
            (_, Mode::User) => format!("{host}>"),
            (_, Mode::Privileged) => format!("{host}#"),
            (_, Mode::Config) => format!("{host}{config}#"),
        }
    }

    fn leave_config(&mut self) {
        self.mode = Mode::Privileged;
        self.submode = None;
    }

    /// Runs one non-empty line in the current mode; `prompt_len` aligns error carets.
    fn run(&mut self, line: &str, prompt_len: usize) -> Reply {
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

impl Store {
    /// Finds (or appends) the block for a sub-mode header and returns its index.
    fn open_block(&mut self, header: &str) -> usize {
        let Config::Blocks(blocks) = &mut self.config else {
            return 0;
        };
        if let Some(i) = blocks
            .iter()
            .position(|b| b.line.eq_ignore_ascii_case(header))
        {
            return i;
        }
        insert_grouped(
            blocks,
            Block {
                line: header.to_string(),
                children: Vec::new(),
            },
        )
    }

    fn set_top(&mut self, line: &str) {
        let Config::Blocks(blocks) = &mut self.config else {
            return;
        };
        if let Some(removed) = line.strip_prefix("no ") {
            let removed = removed.trim().to_ascii_lowercase();
            blocks.retain(|b| !b.line.to_ascii_lowercase().starts_with(&removed));
            return;
        }
        if let Some(name) = line.strip_prefix("hostname ") {
            let name = name.trim().to_string();
            blocks.retain(|b| !b.line.starts_with("hostname "));
            // Keep `hostname` near the top, where devices print it.
            let at = blocks
                .iter()
                .position(|b| !b.children.is_empty())
                .unwrap_or(blocks.len());
            blocks.insert(
                at.min(blocks.len()),
                Block {
                    line: format!("hostname {name}"),
                    children: Vec::new(),
                },
            );
            self.hostname = name;
            return;
        }
        if !blocks.iter().any(|b| b.line == line) {
            insert_grouped(
                blocks,
                Block {
                    line: line.to_string(),
                    children: Vec::new(),
                },
            );
        }
    }

    fn set_child(&mut self, index: usize, line: &str, platform: Platform) {
        let Config::Blocks(blocks) = &mut self.config else {
            return;
        };
        let Some(block) = blocks.get_mut(index) else {
            return;
        };
        let key = child_key(line);
        // A new value takes the old one's place, so the order stays the device's.
        let at = block.children.iter().position(|c| child_key(c) == key);
        block.children.retain(|c| child_key(c) != key);
        let keep_negation = match line.strip_prefix("no ") {
            None => true,
            Some(rest) => match platform {
                Platform::Nxos | Platform::Eos => rest == "shutdown" || rest == "switchport",
                _ => rest.starts_with("ip address"),
            },
        };
        if keep_negation {
            let at = at.unwrap_or(block.children.len()).min(block.children.len());
            block.children.insert(at, line.to_string());
        }
    }
}

/// Inserts a block after the last one of its kind (same first two words, else same first word),
/// the way devices group `interface`s and `ip route`s; returns its index.
fn insert_grouped(blocks: &mut Vec<Block>, block: Block) -> usize {
    let prefix = |line: &str, n: usize| -> String {
        line.split_whitespace()
            .take(n)
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let at = [2, 1].into_iter().find_map(|n| {
        let wanted = prefix(&block.line, n);
        blocks
            .iter()
            .rposition(|b| prefix(&b.line, n) == wanted)
            .map(|i| i + 1)
    });
    let at = at.unwrap_or(blocks.len());
    blocks.insert(at, block);
    at
}

/// What a configuration line sets, so a new value replaces the old (`description`, `ip address`).
fn child_key(line: &str) -> String {
    let line = line.trim();
    let line = line.strip_prefix("no ").unwrap_or(line);
    let ws: Vec<&str> = line.split_whitespace().collect();
    let two = matches!(
        ws.first().copied(),
        Some("ip" | "ipv4" | "ipv6" | "switchport" | "spanning-tree" | "standby" | "vrrp")
    );
    ws.iter()
        .take(if two { 2 } else { 1 })
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Expands an abbreviated sub-mode keyword (`int gi0/1` → `interface gi0/1`).
fn normalize_first_word(line: &str) -> String {
    let mut parts = line.splitn(2, char::is_whitespace);
    let first = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("").trim();
    let lower = first.to_ascii_lowercase();
    if lower.len() >= 3 {
        for (keyword, _) in SUBMODES {
            if !keyword.contains(' ') && keyword.starts_with(&lower) && !rest.is_empty() {
                return format!("{keyword} {rest}");
            }
        }
    }
    line.to_string()
}

fn submode_of(line: &str, platform: Platform) -> Option<&'static str> {
    let lower = line.to_ascii_lowercase();
    if platform == Platform::Iosxr && lower.starts_with("username ") {
        return Some("config-un");
    }
    SUBMODES
        .iter()
        .find(|(keyword, _)| {
            lower
                .strip_prefix(keyword)
                .is_some_and(|rest| rest.starts_with(' ') && !rest.trim().is_empty())
        })
        .map(|(_, suffix)| *suffix)
}

fn render_blocks(blocks: &[Block], platform: Platform, indent: usize) -> String {
    let pad = " ".repeat(indent.max(1));
    let separator = if platform == Platform::Nxos { "" } else { "!" };
    let mut out: Vec<String> = Vec::new();
    for block in blocks {
        out.push(block.line.clone());
        for child in &block.children {
            out.push(format!("{pad}{child}"));
        }
        if !block.children.is_empty() {
            out.push(separator.to_string());
        }
    }
    out.join("\n")
}

/// Junos statements that hold one value: setting them again replaces the old value.
const JUNOS_SINGLE: &[&str] = &[
    "host-name",
    "domain-name",
    "description",
    "mtu",
    "time-zone",
    "location",
    "contact",
    "router-id",
    "autonomous-system",
    "version",
];

/// Leaf words Junos prints as `name { word; }` rather than `name word;`.
const JUNOS_FLAGS: &[&str] = &["disable", "ssh", "telnet", "netconf", "inactive"];

fn set_junos_line(lines: &mut Vec<String>, line: String) {
    if lines.contains(&line) {
        return;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if let [path @ .., keyword, _value] = words.as_slice()
        && JUNOS_SINGLE.contains(keyword)
    {
        let stem = format!("{} {keyword} ", path.join(" "));
        let stem = stem.trim_start();
        if let Some(i) = lines.iter().position(|l| l.starts_with(stem)) {
            lines[i] = line;
            return;
        }
    }
    lines.push(line);
}

/// Words a Junos `set` path keeps together (`unit 0`, `family inet`).
const JUNOS_PAIRS: &[&str] = &[
    "unit",
    "family",
    "user",
    "file",
    "route",
    "group",
    "neighbor",
    "term",
    "policy-statement",
];

#[derive(Default)]
struct Node {
    name: String,
    children: Vec<Node>,
}

/// Renders `set` lines as the curly-brace hierarchy Junos shows.
fn render_junos_tree(lines: &[String], indent: usize) -> String {
    let mut root = Node::default();
    for line in lines {
        let mut path: Vec<String> = Vec::new();
        let mut ws = line.split_whitespace();
        while let Some(w) = ws.next() {
            if JUNOS_PAIRS.contains(&w)
                && let Some(next) = ws.next()
            {
                path.push(format!("{w} {next}"));
                continue;
            }
            path.push(w.to_string());
        }
        let mut node = &mut root;
        for part in path {
            let i = match node.children.iter().position(|c| c.name == part) {
                Some(i) => i,
                None => {
                    node.children.push(Node {
                        name: part,
                        children: Vec::new(),
                    });
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i];
        }
    }
    let mut out = Vec::new();
    for child in &root.children {
        render_node(child, 0, indent, &mut out);
    }
    out.join("\n")
}

fn render_node(node: &Node, depth: usize, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(depth * indent);
    match node.children.as_slice() {
        [] => out.push(format!("{pad}{};", node.name)),
        [only] if only.children.is_empty() && !JUNOS_FLAGS.contains(&only.name.as_str()) => {
            out.push(format!("{pad}{} {};", node.name, only.name))
        }
        children => {
            out.push(format!("{pad}{} {{", node.name));
            for child in children {
                render_node(child, depth + 1, indent, out);
            }
            out.push(format!("{pad}}}"));
        }
    }
}

/// Words of a line with their byte offsets.
fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

fn split_pattern(pattern: &str) -> (Vec<&str>, bool) {
    let mut ws: Vec<&str> = pattern.split_whitespace().collect();
    let wildcard = ws.last() == Some(&"*");
    if wildcard {
        ws.pop();
    }
    (ws, wildcard)
}

fn match_words(
    pattern: &[&str],
    wildcard: bool,
    input: &[(usize, &str)],
    abbreviate: bool,
) -> Match {
    for (i, (_, typed)) in input.iter().enumerate() {
        let Some(expected) = pattern.get(i) else {
            return if wildcard {
                Match::Full(Some(input[i].0))
            } else {
                Match::Partial(i)
            };
        };
        let ok = if abbreviate {
            expected
                .to_ascii_lowercase()
                .starts_with(&typed.to_ascii_lowercase())
        } else {
            expected == typed
        };
        if !ok {
            return Match::Partial(i);
        }
    }
    if input.len() == pattern.len() {
        Match::Full(None)
    } else {
        Match::Partial(input.len())
    }
}

/// Wall-clock time (UTC) for `show clock`-style templates.
fn now_value() -> Value {
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
fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// Collects output bytes, keeping them in order with the other steps.
#[derive(Default)]
struct Out {
    steps: Vec<Step>,
    buf: Vec<u8>,
}

impl Out {
    fn text(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.steps.push(Step::Output(std::mem::take(&mut self.buf)));
        }
    }

    fn command(&mut self) {
        self.flush();
        self.steps.push(Step::Command);
    }

    fn close(&mut self) {
        self.flush();
        self.steps.push(Step::Close);
    }

    fn finish(mut self) -> Vec<Step> {
        self.flush();
        self.steps
    }
}
