//! SSH client side: connect, authenticate, check host keys, and drive device CLIs (russh).
//!
//! Entry point: [`SshConnection::connect`] with an [`SshTarget`]; then either
//! [`SshConnection::open_shell`] for an interactive [`CliSession`] or
//! [`SshConnection::exec`] for one exec channel per command.

mod auth;
mod environment;
mod error;
mod exec;
mod hostkey;
mod jump;
pub mod known_hosts;
mod plugin;
pub mod prompt;
mod settings;
mod shell;
pub mod ssh_config;
mod transcript;

pub use crate::platform::Mode;
pub use error::SshError;
pub use exec::ExecOutput;
pub use hostkey::KnownHostsPolicy;
pub use plugin::SshPlugin;
pub use settings::{BadSetting, SshConfigChoice, SshFile, SshSettings};
pub use shell::CliSession;
pub use transcript::{Direction, FileTranscript, MemoryTranscript, TranscriptSink};

use crate::platform::Platform;
use russh::client;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The default for [`SshTarget::max_output`]: 64 MiB, far beyond any `show` command, well
/// below what would strain the machine.
pub const DEFAULT_MAX_OUTPUT: usize = 64 << 20;

/// Per-phase time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// DNS + TCP connect + SSH handshake (host key check included).
    pub connect: Duration,
    /// All authentication attempts together.
    pub auth: Duration,
    /// Default time for one command to return to the prompt / exit.
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            auth: Duration::from_secs(15),
            command: Duration::from_secs(30),
        }
    }
}

/// Everything needed to reach and log into one device; filled from the inventory.
#[derive(Clone)]
pub struct SshTarget {
    /// Inventory name, used in messages.
    pub host_label: String,
    /// DNS name or address to connect to.
    pub hostname: String,
    /// TCP port.
    pub port: u16,
    /// Login name.
    pub username: String,
    /// Password (password and keyboard-interactive auth).
    pub password: Option<String>,
    /// Enable secret.
    pub secret: Option<String>,
    /// Other secret values (from the host's data) to scrub from transcripts.
    pub data_secrets: Vec<String>,
    /// Private key file.
    pub private_key: Option<PathBuf>,
    /// More key files to try after `private_key` (ssh_config `IdentityFile`); missing ones and
    /// encrypted ones without a passphrase are passed over.
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly`: only the configured key files, no agent, no default identities.
    pub identities_only: bool,
    /// Passphrase of the private key.
    pub passphrase: Option<String>,
    /// Try keys from the SSH agent (`SSH_AUTH_SOCK`).
    pub use_agent: bool,
    /// Jump hosts (`ProxyJump`), first hop first; each carries the hops before it.
    pub jump: Vec<SshTarget>,
    /// Host key checking policy.
    pub known_hosts: KnownHostsPolicy,
    /// known_hosts file to check and learn into.
    pub known_hosts_file: PathBuf,
    /// More known_hosts files that are checked but never written (ssh_config
    /// `UserKnownHostsFile` beyond the first, `GlobalKnownHostsFile`).
    pub known_hosts_extra: Vec<PathBuf>,
    /// Name to look the host key up under instead of the host name (`HostKeyAlias`).
    pub host_key_alias: Option<String>,
    /// Algorithm preferences from ssh_config; `None`: netrun's defaults.
    pub algorithms: Option<russh::Preferred>,
    /// Also offer old algorithms (SHA-1 kex/MAC, CBC ciphers) after the modern ones.
    pub legacy_algorithms: bool,
    /// Shell (CLI) or exec.
    pub mode: Mode,
    /// CLI dialect of the device.
    pub platform: Arc<Platform>,
    /// Time limits.
    pub timeouts: Timeouts,
    /// Send SSH keepalives at this interval when the link is idle.
    pub keepalive: Option<Duration>,
    /// Unanswered keepalives before the connection counts as dead.
    pub keepalive_max: usize,
    /// Most bytes one command may return before it fails and the session is closed.
    pub max_output: usize,
    /// `--show-secrets`: transcripts keep the secrets the device echoes.
    pub reveal_secrets: bool,
}

impl SshTarget {
    /// A target with defaults: port 22, accept-new host keys in `~/.ssh/known_hosts`, no
    /// credentials, the platform's default mode.
    pub fn new(
        host_label: impl Into<String>,
        hostname: impl Into<String>,
        username: impl Into<String>,
        platform: Arc<Platform>,
    ) -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        SshTarget {
            host_label: host_label.into(),
            hostname: hostname.into(),
            port: 22,
            username: username.into(),
            password: None,
            secret: None,
            data_secrets: Vec::new(),
            private_key: None,
            identity_files: Vec::new(),
            identities_only: false,
            passphrase: None,
            use_agent: false,
            jump: Vec::new(),
            known_hosts: KnownHostsPolicy::default(),
            known_hosts_file: home.join(".ssh").join("known_hosts"),
            known_hosts_extra: Vec::new(),
            host_key_alias: None,
            algorithms: None,
            legacy_algorithms: false,
            mode: platform.default_mode,
            platform,
            timeouts: Timeouts::default(),
            keepalive: None,
            keepalive_max: 3,
            max_output: DEFAULT_MAX_OUTPUT,
            reveal_secrets: false,
        }
    }

    /// Secrets that must never appear in a transcript (none with `--show-secrets`).
    fn secrets(&self) -> Vec<String> {
        if self.reveal_secrets {
            return Vec::new();
        }
        [&self.password, &self.secret, &self.passphrase]
            .into_iter()
            .flatten()
            .chain(&self.data_secrets)
            .filter(|s| !s.is_empty())
            .cloned()
            .collect()
    }
}

impl std::fmt::Debug for SshTarget {
    // Hand-written so that passwords never end up in logs via `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("SshTarget")
            .field("host_label", &self.host_label)
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("secret", &redact(&self.secret))
            .field("private_key", &self.private_key)
            .field("identity_files", &self.identity_files)
            .field("identities_only", &self.identities_only)
            .field("passphrase", &redact(&self.passphrase))
            .field("use_agent", &self.use_agent)
            .field(
                "jump",
                &self.jump.iter().map(jump::label).collect::<Vec<_>>(),
            )
            .field("known_hosts", &self.known_hosts)
            .field("known_hosts_file", &self.known_hosts_file)
            .field("known_hosts_extra", &self.known_hosts_extra)
            .field("host_key_alias", &self.host_key_alias)
            .field("legacy_algorithms", &self.legacy_algorithms)
            .field("mode", &self.mode)
            .field("platform", &self.platform.name)
            .field("timeouts", &self.timeouts)
            .field("keepalive", &self.keepalive)
            .field("max_output", &self.max_output)
            .finish()
    }
}

/// The russh algorithm preferences: russh's safe defaults, plus legacy ones after them.
pub fn preferred_algorithms(legacy: bool) -> russh::Preferred {
    let mut pref = russh::Preferred::default();
    if !legacy {
        return pref;
    }
    // Old IOS/ASA images only speak SHA-1 Diffie-Hellman; keep them after the modern ones so
    // they are chosen only when the device offers nothing better. The ext-info/strict-kex
    // markers are pseudo-algorithms whose position does not matter.
    let mut kex = pref.kex.to_vec();
    for k in [
        russh::kex::DH_G14_SHA1,
        russh::kex::DH_GEX_SHA1,
        russh::kex::DH_G1_SHA1,
    ] {
        if !kex.contains(&k) {
            kex.push(k);
        }
    }
    pref.kex = Cow::Owned(kex);
    let mut cipher = pref.cipher.to_vec();
    for c in [
        russh::cipher::AES_256_CBC,
        russh::cipher::AES_192_CBC,
        russh::cipher::AES_128_CBC,
    ] {
        if !cipher.contains(&c) {
            cipher.push(c);
        }
    }
    pref.cipher = Cow::Owned(cipher);
    let mut mac = pref.mac.to_vec();
    for m in [russh::mac::HMAC_SHA1_ETM, russh::mac::HMAC_SHA1] {
        if !mac.contains(&m) {
            mac.push(m);
        }
    }
    pref.mac = Cow::Owned(mac);
    // ssh-rsa (SHA-1 signatures) host keys: russh's default list already ends with it, but
    // make sure it is present and last.
    let rsa_sha1 = russh::keys::Algorithm::Rsa { hash: None };
    let mut key: Vec<_> = pref
        .key
        .iter()
        .filter(|k| **k != rsa_sha1)
        .cloned()
        .collect();
    key.push(rsa_sha1);
    pref.key = Cow::Owned(key);
    pref
}

/// The SSH handshake over a TCP connection or a jump host's channel.
type HandshakeFuture = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<client::Handle<hostkey::ClientHandler>, russh::Error>,
            > + Send,
    >,
>;

/// An authenticated SSH connection; serves any number of shell or exec channels.
pub struct SshConnection {
    handle: client::Handle<hostkey::ClientHandler>,
    target: Arc<SshTarget>,
    transcript: Option<Arc<dyn TranscriptSink>>,
}

impl std::fmt::Debug for SshConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshConnection")
            .field("target", &self.target)
            .field("alive", &self.is_alive())
            .finish()
    }
}

impl SshConnection {
    /// Resolve, connect (within the connect timeout), verify the host key and authenticate.
    pub async fn connect(target: SshTarget) -> Result<SshConnection, SshError> {
        let target = Arc::new(target);
        let mut preferred = target
            .algorithms
            .clone()
            .unwrap_or_else(|| preferred_algorithms(target.legacy_algorithms));
        if target.known_hosts != KnownHostsPolicy::Off
            && let Ok(known) = known_hosts::KnownHosts::load(&target.known_hosts_file)
        {
            // Ask for the key type we have recorded, as OpenSSH does, so a host with several
            // keys does not look changed. (An unreadable file fails in the handshake.)
            let (name, port) = match &target.host_key_alias {
                Some(alias) => (alias.as_str(), 22),
                None => (target.hostname.as_str(), target.port),
            };
            known.prefer_recorded_algorithms(name, port, &mut preferred);
        }
        let config = Arc::new(client::Config {
            preferred,
            keepalive_interval: target.keepalive,
            keepalive_max: target.keepalive_max,
            nodelay: true,
            ..Default::default()
        });
        let verdict = hostkey::Verdict::default();
        let handler = hostkey::ClientHandler::new(&target, verdict.clone());
        let (handshake, deadline) = if target.jump.is_empty() {
            let deadline = Instant::now() + target.timeouts.connect;
            let stream = tcp_connect(&target, deadline).await?;
            crate::diag!(2, "host {}: tcp connected", target.host_label);
            let handshake: HandshakeFuture =
                Box::pin(client::connect_stream(config, stream, handler));
            (handshake, deadline)
        } else {
            // The bastion has its own timeouts; the device's starts with its channel.
            let stream = jump::stream(&target).await?;
            crate::diag!(
                2,
                "host {}: channel through the jump host open",
                target.host_label
            );
            let handshake: HandshakeFuture =
                Box::pin(client::connect_stream(config, stream, handler));
            (handshake, Instant::now() + target.timeouts.connect)
        };
        let mut handle = match tokio::time::timeout_at(deadline, handshake).await {
            Err(_) => {
                return Err(SshError::ConnectTimeout {
                    host: target.host_label.clone(),
                    addr: format!("{}:{}", target.hostname, target.port),
                    timeout: target.timeouts.connect,
                });
            }
            Ok(Err(e)) => {
                // A host key rejection surfaces from russh as a generic error; the handler
                // recorded the precise reason.
                if let Some(err) = verdict.take() {
                    return Err(err);
                }
                return Err(handshake_error(&target, e));
            }
            Ok(Ok(h)) => h,
        };
        crate::diag!(2, "host {}: ssh handshake done", target.host_label);
        let auth = auth::authenticate(&mut handle, &target);
        match tokio::time::timeout(target.timeouts.auth, auth).await {
            Err(_) => {
                return Err(SshError::AuthTimeout {
                    host: target.host_label.clone(),
                    timeout: target.timeouts.auth,
                });
            }
            Ok(r) => r?,
        }
        crate::diag!(2, "host {}: authenticated", target.host_label);
        Ok(SshConnection {
            handle,
            target,
            transcript: None,
        })
    }

    /// The target this connection was made for.
    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    /// Record everything sent/received by channels opened from now on (secrets redacted).
    pub fn set_transcript(&mut self, sink: Option<Arc<dyn TranscriptSink>>) {
        self.transcript = sink;
    }

    /// Whether the SSH session is still up.
    pub fn is_alive(&self) -> bool {
        !self.handle.is_closed()
    }

    /// Send an SSH disconnect and drop the connection.
    pub async fn close(self) -> Result<(), SshError> {
        if self.handle.is_closed() {
            return Ok(());
        }
        self.handle
            .disconnect(russh::Disconnect::ByApplication, "netrun done", "en")
            .await
            .map_err(|e| SshError::Protocol {
                host: self.target.host_label.clone(),
                detail: e.to_string(),
            })
    }

    /// Open an interactive CLI session (PTY + shell), wait for the prompt, run on-open commands.
    pub async fn open_shell(&self) -> Result<CliSession, SshError> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| SshError::Protocol {
                host: self.target.host_label.clone(),
                detail: format!("cannot open a session channel: {e}"),
            })?;
        let transcript = self.transcript_for_channel();
        CliSession::start(channel, self.target.clone(), transcript).await
    }

    /// Run one command on its own exec channel; non-zero exit is an error.
    pub async fn exec(&self, command: &str, timeout: Option<Duration>) -> Result<String, SshError> {
        self.exec_checked(command, timeout)
            .await
            .map(|out| out.stdout)
    }

    /// Run one command on its own exec channel; non-zero exit is an error, and on success
    /// stdout and stderr are both returned.
    pub async fn exec_checked(
        &self,
        command: &str,
        timeout: Option<Duration>,
    ) -> Result<ExecOutput, SshError> {
        let out = self.exec_output(command, timeout).await?;
        if let Some(signal) = &out.exit_signal {
            // Shells report death by signal as 128 + n; we only have the name, so use 128.
            return Err(SshError::ExitStatus {
                host: self.target.host_label.clone(),
                command: command.to_string(),
                status: 128,
                stderr: format!("killed by signal {signal}; {}", out.stderr),
                stdout: out.stdout,
            });
        }
        match out.exit_status {
            Some(status) if status != 0 => Err(SshError::ExitStatus {
                host: self.target.host_label.clone(),
                command: command.to_string(),
                status,
                stdout: out.stdout,
                stderr: out.stderr,
            }),
            _ => Ok(out),
        }
    }

    /// Run one command on its own exec channel and return stdout, stderr and exit status.
    pub async fn exec_output(
        &self,
        command: &str,
        timeout: Option<Duration>,
    ) -> Result<ExecOutput, SshError> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| SshError::Protocol {
                host: self.target.host_label.clone(),
                detail: format!("cannot open a session channel: {e}"),
            })?;
        let timeout = timeout.unwrap_or(self.target.timeouts.command);
        exec::run(
            channel,
            &self.target,
            command,
            timeout,
            self.transcript_for_channel(),
        )
        .await
    }

    fn transcript_for_channel(&self) -> Option<transcript::Recorder> {
        self.transcript
            .as_ref()
            .map(|s| transcript::Recorder::new(s.clone(), self.target.secrets()))
    }
}

/// Resolve and open the TCP connection, trying each resolved address in turn.
async fn tcp_connect(
    target: &SshTarget,
    deadline: Instant,
) -> Result<tokio::net::TcpStream, SshError> {
    let host = &target.host_label;
    let timeout_err = |addr: String| SshError::ConnectTimeout {
        host: host.clone(),
        addr,
        timeout: target.timeouts.connect,
    };
    let lookup = tokio::net::lookup_host((target.hostname.as_str(), target.port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout_at(deadline, lookup).await {
        // Nothing was contacted yet: the resolver is what did not answer, not the device.
        Err(_) => {
            return Err(SshError::Dns {
                host: host.clone(),
                hostname: target.hostname.clone(),
                detail: format!(
                    "no answer from the resolver within {:?} (connect timeout)",
                    target.timeouts.connect
                ),
            });
        }
        Ok(Err(e)) => {
            // std wraps the resolver's reason ("Name or service not known") in Rust wording.
            let text = e.to_string();
            let detail = text
                .strip_prefix("failed to lookup address information: ")
                .unwrap_or(&text)
                .to_string();
            return Err(SshError::Dns {
                host: host.clone(),
                hostname: target.hostname.clone(),
                detail,
            });
        }
        Ok(Ok(a)) => a.collect(),
    };
    if addrs.is_empty() {
        return Err(SshError::Dns {
            host: host.clone(),
            hostname: target.hostname.clone(),
            detail: "no addresses".into(),
        });
    }
    let mut last = None;
    for addr in addrs {
        match tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(addr)).await {
            Err(_) => return Err(timeout_err(addr.to_string())),
            Ok(Ok(s)) => {
                // Small interactive writes (a command, a space for the pager) should not wait.
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => {
                last = Some(if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    SshError::Refused {
                        host: host.clone(),
                        addr: addr.to_string(),
                    }
                } else {
                    SshError::Connect {
                        host: host.clone(),
                        addr: addr.to_string(),
                        detail: e.to_string(),
                    }
                });
            }
        }
    }
    Err(last.unwrap_or_else(|| timeout_err(target.hostname.clone())))
}

fn handshake_error(target: &SshTarget, e: russh::Error) -> SshError {
    let mut detail = e.to_string();
    if matches!(e, russh::Error::NoCommonAlgo { .. }) && !target.legacy_algorithms {
        detail.push_str(" (old device? try legacy_algorithms: true)");
    }
    SshError::Handshake {
        host: target.host_label.clone(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_resolver_is_a_dns_failure_not_a_device_timeout() {
        let platforms = crate::platform::Platforms::builtin();
        let platform = platforms.get("ios").cloned().map(Arc::new);
        let Some(platform) = platform else {
            panic!("no ios platform");
        };
        let target = SshTarget::new("r1", "nonexistent.invalid", "netops", platform);
        // A deadline already passed: the lookup cannot finish in time (or fails outright).
        match tcp_connect(&target, Instant::now()).await {
            Err(e @ SshError::Dns { .. }) => {
                assert!(e.is_unreachable());
                assert!(e.to_string().contains("'nonexistent.invalid' (DNS)"), "{e}");
            }
            other => panic!("expected a DNS error, got {other:?}"),
        }
    }
}
