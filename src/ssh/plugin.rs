//! The built-in `ssh` connection plugin: inventory targets mapped onto the SSH client.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{CliSession, KnownHostsPolicy, SshConnection, SshError, SshTarget};
use crate::config::SshSettings;
use crate::connection::{
    BoxFuture, CommandType, Connection, ConnectionError, ConnectionPlugin, Operation, Output,
    PluginInfo, Target,
};
use crate::platform::{Mode, Platforms};

/// The `extras` keys the ssh plugin understands, for messages.
pub const EXTRAS: [&str; 12] = [
    "mode",
    "secret",
    "known_hosts",
    "known_hosts_file",
    "legacy_algorithms",
    "private_key",
    "passphrase",
    "use_agent",
    "connect_timeout",
    "auth_timeout",
    "command_timeout",
    "keepalive",
];

/// The built-in SSH plugin.
pub struct SshPlugin {
    info: PluginInfo,
    settings: SshSettings,
    platforms: Arc<Platforms>,
    session_log: Option<PathBuf>,
    /// Hosts whose transcript file was started in this run (a reconnect appends to it).
    logged: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl SshPlugin {
    /// An ssh plugin with run-wide defaults and platform definitions.
    pub fn new(settings: SshSettings, platforms: Arc<Platforms>) -> SshPlugin {
        SshPlugin {
            info: PluginInfo {
                name: "ssh".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                path: "built-in".into(),
                command_types: vec![CommandType::Cli],
                operations: Vec::new(),
                dry_run: true,
            },
            settings,
            platforms,
            session_log: None,
            logged: Default::default(),
        }
    }

    /// Writes each host's session transcript to `DIR/HOST.log` (secrets redacted).
    pub fn with_session_log(mut self, dir: PathBuf) -> SshPlugin {
        self.session_log = Some(dir);
        self
    }

    fn transcript(
        &self,
        host: &str,
    ) -> Result<Option<Arc<dyn super::TranscriptSink>>, ConnectionError> {
        let Some(dir) = &self.session_log else {
            return Ok(None);
        };
        let path = dir.join(format!("{host}.log"));
        let first = self
            .logged
            .lock()
            .map(|mut logged| logged.insert(host.to_string()))
            .unwrap_or(true);
        let sink = if first {
            super::FileTranscript::create(&path)
        } else {
            super::FileTranscript::append(&path)
        };
        match sink {
            Ok(sink) => Ok(Some(Arc::new(sink))),
            Err(err) => Err(ConnectionError::Failed {
                message: format!("cannot write session log {}: {err}", path.display()),
                partial: None,
            }),
        }
    }

    /// Turns a resolved target into SSH settings; the error names the value at fault.
    /// Runs before anything is contacted, so a bad inventory value stops the run (exit 2).
    pub fn prepare(&self, target: &Target) -> Result<SshTarget, String> {
        let platform_name = target.platform.as_deref().ok_or_else(|| {
            "no platform set; set `platform:` on the host or a group (ios, nxos, iosxr, eos, junos, linux)".to_string()
        })?;
        let platform = self.platforms.shared(platform_name).ok_or_else(|| {
            let known: Vec<&str> = self.platforms.names().collect();
            format!(
                "unknown platform `{platform_name}` (known: {})",
                known.join(", ")
            )
        })?;
        let username = target.username.clone().ok_or_else(|| {
            "no username set; set `username:` on the host, a group or defaults".to_string()
        })?;
        let mut ssh = SshTarget::new(
            target.host.clone(),
            target.hostname.clone(),
            username,
            Arc::clone(platform),
        );
        ssh.port = target.port.unwrap_or(22);
        ssh.password = target.password.clone();
        ssh.known_hosts = self.settings.known_hosts;
        ssh.known_hosts_file = self.settings.known_hosts_file.clone();
        ssh.timeouts.connect = self.settings.connect_timeout;
        ssh.timeouts.auth = self.settings.auth_timeout;
        ssh.timeouts.command = self.settings.command_timeout;
        ssh.keepalive = self.settings.keepalive;

        for (key, value) in &target.extras {
            let bad = |expected: &str| {
                format!("connection_options.ssh.extras.{key}: expected {expected}, found {value}")
            };
            let text = || value.as_str().ok_or_else(|| bad("a string"));
            let flag = || value.as_bool().ok_or_else(|| bad("true or false"));
            let secs = || {
                value
                    .as_f64()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| bad("a number of seconds"))
            };
            match key.as_str() {
                "mode" => {
                    ssh.mode = match text()? {
                        "shell" => Mode::Shell,
                        "exec" => Mode::Exec,
                        _ => return Err(bad("`shell` or `exec`")),
                    }
                }
                "secret" => ssh.secret = Some(text()?.to_string()),
                "known_hosts" => {
                    ssh.known_hosts = match text()? {
                        "strict" => KnownHostsPolicy::Strict,
                        "accept-new" => KnownHostsPolicy::AcceptNew,
                        "off" => KnownHostsPolicy::Off,
                        _ => return Err(bad("`strict`, `accept-new` or `off`")),
                    }
                }
                "known_hosts_file" => ssh.known_hosts_file = expand_home(text()?),
                "legacy_algorithms" => ssh.legacy_algorithms = flag()?,
                "private_key" => ssh.private_key = Some(expand_home(text()?)),
                "passphrase" => ssh.passphrase = Some(text()?.to_string()),
                "use_agent" => ssh.use_agent = flag()?,
                "connect_timeout" => ssh.timeouts.connect = secs()?,
                "auth_timeout" => ssh.timeouts.auth = secs()?,
                "command_timeout" => ssh.timeouts.command = secs()?,
                "keepalive" => {
                    let every = secs()?;
                    ssh.keepalive = (!every.is_zero()).then_some(every);
                }
                other => {
                    return Err(format!(
                        "connection_options.ssh.extras: unknown key `{other}` (known: {})",
                        EXTRAS.join(", ")
                    ));
                }
            }
        }
        Ok(ssh)
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Sorts an SSH error into the register's classes, without repeating the host's name.
fn classify(host: &str, err: SshError) -> ConnectionError {
    let unreachable = err.is_unreachable();
    let broken = matches!(
        err,
        SshError::ChannelClosed { .. } | SshError::Protocol { .. }
    );
    let partial = err.partial_output().map(str::to_string);
    let full = err.to_string();
    let message = full
        .strip_prefix(host)
        .and_then(|rest| rest.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(full);
    if unreachable {
        ConnectionError::Unreachable { message }
    } else if broken {
        ConnectionError::Broken { message, partial }
    } else {
        ConnectionError::Failed { message, partial }
    }
}

impl ConnectionPlugin for SshPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn open<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnectionError>> {
        Box::pin(async move {
            let ssh = self
                .prepare(target)
                .map_err(|message| ConnectionError::Unreachable { message })?;
            let host = target.host.clone();
            let mode = ssh.mode;
            let want_enable = ssh.secret.is_some();
            let transcript = self.transcript(&host)?;
            let mut conn = SshConnection::connect(ssh)
                .await
                .map_err(|e| classify(&host, e))?;
            conn.set_transcript(transcript);
            match mode {
                Mode::Exec => Ok(Box::new(SshExec { host, conn }) as Box<dyn Connection>),
                Mode::Shell => {
                    let mut shell = match conn.open_shell().await {
                        Ok(shell) => shell,
                        Err(err) => {
                            let _ = conn.close().await;
                            return Err(unreachable(&host, err));
                        }
                    };
                    crate::diag!(2, "host {host}: shell ready");
                    if want_enable && let Err(err) = shell.enable().await {
                        let _ = shell.close().await;
                        let _ = conn.close().await;
                        return Err(unreachable(&host, err));
                    }
                    Ok(Box::new(SshShell { host, conn, shell }) as Box<dyn Connection>)
                }
            }
        })
    }
}

/// A failure while setting up the session (shell, enable) means the host is not usable.
fn unreachable(host: &str, err: SshError) -> ConnectionError {
    match classify(host, err) {
        ConnectionError::Failed { message, .. } | ConnectionError::Broken { message, .. } => {
            ConnectionError::Unreachable { message }
        }
        other => other,
    }
}

/// An interactive CLI session over one SSH connection.
struct SshShell {
    host: String,
    conn: SshConnection,
    shell: CliSession,
}

impl Connection for SshShell {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            let result = match op {
                Operation::Command(command) => self.shell.send_command(command, None).await,
                Operation::Config(lines) => self.shell.send_config(lines).await,
                Operation::Call { name, .. } => {
                    return Err(ConnectionError::Unsupported {
                        plugin: "ssh".into(),
                        what: format!("call `{name}`"),
                    });
                }
            };
            result
                .map(Output::Text)
                .map_err(|e| classify(&self.host, e))
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        // A session out of step after a timeout is as good as dead: reconnect before reuse.
        Box::pin(async move { self.conn.is_alive() && self.shell.is_usable() })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let SshShell { conn, shell, .. } = *self;
            let _ = shell.close().await;
            let _ = conn.close().await;
        })
    }
}

/// One exec channel per command, for servers.
struct SshExec {
    host: String,
    conn: SshConnection,
}

impl Connection for SshExec {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            match op {
                Operation::Command(command) => self
                    .conn
                    .exec(command, None)
                    .await
                    .map(Output::Text)
                    .map_err(|e| classify(&self.host, e)),
                other => Err(ConnectionError::Unsupported {
                    plugin: "ssh".into(),
                    what: format!("{} in exec mode", other.describe()),
                }),
            }
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.conn.is_alive() })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = self.conn.close().await;
        })
    }
}
