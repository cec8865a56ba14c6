//! Typed SSH errors, worded for network engineers.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong talking to a device over SSH.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// The host name does not resolve.
    #[error("{host}: cannot resolve '{hostname}' (DNS): {detail}")]
    Dns {
        /// Inventory name.
        host: String,
        /// Name that failed to resolve.
        hostname: String,
        /// Resolver message.
        detail: String,
    },
    /// TCP connection actively refused (nothing listening, or an ACL reset).
    #[error("{host}: connection refused by {addr} (is SSH enabled on that port?)")]
    Refused {
        /// Inventory name.
        host: String,
        /// Address tried.
        addr: String,
    },
    /// No TCP/SSH handshake within the connect timeout.
    #[error("{host}: no answer from {addr} within {timeout:?} (connect timeout)")]
    ConnectTimeout {
        /// Inventory name.
        host: String,
        /// Address (or name) tried.
        addr: String,
        /// The connect timeout that expired.
        timeout: Duration,
    },
    /// Other TCP-level failure (no route, network unreachable, ...).
    #[error("{host}: cannot connect to {addr}: {detail}")]
    Connect {
        /// Inventory name.
        host: String,
        /// Address tried.
        addr: String,
        /// OS message.
        detail: String,
    },
    /// The SSH handshake failed (e.g. no common algorithms, not an SSH server).
    #[error("{host}: SSH handshake failed: {detail}")]
    Handshake {
        /// Inventory name.
        host: String,
        /// What russh reported, with a hint where useful.
        detail: String,
    },
    /// The device presented a different host key than recorded: possible MITM or re-keyed box.
    #[error(
        "{host}: HOST KEY MISMATCH for {key_host}: device presented {fingerprint}, but {} line {} records a different key (device replaced or man-in-the-middle; remove that line if the change is expected)",
        file.display(), line.map(|l| l.to_string()).unwrap_or_else(|| "?".into())
    )]
    HostKeyMismatch {
        /// Inventory name.
        host: String,
        /// Name as written in known_hosts (`host` or `[host]:port`).
        key_host: String,
        /// The known_hosts file.
        file: PathBuf,
        /// 1-based line of the recorded key, if known.
        line: Option<usize>,
        /// SHA256 fingerprint of the key presented.
        fingerprint: String,
    },
    /// Strict host key checking and the host is not in known_hosts.
    #[error(
        "{host}: unknown host key for {key_host} ({fingerprint}) and known_hosts policy is strict; add it to {}",
        file.display()
    )]
    HostKeyUnknown {
        /// Inventory name.
        host: String,
        /// Name as it would be written in known_hosts.
        key_host: String,
        /// The known_hosts file.
        file: PathBuf,
        /// SHA256 fingerprint of the key presented.
        fingerprint: String,
    },
    /// known_hosts could not be read or written.
    #[error("{host}: known_hosts file {}: {detail}", file.display())]
    KnownHostsFile {
        /// Inventory name.
        host: String,
        /// The known_hosts file.
        file: PathBuf,
        /// What failed.
        detail: String,
    },
    /// The server rejected every credential we had.
    #[error(
        "{host}: authentication rejected for user '{user}' (tried: {}; server accepts: {})",
        if tried.is_empty() { "nothing".to_string() } else { tried.join(", ") },
        if server_methods.is_empty() { "unknown".to_string() } else { server_methods.join(", ") }
    )]
    AuthRejected {
        /// Inventory name.
        host: String,
        /// Login name.
        user: String,
        /// Methods attempted, in order.
        tried: Vec<String>,
        /// Methods the server said it would accept.
        server_methods: Vec<String>,
    },
    /// Authentication did not finish within the auth timeout.
    #[error("{host}: authentication did not complete within {timeout:?}")]
    AuthTimeout {
        /// Inventory name.
        host: String,
        /// The auth timeout that expired.
        timeout: Duration,
    },
    /// A private key could not be loaded (missing, wrong passphrase, unsupported).
    #[error("{host}: private key {}: {detail}", path.display())]
    Key {
        /// Inventory name.
        host: String,
        /// Key file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The command did not return to a prompt (or exit) in time.
    #[error(
        "{host}: command '{command}' did not finish within {timeout:?} (command timeout){}",
        partial_detail(partial)
    )]
    CommandTimeout {
        /// Inventory name.
        host: String,
        /// Command sent.
        command: String,
        /// The timeout that expired.
        timeout: Duration,
        /// Output received before giving up.
        partial: String,
    },
    /// A command's output grew past the limit: the step fails and the session is closed.
    #[error(
        "{host}: output of '{command}' exceeded {limit} bytes (max_output); the session was closed"
    )]
    OutputTooLarge {
        /// Inventory name.
        host: String,
        /// Command sent.
        command: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// An earlier command timed out, so the CLI may still answer it: the session cannot be
    /// trusted to pair commands with their output any more.
    #[error(
        "{host}: the CLI session is out of step after '{after}' timed out; not sending '{command}' (a new connection is needed)"
    )]
    OutOfStep {
        /// Inventory name.
        host: String,
        /// The command that timed out.
        after: String,
        /// The command refused.
        command: String,
    },
    /// Logged in and the shell opened, but no prompt came: the device is not usable.
    #[error("{host}: {}", no_prompt(*timeout, partial))]
    NoPrompt {
        /// Inventory name.
        host: String,
        /// How long netrun waited (the command timeout).
        timeout: Duration,
        /// Whatever the device sent meanwhile.
        partial: String,
    },
    /// The device closed the channel/connection before the command finished.
    #[error(
        "{host}: channel closed by device during '{command}'{}",
        partial_detail(partial)
    )]
    ChannelClosed {
        /// Inventory name.
        host: String,
        /// Command in progress.
        command: String,
        /// Output received before the close.
        partial: String,
    },
    /// The device rejected the command (`% Invalid input`, `syntax error`, ...).
    #[error("{host}: device rejected '{command}': {message}")]
    Device {
        /// Inventory name.
        host: String,
        /// Command sent.
        command: String,
        /// The device's error line(s).
        message: String,
        /// Full output of the command.
        output: String,
    },
    /// An exec command exited non-zero.
    #[error(
        "{host}: '{command}' exited with status {status}{}",
        exit_detail(stderr)
    )]
    ExitStatus {
        /// Inventory name.
        host: String,
        /// Command run.
        command: String,
        /// Exit status.
        status: u32,
        /// Standard output.
        stdout: String,
        /// Standard error.
        stderr: String,
    },
    /// A mode change did not happen: the prompt after it is not the one it leads to.
    #[error(
        "{host}: after '{command}' the device is not in {wanted} (prompt '{prompt}'){}",
        answer_detail(output)
    )]
    ModeChange {
        /// Inventory name.
        host: String,
        /// The commands that should have changed the mode.
        command: String,
        /// The mode they lead to.
        wanted: &'static str,
        /// The prompt that followed.
        prompt: String,
        /// What the device answered.
        output: String,
    },
    /// A configuration step met a device in user mode and enable did not work.
    #[error(
        "{host}: the device is in user mode (prompt '{prompt}') and configuration needs privileged mode: {detail}; the enable secret is `connection_options.ssh.extras.secret` (migrated nornir inventories: `connection_options.netmiko.extras.secret`)"
    )]
    NotPrivileged {
        /// Inventory name.
        host: String,
        /// The user-mode prompt.
        prompt: String,
        /// Why enable did not help.
        detail: String,
    },
    /// Enable (privilege escalation) failed or is impossible.
    #[error("{host}: enable failed: {detail}")]
    Enable {
        /// Inventory name.
        host: String,
        /// Why.
        detail: String,
    },
    /// Bad local setup (platform regex, missing config mode, ...).
    #[error("{host}: {detail}")]
    Config {
        /// Inventory name.
        host: String,
        /// What is wrong.
        detail: String,
    },
    /// The SSH connection failed after it was established (protocol error, disconnect).
    #[error("{host}: SSH connection error: {detail}")]
    Protocol {
        /// Inventory name.
        host: String,
        /// What russh reported.
        detail: String,
    },
}

/// Silence and an unrecognised prompt need different fixes, so they read differently.
fn no_prompt(timeout: Duration, partial: &str) -> String {
    if partial.trim().is_empty() {
        format!(
            "logged in, but no prompt within {timeout:?}: nothing received (the device accepted the session but its CLI does not answer)"
        )
    } else {
        format!(
            "logged in, but no prompt within {timeout:?}; the device sent: {} (does the platform's prompt pattern match this device?)",
            snippet(partial)
        )
    }
}

/// What follows a timeout or a closed channel: the end of what arrived, or that nothing did.
fn partial_detail(partial: &str) -> String {
    if partial.trim().is_empty() {
        " before any output".to_string()
    } else {
        format!("; partial output: {}", snippet(partial))
    }
}

/// What follows a mode change that did not happen: the device's answer, if it said anything.
fn answer_detail(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        format!("; it answered: {}", snippet(output))
    }
}

/// What follows "exited with status N": the end of stderr, or that there was none.
fn exit_detail(stderr: &str) -> String {
    if stderr.trim().is_empty() {
        " and wrote nothing to stderr".to_string()
    } else {
        format!(": {}", snippet(stderr))
    }
}

/// The end of a device's text, trimmed and cut to a readable length.
fn snippet(s: &str) -> String {
    const MAX: usize = 300;
    let s = s.trim();
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut start = s.len() - MAX;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &s[start..])
}

impl SshError {
    /// True when the device could not be reached or logged into (vs. a command failing).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SshError::Dns { .. }
                | SshError::Refused { .. }
                | SshError::ConnectTimeout { .. }
                | SshError::Connect { .. }
                | SshError::Handshake { .. }
                | SshError::HostKeyMismatch { .. }
                | SshError::HostKeyUnknown { .. }
                | SshError::KnownHostsFile { .. }
                | SshError::AuthRejected { .. }
                | SshError::AuthTimeout { .. }
                | SshError::Key { .. }
                | SshError::NoPrompt { .. }
        )
    }

    /// Output received before the failure, for timeouts, closes and device errors.
    pub fn partial_output(&self) -> Option<&str> {
        match self {
            SshError::CommandTimeout { partial, .. }
            | SshError::ChannelClosed { partial, .. }
            | SshError::NoPrompt { partial, .. } => Some(partial),
            SshError::Device { output, .. } | SshError::ModeChange { output, .. } => Some(output),
            SshError::ExitStatus { stdout, .. } => Some(stdout),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let refused = SshError::Refused {
            host: "r1".into(),
            addr: "127.0.0.1:1".into(),
        };
        assert!(refused.is_unreachable());
        let dev = SshError::Device {
            host: "r1".into(),
            command: "show foo".into(),
            message: "% Invalid input".into(),
            output: String::new(),
        };
        assert!(!dev.is_unreachable());
        assert!(dev.to_string().contains("% Invalid input"));
    }

    #[test]
    fn long_partial_output_is_shortened_in_message() {
        let e = SshError::CommandTimeout {
            host: "r1".into(),
            command: "show tech".into(),
            timeout: Duration::from_secs(1),
            partial: "é".repeat(1000),
        };
        let msg = e.to_string();
        assert!(msg.len() < 500);
        assert_eq!(e.partial_output().map(str::len), Some(2000));
    }

    #[test]
    fn no_prompt_tells_silence_from_an_unmatched_prompt() {
        let silent = SshError::NoPrompt {
            host: "r1".into(),
            timeout: Duration::from_secs(1),
            partial: " \r\n".into(),
        };
        assert!(silent.is_unreachable());
        let m = silent.to_string();
        assert!(
            m.starts_with("r1: logged in, but no prompt within 1s: nothing received"),
            "{m}"
        );
        let odd = SshError::NoPrompt {
            host: "r1".into(),
            timeout: Duration::from_secs(30),
            partial: "Welcome\r\nrouter>>>".into(),
        };
        let m = odd.to_string();
        assert!(m.contains("the device sent: Welcome"), "{m}");
        assert!(m.contains("router>>>"), "{m}");
        assert!(m.contains("prompt pattern"), "{m}");
    }

    #[test]
    fn auth_message_lists_methods() {
        let e = SshError::AuthRejected {
            host: "r1".into(),
            user: "admin".into(),
            tried: vec!["password".into(), "keyboard-interactive".into()],
            server_methods: vec!["publickey".into()],
        };
        let m = e.to_string();
        assert!(m.contains("tried: password, keyboard-interactive"), "{m}");
        assert!(m.contains("server accepts: publickey"), "{m}");
    }

    #[test]
    fn exit_status_message_with_and_without_stderr() {
        let failed = |stderr: &str| SshError::ExitStatus {
            host: "srv1".into(),
            command: "false".into(),
            status: 1,
            stdout: String::new(),
            stderr: stderr.into(),
        };
        assert_eq!(
            failed("").to_string(),
            "srv1: 'false' exited with status 1 and wrote nothing to stderr"
        );
        assert_eq!(
            failed("ls: cannot access 'x'\n").to_string(),
            "srv1: 'false' exited with status 1: ls: cannot access 'x'"
        );
    }
}
