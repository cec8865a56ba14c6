//! A host as seen by templates (`--where`, task files): attributes and data keys by name.

use std::collections::HashSet;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

use super::{Attr, Inventory};
use crate::platform::Platforms;

/// Every data key any layer of an inventory defines.
pub fn known_data_keys(inv: &Inventory) -> HashSet<String> {
    let mut keys = HashSet::new();
    let layers = inv
        .hosts
        .iter()
        .map(|h| &h.layer)
        .chain(inv.groups.values().map(|g| &g.layer))
        .chain(std::iter::once(&inv.defaults));
    for layer in layers {
        for key in layer.data.keys() {
            if !keys.contains(key) {
                keys.insert(key.clone());
            }
        }
    }
    keys
}

/// A host for minijinja: `name`, `hostname`, `port`, `username`, `platform`, `groups` (resolved),
/// `data`, and each data key directly. The password is never exposed.
#[derive(Debug)]
pub struct HostObject {
    inv: Arc<Inventory>,
    index: usize,
    known: Arc<HashSet<String>>,
    platforms: Option<Arc<Platforms>>,
    /// `--where`: a data key this host lacks (but another has) reads as an empty value whose
    /// attributes are empty too, so `facts.os == "ios"` is false and its `not` true, as in
    /// nornir's filters; task templates keep strict errors.
    lenient: bool,
}

/// What a key this host lacks reads as under [`HostObject::lenient`]: empty, falsy, and empty
/// again at any depth.
#[derive(Debug)]
struct Missing;

impl Object for Missing {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(Missing))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }
}

impl HostObject {
    /// Wraps host `index`; `known` lists data keys defined anywhere, so that a key another host
    /// has reads as `none` here while a key no host has stays a strict-undefined error (a typo).
    pub fn new(inv: Arc<Inventory>, index: usize, known: Arc<HashSet<String>>) -> Self {
        HostObject {
            inv,
            index,
            known,
            platforms: None,
            lenient: false,
        }
    }

    /// Makes keys this host lacks (but others have) read as empty at any depth (`--where`).
    pub fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }

    /// Makes `platform` read as the canonical name when the inventory value is a known alias
    /// (`ios` for `cisco_ios`), so that `platform in ["ios"]` holds for every spelling.
    pub fn with_platforms(mut self, platforms: Option<Arc<Platforms>>) -> Self {
        self.platforms = platforms;
        self
    }

    const ATTRS: [&'static str; 8] = [
        "name",
        "hostname",
        "port",
        "username",
        "platform",
        "groups",
        "direct_groups",
        "data",
    ];
}

impl Object for HostObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let host = self.inv.host(self.index);
        let attr = |attr: Attr| {
            Some(match host.attr(attr) {
                Some(super::resolve::AttrValue::Text(text)) => Value::from(text),
                Some(super::resolve::AttrValue::Port(port)) => Value::from(port),
                None => Value::from(()),
            })
        };
        match key {
            "name" => Some(Value::from(host.name())),
            "hostname" => attr(Attr::Hostname),
            "port" => attr(Attr::Port),
            "username" => attr(Attr::Username),
            "platform" => match (host.attr(Attr::Platform), &self.platforms) {
                (Some(super::resolve::AttrValue::Text(text)), Some(platforms)) => Some(
                    Value::from(platforms.canonical(text).unwrap_or(text).to_string()),
                ),
                _ => attr(Attr::Platform),
            },
            "direct_groups" => Some(Value::from(host.direct_groups().to_vec())),
            "groups" => Some(Value::from(
                host.groups().map(str::to_string).collect::<Vec<_>>(),
            )),
            "data" => {
                let data: indexmap::IndexMap<&str, &serde_yaml::Value> = host
                    .data_keys()
                    .into_iter()
                    .filter_map(|k| host.data(k).map(|(v, _)| (k, v)))
                    .collect();
                Some(crate::template::to_value(&data))
            }
            _ => match host.data(key) {
                Some((value, _)) => Some(crate::template::to_value(value)),
                None if self.known.contains(key) && self.lenient => {
                    Some(Value::from_object(Missing))
                }
                None if self.known.contains(key) => Some(Value::from(())),
                None => None,
            },
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let host = self.inv.host(self.index);
        let mut keys: Vec<Value> = Self::ATTRS.iter().map(|k| Value::from(*k)).collect();
        keys.extend(
            host.data_keys()
                .into_iter()
                .filter(|k| !Self::ATTRS.contains(k))
                .map(Value::from),
        );
        Enumerator::Values(keys)
    }
}
