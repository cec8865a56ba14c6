//! Interactive CLI session on a PTY, driven by the prompt engine.

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

/// An interactive CLI session (PTY + shell) on one device.
pub struct CliSession {
    channel: russh::Channel<Msg>,
    target: Arc<SshTarget>,
    collector: Collector,
    any_prompt: PromptMatcher,
    privileged: Option<PromptMatcher>,
    config: Option<PromptMatcher>,
    recorder: Option<Recorder>,
    prompt: String,
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

impl CliSession {
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
        // The matchers' regexes are compiled once per process (see `prompt::compiled`).
        let any_prompt = PromptMatcher::new(&platform.any_prompt_pattern()).map_err(bad_regex)?;
        let privileged = platform
            .prompt
            .privileged
            .as_deref()
            .map(PromptMatcher::new)
            .transpose()
            .map_err(bad_regex)?;
        let config = platform
            .prompt
            .config
            .as_deref()
            .map(PromptMatcher::new)
            .transpose()
            .map_err(bad_regex)?;
        let pager = PagerMatcher::new(&platform.pager.patterns).map_err(bad_regex)?;
        let mut collector = Collector::new(any_prompt.clone(), pager);
        collector.set_limit(target.max_output);
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
            any_prompt,
            privileged,
            config,
            recorder,
            prompt: String::new(),
            out_of_step: None,
        };
        session.wait_first_prompt().await?;
        for cmd in target.platform.on_open.clone() {
            match session.send_command(&cmd, None).await {
                // Some images lack e.g. `terminal width`; that must not make the device unusable.
                Ok(_) | Err(SshError::Device { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(session)
    }

    async fn wait_first_prompt(&mut self) -> Result<(), SshError> {
        let total = self.target.timeouts.command;
        let start = Instant::now();
        self.collector.start_passive();
        let first = self
            .read_until_prompt("(waiting for prompt)", FIRST_PROMPT_NUDGE.min(total))
            .await;
        let done = match first {
            Ok(done) => done,
            Err(SshError::CommandTimeout { .. }) => {
                self.write(b"\n").await?;
                let left = total.saturating_sub(start.elapsed());
                self.read_until_prompt("(waiting for prompt)", left)
                    .await
                    .map_err(|e| match e {
                        SshError::CommandTimeout { partial, .. } => SshError::NoPrompt {
                            host: self.target.host_label.clone(),
                            timeout: total,
                            partial,
                        },
                        other => other,
                    })?
            }
            Err(e) => return Err(e),
        };
        self.prompt = done.prompt;
        Ok(())
    }

    /// The last prompt seen (e.g. `R1#`).
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Whether the current prompt is the privileged one.
    pub fn is_privileged(&self) -> bool {
        self.privileged
            .as_ref()
            .is_some_and(|m| m.is_prompt_line(&self.prompt))
    }

    /// Whether the current prompt is the configuration-mode one.
    pub fn in_config_mode(&self) -> bool {
        self.config
            .as_ref()
            .is_some_and(|m| m.is_prompt_line(&self.prompt))
    }

    /// Send a command and return its clean output (no echo, no prompt).
    ///
    /// A failure marker of the platform in the output gives [`SshError::Device`].
    pub async fn send_command(
        &mut self,
        command: &str,
        timeout: Option<Duration>,
    ) -> Result<String, SshError> {
        let output = self.send_command_unchecked(command, timeout).await?;
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
        Ok(done.output)
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

    /// Enter privileged mode, answering the password question with the target's secret.
    ///
    /// A no-op when already privileged or when the platform has no enable step.
    pub async fn enable(&mut self) -> Result<(), SshError> {
        let host = self.target.host_label.clone();
        let Some(spec) = self.target.platform.enable.clone() else {
            return Ok(());
        };
        if self.is_privileged() {
            return Ok(());
        }
        let password = PromptMatcher::new(&spec.password_prompt).map_err(|e| SshError::Config {
            host: host.clone(),
            detail: format!("invalid enable password_prompt regex: {e}"),
        })?;
        let either = PromptMatcher::new(&format!(
            "(?:{})|(?:{})",
            spec.password_prompt,
            self.target.platform.any_prompt_pattern()
        ))
        .map_err(|e| SshError::Config {
            host: host.clone(),
            detail: format!("invalid prompt regex: {e}"),
        })?;
        let timeout = self.target.timeouts.command;
        self.collector.set_prompt(either);
        let result = self.enable_dialog(&spec.command, &password, timeout).await;
        self.collector.set_prompt(self.any_prompt.clone());
        result?;
        if self.privileged.is_some() && !self.is_privileged() {
            return Err(SshError::Enable {
                host,
                detail: format!(
                    "secret rejected or insufficient: still not privileged (prompt '{}')",
                    self.prompt
                ),
            });
        }
        Ok(())
    }

    async fn enable_dialog(
        &mut self,
        command: &str,
        password: &PromptMatcher,
        timeout: Duration,
    ) -> Result<(), SshError> {
        let host = self.target.host_label.clone();
        self.collector.start_command(command);
        self.write(format!("{command}\n").as_bytes()).await?;
        let mut done = self.read_until_prompt(command, timeout).await?;
        let mut asked = 0;
        while password.is_prompt_line(&done.prompt) && asked < ENABLE_MAX_PASSWORD_PROMPTS {
            asked += 1;
            // The device never echoes the secret, so the answer is followed by a bare newline.
            self.collector.start_command("");
            match (&self.target.secret, asked) {
                (Some(secret), 1) => {
                    if let Some(r) = &self.recorder {
                        r.secret_sent();
                    }
                    let mut bytes = secret.clone().into_bytes();
                    bytes.push(b'\n');
                    self.write_unrecorded(&bytes).await?;
                }
                // No secret, or it was rejected: empty answers make the device give up.
                _ => self.write(b"\n").await?,
            }
            done = self.read_until_prompt("(enable secret)", timeout).await?;
        }
        self.prompt = done.prompt.clone();
        let accepted = asked == 0
            || (asked == 1
                && self.target.secret.is_some()
                && !password.is_prompt_line(&done.prompt));
        if !accepted {
            let why = if self.target.secret.is_none() {
                "the device asks for an enable secret but none is configured"
            } else {
                "the enable secret was rejected"
            };
            return Err(SshError::Enable {
                host,
                detail: why.into(),
            });
        }
        Ok(())
    }

    /// Enter config mode, send each line (stopping at the first device error, after leaving
    /// config mode with the platform's abort commands), then apply/exit. Returns all output.
    pub async fn send_config<S: AsRef<str>>(&mut self, lines: &[S]) -> Result<String, SshError> {
        let Some(spec) = self.target.platform.config.clone() else {
            return Err(SshError::Config {
                host: self.target.host_label.clone(),
                detail: format!(
                    "platform '{}' has no configuration mode",
                    self.target.platform.name
                ),
            });
        };
        let mut transcript = Vec::new();
        for cmd in &spec.enter {
            transcript.push(self.send_command(cmd, None).await?);
        }
        for line in lines {
            match self.send_command(line.as_ref(), None).await {
                Ok(out) => transcript.push(out),
                Err(e @ SshError::Device { .. }) => {
                    for cmd in spec.abort_commands() {
                        // Best effort: the original error is what the user needs to see.
                        let _ = self.send_command_unchecked(cmd, None).await;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        for cmd in &spec.exit {
            transcript.push(self.send_command(cmd, None).await?);
        }
        Ok(transcript
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// Close the channel (the SSH connection stays up for other channels).
    pub async fn close(self) -> Result<(), SshError> {
        self.channel.close().await.map_err(|e| SshError::Protocol {
            host: self.target.host_label.clone(),
            detail: e.to_string(),
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
