//! The built-in `ssh` connection plugin: inventory targets mapped onto the SSH client.

use std::path::PathBuf;
use std::sync::Arc;

use super::environment::{self, INVENTORY, Sources};
use super::ssh_config::{JumpHost, SshConfig};
use super::{CliSession, KnownHostsPolicy, SshConnection, SshError, SshSettings, SshTarget};
use crate::connection::{
    BoxFuture, CommandType, Connection, ConnectionError, ConnectionPlugin, Declared, Operation,
    Output, PluginInfo, Target,
};
use crate::platform::{Mode, Platform, Platforms};

/// The `extras` keys the ssh plugin understands, for messages.
pub const EXTRAS: [&str; 15] = [
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
    "max_output",
    "ssh_config",
    "jump_host",
];

/// The built-in SSH plugin.
pub struct SshPlugin {
    info: PluginInfo,
    settings: SshSettings,
    platforms: Arc<Platforms>,
    session_log: Option<PathBuf>,
    /// `--show-secrets`: transcripts keep secret values.
    reveal_secrets: bool,
    /// `--strict-platforms`: a host without a known platform is an error, not `generic`.
    strict_platforms: bool,
    /// Hosts whose transcript file was started in this run (a reconnect appends to it).
    logged: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The OpenSSH client configuration (none unless given).
    ssh_config: Arc<SshConfig>,
    /// Hosts whose ssh_config notes were shown (`-v`), so each is shown once.
    noted: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl SshPlugin {
    /// What the ssh plugin declares: CLI steps, no `call` operations, dry-run support.
    pub fn builtin_info() -> PluginInfo {
        PluginInfo {
            name: "ssh".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            path: "built-in".into(),
            declared: Declared {
                command_types: vec![CommandType::Cli],
                operations: Vec::new(),
                dry_run: true,
            },
        }
    }

    /// An ssh plugin with run-wide defaults and platform definitions.
    pub fn new(settings: SshSettings, platforms: Arc<Platforms>) -> SshPlugin {
        SshPlugin {
            info: Self::builtin_info(),
            settings,
            platforms,
            session_log: None,
            reveal_secrets: false,
            strict_platforms: false,
            logged: Default::default(),
            ssh_config: Arc::new(SshConfig::none()),
            noted: Default::default(),
        }
    }

    /// Reads the OpenSSH client configuration `config` for every host (inventory values still
    /// win over it).
    pub fn with_ssh_config(mut self, config: SshConfig) -> SshPlugin {
        for note in config.notes() {
            crate::diag!(1, "ssh config: {note}");
        }
        self.ssh_config = Arc::new(config);
        self
    }

    /// Writes each host's session transcript to `DIR/HOST.log` (secrets redacted unless
    /// `reveal_secrets`).
    pub fn with_session_log(mut self, dir: PathBuf, reveal_secrets: bool) -> SshPlugin {
        self.session_log = Some(dir);
        self.reveal_secrets = reveal_secrets;
        self
    }

    fn transcript(
        &self,
        host: &str,
    ) -> Result<Option<Arc<dyn super::TranscriptSink>>, ConnectionError> {
        let Some(dir) = &self.session_log else {
            return Ok(None);
        };
        let path = dir.join(crate::host_files::host_file_name(host, "log"));
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

    /// With `strict`, a host whose platform is missing or unknown cannot be connected;
    /// otherwise it is driven as `generic`.
    pub fn with_strict_platforms(mut self, strict: bool) -> SshPlugin {
        self.strict_platforms = strict;
        self
    }

    /// The platform a target is driven as, and why it is `generic` when it falls back.
    pub fn platform_for(&self, target: &Target) -> Result<(Arc<Platform>, Option<String>), String> {
        let why = match target.platform.as_deref() {
            None => "no platform set".to_string(),
            Some(name) => match self.platforms.shared(name) {
                Some(platform) => return Ok((Arc::clone(platform), None)),
                None => {
                    let nearby = crate::suggest::nearest(
                        &name.to_lowercase(),
                        self.platforms.names().chain(self.platforms.spellings()),
                    );
                    match crate::suggest::did_you_mean(&nearby) {
                        Some(mean) => format!("unknown platform `{name}`, {mean}"),
                        None => format!("unknown platform `{name}`"),
                    }
                }
            },
        };
        let generic = self.platforms.shared(crate::platform::GENERIC);
        match generic {
            Some(generic) if !self.strict_platforms => Ok((Arc::clone(generic), Some(why))),
            _ => Err(format!(
                "{why}; set `platform:` on the host or a group, or define it under `platforms:` in netrun.yaml (`netrun platforms` lists the known ones)"
            )),
        }
    }

    /// Turns a resolved target into SSH settings; the error names the value at fault.
    /// Runs before anything is contacted, so a bad inventory value stops the run (exit 2).
    pub fn prepare(&self, target: &Target) -> Result<SshTarget, String> {
        self.prepare_explained(target).map(|(ssh, _)| ssh)
    }

    /// The effective SSH settings of a target, each with where it came from (inventory,
    /// `~/.ssh/config:LINE`, netrun.yaml or default), for `inventory show --explain`.
    pub fn explain(&self, target: &Target) -> Result<Vec<[String; 3]>, String> {
        let (ssh, sources) = self.prepare_explained(target)?;
        Ok(environment::explain_rows(
            &ssh,
            &sources,
            self.ssh_config.home(),
        ))
    }

    fn prepare_explained(&self, target: &Target) -> Result<(SshTarget, Sources), String> {
        self.prepare_as(target, false)
    }

    /// A target's settings; `hop` for a jump host (its own ProxyJump is not followed, its
    /// login defaults to the local user as in OpenSSH).
    fn prepare_as(&self, target: &Target, hop: bool) -> Result<(SshTarget, Sources), String> {
        let (platform, _) = self.platform_for(target)?;
        let platform = &platform;
        let mut ssh = SshTarget::new(
            target.host.clone(),
            target.hostname.clone(),
            target.username.clone().unwrap_or_default(),
            Arc::clone(platform),
        );
        ssh.port = target.port.unwrap_or(22);
        ssh.password = target.password.clone();
        ssh.data_secrets = target.data_secrets.clone();
        ssh.known_hosts = self.settings.known_hosts;
        ssh.known_hosts_file = self.settings.known_hosts_file.clone();
        ssh.timeouts.connect = self.settings.connect_timeout;
        ssh.timeouts.auth = self.settings.auth_timeout;
        ssh.timeouts.command = self.settings.command_timeout;
        ssh.keepalive = self.settings.keepalive;
        ssh.max_output = self.settings.max_output;
        ssh.reveal_secrets = self.reveal_secrets;

        let mut sources = Sources::default();
        let use_config = !matches!(
            target.extras.get("ssh_config"),
            Some(serde_json::Value::Bool(false))
        );
        let mut resolved = if use_config {
            environment::resolve(&self.ssh_config, target)
        } else {
            Default::default()
        };
        if hop {
            resolved.proxy_jump = None;
            resolved.proxy_command = None;
            if ssh.username.is_empty() && resolved.user.is_none() {
                ssh.username = std::env::var("USER").unwrap_or_default();
            }
        }
        let home = self.ssh_config.home();
        environment::apply(&mut ssh, &resolved, target, home, &mut sources)?;
        if let Some(hops) = environment::jump_hosts(&resolved, home, &mut sources) {
            ssh.jump = self.jump_chain(&hops)?;
        }
        // As OpenSSH: a running agent is asked, unless only the configured keys may be used.
        ssh.use_agent = std::env::var_os("SSH_AUTH_SOCK").is_some_and(|s| !s.is_empty())
            && !ssh.identities_only;
        if ssh.use_agent {
            sources.set("use_agent", "SSH_AUTH_SOCK is set");
        }
        if ssh.username.is_empty() {
            return Err("no username set; set `username:` on the host, a group or defaults (or `User` in ssh_config)".to_string());
        }

        for (key, value) in &target.extras {
            let is_secret = matches!(key.as_str(), "secret" | "passphrase");
            let bad = |expected: &str| {
                // A mistyped secret is still a secret: name its type, never its value.
                let found = if is_secret {
                    format!("{} (value not shown)", json_type(value))
                } else {
                    value.to_string()
                };
                format!("connection_options.ssh.extras.{key}: expected {expected}, found {found}")
            };
            let text = || value.as_str().ok_or_else(|| bad("a string"));
            // Like `password:`, a numeric secret (`secret: 1234`) is its digits.
            let secret_text = || match value {
                serde_json::Value::String(s) => Ok(s.clone()),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad("a string")),
            };
            let flag = || value.as_bool().ok_or_else(|| bad("true or false"));
            let secs = || {
                let checked = value
                    .as_f64()
                    .ok_or_else(|| bad("a number of seconds"))
                    .map(|s| crate::limits::checked_seconds(s, key == "keepalive"));
                checked?.map_err(|reason| format!("connection_options.ssh.extras.{key}: {reason}"))
            };
            sources.set(extra_source(key), INVENTORY);
            match key.as_str() {
                "ssh_config" => {
                    flag()?;
                }
                "jump_host" => {
                    let hops = environment::parse_jump_hosts(text()?)
                        .ok_or_else(|| bad("`[user@]host[:port]`, comma-separated"))?;
                    ssh.jump = self.jump_chain(&hops)?;
                }
                "mode" => {
                    ssh.mode = match text()? {
                        "shell" => Mode::Shell,
                        "exec" => Mode::Exec,
                        _ => return Err(bad("`shell` or `exec`")),
                    }
                }
                "secret" => ssh.secret = Some(secret_text()?),
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
                "passphrase" => ssh.passphrase = Some(secret_text()?),
                "use_agent" => ssh.use_agent = flag()?,
                "connect_timeout" => ssh.timeouts.connect = secs()?,
                "auth_timeout" => ssh.timeouts.auth = secs()?,
                "command_timeout" => ssh.timeouts.command = secs()?,
                "keepalive" => {
                    let every = secs()?;
                    ssh.keepalive = (!every.is_zero()).then_some(every);
                }
                "max_output" => {
                    ssh.max_output = value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n > 0)
                        .ok_or_else(|| bad("a number of bytes above 0"))?;
                }
                other => {
                    return Err(format!(
                        "connection_options.ssh.extras: unknown key `{other}` (known: {})",
                        EXTRAS.join(", ")
                    ));
                }
            }
        }
        environment::default_identities(&mut ssh, home, &sources);
        if environment::sets_algorithms(&resolved) {
            let base = super::preferred_algorithms(ssh.legacy_algorithms);
            let (preferred, notes) = resolved.preferred_from(base);
            ssh.algorithms = Some(preferred);
            environment::note_algorithms(&resolved, home, &mut sources);
            self.note_once(&target.host, &notes);
        }
        self.note_once(&target.host, &resolved.notes);
        Ok((ssh, sources))
    }

    /// Jump host targets, first hop first, each carrying the hops before it.
    fn jump_chain(&self, hops: &[JumpHost]) -> Result<Vec<SshTarget>, String> {
        let mut chain: Vec<SshTarget> = Vec::new();
        for hop in hops {
            let target = Target {
                host: hop.host.clone(),
                hostname: hop.host.clone(),
                hostname_set: false,
                port: hop.port,
                username: hop.user.clone(),
                password: None,
                platform: Some("linux".into()),
                extras: Default::default(),
                data_secrets: Vec::new(),
            };
            let (mut ssh, _) = self
                .prepare_as(&target, true)
                .map_err(|e| format!("jump host {}: {e}", hop.host))?;
            ssh.mode = Mode::Exec;
            ssh.jump = chain.clone();
            chain.push(ssh);
        }
        Ok(chain)
    }

    /// Shows ssh_config notes about a host at `-v`, once per run.
    fn note_once(&self, host: &str, notes: &[String]) {
        if notes.is_empty() || !crate::messages::enabled(1) {
            return;
        }
        let first = self
            .noted
            .lock()
            .map(|mut noted| noted.insert(format!("{host}\n{}", notes.join("\n"))))
            .unwrap_or(false);
        if first {
            for note in notes {
                crate::diag!(1, "host {host}: ssh config: {note}");
            }
        }
    }
}

/// The `--explain` key an extra sets (several extras feed one effective setting).
fn extra_source(key: &str) -> &'static str {
    match key {
        "known_hosts" => "known_hosts",
        "known_hosts_file" => "known_hosts_file",
        "private_key" => "private_key",
        "use_agent" => "use_agent",
        "connect_timeout" => "connect_timeout",
        "keepalive" => "keepalive",
        "legacy_algorithms" => "algorithms",
        "jump_host" => "jump",
        _ => "other",
    }
}

/// The JSON type of `value`, for messages that must not show it.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
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
    let timeout = matches!(err, SshError::CommandTimeout { .. });
    let partial = err.partial_output().map(str::to_string);
    let full = err.to_string();
    let message = full
        .strip_prefix(host)
        .and_then(|rest| rest.strip_prefix(": "))
        .map(str::to_string)
        .unwrap_or(full);
    if unreachable {
        ConnectionError::Unreachable { message }
    } else if timeout {
        ConnectionError::Timeout { message, partial }
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
                Operation::Command(command) => {
                    // The running configuration (what a config step compares with) is shown
                    // only in privileged mode, as configuration is entered only from it.
                    let reads_config = self
                        .shell
                        .platform()
                        .running_config
                        .as_ref()
                        .is_some_and(|r| r.command == command);
                    if reads_config {
                        match self.shell.ensure_privileged().await {
                            Ok(()) => self.shell.send_command(command, None).await,
                            Err(err) => Err(err),
                        }
                    } else {
                        self.shell.send_command(command, None).await
                    }
                }
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
                    .exec_checked(command, None)
                    .await
                    .map(|out| Output::Exec {
                        stdout: out.stdout,
                        stderr: out.stderr,
                    })
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

#[cfg(test)]
#[path = "plugin_tests.rs"]
pub(super) mod tests;
