//! The inventory: nornir SimpleInventory files loaded, checked and resolved.
//!
//! Every value a host has (attributes, each `data` key, each `connection_options` field, each
//! `extras` key) resolves the same way: the host, then its groups depth-first left to right
//! (first occurrence wins), then defaults; the first layer that defines it wins, and an explicit
//! `null` counts as defined. [`HostView`] is the one place that does this.

mod chunks;
mod document;
mod file;
mod groups;
pub mod nornir;
pub mod object;
pub mod resolve;
mod target;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::yaml::{self, EnvString, Port, ReadError, Setting, StrictValue, YamlError};
use chunks::parse_hosts;
pub use file::ConnectionOptionsFile as ConnectionOptions;
use file::{DefaultsFile, GroupFile, GroupSkeleton, HostFile, with_group_check};
use groups::{group_check, group_order};
use indexmap::IndexMap;
pub use resolve::{Attr, HostView, Resolved, Source};

/// Why an inventory could not be loaded. Nothing is half-loaded: any error stops the load.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The directory or `hosts.yaml` is missing.
    #[error("no hosts file at {}", path.display())]
    MissingHosts {
        /// The path looked for.
        path: PathBuf,
    },
    /// A file exists but cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// YAML syntax, unknown field, wrong type, duplicate key, undefined group, cycle, unset variable.
    #[error(transparent)]
    Yaml(#[from] YamlError),
}

/// What one layer (a host, a group, or defaults) says.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    /// `hostname`.
    pub hostname: Setting<EnvString>,
    /// `port`.
    pub port: Setting<Port>,
    /// `username`.
    pub username: Setting<EnvString>,
    /// `password`.
    pub password: Setting<EnvString>,
    /// `platform`.
    pub platform: Setting<String>,
    /// `data`, in file order.
    pub data: IndexMap<String, StrictValue<false>>,
    /// `connection_options`, by plugin name.
    pub connection_options: IndexMap<String, ConnectionOptions>,
}

impl From<HostFile> for Layer {
    fn from(file: HostFile) -> Self {
        Layer {
            hostname: file.hostname,
            port: file.port,
            username: file.username,
            password: file.password,
            platform: file.platform,
            data: file.data.entries,
            connection_options: file.connection_options.0,
        }
    }
}

impl From<DefaultsFile> for Layer {
    fn from(file: DefaultsFile) -> Self {
        // Defaults are a host without groups; one conversion serves both.
        Layer::from(HostFile {
            hostname: file.hostname,
            port: file.port,
            username: file.username,
            password: file.password,
            platform: file.platform,
            groups: file::GroupList::default(),
            data: file.data,
            connection_options: file.connection_options,
        })
    }
}

/// A host as written, with its resolved group order.
#[derive(Debug)]
pub struct Host {
    /// The host's name (its key in `hosts.yaml`).
    pub name: String,
    /// The groups the host lists itself.
    pub groups: Vec<String>,
    /// What the host entry says.
    pub layer: Layer,
    /// Indices into [`Inventory::groups`], depth-first left to right, deduplicated.
    order: Arc<[usize]>,
}

/// A group as written.
#[derive(Debug)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Its parent groups as listed.
    pub groups: Vec<String>,
    /// What the group entry says.
    pub layer: Layer,
}

/// A loaded, checked inventory.
#[derive(Debug)]
pub struct Inventory {
    /// The directory the files came from.
    pub dir: PathBuf,
    hosts: Vec<Host>,
    by_name: HashMap<String, usize>,
    groups: IndexMap<String, Group>,
    defaults: Layer,
}

/// The files of an inventory: nornir's SimpleInventory `host_file`, `group_file` and
/// `defaults_file` (only the hosts file must exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryFiles {
    /// `hosts.yaml`.
    pub hosts: PathBuf,
    /// `groups.yaml`.
    pub groups: PathBuf,
    /// `defaults.yaml`.
    pub defaults: PathBuf,
}

impl InventoryFiles {
    /// The files of an inventory directory: `NAME.yaml`, or `NAME.yml` when only that exists.
    pub fn in_dir(dir: &Path) -> InventoryFiles {
        let pick = |name: &str| {
            let yaml = dir.join(format!("{name}.yaml"));
            let yml = dir.join(format!("{name}.yml"));
            if !yaml.exists() && yml.exists() {
                yml
            } else {
                yaml
            }
        };
        InventoryFiles {
            hosts: pick("hosts"),
            groups: pick("groups"),
            defaults: pick("defaults"),
        }
    }
}

impl Inventory {
    /// Loads `hosts.yaml` (required), `groups.yaml` and `defaults.yaml` (optional) from `dir`.
    pub fn load(dir: &Path) -> Result<Inventory, InventoryError> {
        Self::load_files(&InventoryFiles::in_dir(dir))
    }

    /// Loads the hosts file (required), groups and defaults files (optional) of `files`.
    pub fn load_files(files: &InventoryFiles) -> Result<Inventory, InventoryError> {
        let dir = files.hosts.parent().unwrap_or(Path::new("."));
        let hosts_path = files.hosts.clone();
        let Some(hosts_text) = read_optional(&hosts_path)? else {
            return Err(InventoryError::MissingHosts { path: hosts_path });
        };
        let groups_path = files.groups.clone();
        let groups_text = read_optional(&groups_path)?;
        let defaults_path = files.defaults.clone();
        let defaults_text = read_optional(&defaults_path)?;

        let defaults: DefaultsFile = match &defaults_text {
            Some(text) => {
                yaml::parse::<Option<yaml::UniqueFields<DefaultsFile>>>(&defaults_path, text)?
                    .map(|d| d.0)
                    .unwrap_or_default()
            }
            None => DefaultsFile::default(),
        };

        let (groups, check) = match &groups_text {
            Some(text) => {
                let skeleton: yaml::Entries<GroupSkeleton> = yaml::parse(&groups_path, text)?;
                let check = Arc::new(group_check(
                    &skeleton.entries,
                    groups_path.display().to_string(),
                ));
                let parsed: yaml::Entries<GroupFile> =
                    with_group_check(check.clone(), || yaml::parse(&groups_path, text))?;
                (parsed.entries, check)
            }
            None => (
                IndexMap::new(),
                Arc::new(group_check(
                    &IndexMap::new(),
                    groups_path.display().to_string(),
                )),
            ),
        };
        let hosts = parse_hosts(&hosts_path, &hosts_text, &check)?;

        let groups: IndexMap<String, Group> = groups
            .into_iter()
            .map(|(name, GroupFile(file))| {
                let parents = file.groups.0.clone();
                let group = Group {
                    name: name.clone(),
                    groups: parents,
                    layer: file.into(),
                };
                (name, group)
            })
            .collect();

        let mut orders: HashMap<Vec<String>, Arc<[usize]>> = HashMap::new();
        let mut by_name = HashMap::with_capacity(hosts.len());
        let hosts: Vec<Host> = hosts
            .into_iter()
            .enumerate()
            .map(|(index, (name, file))| {
                let direct = file.groups.0.clone();
                let order = orders
                    .entry(direct.clone())
                    .or_insert_with(|| group_order(&groups, &direct).into())
                    .clone();
                by_name.insert(name.clone(), index);
                Host {
                    name,
                    groups: direct,
                    layer: file.into(),
                    order,
                }
            })
            .collect();

        Ok(Inventory {
            dir: dir.to_path_buf(),
            hosts,
            by_name,
            groups,
            defaults: defaults.into(),
        })
    }

    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether the inventory has no hosts.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// The host at `index` (inventory order), resolved.
    pub fn host(&self, index: usize) -> HostView<'_> {
        HostView::new(self, index)
    }

    /// Every host in inventory order.
    pub fn hosts(&self) -> impl ExactSizeIterator<Item = HostView<'_>> {
        (0..self.hosts.len()).map(|index| HostView::new(self, index))
    }

    /// The index of the host called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Host names in inventory order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|host| host.name.as_str())
    }

    /// Group names in file order.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }
}

/// The text of an inventory file, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, InventoryError> {
    match yaml::read_text(path, "inventory files are UTF-8 text") {
        Ok(text) => Ok(Some(text)),
        Err(ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(ReadError::Io(source)) => Err(InventoryError::Read {
            path: path.to_path_buf(),
            source,
        }),
        Err(ReadError::Text(err)) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests;
