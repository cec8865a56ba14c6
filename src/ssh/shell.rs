//! Interactive CLI session on a PTY, driven by the prompt engine.
//!
//! The session learns the device's exact prompt during its setup: the platform's prompt
//! patterns are generic (any name) until the setup commands (or one Enter) have come back, and
//! from then on only a prompt with this device's name ends a command. POSIX shells (platforms
//! with `marker`) get a prompt of netrun's own that also carries each command's exit status.
//! Mode changes (enable, entering and leaving configuration mode) are checked against the
//! prompt that follows them.

use super::prompt::{Collector, Completed, Event, PagerMatcher, PromptMatcher};
use super::transcript::{Direction, Recorder};
use super::{SshError, SshTarget};
use russh::ChannelMsg;
use russh::client::Msg;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Wide terminal so devices do not wrap long lines (many cap at 511 or 512).
const PTY_WIDTH: u32 = 511;
/// Height 0 = "unknown" for most devices, which then do not page by screen height.
const PTY_HEIGHT: u32 = 0;
/// If no prompt shows up this soon after the shell opens, nudge the device with a newline.
const FIRST_PROMPT_NUDGE: Duration = Duration::from_secs(2);
/// Device error messages appear right after the echo; only this many lines are checked so
/// that a log line quoting an error deep inside `show logging` is not taken as a failure.
const FAILURE_SCAN_LINES: usize = 10;
/// How many times to answer a repeated password question before giving up on enable.
const ENABLE_MAX_PASSWORD_PROMPTS: usize = 3;
/// How many login questions (hooks) are answered before the first prompt, at most.
const MAX_LOGIN_ANSWERS: usize = 5;

/// The CLI mode a prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliMode {
    /// Unprivileged / operational.
    User,
    /// Privileged exec.
    Privileged,
    /// Configuration.
    Config,
}

impl CliMode {
    fn describe(self) -> &'static str {
        match self {
            CliMode::User => "user mode",
            CliMode::Privileged => "privileged mode",
            CliMode::Config => "configuration mode",
        }
    }
}

/// An interactive CLI session (PTY + shell) on one device.
pub struct CliSession {
    channel: russh::Channel<Msg>,
    target: Arc<SshTarget>,
    collector: Collector,
    /// The platform's prompts, one pattern per mode present: user, privileged, config.
    modes: Vec<CliMode>,
    /// The same, for this device only, once its name is known.
    exact: Option<PromptMatcher>,
    recorder: Option<Recorder>,
    prompt: String,
    /// The context line above the last prompt (Junos `[edit]`).
    context: Option<String>,
    /// POSIX shells: the tag of netrun's own prompt, `TAG:STATUS> `.
    marker: Option<String>,
    /// The command that timed out, after which output can no longer be paired with commands.
    out_of_step: Option<String>,
}

impl std::fmt::Debug for CliSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliSession")
            .field("host", &self.target.host_label)
            .field("prompt", &self.prompt)
            .finish()
    }
}

/// A tag for netrun's prompt in a POSIX shell, unlikely to occur in any output.
fn marker_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("nr{:x}{:x}{n:x}", std::process::id(), nanos)
}

impl CliSession {
    /// The platform this session drives.
    pub fn platform(&self) -> &crate::platform::Platform {
        &self.target.platform
    }

    pub(crate) async fn start(
        channel: russh::Channel<Msg>,
        target: Arc<SshTarget>,
        recorder: Option<Recorder>,
    ) -> Result<CliSession, SshError> {
        let host = target.host_label.clone();
        let platform = &target.platform;
        let bad_regex = |e: regex::Error| SshError::Config {
            host: host.clone(),
            detail: format!("platform '{}' has an invalid regex: {e}", platform.name),
        };
        let prompt = &platform.prompt;
        let mut patterns = vec![(CliMode::User, prompt.user.0.as_str())];
        if let Some(p) = &prompt.privileged {
            patterns.push((CliMode::Privileged, p.0.as_str()));
        }
        if let Some(p) = &prompt.config {
            patterns.push((CliMode::Config, p.0.as_str()));
        }
        // The matchers' regexes are compiled once per process (see `prompt::compiled`).
        let generic = PromptMatcher::any(patterns.iter().map(|(_, p)| *p)).map_err(bad_regex)?;
        let modes = patterns.iter().map(|(m, _)| *m).collect();
        let pager = PagerMatcher::new(platform.pager_patterns()).map_err(bad_regex)?;
        let mut collector = Collector::new(generic, pager);
        collector.set_limit(target.max_output);
        collector.set_context(Arc::clone(platform));
        let channel_err = |e: russh::Error| SshError::ChannelClosed {
            host: host.clone(),
            command: "(opening shell)".into(),
            partial: e.to_string(),
        };
        channel
            .request_pty(true, "vt100", PTY_WIDTH, PTY_HEIGHT, 0, 0, &[])
            .await
            .map_err(channel_err)?;
        channel.request_shell(true).await.map_err(channel_err)?;

        let mut session = CliSession {
            channel,
            target: target.clone(),
            collector,
            modes,
            exact: None,
            recorder,
            prompt: String::new(),
            context: None,
            marker: None,
            out_of_step: None,
        };
        session.wait_first_prompt().await?;
        session.set_up().await?;
        Ok(session)
    }

    /// Waits for the first prompt, answering the platform's login questions on the way
    /// (Junos root starting in the Unix shell, password-change questions).
    async fn wait_first_prompt(&mut self) -> Result<(), SshError> {
        let total = self.target.timeouts.command;
        let start = Instant::now();
        let prompts = self.collector.prompt().clone();
        let hooks: Vec<String> = self
            .target
            .platform
            .login_hooks
            .iter()
            .map(|h| h.pattern.0.clone())
            .collect();
        let bad_regex = |e: regex::Error| SshError::Config {
            host: self.target.host_label.clone(),
            detail: format!("invalid login hook regex: {e}"),
        };
        let hook_matcher = if hooks.is_empty() {
            None
        } else {
            // A question and a prompt both end the wait; which one it was decides what next.
            let all: Vec<String> = hooks
                .iter()
                .cloned()
                .chain(self.prompt_patterns())
                .collect();
            self.collector
                .set_prompt(PromptMatcher::any(all.iter().map(String::as_str)).map_err(bad_regex)?);
            Some(PromptMatcher::any(hooks.iter().map(String::as_str)).map_err(bad_regex)?)
        };
        let mut answered = 0;
        let mut nudged = false;
        let done = loop {
            self.collector.start_passive();
            let wait = if nudged {
                total.saturating_sub(start.elapsed())
            } else {
                FIRST_PROMPT_NUDGE.min(total)
            };
            let done = match self.read_until_prompt("(waiting for prompt)", wait).await {
                Ok(done) => done,
                Err(SshError::CommandTimeout { partial, .. }) if nudged => {
                    self.collector.set_prompt(prompts);
                    return Err(SshError::NoPrompt {
                        host: self.target.host_label.clone(),
                        timeout: total,
                        partial,
                    });
                }
                Err(SshError::CommandTimeout { .. }) => {
                    nudged = true;
                    self.write(b"\n").await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let hook = hook_matcher.as_ref().and_then(|m| m.which(&done.prompt));
            match hook {
                Some(i)
                    if answered < MAX_LOGIN_ANSWERS && !prompts.is_prompt_line(&done.prompt) =>
                {
                    answered += 1;
                    let answer = self.target.platform.login_hooks[i]
                        .send
                        .replace("{username}", &self.target.username);
                    crate::diag!(
                        2,
                        "host {}: login question {:?}: answering",
                        self.target.host_label,
                        done.prompt
                    );
                    let mut line = answer.into_bytes();
                    line.push(b'\n');
                    self.write(&line).await?;
                }
                _ => break done,
            }
        };
        self.collector.set_prompt(prompts);
        self.prompt = done.prompt;
        Ok(())
    }

    fn prompt_patterns(&self) -> Vec<String> {
        let prompt = &self.target.platform.prompt;
        std::iter::once(&prompt.user)
            .chain(prompt.privileged.as_ref())
            .chain(prompt.config.as_ref())
            .map(|p| p.0.clone())
            .collect()
    }

    /// Sends the setup commands, then learns the exact prompt from the prompt that follows
    /// them (one Enter when the platform has none): by then any banner is behind us.
    async fn set_up(&mut self) -> Result<(), SshError> {
        if self.target.platform.marker {
            return self.mark_prompt().await;
        }
        let on_open = self.target.platform.on_open.clone();
        if on_open.is_empty() {
            self.send_command_unchecked("", None).await?;
        }
        for cmd in on_open {
            match self.send_command(&cmd, None).await {
                // Some images lack e.g. `terminal width`; that must not make the device unusable.
                Ok(_) | Err(SshError::Device { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.learn_prompt();
        Ok(())
    }

    /// Takes the device's name from the last prompt: from now on only prompts with it count.
    fn learn_prompt(&mut self) {
        let Some(base) = self.collector.prompt().base_of(&self.prompt) else {
            return;
        };
        crate::diag!(
            2,
            "host {}: prompt {:?}, device name {base:?}",
            self.target.host_label,
            self.prompt
        );
        let exact = self.collector.prompt().clone().exact(&base);
        self.collector.set_prompt(exact.clone());
        self.exact = Some(exact);
    }

    /// POSIX shells: replaces the user's prompt by netrun's own, `TAG:STATUS> `, which ends
    /// each command unambiguously and carries its exit status.
    async fn mark_prompt(&mut self) -> Result<(), SshError> {
        let tag = marker_tag();
        let setup = format!("unset PROMPT_COMMAND; PS2=''; PS1='{tag}:$?> '");
        let pattern = format!("{}:[0-9]{{1,3}}>", regex::escape(&tag));
        let matcher = PromptMatcher::new(&pattern).map_err(|e| SshError::Config {
            host: self.target.host_label.clone(),
            detail: format!("invalid marker prompt: {e}"),
        })?;
        self.collector.set_prompt(matcher.clone());
        self.exact = Some(matcher);
        self.marker = Some(tag);
        self.send_command_unchecked(&setup, None).await?;
        Ok(())
    }

    /// The last prompt seen (e.g. `R1#`).
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// The mode the last prompt shows, when the platform tells modes apart.
    pub fn mode(&self) -> Option<CliMode> {
        if let Some(config) = self
            .context
            .as_deref()
            .and_then(|c| self.target.platform.context_means_config(c))
        {
            return Some(if config {
                CliMode::Config
            } else {
                CliMode::Privileged
            });
        }
        if self.marker.is_some() {
            return None;
        }
        let matcher = self.exact.as_ref().unwrap_or(self.collector.prompt());
        matcher
            .which(&self.prompt)
            .and_then(|i| self.modes.get(i).copied())
    }

    /// Whether the current prompt is the privileged (or configuration) one.
    pub fn is_privileged(&self) -> bool {
        matches!(self.mode(), Some(CliMode::Privileged | CliMode::Config))
    }

    /// Whether the current prompt is the configuration-mode one.
    pub fn in_config_mode(&self) -> bool {
        self.mode() == Some(CliMode::Config)
    }

    /// Send a command and return its clean output (no echo, no prompt).
    ///
    /// A failure marker of the platform in the output gives [`SshError::Device`]; in a POSIX
    /// shell, a non-zero exit status gives [`SshError::ExitStatus`].
    pub async fn send_command(
        &mut self,
        command: &str,
        timeout: Option<Duration>,
    ) -> Result<String, SshError> {
        let output = self.send_command_unchecked(command, timeout).await?;
        if self.marker.is_some() {
            let status = self
                .prompt
                .rsplit(':')
                .next()
                .and_then(|s| s.trim_end_matches('>').parse::<u32>().ok())
                .unwrap_or(0);
            if status != 0 {
                return Err(SshError::ExitStatus {
                    host: self.target.host_label.clone(),
                    command: command.to_string(),
                    status,
                    stdout: output,
                    stderr: String::new(),
                });
            }
        }
        self.check_failure(command, output)
    }

    /// Send a command and return its output without looking for failure markers.
    pub async fn send_command_unchecked(
        &mut self,
        command: &str,
        timeout: Option<Duration>,
    ) -> Result<String, SshError> {
        if let Some(after) = &self.out_of_step {
            return Err(SshError::OutOfStep {
                host: self.target.host_label.clone(),
                after: after.clone(),
                command: command.to_string(),
            });
        }
        let timeout = timeout.unwrap_or(self.target.timeouts.command);
        // A command may rename the device (`hostname R2`, `set system host-name R2`): for
        // this command only, a prompt showing its last word is the device's too.
        let renamed = self.rename_candidate(command);
        if let (Some(exact), Some(name)) = (&self.exact, &renamed) {
            self.collector
                .set_prompt(exact.clone().or_renamed(name.as_str()));
        }
        self.collector.start_command(command);
        let mut line = command.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
        line.push(b'\n');
        self.write(&line).await?;
        let done = match self.read_until_prompt(command, timeout).await {
            Ok(done) => done,
            Err(err) => {
                if let SshError::CommandTimeout { .. } = err {
                    // The device may still be working on it; its late output would be taken
                    // for the next command's.
                    self.out_of_step = Some(command.to_string());
                }
                return Err(err);
            }
        };
        self.prompt = done.prompt;
        self.context = done.context;
        if let Some(exact) = self.exact.clone().filter(|_| renamed.is_some()) {
            let shown = exact.base_of(&self.prompt);
            if shown.is_some() && shown.as_deref() != exact.base() && shown == renamed {
                // The device took the new name: only prompts with it count from now on.
                self.learn_prompt();
            } else {
                self.collector.set_prompt(exact);
            }
        }
        Ok(done.output)
    }

    /// The name `command` may give the device: its last word, for a command of several
    /// words in config mode, once the session knows its name.
    fn rename_candidate(&self, command: &str) -> Option<String> {
        self.exact.as_ref().and_then(PromptMatcher::base)?;
        if self.marker.is_some() || self.mode() != Some(CliMode::Config) {
            return None;
        }
        let mut words = command.split_whitespace();
        let last = words.next_back()?;
        words.next()?;
        let last = last.trim_matches(['"', '\'']);
        (!last.is_empty()).then(|| last.to_string())
    }

    /// Whether commands can still be sent (false after a command timed out).
    pub fn is_usable(&self) -> bool {
        self.out_of_step.is_none()
    }

    fn check_failure(&self, command: &str, output: String) -> Result<String, SshError> {
        let platform = &self.target.platform;
        let bad: Vec<&str> = output
            .lines()
            .take(FAILURE_SCAN_LINES)
            .filter(|l| platform.failure_marker_in(l))
            .map(str::trim)
            .collect();
        if bad.is_empty() {
            return Ok(output);
        }
        Err(SshError::Device {
            host: self.target.host_label.clone(),
            command: command.to_string(),
            message: bad.join("\n"),
            output,
        })
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), SshError> {
        if let Some(r) = &self.recorder {
            r.record(Direction::Sent, data);
        }
        self.write_unrecorded(data).await
    }

    async fn write_unrecorded(&mut self, data: &[u8]) -> Result<(), SshError> {
        self.channel
            .data(data)
            .await
            .map_err(|e| SshError::ChannelClosed {
                host: self.target.host_label.clone(),
                command: "(write)".into(),
                partial: format!("{e}; {}", self.collector.partial()),
            })
    }

    /// Close the channel (the SSH connection stays up for other channels).
    pub async fn close(self) -> Result<(), SshError> {
        self.channel.close().await.map_err(|e| SshError::Protocol {
            host: self.target.host_label.clone(),
            detail: e.to_string(),
        })
    }

    async fn read_until_prompt(
        &mut self,
        command: &str,
        timeout: Duration,
    ) -> Result<Completed, SshError> {
        let deadline = Instant::now() + timeout;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.channel.wait()).await {
                Err(_) => {
                    return Err(SshError::CommandTimeout {
                        host: self.target.host_label.clone(),
                        command: command.to_string(),
                        timeout,
                        partial: self.collector.partial(),
                    });
                }
                Ok(m) => m,
            };
            let data = match msg {
                Some(ChannelMsg::Data { data }) | Some(ChannelMsg::ExtendedData { data, .. }) => {
                    data
                }
                Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => {
                    return Err(SshError::ChannelClosed {
                        host: self.target.host_label.clone(),
                        command: command.to_string(),
                        partial: self.collector.partial(),
                    });
                }
                Some(_) => continue,
            };
            if let Some(r) = &self.recorder {
                r.record(Direction::Received, &data);
            }
            match self.collector.feed(&data) {
                Event::NeedMore => {}
                Event::Pager => {
                    let send = self.target.platform.pager.send.clone();
                    self.write(send.as_bytes()).await?;
                }
                Event::Prompt => return Ok(self.collector.take()),
                Event::Overflow => {
                    // Whatever the device still sends would go unread: the session is over.
                    self.out_of_step = Some(command.to_string());
                    let _ = self.channel.close().await;
                    return Err(SshError::OutputTooLarge {
                        host: self.target.host_label.clone(),
                        command: command.to_string(),
                        limit: self.target.max_output,
                    });
                }
            }
        }
    }
}

mod modes;
