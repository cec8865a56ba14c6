//! Connection plugins and the per-run register of open connections (SPEC §7).
//!
//! Every transport — the built-in `ssh` plugin and shared-library plugins alike — implements
//! [`ConnectionPlugin`] (metadata + open) and [`Connection`] (operations, is-alive, close). A host's
//! [`HostConnections`] opens a connection per plugin on first use, checks it before every reuse,
//! reopens it once if it died, never caches a failed open, and closes everything at the end.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::inventory::HostView;

/// A boxed, sendable future: plugins are used through trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The kinds of step a plugin can carry out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandType {
    /// CLI commands and configuration lines.
    Cli,
    /// NETCONF RPCs.
    Netconf,
    /// JSON API calls.
    JsonApi,
    /// Anything else the plugin defines.
    Custom,
}

/// An operation a plugin offers to `call` steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperationInfo {
    /// Its name.
    pub name: String,
    /// Whether it only reads (and so still runs under `--dry-run`).
    pub read_only: bool,
}

/// What a plugin says about itself.
#[derive(Clone, Debug, Serialize)]
pub struct PluginInfo {
    /// Lowercase letters, digits and `_`.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// Where it was loaded from (`built-in` for ssh).
    pub path: String,
    /// Step kinds it accepts.
    pub command_types: Vec<CommandType>,
    /// Operations for `call` steps.
    pub operations: Vec<OperationInfo>,
    /// Whether it can honour `--dry-run` for its own operations.
    pub dry_run: bool,
}

/// Everything needed to open a connection to one host, resolved from the inventory.
#[derive(Clone)]
pub struct Target {
    /// The inventory name.
    pub host: String,
    /// Address or DNS name to connect to (the host name when unset).
    pub hostname: String,
    /// Port, if set (the plugin picks its default otherwise).
    pub port: Option<u16>,
    /// Login name.
    pub username: Option<String>,
    /// Login password; never printed.
    pub password: Option<String>,
    /// Platform name, as written in the inventory.
    pub platform: Option<String>,
    /// Plugin-specific settings, merged through the layers.
    pub extras: serde_json::Map<String, serde_json::Value>,
    /// Values of the host's secret-named data keys (`api_token`, `snmp_secret`, ...), which a
    /// task may send: transcripts must scrub them like the password.
    pub data_secrets: Vec<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Resolves `host`'s options for `plugin`: connection options, falling back to attributes.
    pub fn from_host(host: HostView<'_>, plugin: &str) -> Target {
        let conn = host.connection(plugin);
        let text = |r: Option<crate::inventory::Resolved<'_, crate::yaml::EnvString>>| {
            r.and_then(|r| r.value).map(|v| v.value.clone())
        };
        let extras = conn
            .extras()
            .into_iter()
            .map(|(key, (value, _))| {
                let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
                (key.to_string(), json)
            })
            .collect();
        Target {
            host: host.name().to_string(),
            hostname: text(conn.hostname()).unwrap_or_else(|| host.name().to_string()),
            port: conn.port().and_then(|r| r.value).map(|p| p.value),
            username: text(conn.username()),
            password: text(conn.password()),
            platform: conn.platform().and_then(|(v, _)| v).map(str::to_string),
            extras,
            data_secrets: {
                let mut secrets = Vec::new();
                for key in host.data_keys() {
                    if let Some((value, _)) = host.data(key) {
                        collect_secrets(key, value, &mut secrets);
                    }
                }
                secrets
            },
        }
    }

    /// A string extra.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extras.get(key).and_then(|v| v.as_str())
    }
}

/// Adds the scalar values under secret-named keys, at any depth, to `out`.
fn collect_secrets(key: &str, value: &serde_yaml::Value, out: &mut Vec<String>) {
    use serde_yaml::Value;
    let secret = crate::inventory::is_secret_key(key);
    match value {
        Value::String(s) if secret && !s.is_empty() => out.push(s.clone()),
        Value::Number(n) if secret => out.push(n.to_string()),
        Value::Sequence(items) => items.iter().for_each(|v| collect_secrets(key, v, out)),
        Value::Mapping(map) => {
            for (k, v) in map {
                // Everything under a secret key is secret; elsewhere, the inner key decides.
                let inner = if secret {
                    key
                } else {
                    k.as_str().unwrap_or_default()
                };
                collect_secrets(inner, v, out);
            }
        }
        Value::Tagged(tagged) => collect_secrets(key, &tagged.value, out),
        _ => {}
    }
}

/// One operation sent over a connection.
#[derive(Clone, Debug)]
pub enum Operation<'a> {
    /// A CLI command.
    Command(&'a str),
    /// Configuration lines, sent in config mode.
    Config(&'a [String]),
    /// A plugin operation with JSON arguments.
    Call {
        /// The operation's name.
        name: &'a str,
        /// Its arguments.
        args: &'a serde_json::Value,
    },
}

impl Operation<'_> {
    /// The kind of step this is, for checks against what a plugin accepts.
    pub fn describe(&self) -> String {
        match self {
            Operation::Command(cmd) => format!("command `{cmd}`"),
            Operation::Config(lines) => format!("{} configuration line(s)", lines.len()),
            Operation::Call { name, .. } => format!("call `{name}`"),
        }
    }
}

/// What an operation returned: device text or a JSON value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Output {
    /// Text from a CLI.
    Text(String),
    /// A JSON result of a `call`.
    Json(serde_json::Value),
}

/// How an operation or an open failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The host could not be reached or logged into.
    #[error("{message}")]
    Unreachable {
        /// What happened, in a network engineer's words.
        message: String,
    },
    /// The operation failed on a working connection (device error, command timeout, ...).
    #[error("{message}")]
    Failed {
        /// What happened.
        message: String,
        /// Output received before the failure.
        partial: Option<String>,
    },
    /// The connection broke during the operation.
    #[error("{message}")]
    Broken {
        /// What happened.
        message: String,
        /// Output received before the failure.
        partial: Option<String>,
    },
    /// The plugin cannot do this kind of operation.
    #[error("the `{plugin}` connection cannot run {what}")]
    Unsupported {
        /// The plugin.
        plugin: String,
        /// The operation.
        what: String,
    },
    /// No plugin of that name is available.
    #[error("no connection plugin named `{0}` is loaded")]
    UnknownPlugin(String),
}

impl ConnectionError {
    /// Whether this means the host could not be reached (vs. an operation failing).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ConnectionError::Unreachable { .. })
    }
}

/// A transport netrun can open connections with.
pub trait ConnectionPlugin: Send + Sync {
    /// Name, version, accepted step kinds and operations.
    fn info(&self) -> &PluginInfo;

    /// Opens and authenticates a connection to `target`.
    fn open<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnectionError>>;
}

/// An open connection to one host.
pub trait Connection: Send {
    /// Runs one operation.
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>>;

    /// Whether the connection still works (checked before reuse).
    fn is_alive(&mut self) -> BoxFuture<'_, bool>;

    /// Closes the connection politely.
    fn close(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// The plugins available to a run, by name.
#[derive(Clone, Default)]
pub struct Plugins {
    by_name: HashMap<String, Arc<dyn ConnectionPlugin>>,
}

impl Plugins {
    /// Adds a plugin under its declared name.
    pub fn add(&mut self, plugin: Arc<dyn ConnectionPlugin>) {
        self.by_name.insert(plugin.info().name.clone(), plugin);
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn ConnectionPlugin>> {
        self.by_name.get(name)
    }
}

/// A host's open connections for one run, keyed by plugin: the register of SPEC §7.
pub struct HostConnections {
    plugins: Plugins,
    targets: HashMap<String, Target>,
    open: HashMap<String, Box<dyn Connection>>,
    /// How many connections were opened (a reconnect counts), for reports and tests.
    pub opened: usize,
    /// Things worth telling the user, e.g. "reconnected".
    pub events: Vec<String>,
}

impl HostConnections {
    /// A register for one host; `targets` gives each plugin's resolved options.
    pub fn new(plugins: Plugins, targets: HashMap<String, Target>) -> Self {
        HostConnections {
            plugins,
            targets,
            open: HashMap::new(),
            opened: 0,
            events: Vec::new(),
        }
    }

    async fn open_new(&mut self, plugin: &str) -> Result<Box<dyn Connection>, ConnectionError> {
        let driver = self
            .plugins
            .get(plugin)
            .cloned()
            .ok_or_else(|| ConnectionError::UnknownPlugin(plugin.to_string()))?;
        let target = self
            .targets
            .get(plugin)
            .cloned()
            .ok_or_else(|| ConnectionError::UnknownPlugin(plugin.to_string()))?;
        crate::diag!(
            2,
            "host {}: opening {plugin} connection to {}",
            target.host,
            target.hostname
        );
        let conn = driver.open(&target).await?;
        self.opened += 1;
        crate::diag!(2, "host {}: {plugin} connection open", target.host);
        Ok(conn)
    }

    /// The connection for `plugin`: opened on first use, checked before reuse and reopened once
    /// if it died. A failed open is not cached, so the next step tries again.
    pub async fn get(&mut self, plugin: &str) -> Result<&mut dyn Connection, ConnectionError> {
        let reuse = match self.open.get_mut(plugin) {
            Some(conn) => conn.is_alive().await,
            None => false,
        };
        if !reuse {
            if let Some(dead) = self.open.remove(plugin) {
                dead.close().await;
                self.events
                    .push(format!("{plugin} connection was lost; reconnected"));
            }
            let conn = self.open_new(plugin).await?;
            self.open.insert(plugin.to_string(), conn);
        }
        match self.open.get_mut(plugin) {
            Some(conn) => Ok(conn.as_mut()),
            None => Err(ConnectionError::UnknownPlugin(plugin.to_string())),
        }
    }

    /// Runs `op` over `plugin`'s connection. A connection that broke stays registered: the
    /// next step finds it dead and reconnects (once), which the host's result reports.
    pub async fn run(
        &mut self,
        plugin: &str,
        op: Operation<'_>,
    ) -> Result<Output, ConnectionError> {
        self.get(plugin).await?.run(op).await
    }

    /// Closes every open connection.
    pub async fn close_all(&mut self) {
        for (_, conn) in self.open.drain() {
            conn.close().await;
        }
    }
}
