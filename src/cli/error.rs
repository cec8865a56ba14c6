//! Everything that can stop a command before or instead of a run, gathered from the library's
//! typed errors: the one place where errors become exit codes, messages and hints.

use netrun::config::ConfigError;
use netrun::inventory::InventoryError;
use netrun::select::SelectError;
use netrun::suggest::{did_you_mean, nearest};

/// Everything that can stop a netrun command before or instead of a run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// netrun.yaml or a setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The inventory cannot be loaded.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The host selection is wrong or empty.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// `platforms NAME` with a name no platform has.
    #[error("no platform named `{name}`")]
    UnknownPlatform {
        /// The name given.
        name: String,
        /// The nearest names and aliases.
        suggestions: Vec<String>,
    },
    /// `inventory show HOST` with a name the inventory lacks.
    #[error("host `{name}` is not in the inventory")]
    UnknownHost {
        /// The name given.
        name: String,
        /// The nearest host names.
        suggestions: Vec<String>,
    },
    /// `netrun command A B` where B names a host or group: hosts are not positionals.
    #[error("`{word}` is {what}, not a CLI command")]
    HostAsCommand {
        /// The positional.
        word: String,
        /// "a host in the inventory", "a group", "a pattern matching N hosts".
        what: String,
        /// The selector that was probably meant.
        selector: String,
    },
    /// No tasks directory where one was looked for (not in a project).
    #[error("no tasks directory: {} does not exist", dir.display())]
    NoTasksDir {
        /// The directory looked for.
        dir: std::path::PathBuf,
    },
    /// `netrun init DIR` where a project file already exists.
    #[error("{} already exists; netrun init writes only into a new project", path.display())]
    InitExists {
        /// The file in the way.
        path: std::path::PathBuf,
    },
    /// Some selected hosts have settings that cannot work; nothing was run.
    #[error(transparent)]
    Jobs(#[from] netrun::job::JobError),
    /// The platform definitions (built-in plus the config file's `platforms:`) are invalid.
    #[error("invalid platform definitions in {}", path.display())]
    Platforms {
        /// The config file the overrides came from.
        path: std::path::PathBuf,
        /// What is wrong with them.
        #[source]
        source: netrun::platform::PlatformError,
    },
    /// Some plugin libraries cannot be used (`netrun check` fails on them).
    #[error("{} plugin{} cannot be loaded:\n  {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(|b| format!("{}: {}", b.path.display(), b.reason)).collect::<Vec<_>>().join("\n  "))]
    BrokenPlugins(Vec<netrun::plugin_host::BrokenPlugin>),
    /// The simulated lab could not start.
    #[error("cannot start the lab")]
    Lab(#[source] netrun::lab::LabError),
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
    Task(#[from] netrun::task::TaskError),
    /// Writing results failed.
    #[error("cannot write to standard output")]
    Output(#[source] std::io::Error),
    /// The OpenSSH client configuration cannot be read.
    #[error(transparent)]
    SshConfig(#[from] netrun::ssh::ssh_config::SshConfigError),
    /// No TextFSM templates directory.
    #[error(transparent)]
    TextfsmDir(#[from] netrun::textfsm::DiscoveryError),
    /// A TextFSM index or template cannot be used, or (`netrun parse`) the text was rejected.
    #[error(transparent)]
    Textfsm(#[from] netrun::textfsm::LibraryError),
    /// A line of a `netrun parse --manifest` file is not an entry.
    #[error("{}:{line}: {reason}", path.display())]
    Manifest {
        /// The manifest.
        path: std::path::PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A file to parse cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl AppError {
    /// The process exit code for this error: nothing ran.
    pub fn exit_code(&self) -> u8 {
        match self {
            // The template worked and rejected the text (an `Error` action): a failure, not
            // a usage error.
            AppError::Textfsm(netrun::textfsm::LibraryError::Parse(_)) => {
                netrun::exit::HOSTS_FAILED
            }
            _ => netrun::exit::USAGE,
        }
    }

    /// Whether this is stdout closing under us (`netrun ... | head`): exit quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, AppError::Output(err) if err.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// A suggestion of what to do, when there is a useful one.
    pub fn hint(&self) -> Option<String> {
        match self {
            AppError::Inventory(InventoryError::MissingHosts { .. }) => Some(
                "run netrun in a project directory, point it at your inventory with --inventory DIR, NETRUN_INVENTORY or `inventory:` in netrun.yaml, or start a project with `netrun init DIR`"
                    .into(),
            ),
            AppError::NoTasksDir { .. } => Some(
                "run netrun in a project directory, name the tasks with --tasks DIR, NETRUN_TASKS or `tasks:` in netrun.yaml, or start a project with `netrun init DIR`"
                    .into(),
            ),
            AppError::InitExists { .. } => {
                Some("choose a new directory: `netrun init DIR` creates it".into())
            }
            AppError::Select(SelectError::NoMatch { suggestion, .. }) => Some(match suggestion {
                Some(suggestion) => suggestion.clone(),
                None => "`netrun inventory` lists every host with its platform and groups".into(),
            }),
            AppError::Select(SelectError::UnknownHost {
                name,
                is_group: true,
                ..
            }) => Some(format!(
                "`{name}` is a group: select its hosts with --filter groups={name}"
            )),
            AppError::Select(SelectError::UnknownHost { suggestions, .. }) => Some(
                did_you_mean(suggestions)
                    .unwrap_or_else(|| "`netrun inventory` lists the host names".into()),
            ),
            AppError::UnknownHost { suggestions, .. } => Some(
                did_you_mean(suggestions)
                    .unwrap_or_else(|| "`netrun inventory` lists the host names".into()),
            ),
            AppError::Select(SelectError::WhereFailed { unknown, .. })
                if !unknown.is_empty() =>
            {
                let names: Vec<String> = unknown
                    .iter()
                    .map(|(name, nearby)| match did_you_mean(nearby) {
                        Some(mean) => format!("no host has `{name}`; {mean}"),
                        None => format!("no host has `{name}`"),
                    })
                    .collect();
                Some(names.join("; "))
            }
            AppError::Select(SelectError::WhereFailed { source, .. })
                if source.kind() == minijinja::ErrorKind::OutOfFuel =>
            {
                Some(
                    "the expression did more work than a render may (`limits.template_fuel` in netrun.yaml raises the budget)"
                        .into(),
                )
            }
            AppError::Select(SelectError::WhereFailed { .. } | SelectError::BadWhere { .. }) => Some(
                "inside --where, use name, hostname, port, username, platform, groups, data, or a data key directly (site == \"earth\")"
                    .into(),
            ),
            AppError::Config(ConfigError::Yaml(err)) if err.message.contains("unknown field") => Some(
                "netrun.yaml keys: inventory, nornir_config, tasks, templates, plugins, plugin_dirs, plugin_isolation, runner, ssh, platforms, limits, parse".into(),
            ),
            AppError::HostAsCommand { selector, .. } => Some(format!(
                "did you mean `{selector}`? (commands after `--` are sent as they are)"
            )),
            AppError::Jobs(_) => Some(
                "fix the values above in the inventory (`netrun inventory show HOST --explain` shows where each comes from)".into(),
            ),
            AppError::Task(netrun::task::TaskError::NotFound { known, name, .. }) => Some(if known.is_empty() {
                "the tasks directory has no task files; set it with --tasks DIR or `tasks:` in netrun.yaml".into()
            } else if let Some(mean) = did_you_mean(&nearest(name, known)) {
                format!("{mean} (`netrun tasks` lists the tasks)")
            } else {
                format!("available tasks: {} (`netrun tasks` describes them)", known.join(", "))
            }),
            AppError::Task(netrun::task::TaskError::Params(_)) => {
                Some("`netrun tasks NAME` lists a task's params".into())
            }
            AppError::UnknownPlatform { suggestions, .. } => Some(match did_you_mean(suggestions) {
                Some(mean) => format!("{mean} (`netrun platforms` lists the platforms and their aliases)"),
                None => "`netrun platforms` lists the platforms and their aliases".into(),
            }),
            AppError::SshConfig(_) => Some(
                "netrun reads ~/.ssh/config like ssh does; name another with --ssh-config FILE or `ssh.config_file` in netrun.yaml, or turn it off with `--ssh-config none`".into(),
            ),
            AppError::TextfsmDir(netrun::textfsm::DiscoveryError::NoIndex { .. }) => Some(
                "point --templates, `parse.templates` or NET_TEXTFSM at the `templates` folder of ntc-templates (it holds `index`)".into(),
            ),
            AppError::Textfsm(netrun::textfsm::LibraryError::NoTemplate { .. }) => Some(
                "the index's Platform and Command columns say what it covers; parse with a template file with --template FILE".into(),
            ),
            AppError::BrokenPlugins(_) => Some(
                "`netrun plugins` lists the plugins that load; fix or remove the files above".into(),
            ),
            _ => None,
        }
    }
}

/// Prints `err` for a person: `error:`, each cause on a `caused by:` line, then a `hint:`.
pub fn report(err: AppError) -> u8 {
    if err.is_broken_pipe() {
        return netrun::exit::OK;
    }
    let code = err.exit_code();
    let hint = err.hint();
    let report = anyhow::Error::from(err);
    // Messages quote file names, host names and device text: keep their lines, make any other
    // control character visible.
    let safe = |text: String| netrun::escape::lines(&text).into_owned();
    let mut text = format!("error: {}\n", safe(report.to_string()));
    for cause in report.chain().skip(1) {
        text.push_str(&format!("  caused by: {}\n", safe(cause.to_string())));
    }
    if let Some(hint) = hint {
        text.push_str(&format!("hint: {}\n", safe(hint)));
    }
    eprint!("{}", paint(&text));
    code
}

/// `text` with its `error:` and `hint:` labels coloured when stderr is a terminal and
/// `NO_COLOR` is unset (errors are printed before or without the `--color` setting).
pub fn paint(text: &str) -> String {
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if !colour {
        return text.to_string();
    }
    text.lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("error:") {
                format!("\x1b[1;31merror:\x1b[0m{rest}\n")
            } else if let Some(rest) = line.strip_prefix("hint:") {
                format!("\x1b[1;36mhint:\x1b[0m{rest}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}
