//! The resolved host as a serializable document, with secret values redacted at any depth.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::resolve::{ConnectionView, HostView, Resolved};
use crate::secrets::{REDACTED, is_secret_key};
use crate::yaml::EnvString;

/// Serializes a YAML value with secret-named keys redacted, at any depth.
struct Redacted<'a>(&'a serde_yaml::Value);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            serde_yaml::Value::Mapping(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    let secret = key.as_str().is_some_and(is_secret_key) && !value.is_null();
                    if secret {
                        out.serialize_entry(key, REDACTED)?;
                    } else {
                        out.serialize_entry(key, &Redacted(value))?;
                    }
                }
                out.end()
            }
            serde_yaml::Value::Sequence(items) => {
                serializer.collect_seq(items.iter().map(Redacted))
            }
            serde_yaml::Value::Tagged(tagged) => Redacted(&tagged.value).serialize(serializer),
            other => other.serialize(serializer),
        }
    }
}

fn secret_or_null<'a>(value: Option<Resolved<'a, EnvString>>) -> Option<&'static str> {
    value.and_then(|r| r.value).map(|_| REDACTED)
}

/// A host's resolved values as a document (`inventory show --output json`), secrets redacted.
pub(super) struct ResolvedHost<'a>(pub(super) HostView<'a>);

impl Serialize for ResolvedHost<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let host = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", host.name())?;
        map.serialize_entry(
            "hostname",
            &host.hostname().and_then(|r| r.value).map(|v| &v.value),
        )?;
        map.serialize_entry("port", &host.port().and_then(|r| r.value).map(|v| v.value))?;
        map.serialize_entry(
            "username",
            &host.username().and_then(|r| r.value).map(|v| &v.value),
        )?;
        map.serialize_entry("password", &secret_or_null(host.password()))?;
        map.serialize_entry("platform", &host.platform().and_then(|r| r.value))?;
        map.serialize_entry("groups", host.direct_groups())?;
        map.serialize_entry("group_order", &host.groups().collect::<Vec<_>>())?;
        map.serialize_entry("data", &ResolvedData(host))?;
        map.serialize_entry("connection_options", &ResolvedConnections(host))?;
        map.end()
    }
}

struct ResolvedData<'a>(HostView<'a>);

impl Serialize for ResolvedData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let keys = self.0.data_keys();
        let mut map = serializer.serialize_map(Some(keys.len()))?;
        for key in keys {
            if let Some((value, _)) = self.0.data(key) {
                if is_secret_key(key) && !value.is_null() {
                    map.serialize_entry(key, REDACTED)?;
                } else {
                    map.serialize_entry(key, &Redacted(value))?;
                }
            }
        }
        map.end()
    }
}

struct ResolvedConnections<'a>(HostView<'a>);

impl Serialize for ResolvedConnections<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plugins = self.0.connection_plugins();
        let mut map = serializer.serialize_map(Some(plugins.len()))?;
        for plugin in plugins {
            map.serialize_entry(plugin, &ResolvedConnection(self.0.connection(plugin)))?;
        }
        map.end()
    }
}

struct ResolvedConnection<'a>(ConnectionView<'a>);

impl Serialize for ResolvedConnection<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let conn = self.0;
        let mut map = serializer.serialize_map(Some(6))?;
        map.serialize_entry(
            "hostname",
            &conn.hostname().and_then(|r| r.value).map(|v| &v.value),
        )?;
        map.serialize_entry("port", &conn.port().and_then(|r| r.value).map(|v| v.value))?;
        map.serialize_entry(
            "username",
            &conn.username().and_then(|r| r.value).map(|v| &v.value),
        )?;
        map.serialize_entry("password", &secret_or_null(conn.password()))?;
        map.serialize_entry("platform", &conn.platform().and_then(|(v, _)| v))?;
        map.serialize_entry("extras", &ResolvedExtras(conn))?;
        map.end()
    }
}

struct ResolvedExtras<'a>(ConnectionView<'a>);

impl Serialize for ResolvedExtras<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let extras = self.0.extras();
        let mut map = serializer.serialize_map(Some(extras.len()))?;
        for (key, (value, _)) in extras {
            if is_secret_key(key) && !value.is_null() {
                map.serialize_entry(key, REDACTED)?;
            } else {
                map.serialize_entry(key, &Redacted(value))?;
            }
        }
        map.end()
    }
}

/// A data or extras value as one line of text for tables, with secrets redacted.
pub fn display_value(key: &str, value: &serde_yaml::Value) -> String {
    if is_secret_key(key) && !value.is_null() {
        return REDACTED.to_string();
    }
    match value {
        serde_yaml::Value::Null => "null".to_string(),
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        other => serde_json::to_string(&Redacted(other)).unwrap_or_else(|_| "?".to_string()),
    }
}
