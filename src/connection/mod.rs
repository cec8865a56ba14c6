//! Connections: the contract every transport implements, and the per-run register that opens,
//! reuses and closes them (README "Connections").
//!
//! Every transport — the built-in `ssh` plugin and shared-library plugins alike — implements
//! [`ConnectionPlugin`] (metadata + open) and [`Connection`] (operations, is-alive, close). A
//! host's [`HostConnections`] opens a connection per plugin on first use, checks it before every
//! reuse, reopens it once if it died, never caches a failed open, and closes everything at the
//! end. What a plugin declares about itself is the SDK's [`Declared`] (one definition, shared
//! with shared-library plugins).

mod register;
mod target;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

pub use netrun_plugin_sdk::info::{
    CLI_COMMAND, CLI_CONFIG, CommandType, Info as Declared, Operation as OperationInfo,
};
pub use register::HostConnections;
pub use target::Target;

/// A boxed, sendable future: plugins are used through trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a plugin says about itself, and where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct PluginInfo {
    /// Lowercase letters, digits and `_`.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// Where it was loaded from (`built-in` for the built-in plugins).
    pub path: String,
    /// Step kinds, operations and dry-run support.
    #[serde(flatten)]
    pub declared: Declared,
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
    /// Text from a command run on its own (exec), with what it wrote to stderr.
    Exec {
        /// Standard output.
        stdout: String,
        /// Standard error.
        stderr: String,
    },
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
    /// The operation failed on a working connection (device error, ...).
    #[error("{message}")]
    Failed {
        /// What happened.
        message: String,
        /// Output received before the failure.
        partial: Option<String>,
    },
    /// A deadline of the operation passed (the command's own, not the host's).
    #[error("{message}")]
    Timeout {
        /// What happened, naming the deadline.
        message: String,
        /// Output received before the deadline.
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

    /// Output received before the failure, if any.
    pub fn partial(&self) -> Option<&str> {
        match self {
            ConnectionError::Failed { partial, .. }
            | ConnectionError::Timeout { partial, .. }
            | ConnectionError::Broken { partial, .. } => partial.as_deref(),
            _ => None,
        }
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

    /// The run gave up on this connection in the middle of an operation (a deadline passed, or
    /// the run was interrupted): release it without waiting for the operation, and never use it
    /// again. The default drops it, which ends a network connection.
    fn abandon(self: Box<Self>) {}
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
