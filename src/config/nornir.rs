//! nornir's configuration file (`config.yaml` of `InitNornir(config_file=...)`): what netrun
//! takes from it — the SimpleInventory files and the number of workers — and what it says
//! about the rest.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;
use crate::inventory::InventoryFiles;

/// What netrun uses of a nornir configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NornirConfig {
    /// The inventory files (SimpleInventory's options, relative to the config file).
    pub inventory: InventoryFiles,
    /// `runner.options.num_workers`.
    pub workers: Option<usize>,
    /// Settings netrun reads differently or ignores, for a note.
    pub notes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    inventory: Option<Plugin>,
    #[serde(default)]
    runner: Option<Plugin>,
    #[serde(default)]
    core: Option<Core>,
}

#[derive(Debug, Default, Deserialize)]
struct Plugin {
    #[serde(default)]
    plugin: Option<String>,
    #[serde(default)]
    options: serde_yaml::Mapping,
    #[serde(default)]
    transform_function: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Core {
    #[serde(default)]
    raise_on_error: Option<bool>,
}

/// nornir's own inventory plugin; the others need their data source.
const SIMPLE_INVENTORY: &str = "SimpleInventory";

impl NornirConfig {
    /// Reads a nornir `config.yaml`.
    pub fn read(path: &Path) -> Result<NornirConfig, ConfigError> {
        let text = super::read_config_text(path)?;
        let file: File = crate::yaml::parse::<Option<File>>(path, &text)?.unwrap_or_default();
        let invalid = |what: &str, reason: String| ConfigError::Invalid {
            what: format!("{}: {what}", path.display()),
            reason,
        };
        let base = path.parent().unwrap_or(Path::new(""));
        let inventory = file.inventory.unwrap_or_default();
        let plugin = inventory.plugin.as_deref().unwrap_or(SIMPLE_INVENTORY);
        if plugin != SIMPLE_INVENTORY {
            return Err(invalid(
                "inventory.plugin",
                format!(
                    "`{plugin}` is not supported: netrun reads nornir's SimpleInventory files (hosts.yaml, groups.yaml, defaults.yaml); write its hosts to such files (for example from a nornir script) and point `inventory.options` at them"
                ),
            ));
        }
        let option = |key: &str, default: &str| -> Result<PathBuf, ConfigError> {
            match inventory.options.get(key) {
                None | Some(serde_yaml::Value::Null) => Ok(base.join(default)),
                Some(serde_yaml::Value::String(file)) => Ok(base.join(file)),
                Some(other) => Err(invalid(
                    &format!("inventory.options.{key}"),
                    format!("expected a file name, found {other:?}"),
                )),
            }
        };
        let files = InventoryFiles {
            hosts: option("host_file", "hosts.yaml")?,
            groups: option("group_file", "groups.yaml")?,
            defaults: option("defaults_file", "defaults.yaml")?,
        };
        let workers = match file
            .runner
            .as_ref()
            .and_then(|r| r.options.get("num_workers"))
        {
            None | Some(serde_yaml::Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|&n| (1..=crate::limits::MAX_WORKERS).contains(&n))
                    .ok_or_else(|| {
                        invalid(
                            "runner.options.num_workers",
                            format!("{value:?} is not from 1 to {}", crate::limits::MAX_WORKERS),
                        )
                    })?,
            ),
        };
        let mut notes = Vec::new();
        if let Some(function) = &inventory.transform_function {
            notes.push(format!(
                "{}: inventory.transform_function `{function}` is not run: netrun cannot call Python; put what it computes into the inventory files",
                path.display()
            ));
        }
        if file.core.and_then(|c| c.raise_on_error).is_some() {
            notes.push(format!(
                "{}: core.raise_on_error is ignored: netrun reports every host's failure in its results and exits 1 when any host failed",
                path.display()
            ));
        }
        Ok(NornirConfig {
            inventory: files,
            workers,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netrun-nornir-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn simple_inventory_files_and_workers_are_read() {
        let path = write(
            "ok",
            "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: inv/hosts.yml\n    group_file: inv/groups.yml\nrunner:\n  plugin: threaded\n  options:\n    num_workers: 20\ncore:\n  raise_on_error: true\nlogging: {enabled: false}\n",
        );
        let config = NornirConfig::read(&path).unwrap();
        let dir = path.parent().unwrap();
        assert_eq!(config.inventory.hosts, dir.join("inv/hosts.yml"));
        assert_eq!(config.inventory.groups, dir.join("inv/groups.yml"));
        assert_eq!(config.inventory.defaults, dir.join("defaults.yaml"));
        assert_eq!(config.workers, Some(20));
        assert_eq!(config.notes.len(), 1);
    }

    #[test]
    fn other_inventory_plugins_are_refused_with_a_way_out() {
        let path = write("netbox", "inventory:\n  plugin: NetBoxInventory2\n");
        let err = NornirConfig::read(&path).unwrap_err().to_string();
        assert!(err.contains("`NetBoxInventory2` is not supported"), "{err}");
        assert!(err.contains("SimpleInventory"), "{err}");
    }
}
