//! The simulated CLI: a pure state machine fed with the bytes a client types, answering with the
//! bytes a real device would print. No I/O here, so it is unit-tested byte for byte.

mod commands;
mod config;
mod matching;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::Faults;
use super::catalog::{Catalog, Platform};
use super::counters::LiveCounters;
use config::{Config, Store, parse_blocks};

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
