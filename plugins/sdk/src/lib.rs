//! Write netrun connection plugins in safe Rust: implement [`Plugin`] and [`PluginConnection`],
//! then `export_plugin!(MyPlugin);` generates the ABI v1 entry point (see [`abi`]). The plugin's
//! metadata is [`info::Info`], the same type netrun reads it back into.

pub mod abi;
#[doc(hidden)]
pub mod entry;
pub mod info;

use std::sync::Arc;

pub use info::{CLI_COMMAND, CLI_CONFIG, CommandType, Info, Operation};
pub use serde_json;

/// How an open or an operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// One of the `abi::NR_ERR_*` codes.
    pub code: i32,
    /// What happened, for the person running netrun.
    pub message: String,
}

impl PluginError {
    /// The operation failed on a working connection.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError {
            code: abi::NR_ERR_FAILED,
            message: message.into(),
        }
    }

    /// The device could not be reached.
    pub fn unreachable(message: impl Into<String>) -> Self {
        PluginError {
            code: abi::NR_ERR_UNREACHABLE,
            message: message.into(),
        }
    }

    /// The request itself was wrong (unknown operation, bad arguments).
    pub fn invalid(message: impl Into<String>) -> Self {
        PluginError {
            code: abi::NR_ERR_INVALID,
            message: message.into(),
        }
    }
}

/// Everything netrun resolved from the inventory for one host; `None` is "not set", which the
/// ABI tells apart from the empty string.
#[derive(Clone, Debug, Default)]
pub struct OpenParams {
    /// Address or DNS name.
    pub hostname: String,
    /// Port, if set.
    pub port: Option<u16>,
    /// Login name, if set.
    pub username: Option<String>,
    /// Password, if set.
    pub password: Option<String>,
    /// Platform, if set.
    pub platform: Option<String>,
    /// Plugin-specific settings (`connection_options.NAME.extras`).
    pub extras: serde_json::Map<String, serde_json::Value>,
}

/// Makes a running [`PluginConnection::call`] return soon; called from another thread.
pub type Canceller = Arc<dyn Fn() + Send + Sync>;

/// A connection plugin: metadata and how to open a connection.
pub trait Plugin {
    /// `^[a-z0-9_]+$`, the name task files use in `connection:`.
    const NAME: &'static str;
    /// The plugin's version.
    const VERSION: &'static str;
    /// Its connection type.
    type Conn: PluginConnection;
    /// Step kinds, operations and dry-run support.
    fn info() -> Info;
    /// Opens a connection to one host.
    fn open(params: OpenParams) -> Result<Self::Conn, PluginError>;
}

/// An open connection; netrun uses each from one thread at a time (but for cancelling).
pub trait PluginConnection: Send + 'static {
    /// Runs operation `op` with JSON `args`. A plugin that accepts [`CommandType::Cli`] receives
    /// `command:` and `config:` steps as [`CLI_COMMAND`] and [`CLI_CONFIG`].
    fn call(&mut self, op: &str, args: serde_json::Value)
    -> Result<serde_json::Value, PluginError>;
    /// Whether the connection still works.
    fn is_alive(&self) -> bool {
        true
    }
    /// Called once before the connection is dropped.
    fn close(&mut self) {}
    /// How netrun can interrupt a blocking `call` when a deadline passes (asked once, after
    /// `open`). Without one, a call that never returns keeps its thread until it does.
    fn canceller(&self) -> Option<Canceller> {
        None
    }
}

/// Generates `netrun_plugin_init` for a type implementing [`Plugin`].
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The ABI v1 entry point netrun looks up.
        ///
        /// # Safety
        /// Called by netrun with a writable table of `table_size` bytes and an error buffer.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn netrun_plugin_init(
            host_abi_version: u32,
            table: *mut $crate::abi::NrPluginV1,
            table_size: u32,
            err: *mut $crate::abi::NrError,
        ) -> i32 {
            static INFO: ::std::sync::OnceLock<::std::string::String> =
                ::std::sync::OnceLock::new();
            // SAFETY: forwarded unchanged from the host, which upholds the ABI's contract.
            unsafe {
                $crate::entry::init::<$plugin>(&INFO, host_abi_version, table, table_size, err)
            }
        }
    };
}

#[cfg(test)]
mod tests;
