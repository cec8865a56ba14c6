//! Exec mode: one SSH exec channel per command (servers, or devices that support it).

use super::transcript::{Direction, Recorder};
use super::{SshError, SshTarget};
use russh::ChannelMsg;
use russh::client::Msg;
use std::time::Duration;
use tokio::time::Instant;

/// Result of one exec command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
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
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
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
                    partial: String::from_utf8_lossy(&stdout).into_owned(),
                });
            }
            Ok(m) => m,
        };
        match msg {
            Some(ChannelMsg::Data { data }) => {
                if let Some(r) = &recorder {
                    r.record(Direction::Received, &data);
                }
                stdout.extend_from_slice(&data);
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                if let Some(r) = &recorder {
                    r.record(Direction::Received, &data);
                }
                stderr.extend_from_slice(&data);
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
    out.stdout = text(stdout);
    out.stderr = text(stderr);
    if out.exit_status.is_none() && out.exit_signal.is_none() && !exec_accepted {
        return Err(SshError::ChannelClosed {
            host,
            command: command.to_string(),
            partial: out.stdout,
        });
    }
    Ok(out)
}

/// Bytes as text: moved when they are UTF-8 (the usual case, and no copy of a large output),
/// with replacement characters otherwise.
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
