//! Values of inventory files whose checks need a position: settings that may be absent or
//! null, `${NAME}` expansion, ports, and mappings without duplicate keys.

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::UniqueKey;

/// A value that may be left out, set to an explicit `null`, or set; `null` is a value of its own
/// (it stops the search through groups and defaults).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Setting<T> {
    /// Not written: look further (groups, defaults).
    #[default]
    Unset,
    /// Written as `null`.
    Null,
    /// Written with a value.
    Set(T),
}

impl<T> Setting<T> {
    /// Whether the file says anything about this value (a `null` counts).
    pub fn is_defined(&self) -> bool {
        !matches!(self, Setting::Unset)
    }

    /// The value, if set to something other than `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Setting::Set(value) => Some(value),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Setting::Set(value),
            None => Setting::Null,
        })
    }
}

/// A string whose `${NAME}` parts were replaced from the environment when it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvString {
    /// The expanded text.
    pub value: String,
    /// The variables it was built from, empty for a literal.
    pub vars: Vec<String>,
}

/// Replaces every `${NAME}` in `text` from the environment.
pub fn expand_env(text: &str) -> Result<EnvString, String> {
    let mut value = String::with_capacity(text.len());
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + 2 + len];
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        value.push_str(&rest[..start]);
        if valid {
            match std::env::var(name) {
                Ok(found) => value.push_str(&found),
                Err(_) => return Err(format!("environment variable `{name}` is not set")),
            }
            vars.push(name.to_string());
        } else {
            value.push_str(&rest[start..start + 3 + len]);
        }
        rest = &rest[start + 3 + len..];
    }
    value.push_str(rest);
    Ok(EnvString { value, vars })
}

impl<'de> Deserialize<'de> for EnvString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvVisitor;
        impl Visitor<'_> for EnvVisitor {
            type Value = EnvString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<EnvString, E> {
                expand_env(text).map_err(E::custom)
            }
            // Unquoted numbers are common in usernames and passwords; keep their text.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvString, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvString, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvString, E> {
                self.visit_str(&v.to_string())
            }
        }
        deserializer.deserialize_str(EnvVisitor)
    }
}

/// A TCP port, written as a number or as a `${NAME}` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// The port number.
    pub value: u16,
    /// The environment variable it came from, if any.
    pub var: Option<String>,
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;
        impl Visitor<'_> for PortVisitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number (1-65535) or a \"${VARIABLE}\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                match u16::try_from(v) {
                    Ok(value) if value > 0 => Ok(Port { value, var: None }),
                    _ => Err(E::custom(format!(
                        "port {v} is out of range (expected 1-65535)"
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!(
                        "port {v} is out of range (expected 1-65535)"
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Port, E> {
                let expanded = expand_env(text).map_err(E::custom)?;
                let var = expanded.vars.first().cloned();
                match expanded.value.trim().parse::<u16>() {
                    Ok(value) if value > 0 => Ok(Port { value, var }),
                    _ => Err(E::custom(match var {
                        // The value is not shown: a variable may hold a secret by mistake.
                        Some(var) => format!(
                            "environment variable `{var}` does not hold a port number (1-65535; value not shown)"
                        ),
                        None => format!("{text:?} is not a port number (1-65535)"),
                    })),
                }
            }
        }
        deserializer.deserialize_any(PortVisitor)
    }
}

/// A YAML value whose mappings reject duplicate keys; with `EXPAND`, strings get `${NAME}` expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct StrictValue<const EXPAND: bool> {
    /// The value read.
    pub value: serde_yaml::Value,
    /// Environment variables used inside it.
    pub vars: Vec<String>,
}

impl<'de, const EXPAND: bool> Deserialize<'de> for StrictValue<EXPAND> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut vars = Vec::new();
        let value = StrictSeed::<EXPAND> { vars: &mut vars }.deserialize(deserializer)?;
        Ok(StrictValue { value, vars })
    }
}

struct StrictSeed<'a, const EXPAND: bool> {
    vars: &'a mut Vec<String>,
}

impl<'de, const EXPAND: bool> DeserializeSeed<'de> for StrictSeed<'_, EXPAND> {
    type Value = serde_yaml::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const EXPAND: bool> Visitor<'de> for StrictSeed<'_, EXPAND> {
    type Value = serde_yaml::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if EXPAND {
            let expanded = expand_env(v).map_err(E::custom)?;
            self.vars.extend(expanded.vars);
            Ok(expanded.value.into())
        } else {
            Ok(v.into())
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml::Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictSeed::<EXPAND> {
            vars: &mut *self.vars,
        })? {
            items.push(item);
        }
        Ok(serde_yaml::Value::Sequence(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_yaml::Mapping::new();
        let mut seen = HashSet::new();
        let mut merged = Vec::new();
        while let Some(key) = map.next_key_seed(UniqueKey {
            seen: &mut seen,
            what: "key",
        })? {
            if key == super::MERGE_KEY {
                merged.extend(super::merge_entries::<A::Error>(map.next_value()?)?);
                continue;
            }
            let value = map.next_value_seed(StrictSeed::<EXPAND> {
                vars: &mut *self.vars,
            })?;
            out.insert(key.into(), value);
        }
        for (key, value) in merged {
            if !out.contains_key(key.as_str()) {
                let value = StrictSeed::<EXPAND> {
                    vars: &mut *self.vars,
                }
                .deserialize(value)
                .map_err(de::Error::custom)?;
                out.insert(key.into(), value);
            }
        }
        Ok(serde_yaml::Value::Mapping(out))
    }
}

/// A string-keyed mapping of strict values that rejects duplicate keys (inventory `data`, `extras`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StrictMap<const EXPAND: bool> {
    /// Entries in file order.
    pub entries: IndexMap<String, StrictValue<EXPAND>>,
}

impl<'de, const EXPAND: bool> Deserialize<'de> for StrictMap<EXPAND> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<const EXPAND: bool>;
        impl<'de, const EXPAND: bool> Visitor<'de> for MapVisitor<EXPAND> {
            type Value = StrictMap<EXPAND>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StrictMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = IndexMap::new();
                let mut seen = HashSet::new();
                let mut merged = Vec::new();
                while let Some(key) = map.next_key_seed(UniqueKey {
                    seen: &mut seen,
                    what: "key",
                })? {
                    if key == super::MERGE_KEY {
                        merged.extend(super::merge_entries::<A::Error>(map.next_value()?)?);
                        continue;
                    }
                    let value: StrictValue<EXPAND> = map.next_value()?;
                    entries.insert(key, value);
                }
                // Keys written in the mapping itself win over merged ones, whatever the order.
                for (key, value) in merged {
                    if !entries.contains_key(&key) {
                        let value =
                            StrictValue::<EXPAND>::deserialize(value).map_err(de::Error::custom)?;
                        entries.insert(key, value);
                    }
                }
                Ok(StrictMap { entries })
            }
        }
        deserializer.deserialize_map(MapVisitor::<EXPAND>)
    }
}
