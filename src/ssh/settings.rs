//! The SSH plugin's own settings: the `ssh:` section of netrun.yaml and its defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::KnownHostsPolicy;

/// `ssh:` in netrun.yaml, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshFile {
    /// TCP connect + handshake timeout, seconds.
    pub connect_timeout: Option<f64>,
    /// Authentication timeout, seconds.
    pub auth_timeout: Option<f64>,
    /// Per-command timeout, seconds.
    pub command_timeout: Option<f64>,
    /// Keepalive interval, seconds (0 disables).
    pub keepalive: Option<f64>,
    /// Host key policy.
    pub known_hosts: Option<KnownHostsPolicy>,
    /// known_hosts file.
    pub known_hosts_file: Option<PathBuf>,
    /// Most bytes one command may return.
    pub max_output: Option<usize>,
}

/// SSH settings after defaults.
#[derive(Clone, Debug)]
pub struct SshSettings {
    /// Connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Auth timeout (default 15 s).
    pub auth_timeout: Duration,
    /// Per-command timeout (default 30 s).
    pub command_timeout: Duration,
    /// Keepalive interval (default 30 s); `None` disables.
    pub keepalive: Option<Duration>,
    /// Host key policy (default accept-new).
    pub known_hosts: KnownHostsPolicy,
    /// known_hosts file (default ~/.ssh/known_hosts).
    pub known_hosts_file: PathBuf,
    /// Most bytes one command may return (default 64 MiB).
    pub max_output: usize,
}

/// A setting of the `ssh:` section that is out of range: its key and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadSetting {
    /// The key under `ssh:` (`connect_timeout`).
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

impl SshSettings {
    /// The settings `file` asks for, with defaults for the rest; `resolve` makes a relative
    /// path relative to the config file, `home` is the user's home directory.
    pub fn from_file(
        file: &SshFile,
        home: &Path,
        resolve: impl Fn(&Path) -> PathBuf,
    ) -> Result<SshSettings, BadSetting> {
        let secs = |key: &str, value: Option<f64>, default: f64| match value {
            Some(v) => {
                crate::limits::checked_seconds(v, key == "keepalive").map_err(|reason| BadSetting {
                    key: key.to_string(),
                    reason,
                })
            }
            None => Ok(Duration::from_secs_f64(default)),
        };
        let keepalive = secs("keepalive", file.keepalive, 30.0)?;
        Ok(SshSettings {
            connect_timeout: secs("connect_timeout", file.connect_timeout, 10.0)?,
            auth_timeout: secs("auth_timeout", file.auth_timeout, 15.0)?,
            command_timeout: secs("command_timeout", file.command_timeout, 30.0)?,
            keepalive: (!keepalive.is_zero()).then_some(keepalive),
            known_hosts: file.known_hosts.unwrap_or_default(),
            known_hosts_file: file
                .known_hosts_file
                .as_deref()
                .map(resolve)
                .unwrap_or_else(|| home.join(".ssh").join("known_hosts")),
            max_output: match file.max_output {
                Some(0) => {
                    return Err(BadSetting {
                        key: "max_output".into(),
                        reason: "must be more than 0 bytes".into(),
                    });
                }
                Some(bytes) => bytes,
                None => super::DEFAULT_MAX_OUTPUT,
            },
        })
    }
}
