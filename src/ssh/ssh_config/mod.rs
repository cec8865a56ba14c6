//! The OpenSSH client configuration (`~/.ssh/config`, ssh_config(5)) read with OpenSSH's
//! semantics: case-insensitive keywords, `Host` and `Match` blocks with negation, the first
//! value obtained wins (`IdentityFile` accumulates), `Include` with globs. Every resolved value
//! says which `file:line` it came from, for `netrun inventory show --explain`.
//!
//! No crate fits: `ssh2-config` has no `Match` and no line numbers, `russh-config` and
//! `ssh_config` know only a handful of keywords without `Match`/`Include`.

mod algorithms;
mod lexer;
mod load;
mod resolve;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_algorithms;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SshConfigError {
    /// The file given cannot be read.
    #[error("cannot read ssh config {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A line is wrong.
    #[error("{}:{line}: {message}", file.display())]
    Invalid {
        /// The file (an included one if the mistake is there).
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A value and the config line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value, with tokens and `~` expanded.
    pub value: T,
    /// The config file.
    pub file: Arc<Path>,
    /// 1-based line in that file.
    pub line: usize,
}

impl<T> Sourced<T> {
    /// `file:line`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            file: self.file,
            line: self.line,
        }
    }
}

/// `StrictHostKeyChecking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    /// `yes`: never add keys, refuse unknown and changed ones.
    Yes,
    /// `accept-new`: add keys of new hosts, refuse changed ones.
    AcceptNew,
    /// `ask`: OpenSSH prompts; netrun runs unattended and cannot.
    Ask,
    /// `no` / `off`: accept anything.
    Off,
}

impl StrictHostKeyChecking {
    /// netrun's policy for it: `ask` becomes strict, since nobody is there to answer.
    pub fn policy(self) -> crate::ssh::KnownHostsPolicy {
        use crate::ssh::KnownHostsPolicy as P;
        match self {
            StrictHostKeyChecking::Yes | StrictHostKeyChecking::Ask => P::Strict,
            StrictHostKeyChecking::AcceptNew => P::AcceptNew,
            StrictHostKeyChecking::Off => P::Off,
        }
    }
}

/// One hop of `ProxyJump`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    /// Login name, if given.
    pub user: Option<String>,
    /// Host (an alias the caller resolves through the config again, as OpenSSH does).
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
}

impl JumpHost {
    /// Parse `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`.
    pub fn parse(text: &str) -> Option<JumpHost> {
        let text = text.strip_prefix("ssh://").unwrap_or(text);
        let text = text.strip_suffix('/').unwrap_or(text);
        let (user, host_port) = match text.rsplit_once('@') {
            Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
            Some(_) => return None,
            None => (None, text),
        };
        let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match host_port.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            }
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0)?),
            None => None,
        };
        if host.is_empty() || host.contains([' ', '\t', '/']) {
            return None;
        }
        Some(JumpHost {
            user,
            host: host.to_string(),
            port,
        })
    }
}

/// `ProxyJump`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyJump {
    /// `none`: no jump host (overrides a later `Host *` default).
    None,
    /// The hops, first hop first.
    Hops(Vec<JumpHost>),
}

/// `ProxyCommand`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyCommand {
    /// `none`.
    None,
    /// The command, `%h`, `%p`, `%r`, `%n` and `%%` expanded.
    Command(String),
}

/// The local side: home directory, login name, environment (for `~`, `%d`, `%u`, `${VAR}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// Home directory.
    pub home: PathBuf,
    /// Local login name.
    pub user: String,
    /// Environment variables for `${VAR}` in paths.
    pub env: HashMap<String, String>,
}

impl Local {
    /// From `HOME`, `USER` (or `LOGNAME`) and the process environment.
    pub fn from_env() -> Local {
        let env: HashMap<String, String> = std::env::vars().collect();
        Local {
            home: env.get("HOME").map(PathBuf::from).unwrap_or_default(),
            user: env
                .get("USER")
                .or_else(|| env.get("LOGNAME"))
                .cloned()
                .unwrap_or_default(),
            env,
        }
    }

    /// Expand a leading `~` or `~/` and `${VAR}` (unknown variables are left as written and
    /// noted).
    fn expand_home_and_env(&self, text: &str, notes: &mut Vec<String>) -> PathBuf {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    match self.env.get(name) {
                        Some(v) => out.push_str(v),
                        None => {
                            notes.push(format!(
                                "environment variable {name} in '{text}' is not set; left as written"
                            ));
                            out.push_str(&rest[start..start + 3 + end]);
                        }
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        if out == "~" {
            return self.home.clone();
        }
        match out.strip_prefix("~/") {
            Some(tail) => self.home.join(tail),
            None => PathBuf::from(out),
        }
    }
}

/// A loaded configuration, resolved per host with [`SshConfig::resolve`].
#[derive(Debug, Clone)]
pub struct SshConfig {
    root: Option<load::Parsed>,
    local: Local,
    notes: Vec<String>,
}

impl SshConfig {
    /// Read `path` (and what it includes); a missing or unreadable file is an error.
    pub fn load(path: &Path) -> Result<SshConfig, SshConfigError> {
        SshConfig::load_with(path, Local::from_env())
    }

    /// `~/.ssh/config` if it exists, otherwise no configuration (as OpenSSH does).
    pub fn load_default() -> Result<SshConfig, SshConfigError> {
        let local = Local::from_env();
        let path = local.home.join(".ssh").join("config");
        if !path.exists() {
            return Ok(SshConfig {
                root: None,
                local,
                notes: Vec::new(),
            });
        }
        SshConfig::load_with(&path, local)
    }

    /// Read `path` with an explicit local side (tests, or a caller that knows better).
    pub fn load_with(path: &Path, local: Local) -> Result<SshConfig, SshConfigError> {
        let mut loader = load::Loader {
            local: &local,
            notes: Vec::new(),
        };
        let root = loader.file(path, 0, None)?;
        let notes = loader.notes;
        Ok(SshConfig {
            root: Some(root),
            local,
            notes,
        })
    }

    /// No configuration at all (`--ssh-config none`).
    pub fn none() -> SshConfig {
        SshConfig {
            root: None,
            local: Local::from_env(),
            notes: Vec::new(),
        }
    }

    /// What loading skipped: unknown keywords, unsupported `Match` criteria (for `-v`).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The settings for `host_alias` as OpenSSH would apply them. `user` is the login name
    /// netrun already has (inventory or command line); like `ssh -l`, it takes part in
    /// `Match user` and `%r`, and the config's `User` is still reported in the result.
    pub fn resolve(&self, host_alias: &str, user: Option<&str>) -> ResolvedHost {
        resolve::resolve(self.root.as_ref(), &self.local, host_alias, user)
    }
}

/// Everything the config says about one host; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedHost {
    /// The name it was resolved for.
    pub alias: String,
    /// `HostName` (`%h` expanded).
    pub hostname: Option<Sourced<String>>,
    /// `User`.
    pub user: Option<Sourced<String>>,
    /// `Port`.
    pub port: Option<Sourced<u16>>,
    /// `IdentityFile`s, every one that applies, in order (they accumulate; `none` adds none).
    pub identity_files: Vec<Sourced<PathBuf>>,
    /// `IdentitiesOnly`.
    pub identities_only: Option<Sourced<bool>>,
    /// `ProxyJump`.
    pub proxy_jump: Option<Sourced<ProxyJump>>,
    /// `ProxyCommand` (whichever of it and `ProxyJump` comes first wins, as in OpenSSH).
    pub proxy_command: Option<Sourced<ProxyCommand>>,
    /// `StrictHostKeyChecking`.
    pub strict_host_key_checking: Option<Sourced<StrictHostKeyChecking>>,
    /// `UserKnownHostsFile` (all its paths; the first one is where keys are learned).
    pub user_known_hosts_files: Option<Sourced<Vec<PathBuf>>>,
    /// `GlobalKnownHostsFile` (all its paths).
    pub global_known_hosts_files: Option<Sourced<Vec<PathBuf>>>,
    /// `HostKeyAlias`: the name to look the host up under in known_hosts instead of HostName.
    pub host_key_alias: Option<Sourced<String>>,
    /// `ConnectTimeout`; `Some(None)` for `none`.
    pub connect_timeout: Option<Sourced<Option<Duration>>>,
    /// `ServerAliveInterval` (zero disables keepalives).
    pub server_alive_interval: Option<Sourced<Duration>>,
    /// `ServerAliveCountMax`.
    pub server_alive_count_max: Option<Sourced<u32>>,
    /// `KexAlgorithms`, as written (see [`ResolvedHost::preferred`]).
    pub kex_algorithms: Option<Sourced<String>>,
    /// `Ciphers`, as written.
    pub ciphers: Option<Sourced<String>>,
    /// `MACs`, as written.
    pub macs: Option<Sourced<String>>,
    /// `HostKeyAlgorithms`, as written.
    pub host_key_algorithms: Option<Sourced<String>>,
    /// What could not be applied (unknown `%` tokens, unset variables), for `-v`.
    pub notes: Vec<String>,
}

impl ResolvedHost {
    /// The name to connect to: `HostName`, else the alias.
    pub fn hostname_or_alias(&self) -> &str {
        self.hostname
            .as_ref()
            .map_or(self.alias.as_str(), |h| h.value.as_str())
    }

    /// The port: `Port`, else 22.
    pub fn port_or_default(&self) -> u16 {
        self.port.as_ref().map_or(22, |p| p.value)
    }

    /// russh algorithm preferences: russh's defaults changed by `KexAlgorithms`, `Ciphers`,
    /// `MACs` and `HostKeyAlgorithms` (`+`, `-`, `^` modifiers and wildcards included), and
    /// notes about names russh does not offer.
    pub fn preferred(&self) -> (russh::Preferred, Vec<String>) {
        self.preferred_from(russh::Preferred::default())
    }

    /// Like [`ResolvedHost::preferred`], with `base` as the default set the modifiers apply to
    /// (e.g. netrun's legacy-algorithm list).
    pub fn preferred_from(&self, base: russh::Preferred) -> (russh::Preferred, Vec<String>) {
        algorithms::apply(self, base)
    }
}
