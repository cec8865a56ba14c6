//! Reading YAML files with errors that point at the file, line and column at fault.
//!
//! serde_yaml attaches a position to an error only when it is raised while a value is being
//! visited, so every check that needs a position (duplicate keys, unknown groups, unset
//! environment variables) runs inside a visitor here rather than after deserialization.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// An error in a YAML file, with the position serde_yaml or our own checks found.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct YamlError {
    /// The file at fault.
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong, naming the entry and the value.
    pub message: String,
}

impl YamlError {
    /// Wraps a serde_yaml error, moving its position into ours and naming the entry being read.
    pub fn from_serde(path: &Path, err: &serde_yaml::Error) -> Self {
        let position = err.location().map(|loc| (loc.line(), loc.column()));
        // serde_yaml writes " at line L column C" into its messages; we print the position in front.
        let mut message = strip_positions(&err.to_string());
        if let Some(owner) = current_owner() {
            let rest = message
                .strip_prefix(owner.name.as_str())
                .map(|rest| rest.trim_start_matches(['.', ':']).trim_start());
            message = match rest {
                Some(rest) => format!("{} `{}`: {rest}", owner.kind, owner.name),
                None => format!("{} `{}`: {message}", owner.kind, owner.name),
            };
        }
        YamlError {
            path: path.to_path_buf(),
            position,
            message,
        }
    }
}

fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at line ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " at line ".len()..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let line_len = digits(tail);
        match tail[line_len..].strip_prefix(" column ") {
            Some(col) if line_len > 0 => rest = &col[digits(col)..],
            _ => {
                out.push_str(" at line ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses `text` (the contents of `path`) into `T`, with positioned errors.
pub fn parse<T: de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, YamlError> {
    OWNER.with(|owner| owner.borrow_mut().take());
    let result = serde_yaml::from_str::<T>(text).map_err(|err| YamlError::from_serde(path, &err));
    OWNER.with(|owner| owner.borrow_mut().take());
    result
}

/// Which top-level entry (host, group, ...) is being read, so errors can name it.
#[derive(Clone, Debug)]
struct Owner {
    kind: &'static str,
    name: String,
}

thread_local! {
    static OWNER: RefCell<Option<Owner>> = const { RefCell::new(None) };
}

fn current_owner() -> Option<Owner> {
    OWNER.with(|owner| owner.borrow().clone())
}

/// The name of the top-level entry being read (for checks that depend on it, e.g. group cycles).
pub fn current_owner_name() -> Option<String> {
    current_owner().map(|owner| owner.name)
}

/// A top-level mapping of named entries (hosts, groups) that rejects duplicate names and
/// records which entry is being read, so errors inside it say "host `x`".
#[derive(Debug)]
pub struct Entries<T> {
    /// The entries in file order.
    pub entries: IndexMap<String, T>,
}

/// Names the kind of entry an [`Entries`] map holds, for messages.
pub trait EntryKind {
    /// "host", "group", ...
    const KIND: &'static str;
}

impl<'de, T: Deserialize<'de> + Default + EntryKind> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default + EntryKind> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a mapping of {} names to their settings", T::KIND)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries {
                    entries: IndexMap::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = IndexMap::with_capacity(map.size_hint().unwrap_or(0));
                let mut seen = HashSet::new();
                while let Some(name) = map.next_key_seed(UniqueKey {
                    seen: &mut seen,
                    what: T::KIND,
                })? {
                    OWNER.with(|owner| {
                        *owner.borrow_mut() = Some(Owner {
                            kind: T::KIND,
                            name: name.clone(),
                        })
                    });
                    // `name:` with nothing under it is an entry with no settings, as in nornir.
                    let value: Option<UniqueFields<T>> = map.next_value()?;
                    entries.insert(name, value.map(|v| v.0).unwrap_or_default());
                    // The next key belongs to no entry yet: a duplicate must not be blamed on this one.
                    OWNER.with(|owner| owner.borrow_mut().take());
                }
                Ok(Entries { entries })
            }
        }
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// A mapping key that must not repeat within its mapping; the error points at the repeat.
pub struct UniqueKey<'a> {
    /// Keys already read in this mapping.
    pub seen: &'a mut HashSet<String>,
    /// What the keys name, for the message ("host", "data key").
    pub what: &'static str,
}

impl<'de> DeserializeSeed<'de> for UniqueKey<'_> {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for UniqueKey<'_> {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} name", self.what)
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
        if !self.seen.insert(key.to_string()) {
            return Err(E::custom(format!("duplicate {} `{key}`", self.what)));
        }
        Ok(key.to_string())
    }
    fn visit_i64<E: de::Error>(self, key: i64) -> Result<String, E> {
        self.visit_str(&key.to_string())
    }
    fn visit_u64<E: de::Error>(self, key: u64) -> Result<String, E> {
        self.visit_str(&key.to_string())
    }
    fn visit_bool<E: de::Error>(self, key: bool) -> Result<String, E> {
        self.visit_str(&key.to_string())
    }
}

/// A struct read with its derived impl, but with a repeated field reported at the repeat.
///
/// serde's derived visitor rejects a repeated field only after the key was read, from
/// `visit_map`, and serde_yaml then places the error at the start of the mapping. Checking the
/// field name while the key itself is read gives the key's own line and column.
#[derive(Debug, Default)]
pub struct UniqueFields<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for UniqueFields<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(FieldsDeserializer(deserializer)).map(UniqueFields)
    }
}

/// Forwards every `deserialize_*` but `deserialize_struct` unchanged.
macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* visitor)
        })*
    };
}

struct FieldsDeserializer<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for FieldsDeserializer<D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, FieldsVisitor(visitor))
    }

    forward_deserialize!(
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_f32(), deserialize_f64(),
        deserialize_char(), deserialize_str(), deserialize_string(), deserialize_bytes(),
        deserialize_byte_buf(), deserialize_option(), deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize), deserialize_map(),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(), deserialize_ignored_any(),
    );
}

struct FieldsVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for FieldsVisitor<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(FieldsMap {
            map,
            seen: HashSet::new(),
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
}

struct FieldsMap<A> {
    map: A,
    seen: HashSet<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for FieldsMap<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.map.next_key_seed(FieldKey {
            seed,
            seen: &mut self.seen,
        })
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The derived field-name seed, with the name checked against those already read.
struct FieldKey<'a, K> {
    seed: K,
    seen: &'a mut HashSet<String>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for FieldKey<'_, K> {
    type Value = K::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K::Value, D::Error> {
        // The check runs inside serde_yaml's own read of the key, the only place where an error
        // is given the key's position; the derived seed then gets the name as a plain string.
        let name = deserializer.deserialize_str(UniqueKey {
            seen: self.seen,
            what: "field",
        })?;
        self.seed
            .deserialize(de::value::StringDeserializer::<D::Error>::new(name))
    }
}

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
                        Some(var) => format!(
                            "environment variable `{var}` holds {:?}, which is not a port number (1-65535)",
                            expanded.value
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
        while let Some(key) = map.next_key_seed(UniqueKey {
            seen: &mut seen,
            what: "key",
        })? {
            let value = map.next_value_seed(StrictSeed::<EXPAND> {
                vars: &mut *self.vars,
            })?;
            out.insert(key.into(), value);
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
                while let Some(key) = map.next_key_seed(UniqueKey {
                    seen: &mut seen,
                    what: "key",
                })? {
                    let value: StrictValue<EXPAND> = map.next_value()?;
                    entries.insert(key, value);
                }
                Ok(StrictMap { entries })
            }
        }
        deserializer.deserialize_map(MapVisitor::<EXPAND>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        #[serde(default)]
        port: Setting<Port>,
        #[serde(default)]
        data: StrictMap<false>,
        #[serde(default)]
        user: Setting<EnvString>,
    }
    impl EntryKind for Thing {
        const KIND: &'static str = "thing";
    }

    fn parse_things(text: &str) -> Result<Entries<Thing>, YamlError> {
        parse(Path::new("t.yaml"), text)
    }

    #[test]
    fn duplicate_entry_points_at_the_repeat() {
        let err = parse_things("a: {}\nb: {}\na: {}\n").unwrap_err();
        assert_eq!(err.position, Some((3, 1)));
        assert_eq!(err.message, "duplicate thing `a`");
    }

    #[test]
    fn duplicate_data_key_names_the_entry() {
        let err = parse_things("a:\n  data:\n    k: 1\n    k: 2\n").unwrap_err();
        assert_eq!(err.position, Some((4, 5)));
        assert_eq!(err.message, "thing `a`: data: duplicate key `k`");
        let things = parse_things("a:\n  data:\n    k: 1\n").unwrap();
        assert_eq!(
            things.entries["a"].data.entries["k"].value,
            serde_yaml::Value::from(1)
        );
    }

    #[test]
    fn duplicate_field_points_at_the_repeat() {
        let err = parse_things("a:\n  data: {k: 1}\n  port: 1\n  data: {k: 2}\n").unwrap_err();
        assert_eq!(err.message, "thing `a`: duplicate field `data`");
        assert_eq!(err.position, Some((4, 3)));
    }

    #[test]
    fn unknown_field_names_the_entry() {
        let err = parse_things("a:\n  prot: 22\n").unwrap_err();
        assert_eq!(err.position, Some((2, 3)));
        assert!(
            err.message.starts_with("thing `a`: unknown field `prot`"),
            "{}",
            err.message
        );
        assert_eq!(err.to_string().split(": ").next(), Some("t.yaml:2:3"));
    }

    #[test]
    fn null_is_distinct_from_unset() {
        let things = parse_things("a:\n  port: null\nb: {}\nc:\n").unwrap();
        assert_eq!(things.entries["a"].port, Setting::Null);
        assert_eq!(things.entries["b"].port, Setting::Unset);
        assert_eq!(things.entries["c"].port, Setting::Unset);
    }

    #[test]
    fn ports_are_checked() {
        let err = parse_things("a:\n  port: 70000\n").unwrap_err();
        assert_eq!(
            err.message,
            "thing `a`: port: port 70000 is out of range (expected 1-65535)"
        );
        let err = parse_things("a:\n  port: ssh\n").unwrap_err();
        assert_eq!(err.position, Some((2, 9)));
    }

    #[test]
    fn env_expansion() {
        // SAFETY of the test: the variable names are unique to this test.
        unsafe { std::env::set_var("NETRUN_YAML_TEST_USER", "ops") };
        let things = parse_things("a:\n  user: ${NETRUN_YAML_TEST_USER}-x\n").unwrap();
        let user = things.entries["a"].user.value().unwrap();
        assert_eq!(user.value, "ops-x");
        assert_eq!(user.vars, ["NETRUN_YAML_TEST_USER"]);
        let err = parse_things("a:\n  user: ${NETRUN_YAML_TEST_UNSET}\n").unwrap_err();
        assert_eq!(err.position, Some((2, 9)));
        assert_eq!(
            err.message,
            "thing `a`: user: environment variable `NETRUN_YAML_TEST_UNSET` is not set"
        );
    }
}
