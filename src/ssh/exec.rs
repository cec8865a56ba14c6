//! Exec mode: one SSH exec channel per command (servers, or devices that support it).

use super::prompt::Normalizer;
use super::transcript::{Direction, Recorder};
use super::{SshError, SshTarget};
use russh::ChannelMsg;
use russh::client::Msg;
use std::time::Duration;
use tokio::time::Instant;

/// Result of one exec command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    /// Standard output, cleaned like a shell session's (line ends, ANSI sequences, carriage
    /// returns), lossy UTF-8.
    pub stdout: String,
    /// Standard error, cleaned the same way.
    pub stderr: String,
    /// Exit status, if the server sent one (network devices often do not).
    pub exit_status: Option<u32>,
    /// Signal name if the command was killed by a signal.
    pub exit_signal: Option<String>,
}

pub(crate) async fn run(
    mut channel: russh::Channel<Msg>,
    target: &SshTarget,
    command: &str,
    timeout: Duration,
    recorder: Option<Recorder>,
) -> Result<ExecOutput, SshError> {
    let host = target.host_label.clone();
    if let Some(r) = &recorder {
        r.record(Direction::Sent, format!("exec: {command}\n").as_bytes());
    }
    channel
        .exec(true, command)
        .await
        .map_err(|e| SshError::ChannelClosed {
            host: host.clone(),
            command: command.to_string(),
            partial: format!("(exec request failed: {e})"),
        })?;
    let deadline = Instant::now() + timeout;
    // Cleaned as it arrives, straight into the text kept: no second copy of a large output.
    let (mut clean_out, mut clean_err) = (Normalizer::new(), Normalizer::new());
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut out = ExecOutput::default();
    let mut exec_accepted = false;
    loop {
        let msg = match tokio::time::timeout_at(deadline, channel.wait()).await {
            Err(_) => {
                let _ = channel.close().await;
                return Err(SshError::CommandTimeout {
                    host,
                    command: command.to_string(),
                    timeout,
                    partial: stdout,
                });
            }
            Ok(m) => m,
        };
        match msg {
            Some(ChannelMsg::Data { data }) => {
                if let Some(r) = &recorder {
                    r.record(Direction::Received, &data);
                }
                clean_out.feed(&data, &mut stdout, 0);
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                if let Some(r) = &recorder {
                    r.record(Direction::Received, &data);
                }
                clean_err.feed(&data, &mut stderr, 0);
            }
            Some(ChannelMsg::Success) => exec_accepted = true,
            Some(ChannelMsg::Failure) if !exec_accepted => {
                return Err(SshError::ChannelClosed {
                    host,
                    command: command.to_string(),
                    partial: "(device refused the exec request; try shell mode)".into(),
                });
            }
            // Output may still follow the exit status: keep reading until the channel closes.
            Some(ChannelMsg::ExitStatus { exit_status }) => out.exit_status = Some(exit_status),
            Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                out.exit_signal = Some(format!("{signal_name:?}"));
            }
            Some(ChannelMsg::Eof) => {}
            Some(ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
        if stdout.len() + stderr.len() > target.max_output {
            let _ = channel.close().await;
            return Err(SshError::OutputTooLarge {
                host,
                command: command.to_string(),
                limit: target.max_output,
            });
        }
    }
    clean_out.finish(&mut stdout);
    clean_err.finish(&mut stderr);
    out.stdout = stdout;
    out.stderr = stderr;
    if out.exit_status.is_none() && out.exit_signal.is_none() && !exec_accepted {
        return Err(SshError::ChannelClosed {
            host,
            command: command.to_string(),
            partial: out.stdout,
        });
    }
    Ok(out)
}
