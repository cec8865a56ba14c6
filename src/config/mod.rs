//! `netrun.yaml` and the settings it feeds: flags beat `NETRUN_*` variables beat the file beat
//! built-in defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod nornir;

pub use nornir::NornirConfig;

use crate::inventory::InventoryFiles;
use crate::limits::{MAX_WORKERS, checked_seconds};
use crate::plugin_host::{Isolation, PluginSource};
use crate::ssh::{SshFile, SshSettings};
use crate::yaml::{self, YamlError};

/// The config file looked for in the current directory when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "netrun.yaml";

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config FILE` names a file that does not exist or cannot be read.
    #[error("cannot read config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A value out of range.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which setting.
        what: String,
        /// Why.
        reason: String,
    },
}

/// The contents of `netrun.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Inventory directory.
    pub inventory: Option<PathBuf>,
    /// A nornir `config.yaml` whose inventory files and workers to use.
    pub nornir_config: Option<PathBuf>,
    /// Tasks directory.
    pub tasks: Option<PathBuf>,
    /// Templates directory for task templates.
    pub templates: Option<PathBuf>,
    /// Plugin shared libraries to load.
    #[serde(default)]
    pub plugins: Vec<PluginEntry>,
    /// Directories searched for plugins.
    #[serde(default)]
    pub plugin_dirs: Vec<PathBuf>,
    /// How plugins run unless their entry says otherwise (default: `process`).
    pub plugin_isolation: Option<Isolation>,
    /// Runner defaults.
    #[serde(default)]
    pub runner: RunnerFile,
    /// SSH defaults.
    #[serde(default)]
    pub ssh: SshFile,
    /// Platform definitions that extend or override the built-in ones.
    #[serde(default)]
    pub platforms: crate::platform::Overrides,
    /// Bounds on templates.
    #[serde(default)]
    pub limits: LimitsFile,
    /// Parsing command output.
    #[serde(default)]
    pub parse: ParseFile,
}

/// `parse:` in netrun.yaml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParseFile {
    /// The TextFSM templates directory (with an ntc-templates `index`).
    pub templates: Option<PathBuf>,
}

/// `limits:` in netrun.yaml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// Work one template render may do (minijinja fuel).
    pub template_fuel: Option<u64>,
    /// Bytes one template render may produce.
    pub template_output: Option<usize>,
}

/// One entry of `plugins:`: a path, or `{path: PATH, isolation: process | in-process}`.
#[derive(Debug, PartialEq)]
pub struct PluginEntry {
    /// The shared library.
    pub path: PathBuf,
    /// How it runs, when the entry says.
    pub isolation: Option<Isolation>,
}

impl<'de> Deserialize<'de> for PluginEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// The mapping form, with its keys checked like the rest of the file.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Entry {
            path: PathBuf,
            isolation: Option<Isolation>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = PluginEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a path, or a mapping with `path` and `isolation`")
            }
            fn visit_str<E: serde::de::Error>(self, path: &str) -> Result<PluginEntry, E> {
                Ok(PluginEntry {
                    path: PathBuf::from(path),
                    isolation: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PluginEntry, A::Error> {
                let entry = Entry::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(PluginEntry {
                    path: entry.path,
                    isolation: entry.isolation,
                })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `runner:` in netrun.yaml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunnerFile {
    /// Hosts in flight at once.
    pub workers: Option<usize>,
    /// Per-host deadline in seconds.
    pub timeout: Option<f64>,
}

/// Everything a command needs to know, after flags, environment, file and defaults.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config file used, if any.
    pub config_file: Option<PathBuf>,
    /// Inventory directory (default `./inventory`).
    pub inventory_dir: PathBuf,
    /// The inventory files (in `inventory_dir`, or those a nornir config names).
    pub inventory_files: InventoryFiles,
    /// Things the user should know about their configuration (nornir settings netrun ignores).
    pub notes: Vec<String>,
    /// Tasks directory (default `./tasks`).
    pub tasks_dir: PathBuf,
    /// Whether the tasks directory was named (flag, NETRUN_TASKS or the file), so its absence
    /// is a mistake rather than "no tasks yet".
    pub tasks_dir_named: bool,
    /// Templates directory (default `<tasks>/templates`).
    pub templates_dir: PathBuf,
    /// Plugin libraries, each with how it runs.
    pub plugins: Vec<PluginSource>,
    /// Plugin directories.
    pub plugin_dirs: Vec<PathBuf>,
    /// How plugins run unless their `plugins:` entry says (those of `--plugin` and the plugin
    /// directories too).
    pub plugin_isolation: Isolation,
    /// Hosts in flight (default 100).
    pub workers: usize,
    /// Per-host deadline (default none).
    pub timeout: Option<Duration>,
    /// SSH defaults.
    pub ssh: SshSettings,
    /// Platform overrides from the file (checked as they were read).
    pub platforms: crate::platform::Overrides,
    /// Bounds on every template render.
    pub limits: crate::template::Limits,
    /// `parse.templates`: the TextFSM templates directory, relative to the config file.
    pub textfsm_templates: Option<PathBuf>,
}

/// Values given on the command line or through `NETRUN_*` variables (clap merges those two).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--inventory`.
    pub inventory: Option<PathBuf>,
    /// `--nornir-config`.
    pub nornir_config: Option<PathBuf>,
    /// `--tasks`.
    pub tasks: Option<PathBuf>,
    /// `--plugin`.
    pub plugins: Vec<PathBuf>,
    /// `--workers`.
    pub workers: Option<usize>,
    /// `--timeout`.
    pub timeout: Option<f64>,
    /// `--ssh-config` (`none` turns ssh_config off).
    pub ssh_config: Option<PathBuf>,
}

fn seconds(what: &str, value: f64, zero_means_off: bool) -> Result<Duration, ConfigError> {
    checked_seconds(value, zero_means_off).map_err(|reason| ConfigError::Invalid {
        what: what.to_string(),
        reason,
    })
}

/// `$XDG_DATA_HOME/netrun/plugins`, or `~/.local/share/netrun/plugins`.
pub fn user_plugin_dir(home: &Path) -> PathBuf {
    match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(data) => PathBuf::from(data).join("netrun").join("plugins"),
        None => home
            .join(".local")
            .join("share")
            .join("netrun")
            .join("plugins"),
    }
}

impl Settings {
    /// Reads the config file (if any) and applies precedence.
    pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
        let (file, path) = match &overrides.config {
            Some(path) => (Self::read(path)?, Some(path.clone())),
            // Anything at that name is read, so that a FIFO or a directory there is refused
            // with a message rather than silently passed over.
            None if Path::new(DEFAULT_CONFIG).exists() => {
                let path = PathBuf::from(DEFAULT_CONFIG);
                (Self::read(&path)?, Some(path))
            }
            None => (ConfigFile::default(), None),
        };
        let base = path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let rel = |p: &PathBuf| {
            if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            }
        };

        // --inventory beats a nornir config, which beats netrun.yaml's `inventory:`.
        let nornir = match (&overrides.nornir_config, &file.nornir_config) {
            (Some(path), _) => Some(NornirConfig::read(path)?),
            (None, Some(path)) => Some(NornirConfig::read(&rel(path))?),
            (None, None) => None,
        };
        let inventory_dir = overrides
            .inventory
            .clone()
            .or_else(|| {
                nornir
                    .as_ref()
                    .and_then(|n| n.inventory.hosts.parent().map(Path::to_path_buf))
            })
            .or_else(|| file.inventory.as_ref().map(rel))
            .unwrap_or_else(|| PathBuf::from("inventory"));
        let inventory_files = match (&overrides.inventory, &nornir) {
            (None, Some(nornir)) => nornir.inventory.clone(),
            _ => InventoryFiles::in_dir(&inventory_dir),
        };
        let tasks_dir_named = overrides.tasks.is_some() || file.tasks.is_some();
        let tasks_dir = overrides
            .tasks
            .clone()
            .or_else(|| file.tasks.as_ref().map(rel))
            .unwrap_or_else(|| PathBuf::from("tasks"));
        let templates_dir = file
            .templates
            .as_ref()
            .map(rel)
            .unwrap_or_else(|| tasks_dir.join("templates"));
        let plugin_isolation = file.plugin_isolation.unwrap_or_default();
        let mut plugins: Vec<PluginSource> = file
            .plugins
            .iter()
            .map(|entry| PluginSource {
                path: rel(&entry.path),
                isolation: entry.isolation.unwrap_or(plugin_isolation),
            })
            .collect();
        plugins.extend(overrides.plugins.iter().map(|path| PluginSource {
            path: path.clone(),
            isolation: plugin_isolation,
        }));

        // Which setting a bad value came from: the flag (or its NETRUN_* variable), else the file.
        let in_file = |key: &str| match &path {
            Some(p) => format!("{}: {key}", p.display()),
            None => key.to_string(),
        };
        let nornir_workers = nornir.as_ref().and_then(|n| n.workers);
        let (workers, workers_from) = match (overrides.workers, file.runner.workers) {
            (Some(w), _) => (w, "--workers".to_string()),
            (None, Some(w)) => (w, in_file("runner.workers")),
            (None, None) => (nornir_workers.unwrap_or(100), String::new()),
        };
        if !(1..=MAX_WORKERS).contains(&workers) {
            return Err(ConfigError::Invalid {
                what: workers_from,
                reason: format!("{workers} is not from 1 to {MAX_WORKERS}"),
            });
        }
        let timeout = match (overrides.timeout, file.runner.timeout) {
            (Some(t), _) => Some(seconds("--timeout", t, false)?),
            (None, Some(t)) => Some(seconds(&in_file("runner.timeout"), t, false)?),
            (None, None) => None,
        };

        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let mut ssh =
            SshSettings::from_file(&file.ssh, &home, |p| rel(&p.to_path_buf())).map_err(|bad| {
                ConfigError::Invalid {
                    what: in_file(&format!("ssh.{}", bad.key)),
                    reason: bad.reason,
                }
            })?;
        if let Some(path) = &overrides.ssh_config {
            ssh.ssh_config = crate::ssh::SshConfigChoice::named(path.clone());
        }

        Ok(Settings {
            config_file: path,
            inventory_dir,
            inventory_files,
            notes: nornir.map(|n| n.notes).unwrap_or_default(),
            tasks_dir,
            tasks_dir_named,
            templates_dir,
            plugins,
            plugin_isolation,
            plugin_dirs: {
                let mut dirs: Vec<PathBuf> = file.plugin_dirs.iter().map(rel).collect();
                // The user's own plugin directory, always searched (when it exists). The repo's
                // build outputs are not searched by default: loading a library runs its code,
                // so only what the user installed or configured is loaded.
                dirs.push(user_plugin_dir(&home));
                dirs
            },
            workers,
            timeout,
            ssh,
            platforms: file.platforms,
            textfsm_templates: file.parse.templates.as_ref().map(rel),
            limits: {
                let defaults = crate::template::Limits::default();
                crate::template::Limits {
                    fuel: file.limits.template_fuel.unwrap_or(defaults.fuel),
                    output: file.limits.template_output.unwrap_or(defaults.output),
                }
            },
        })
    }

    fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = read_config_text(path)?;
        let file: Option<ConfigFile> = yaml::parse(path, &text)?;
        Ok(file.unwrap_or_default())
    }
}

/// The text of a configuration file (netrun.yaml, a nornir config.yaml): regular files only,
/// bytes that are not text positioned.
fn read_config_text(path: &Path) -> Result<String, ConfigError> {
    yaml::read_text(path, "the config file is UTF-8 text").map_err(|err| match err {
        yaml::ReadError::Io(source) => ConfigError::Read {
            path: path.to_path_buf(),
            source,
        },
        yaml::ReadError::Text(err) => ConfigError::Yaml(err),
    })
}

#[cfg(test)]
mod tests;
