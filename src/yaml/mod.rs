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

pub mod budget;
mod depth;
mod source;
mod values;

pub use source::{ReadError, read_text};
pub use values::{EnvString, Port, Setting, StrictMap, StrictValue};

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

/// YAML's merge key: `<<: *anchor` (or a list of anchors) adds the entries of the named
/// mappings that the mapping does not set itself, as nornir (PyYAML) reads it.
pub const MERGE_KEY: &str = "<<";

/// The entries a merge key's value brings, earliest source first (a mapping, or a list of
/// mappings where earlier ones win).
pub fn merge_entries<E: de::Error>(
    value: serde_yaml::Value,
) -> Result<Vec<(String, serde_yaml::Value)>, E> {
    let sources = match value {
        serde_yaml::Value::Mapping(map) => vec![map],
        serde_yaml::Value::Sequence(items) => items
            .into_iter()
            .map(|item| match item {
                serde_yaml::Value::Mapping(map) => Ok(map),
                _ => Err(E::custom("`<<` takes a mapping or a list of mappings")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(E::custom("`<<` takes a mapping or a list of mappings")),
    };
    let mut entries: Vec<(String, serde_yaml::Value)> = Vec::new();
    // A set, not a scan of `entries`: a merged mapping may have as many keys as the file has
    // lines, and a scan per key would be quadratic in them.
    let mut keys = HashSet::new();
    for map in sources {
        for (key, value) in map {
            let key = match key {
                serde_yaml::Value::String(s) => s,
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                _ => return Err(E::custom("a merged mapping has a key that is not a scalar")),
            };
            if keys.insert(key.clone()) {
                entries.push((key, value));
            }
        }
    }
    Ok(entries)
}

/// Parses `text` (the contents of `path`) into `T`, with positioned errors. Flow collections may
/// not nest deeper than serde_yaml reads ([`depth`]), and aliases may not expand the document
/// beyond a small multiple of the text's size ([`budget`]).
pub fn parse<T: de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, YamlError> {
    // A UTF-8 byte-order mark before `---` (editors on Windows write one) is not content.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(offset) = depth::too_deep(text) {
        return Err(YamlError {
            path: path.to_path_buf(),
            position: Some(source::line_column(text.as_bytes(), offset)),
            message: format!(
                "collections nested deeper than {} levels (the most netrun reads)",
                depth::MAX_FLOW_DEPTH
            ),
        });
    }
    let read = |units| {
        OWNER.with(|owner| owner.borrow_mut().take());
        budget::with_budget(units, || {
            T::deserialize(budget::Budgeted(serde_yaml::Deserializer::from_str(text)))
        })
    };
    let (mut result, spent) = read(budget::for_text(text.len()));
    // serde_yaml's own cap on alias jumps may stop the read first, with an error that has no
    // position. The read is deterministic: again with one unit less than it spent, ours stops
    // it at the last value it read, where serde_yaml's cap struck.
    if let Err(err) = &result
        && err.location().is_none()
        && err.to_string().starts_with("repetition limit exceeded")
    {
        result = read(spent.saturating_sub(1)).0;
    }
    let result = result.map_err(|err| {
        let mut err = YamlError::from_serde(path, &err);
        err.position = err.position.map(|at| within(text, at));
        err
    });
    OWNER.with(|owner| owner.borrow_mut().take());
    result
}

/// `at`, or the end of `text` when `at` lies past it: libyaml reports an error at the end of a
/// text that lacks a final line break one line further down, as if it had one.
fn within(text: &str, (line, column): (usize, usize)) -> (usize, usize) {
    let last = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let end = source::line_column(text.as_bytes(), text.len());
    if line > last || (line == last && column > end.1) {
        end
    } else {
        (line, column)
    }
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

/// The kind and name of the top-level entry being read (for checks that depend on it, e.g.
/// group cycles).
pub fn current_entry() -> Option<(&'static str, String)> {
    current_owner().map(|owner| (owner.kind, owner.name))
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
            merged: Default::default(),
            pending: None,
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
    /// Entries a merge key (`<<`) brought, handed out after the mapping's own ones.
    merged: std::collections::VecDeque<(String, serde_yaml::Value)>,
    /// The value of the merged entry whose key was just handed out.
    pending: Option<serde_yaml::Value>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for FieldsMap<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        // Held here, not moved into the key's seed: at the end of the mapping it is still
        // needed to hand out the merged keys.
        let mut seed = Some(seed);
        loop {
            match self.map.next_key_seed(FieldKey {
                seed: &mut seed,
                seen: &mut self.seen,
            })? {
                Some(Some(field)) => return Ok(Some(field)),
                Some(None) => {
                    let value: serde_yaml::Value = self.map.next_value()?;
                    self.merged.extend(merge_entries::<A::Error>(value)?);
                }
                None => {
                    let Some(seed) = seed.take() else {
                        return Ok(None);
                    };
                    // The mapping's own keys are done: merged ones it did not set follow.
                    while let Some((key, value)) = self.merged.pop_front() {
                        if self.seen.insert(key.clone()) {
                            self.pending = Some(value);
                            return seed
                                .deserialize(de::value::StringDeserializer::<A::Error>::new(key))
                                .map(Some);
                        }
                    }
                    return Ok(None);
                }
            }
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.pending.take() {
            Some(value) => seed.deserialize(value).map_err(de::Error::custom),
            None => self.map.next_value_seed(seed),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The derived field-name seed, with the name checked against those already read; `None`
/// for the merge key, which leaves the seed where it was.
struct FieldKey<'a, K> {
    seed: &'a mut Option<K>,
    seen: &'a mut HashSet<String>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for FieldKey<'_, K> {
    type Value = Option<K::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // The check runs inside serde_yaml's own read of the key, the only place where an error
        // is given the key's position; the derived seed then gets the name as a plain string.
        let name = deserializer.deserialize_str(UniqueKey {
            seen: self.seen,
            what: "field",
        })?;
        if name == MERGE_KEY {
            return Ok(None);
        }
        let seed = self
            .seed
            .take()
            .ok_or_else(|| de::Error::custom("a field key was read twice"))?;
        seed.deserialize(de::value::StringDeserializer::<D::Error>::new(name))
            .map(Some)
    }
}

/// The settings of the property tests beside the code: `NETRUN_FUZZ_CASES` cases (default
/// 256) times `factor`, from the fixed seed CI uses unless `NETRUN_FUZZ_SEED` names another
/// (or `random`), as in `tests/fuzz` (docs/fuzzing.md).
#[cfg(test)]
pub(crate) fn property_config(factor: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::RngSeed;
    let cases: u32 = std::env::var("NETRUN_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let rng_seed = match std::env::var("NETRUN_FUZZ_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse().unwrap_or(20_261_129)),
        None => RngSeed::Fixed(20_261_129),
    };
    proptest::test_runner::Config {
        cases: cases.saturating_mul(factor),
        rng_seed,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

#[cfg(test)]
mod tests;
