//! The shapes of nornir's SimpleInventory files (`hosts.yaml`, `groups.yaml`, `defaults.yaml`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::groups::GroupCheck;
use crate::yaml::{EntryKind, EnvString, Port, Setting, StrictMap, UniqueFields, UniqueKey};

/// A host entry of `hosts.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFile {
    #[serde(default)]
    pub hostname: Setting<EnvString>,
    #[serde(default)]
    pub port: Setting<Port>,
    #[serde(default)]
    pub username: Setting<EnvString>,
    #[serde(default)]
    pub password: Setting<EnvString>,
    #[serde(default)]
    pub platform: Setting<String>,
    #[serde(default)]
    pub groups: GroupList,
    #[serde(default)]
    pub data: StrictMap<false>,
    #[serde(default)]
    pub connection_options: ConnectionOptionsMap,
}

impl EntryKind for HostFile {
    const KIND: &'static str = "host";
}

/// A group entry of `groups.yaml`: the same fields as a host.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct GroupFile(pub HostFile);

impl EntryKind for GroupFile {
    const KIND: &'static str = "group";
}

/// `defaults.yaml`: a host's fields but `groups`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsFile {
    #[serde(default)]
    pub hostname: Setting<EnvString>,
    #[serde(default)]
    pub port: Setting<Port>,
    #[serde(default)]
    pub username: Setting<EnvString>,
    #[serde(default)]
    pub password: Setting<EnvString>,
    #[serde(default)]
    pub platform: Setting<String>,
    #[serde(default)]
    pub data: StrictMap<false>,
    #[serde(default)]
    pub connection_options: ConnectionOptionsMap,
}

/// `connection_options.PLUGIN` of a host, group or defaults.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionOptionsFile {
    /// Address for this plugin.
    #[serde(default)]
    pub hostname: Setting<EnvString>,
    /// Port for this plugin.
    #[serde(default)]
    pub port: Setting<Port>,
    /// Login name for this plugin.
    #[serde(default)]
    pub username: Setting<EnvString>,
    /// Password for this plugin.
    #[serde(default)]
    pub password: Setting<EnvString>,
    /// Platform for this plugin.
    #[serde(default)]
    pub platform: Setting<EnvString>,
    /// Plugin-specific settings, merged key by key through the layers.
    #[serde(default)]
    pub extras: StrictMap<true>,
}

/// `connection_options`: plugin name → options, without duplicate plugin names.
#[derive(Clone, Debug, Default)]
pub struct ConnectionOptionsMap(pub IndexMap<String, ConnectionOptionsFile>);

impl<'de> Deserialize<'de> for ConnectionOptionsMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OptionsVisitor;
        impl<'de> Visitor<'de> for OptionsVisitor {
            type Value = ConnectionOptionsMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of connection plugin names to options")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ConnectionOptionsMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = IndexMap::new();
                let mut seen = HashSet::new();
                while let Some(plugin) = map.next_key_seed(UniqueKey {
                    seen: &mut seen,
                    what: "connection plugin",
                })? {
                    let options: Option<UniqueFields<ConnectionOptionsFile>> = map.next_value()?;
                    out.insert(plugin, options.map(|o| o.0).unwrap_or_default());
                }
                Ok(ConnectionOptionsMap(out))
            }
        }
        // `any`, not `map`: serde_yaml hands a `~` or `null` to visit_unit only this way.
        deserializer.deserialize_any(OptionsVisitor)
    }
}

/// The `groups:` list of a host or group; each name is checked against `groups.yaml` as it is
/// read, so an undefined group or a cycle is reported at its own line and column.
#[derive(Clone, Debug, Default)]
pub struct GroupList(pub Vec<String>);

thread_local! {
    static GROUP_CHECK: RefCell<Option<Arc<GroupCheck>>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread with group references checked against `check`.
pub fn with_group_check<R>(check: Arc<GroupCheck>, f: impl FnOnce() -> R) -> R {
    GROUP_CHECK.with(|cell| *cell.borrow_mut() = Some(check));
    let result = f();
    GROUP_CHECK.with(|cell| cell.borrow_mut().take());
    result
}

impl<'de> Deserialize<'de> for GroupList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = GroupList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of group names")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(GroupList::default())
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(GroupRef(name)) = seq.next_element()? {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                Ok(GroupList(names))
            }
        }
        // `any`, not `seq`: serde_yaml hands a `~` or `null` to visit_unit only this way.
        deserializer.deserialize_any(ListVisitor)
    }
}

struct GroupRef(String);

impl<'de> Deserialize<'de> for GroupRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;
        impl Visitor<'_> for RefVisitor {
            type Value = GroupRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a group name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<GroupRef, E> {
                GROUP_CHECK.with(|cell| {
                    let check = cell.borrow();
                    let Some(check) = check.as_ref() else {
                        return Ok(GroupRef(name.to_string()));
                    };
                    if !check.is_defined(name) {
                        return Err(E::custom(format!(
                            "group `{name}` is not defined in {}",
                            check.groups_file
                        )));
                    }
                    // Only a group's own parent list can close a cycle; a host that happens to
                    // share a group's name is no part of the group graph.
                    if let Some((GroupFile::KIND, owner)) = crate::yaml::current_entry()
                        && let Some(cycle) = check.cycle(&owner, name)
                    {
                        return Err(E::custom(format!("group cycle: {cycle}")));
                    }
                    Ok(GroupRef(name.to_string()))
                })
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GroupRef, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GroupRef, E> {
                self.visit_str(&v.to_string())
            }
        }
        deserializer.deserialize_str(RefVisitor)
    }
}

/// The first, lenient read of `groups.yaml`: names and parents only, to know what exists and
/// where the cycles are before the real read checks every reference.
#[derive(Debug, Default, Deserialize)]
pub struct GroupSkeleton {
    #[serde(default)]
    pub groups: Option<Vec<serde_yaml::Value>>,
}

impl EntryKind for GroupSkeleton {
    const KIND: &'static str = "group";
}

impl GroupSkeleton {
    /// Parent names that are strings (others are reported by the strict read).
    pub fn parents(&self) -> impl Iterator<Item = &str> {
        self.groups
            .iter()
            .flatten()
            .filter_map(|value| value.as_str())
    }
}
