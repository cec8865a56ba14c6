//! The simulated CLI: a pure state machine fed with the bytes a client types, answering with the
//! bytes a real device would print. No I/O here, so it is unit-tested byte for byte. How each
//! platform looks and behaves comes from its dialect (`super::dialect`); nothing here names a
//! platform.

mod clock;
mod config;
mod diff;
mod exec;
mod filters;
mod matching;
mod paths;
mod prompt;
mod render;
mod seq;
mod tree;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::Faults;
use super::catalog::Catalog;
use super::counters::LiveCounters;
use super::dialect::{Dialect, Expect, Mode};
pub(crate) use clock::Clock;
use config::{Config, Store};
use prompt::{Out, crlf};

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
    pub(crate) dialect: Arc<Dialect>,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) enable_secret: Option<String>,
    pub(crate) faults: Faults,
    pub(crate) counters: LiveCounters,
    pub(crate) clock: Clock,
    catalog: Arc<Catalog>,
    /// Host vars over the dialect's defaults, as templates see them.
    vars: minijinja::Value,
    /// The host var `prompt_context` (Junos `master:0`), if set.
    prompt_context: Option<String>,
    boot: i64,
    store: Mutex<Store>,
}

impl DeviceShared {
    /// Prepares a device: merges default vars and renders the base configuration once.
    pub(crate) fn new(
        spec: &super::DeviceSpec,
        dialect: Arc<Dialect>,
        catalog: Arc<Catalog>,
    ) -> Result<DeviceShared, String> {
        let mut vars: Map<String, Value> = dialect.defaults.clone();
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
        let running = match &dialect.base {
            None => Config::empty(&dialect.config),
            Some(output) => {
                let mut ctx = vars.clone();
                ctx.insert("name".into(), Value::from(spec.name.clone()));
                ctx.insert("hostname".into(), Value::from(hostname.clone()));
                ctx.insert("username".into(), Value::from(spec.username.clone()));
                ctx.insert("platform".into(), Value::from(dialect.name.clone()));
                let text = match output {
                    super::dialect::Output::Static(text) => text.clone(),
                    super::dialect::Output::Template { name, .. } => catalog
                        .render_json(name, &Value::Object(ctx))
                        .map_err(|err| {
                            format!("device {}: base configuration: {err:#}", spec.name)
                        })?,
                };
                Config::parse(&text, &dialect.config)
            }
        };
        let prompt_context = match vars.get("prompt_context") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let clock = Clock::default();
        let boot = clock.now().0;
        Ok(DeviceShared {
            name: spec.name.clone(),
            username: spec.username.clone(),
            password: spec.password.clone(),
            enable_secret: spec.enable_secret.clone(),
            faults: spec.faults.clone(),
            counters: LiveCounters::default(),
            clock,
            vars: minijinja::Value::from(minijinja::value::Serde(&vars)),
            prompt_context,
            boot,
            store: Mutex::new(Store::new(hostname, running)),
            catalog,
            dialect,
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written in a way that
        // matters for a simulator, so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The device's login name as the SSH server should compare it: RouterOS-style
    /// `user+ct511w4098h` options are not part of the name.
    pub(crate) fn accepts_user(&self, user: &str) -> bool {
        user == self.username
            || (self.dialect.user_options
                && user
                    .split_once('+')
                    .is_some_and(|(name, _)| name == self.username))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Line,
    /// Typing the enable secret (no echo); the number is the attempt.
    Secret(u8),
    /// Waiting at the pager.
    More,
    /// Answering the "uncommitted changes" question.
    Question,
    /// Answering login question N before the first prompt.
    Login(usize),
}

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

/// What a command produced.
enum Reply {
    Text {
        text: String,
        pageable: bool,
    },
    Error(String),
    /// A failure with its own exit status (exec channels).
    Fail(String, u32),
    AskSecret,
    /// A question; the answer is the next line.
    Ask(String),
    Close,
    Nothing,
}

/// An open configuration sub-mode: the header line it edits below and its prompt name.
#[derive(Debug, Clone)]
struct Level {
    header: String,
    name: String,
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
    /// Indent style: the open sub-modes, outermost first.
    levels: Vec<Level>,
    /// Set style: the `edit` steps, each a list of words.
    edit: Vec<Vec<String>>,
    /// Private candidate configuration (IOS-XR, SR OS, VyOS).
    candidate: Option<Config>,
    /// Configuration lines typed since the last commit (OcNOS `show transaction`).
    typed: Vec<String>,
    /// Commands submitted in this session.
    count: u32,
    closed: bool,
}

impl Device {
    /// A fresh session: privileged unless the device has an enable secret (or refuses enable).
    pub(crate) fn new(shared: Arc<DeviceShared>) -> Device {
        let dialect = &shared.dialect;
        let guarded = shared.enable_secret.is_some() || shared.faults.refuse_enable;
        let mode = if dialect.enable.is_some() && guarded {
            Mode::User
        } else {
            dialect.start
        };
        let page_len = dialect.page_length;
        Device {
            mode,
            input: Input::Line,
            line: Vec::new(),
            secret: Vec::new(),
            after_cr: false,
            page_len,
            pending: VecDeque::new(),
            levels: Vec::new(),
            edit: Vec::new(),
            candidate: None,
            typed: Vec::new(),
            count: 0,
            closed: false,
            shared,
        }
    }

    /// What the shell prints when it starts: banner, then a login question or the prompt.
    pub(crate) fn start(&mut self) -> Vec<Step> {
        let mut text = self.banner();
        match self.shared.dialect.login.first() {
            Some(step) => {
                text.push_str(&step.text);
                self.input = Input::Login(0);
            }
            None => text.push_str(&self.prompt_text()),
        }
        vec![Step::Output(text.into_bytes())]
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
                Input::Login(step) => self.login_key(byte, step, &mut out),
                Input::Line | Input::Question => self.line_key(byte, &mut out),
            }
        }
        out.finish()
    }

    /// Runs one command outside a shell (`exec` channel).
    pub(crate) fn exec(&mut self, command: &str) -> ExecOutput {
        if self.mode == Mode::User && self.shared.dialect.enable.is_none() {
            self.mode = self.shared.dialect.start;
        } else if self.mode == Mode::User {
            self.mode = Mode::Privileged;
        }
        self.page_len = 0;
        let dialect = Arc::clone(&self.shared.dialect);
        let newline = if dialect.shell { "\n" } else { "\r\n" };
        let lines = |text: &str| {
            let mut joined = String::new();
            for line in text.lines() {
                joined.push_str(line);
                joined.push_str(newline);
            }
            joined
        };
        let error = |text: &str, status: u32| {
            if dialect.errors.stderr {
                ExecOutput {
                    stdout: String::new(),
                    stderr: lines(text),
                    status,
                }
            } else {
                ExecOutput {
                    stdout: lines(text),
                    stderr: String::new(),
                    status,
                }
            }
        };
        match self.run(command, 0) {
            Reply::Text { text, .. } => ExecOutput {
                stdout: lines(&text),
                stderr: String::new(),
                status: 0,
            },
            Reply::Error(text) => error(&text, dialect.errors.status),
            Reply::Fail(text, status) => error(&text, status),
            Reply::AskSecret | Reply::Ask(_) | Reply::Close | Reply::Nothing => {
                ExecOutput::default()
            }
        }
    }

    fn line_key(&mut self, byte: u8, out: &mut Out) {
        match byte {
            b'\r' | b'\n' => {
                out.text("\r\n");
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                if self.input == Input::Question {
                    self.input = Input::Line;
                    let reply = self.answer(&line);
                    self.show(reply, out);
                } else {
                    self.submit(&line, out);
                }
            }
            0x08 | 0x7f => {
                if self.line.pop().is_some() {
                    out.text("\x08 \x08");
                }
            }
            0x03 => {
                self.line.clear();
                out.text("^C\r\n");
                self.interrupt();
                self.prompt(out);
            }
            // Ctrl-Z leaves configuration mode on CLIs with sub-modes.
            0x1a if !self.shared.dialect.config.submodes.is_empty() => {
                self.line.clear();
                out.text("^Z\r\n");
                self.interrupt();
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

    /// Ctrl-C / Ctrl-Z: abandon the line; out of configuration mode where it has sub-modes.
    fn interrupt(&mut self) {
        self.input = Input::Line;
        if self.mode == Mode::Config && !self.shared.dialect.config.submodes.is_empty() {
            self.leave_config_now();
        }
    }

    fn secret_key(&mut self, byte: u8, attempt: u8, out: &mut Out) {
        match byte {
            b'\r' | b'\n' => {
                out.text("\r\n");
                let typed = std::mem::take(&mut self.secret);
                let ok = !self.shared.faults.refuse_enable
                    && match &self.shared.enable_secret {
                        Some(s) => s.as_bytes() == typed.as_slice(),
                        None => true,
                    };
                self.input = Input::Line;
                let Some(enable) = &self.shared.dialect.enable else {
                    self.prompt(out);
                    return;
                };
                if ok {
                    self.mode = Mode::Privileged;
                } else if attempt < enable.tries {
                    self.input = Input::Secret(attempt + 1);
                    out.text(&self.fill(&enable.retry));
                    out.text(&self.fill(&enable.password));
                    return;
                } else {
                    out.text(&self.fill(&enable.failed));
                }
                self.prompt(out);
            }
            0x08 | 0x7f => {
                self.secret.pop();
            }
            _ => self.secret.push(byte),
        }
    }

    fn login_key(&mut self, byte: u8, step: usize, out: &mut Out) {
        let dialect = Arc::clone(&self.shared.dialect);
        let Some(current) = dialect.login.get(step) else {
            self.input = Input::Line;
            return;
        };
        let done = match current.expect {
            Expect::AnyKey => true,
            Expect::CtrlY => byte == 0x19,
            Expect::Username | Expect::Password => match byte {
                b'\r' | b'\n' => true,
                0x08 | 0x7f => {
                    if self.line.pop().is_some() && current.expect == Expect::Username {
                        out.text("\x08 \x08");
                    }
                    false
                }
                0x00..=0x1f => false,
                _ => {
                    self.line.push(byte);
                    if current.expect == Expect::Username {
                        out.bytes(&[byte]);
                    }
                    false
                }
            },
        };
        if !done {
            return;
        }
        let typed = std::mem::take(&mut self.line);
        let right = match current.expect {
            Expect::Username => typed == self.shared.username.as_bytes(),
            Expect::Password => typed == self.shared.password.as_bytes(),
            Expect::AnyKey | Expect::CtrlY => true,
        };
        if matches!(current.expect, Expect::Username | Expect::Password) {
            out.text("\r\n");
        }
        // A wrong name or password starts the questions over, as a login prompt does.
        let next = if right { step + 1 } else { 0 };
        match dialect.login.get(next) {
            Some(following) if right || next == 0 => {
                self.input = Input::Login(next);
                out.text(&following.text);
            }
            _ => {
                self.input = Input::Line;
                self.prompt(out);
            }
        }
    }

    fn pager_key(&mut self, byte: u8, out: &mut Out) {
        // Erase the pager marker in place, as devices do.
        let width = self.shared.dialect.pager.chars().count().max(12);
        out.text("\r");
        out.text(&" ".repeat(width));
        out.text("\r");
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
            out.text(&self.shared.dialect.pager);
        }
    }

    fn submit(&mut self, line: &str, out: &mut Out) {
        if line.trim().is_empty() {
            self.prompt(out);
            return;
        }
        out.command();
        self.count += 1;
        let prompt_len = self.prompt_line_len();
        let reply = self.run(line, prompt_len);
        self.show(reply, out);
    }

    fn show(&mut self, reply: Reply, out: &mut Out) {
        match reply {
            Reply::Text { text, pageable } => self.print_paged(&text, pageable, out),
            Reply::Error(text) | Reply::Fail(text, _) => self.print_paged(&text, false, out),
            Reply::AskSecret => {
                self.input = Input::Secret(1);
                if let Some(enable) = &self.shared.dialect.enable {
                    out.text(&self.fill(&enable.password));
                }
            }
            Reply::Ask(text) => {
                self.input = Input::Question;
                out.text(&crlf(&text));
            }
            Reply::Close => {
                self.closed = true;
                out.close();
            }
            Reply::Nothing => self.prompt(out),
        }
    }

    /// Lines per page now (0: no paging).
    fn page_length(&self) -> usize {
        match &self.shared.dialect.paging_off_when {
            Some(re) if self.page_len > 0 && self.shared.store().running.any_line(re) => 0,
            _ => self.page_len,
        }
    }

    fn print_paged(&mut self, text: &str, pageable: bool, out: &mut Out) {
        let total = text.lines().count();
        let page = if pageable { self.page_length() } else { 0 };
        let paged = page > 0 && total > page;
        let shown = if paged { page } else { total };
        let mut lines = text.lines();
        for line in lines.by_ref().take(shown) {
            out.text(line);
            out.text("\r\n");
        }
        if paged {
            self.pending = lines.map(str::to_string).collect();
            self.input = Input::More;
            out.text(&self.shared.dialect.pager);
        } else {
            self.prompt(out);
        }
    }
}

#[cfg(test)]
mod tests;
