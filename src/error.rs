//! The library's error type and its mapping to exit codes (SPEC §2).

use crate::config::ConfigError;
use crate::filter::SelectError;
use crate::inventory::InventoryError;

/// Exit code: every selected host ended ok, changed or skipped.
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one host failed, was unreachable or timed out.
pub const EXIT_HOSTS_FAILED: u8 = 1;
/// Exit code: usage, configuration, inventory, task-file or plugin error, or no host matched.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Everything that can stop a netrun command before or instead of a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// netrun.yaml or a setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The inventory cannot be loaded.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The host selection is wrong or empty.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// `inventory show HOST` with a name the inventory lacks.
    #[error("host `{0}` is not in the inventory")]
    UnknownHost(String),
    /// A subcommand whose capability is not built yet.
    #[error("`netrun {0}` is not yet available in this version of netrun")]
    NotYetAvailable(&'static str),
    /// Some selected hosts have connection settings that cannot work; nothing was run.
    #[error("{} host{} cannot be connected as configured:\n  {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.join("\n  "))]
    Targets(Vec<String>),
    /// The platform definitions (built-in plus the config file's `platforms:`) are invalid.
    #[error("invalid platform definitions in {}", path.display())]
    Platforms {
        /// The config file the overrides came from.
        path: std::path::PathBuf,
        /// What is wrong with them.
        #[source]
        source: crate::platform::PlatformError,
    },
    /// Some plugin libraries cannot be used (`netrun check` fails on them).
    #[error("{} plugin{} cannot be loaded:\n  {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(|b| format!("{}: {}", b.path.display(), b.reason)).collect::<Vec<_>>().join("\n  "))]
    BrokenPlugins(Vec<crate::plugin::BrokenPlugin>),
    /// The simulated lab could not start.
    #[error("cannot start the lab")]
    Lab(#[source] crate::lab::LabError),
    /// Writing a file the user asked for failed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// A task file, a task name or its params are wrong.
    #[error(transparent)]
    Task(#[from] crate::task::TaskError),
    /// Writing results failed.
    #[error("cannot write to standard output")]
    Output(#[source] std::io::Error),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }

    /// Whether this is stdout closing under us (`netrun ... | head`): exit quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(err) if err.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// A suggestion of what to do, when there is a useful one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Inventory(InventoryError::MissingHosts { .. }) => Some(
                "point netrun at your inventory with --inventory DIR, NETRUN_INVENTORY, or `inventory:` in netrun.yaml"
                    .into(),
            ),
            Error::Select(SelectError::NoMatch { .. }) => {
                Some("`netrun inventory` lists every host with its platform and groups".into())
            }
            Error::Select(SelectError::UnknownHost { .. }) | Error::UnknownHost(_) => {
                Some("`netrun inventory` lists the host names".into())
            }
            Error::Select(SelectError::WhereFailed { .. } | SelectError::BadWhere { .. }) => Some(
                "inside --where, use name, hostname, port, username, platform, groups, data, or a data key directly (site == \"earth\")"
                    .into(),
            ),
            Error::Config(ConfigError::Yaml(_)) => Some(
                "netrun.yaml keys: inventory, tasks, templates, plugins, plugin_dirs, runner, ssh, platforms".into(),
            ),
            Error::Targets(_) => Some(
                "fix the values above in the inventory (`netrun inventory show HOST --explain` shows where each comes from)".into(),
            ),
            Error::Task(crate::task::TaskError::NotFound { known, .. }) => Some(if known.is_empty() {
                "the tasks directory has no task files; set it with --tasks DIR or `tasks:` in netrun.yaml".into()
            } else {
                format!("available tasks: {} (`netrun tasks` describes them)", known.join(", "))
            }),
            Error::Task(crate::task::TaskError::Params(_)) => {
                Some("`netrun tasks NAME` lists a task's params".into())
            }
            Error::BrokenPlugins(_) => Some(
                "`netrun plugins` lists the plugins that load; fix or remove the files above".into(),
            ),
            Error::NotYetAvailable(_) => {
                Some("README.md lists what this version of netrun can do".into())
            }
            _ => None,
        }
    }
}
