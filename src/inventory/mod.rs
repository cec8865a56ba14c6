//! The inventory: nornir SimpleInventory files loaded, checked and resolved.
//!
//! Every value a host has (attributes, each `data` key, each `connection_options` field, each
//! `extras` key) resolves the same way: the host, then its groups depth-first left to right
//! (first occurrence wins), then defaults; the first layer that defines it wins, and an explicit
//! `null` counts as defined. [`HostView`] is the one place that does this.

mod file;
pub mod object;
pub mod resolve;
mod target;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;

use crate::yaml::{self, EnvString, Port, Setting, StrictValue, YamlError};
pub use file::ConnectionOptionsFile as ConnectionOptions;
use file::{DefaultsFile, GroupCheck, GroupFile, GroupSkeleton, HostFile, with_group_check};
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
        let hosts_text = match std::fs::read_to_string(&hosts_path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(InventoryError::MissingHosts { path: hosts_path });
            }
            Err(source) => {
                return Err(InventoryError::Read {
                    path: hosts_path,
                    source,
                });
            }
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
                let check = Arc::new(GroupCheck {
                    groups_file: groups_path.display().to_string(),
                    ..group_check(&skeleton.entries)
                });
                let parsed: yaml::Entries<GroupFile> =
                    with_group_check(check.clone(), || yaml::parse(&groups_path, text))?;
                (parsed.entries, check)
            }
            None => (
                IndexMap::new(),
                Arc::new(GroupCheck {
                    groups_file: groups_path.display().to_string(),
                    ..GroupCheck::default()
                }),
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

fn read_optional(path: &Path) -> Result<Option<String>, InventoryError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InventoryError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Below this size `hosts.yaml` is parsed in one piece.
const CHUNK_BYTES: usize = 256 * 1024;

/// Parses `hosts.yaml`. serde_yaml holds a whole document's events in memory before it
/// deserializes, so a large file is cut at its top-level entries into chunks that are parsed in
/// parallel: peak memory stays near the size of the result, and both cores work. The cuts are
/// found by a line scan, not a YAML parser, so they are only a guess: when any chunk fails (or
/// two chunks hold one name), the whole file is parsed again in one piece, and its result or
/// error is the one returned, exactly as a sequential parse would give it.
fn parse_hosts(
    path: &Path,
    text: &str,
    check: &Arc<GroupCheck>,
) -> Result<IndexMap<String, HostFile>, YamlError> {
    let whole = || -> Result<IndexMap<String, HostFile>, YamlError> {
        let hosts: yaml::Entries<HostFile> =
            with_group_check(check.clone(), || yaml::parse(path, text))?;
        Ok(hosts.entries)
    };
    if text.len() < CHUNK_BYTES {
        return whole();
    }
    let Some(starts) = top_level_entries(text) else {
        return whole();
    };
    // Byte offset of each chunk. The first starts at 0 so that nothing before the first cut
    // (comments, or an indented first entry) is skipped.
    let mut chunks: Vec<usize> = vec![0];
    for &offset in &starts {
        if offset - chunks[chunks.len() - 1] >= CHUNK_BYTES {
            chunks.push(offset);
        }
    }
    if chunks.len() == 1 {
        return whole();
    }
    let parsed: Vec<Option<IndexMap<String, HostFile>>> = chunks
        .par_iter()
        .enumerate()
        .map(|(i, &offset)| {
            let end = chunks.get(i + 1).copied().unwrap_or(text.len());
            let result: Result<yaml::Entries<HostFile>, YamlError> =
                with_group_check(check.clone(), || yaml::parse(path, &text[offset..end]));
            // The error is dropped: it may come from a wrong cut (a chunk ending inside a
            // quoted scalar), and the whole-file parse below finds the real one.
            result.ok().map(|hosts| hosts.entries)
        })
        .collect();
    let mut hosts = IndexMap::with_capacity(starts.len());
    for result in parsed {
        let Some(chunk) = result else {
            return whole();
        };
        for (name, host) in chunk {
            if hosts.contains_key(&name) {
                // The sequential parse reports the duplicate at the position it would.
                return whole();
            }
            hosts.insert(name, host);
        }
    }
    Ok(hosts)
}

/// The byte offset of every line that may start a top-level entry of a plain block mapping (a
/// plain `name:` key at column 0), or `None` when the file uses anything that makes cutting it
/// unsafe (anchors, aliases, merge keys, documents, directives, a top-level sequence).
///
/// A line inside a multi-line quoted scalar or flow collection can still look like a key; a cut
/// there leaves the chunk before it unterminated, so it fails and [`parse_hosts`] falls back.
fn top_level_entries(text: &str) -> Option<Vec<usize>> {
    if text.contains('&') || text.contains('*') || text.contains("<<") {
        return None;
    }
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        match line.as_bytes().first() {
            Some(b'-' | b'%' | b'.') if is_document_marker(line) => return None,
            Some(b'%') => return None,
            Some(b'-')
                if line
                    .as_bytes()
                    .get(1)
                    .is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                return None;
            }
            _ if is_plain_key_line(line) => starts.push(offset),
            _ => {}
        }
        offset += line.len();
    }
    Some(starts)
}

/// Whether the value part of a `key: value` line ends a quoted scalar or flow collection that
/// began on an earlier line (`second: line of a quote"`, `b: 2}`): an unbalanced quote or a
/// closing bracket without its opener. An approximation; a wrong answer only moves a cut.
fn closes_earlier_line(rest: &[u8]) -> bool {
    let (mut double, mut single, mut depth) = (false, false, 0i32);
    let mut escaped = false;
    for &b in rest {
        match b {
            _ if escaped => escaped = false,
            b'\\' if double => escaped = true,
            b'"' if !single => double = !double,
            b'\'' if !double => single = !single,
            b'{' | b'[' if !double && !single => depth += 1,
            b'}' | b']' if !double && !single => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    double || single
}

/// Whether `line` is `---` or `...`, alone or followed by whitespace.
fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line
            .as_bytes()
            .get(3)
            .is_none_or(|b| b.is_ascii_whitespace())
}

/// Whether `line` starts at column 0 with a plain scalar key followed by `:` and a space or
/// the end of the line: `r1:`, `r1: {}`, `core-sw.example.com: {hostname: 10.0.0.1}`.
fn is_plain_key_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    // A plain scalar cannot start with whitespace or an indicator; quoted keys are not cut at,
    // since a quote at column 0 may as well continue a multi-line quoted scalar.
    let Some(first) = bytes.first() else {
        return false;
    };
    if first.is_ascii_whitespace() || b"#'\"{}[]|>!&*?:,-%@`.".contains(first) {
        return false;
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // A quote or flow indicator in the key is legal YAML but rare in host names; not
            // cutting there keeps the scan simple and safe.
            b'"' | b'\'' | b'{' | b'}' | b'[' | b']' | b',' | b'\n' | b'\r' => return false,
            b'#' if i > 0 && bytes[i - 1].is_ascii_whitespace() => return false,
            b':' => {
                let rest = &bytes[i + 1..];
                return rest.first().is_none_or(|next| next.is_ascii_whitespace())
                    && !closes_earlier_line(rest);
            }
            _ => {}
        }
    }
    false
}

/// Finds the group names and every parent edge that closes a cycle.
fn group_check(skeleton: &IndexMap<String, GroupSkeleton>) -> GroupCheck {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        name: &str,
        skeleton: &IndexMap<String, GroupSkeleton>,
        marks: &mut HashMap<String, Mark>,
        path: &mut Vec<String>,
        cycles: &mut HashMap<(String, String), String>,
    ) {
        marks.insert(name.to_string(), Mark::OnPath);
        path.push(name.to_string());
        if let Some(group) = skeleton.get(name) {
            for parent in group.parents() {
                match marks.get(parent).copied().unwrap_or(Mark::New) {
                    Mark::OnPath => {
                        let start = path.iter().position(|p| p == parent).unwrap_or(0);
                        let mut ring: Vec<&str> =
                            path[start..].iter().map(String::as_str).collect();
                        ring.push(parent);
                        cycles.insert((name.to_string(), parent.to_string()), ring.join(" → "));
                    }
                    Mark::New if skeleton.contains_key(parent) => {
                        visit(parent, skeleton, marks, path, cycles)
                    }
                    _ => {}
                }
            }
        }
        path.pop();
        marks.insert(name.to_string(), Mark::Done);
    }
    let mut marks = HashMap::new();
    let mut cycles = HashMap::new();
    for name in skeleton.keys() {
        if marks.get(name).copied().unwrap_or(Mark::New) == Mark::New {
            visit(name, skeleton, &mut marks, &mut Vec::new(), &mut cycles);
        }
    }
    GroupCheck {
        defined: skeleton.keys().cloned().collect::<HashSet<_>>(),
        cycle_edges: cycles,
        groups_file: String::new(),
    }
}

/// Depth-first, left to right, first occurrence wins: [a,b], a→[1,2], b→[2,3], 1→[X] gives
/// [a, 1, X, 2, b, 3]. Cycles were rejected while loading, but `seen` also guards against them.
fn group_order(groups: &IndexMap<String, Group>, direct: &[String]) -> Vec<usize> {
    fn visit(groups: &IndexMap<String, Group>, name: &str, seen: &mut Vec<usize>) {
        let Some(index) = groups.get_index_of(name) else {
            return;
        };
        if seen.contains(&index) {
            return;
        }
        seen.push(index);
        for parent in &groups[index].groups {
            visit(groups, parent, seen);
        }
    }
    let mut seen = Vec::new();
    for name in direct {
        visit(groups, name, &mut seen);
    }
    seen
}

#[cfg(test)]
mod tests;
