//! Changing modes, checked: enable must end at the privileged prompt, entering configuration
//! mode at the configuration prompt, leaving it back outside. A device that did not follow is
//! a failure with its answer, and nothing is reported changed.

use std::time::Duration;

use super::{CliMode, CliSession, ENABLE_MAX_PASSWORD_PROMPTS};
use crate::ssh::SshError;
use crate::ssh::prompt::PromptMatcher;

/// The setting that holds the enable secret, for messages.
pub const SECRET_SETTING: &str = "connection_options.ssh.extras.secret";

impl CliSession {
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
        let bad_regex = |e: regex::Error| SshError::Config {
            host: host.clone(),
            detail: format!("invalid enable password_prompt regex: {e}"),
        };
        let password = PromptMatcher::new(&spec.password_prompt.0).map_err(bad_regex)?;
        let prompts = self.collector.prompt().clone();
        let mut either: Vec<String> = vec![spec.password_prompt.0.clone()];
        either.extend(self.prompt_patterns());
        let mut either =
            PromptMatcher::any(either.iter().map(String::as_str)).map_err(bad_regex)?;
        if let Some(base) = prompts.base() {
            either = either.exact(base);
        }
        let timeout = self.target.timeouts.command;
        self.collector.set_prompt(either);
        let result = self.enable_dialog(&spec.command, &password, timeout).await;
        self.collector.set_prompt(prompts);
        result?;
        if self.mode() == Some(CliMode::User) {
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
        self.context = done.context;
        let accepted = asked == 0
            || (asked == 1
                && self.target.secret.is_some()
                && !password.is_prompt_line(&done.prompt));
        if !accepted {
            let why = if self.target.secret.is_none() {
                format!(
                    "the device asks for an enable secret but none is configured (set `{SECRET_SETTING}`)"
                )
            } else {
                "the enable secret was rejected".to_string()
            };
            return Err(SshError::Enable { host, detail: why });
        }
        Ok(())
    }

    /// Leaves user mode for privileged mode where the platform has an enable step, as
    /// configuring and reading the running configuration need; a failure names the setting.
    pub async fn ensure_privileged(&mut self) -> Result<(), SshError> {
        if self.target.platform.enable.is_some() && self.mode() == Some(CliMode::User) {
            let prompt = self.prompt.clone();
            self.enable().await.map_err(|err| SshError::NotPrivileged {
                host: self.target.host_label.clone(),
                prompt,
                detail: match err {
                    SshError::Enable { detail, .. } => detail,
                    other => other.to_string(),
                },
            })?;
        }
        Ok(())
    }

    /// Enter config mode, send each line (stopping at the first device error, after leaving
    /// config mode with the platform's abort commands), then apply/exit. Returns all output.
    ///
    /// Each mode change is checked against the prompt that follows it.
    pub async fn send_config<S: AsRef<str>>(&mut self, lines: &[S]) -> Result<String, SshError> {
        let host = self.target.host_label.clone();
        let Some(spec) = self.target.platform.config.clone() else {
            return Err(SshError::Config {
                host,
                detail: format!(
                    "platform '{}' has no configuration mode",
                    self.target.platform.name
                ),
            });
        };
        self.ensure_privileged().await?;
        let verify = self.can_tell_modes();
        let mut transcript = Vec::new();
        for cmd in &spec.enter {
            transcript.push(self.send_command(cmd, None).await?);
        }
        if verify && !self.in_config_mode() {
            let answer = transcript.join("\n");
            return Err(self.mode_error(spec.enter.join("; "), CliMode::Config, answer));
        }
        for line in lines {
            match self.send_command(line.as_ref(), None).await {
                Ok(out) => transcript.push(out),
                Err(e @ SshError::Device { .. }) => {
                    self.abort(spec.abort_commands()).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        let mut exit_output = Vec::new();
        for cmd in &spec.exit {
            match self.send_command(cmd, None).await {
                Ok(out) => exit_output.push(out),
                Err(e @ SshError::Device { .. }) => {
                    // A commit the device refused: leave without it.
                    self.abort(spec.abort_commands()).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        if verify && self.in_config_mode() {
            let answer = exit_output.join("\n");
            self.abort(spec.abort_commands()).await;
            return Err(self.mode_error(spec.exit.join("; "), CliMode::Privileged, answer));
        }
        transcript.extend(exit_output);
        Ok(transcript
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// Whether the platform's prompts (or context lines) show configuration mode.
    fn can_tell_modes(&self) -> bool {
        self.target.platform.prompt.config.is_some()
            || self.target.platform.mode_from_context.is_some()
    }

    /// Best effort: the original error is what the user needs to see.
    async fn abort(&mut self, commands: &[String]) {
        for cmd in commands {
            let _ = self.send_command_unchecked(cmd, None).await;
        }
    }

    fn mode_error(&self, command: String, wanted: CliMode, answer: String) -> SshError {
        SshError::ModeChange {
            host: self.target.host_label.clone(),
            command,
            wanted: wanted.describe(),
            prompt: self.prompt.clone(),
            output: answer,
        }
    }
}
