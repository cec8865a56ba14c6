//! A bound on how much a YAML document may expand through aliases.
//!
//! An alias repeats the node its anchor names, and nested aliases multiply ("billion laughs":
//! nine levels of ten aliases each are a billion values from a few hundred bytes). serde_yaml
//! caps the number of alias jumps at 100 per event of the document, which stops the classic
//! bomb but grows with the file: a bomb after a few megabytes of padding, or one large anchor
//! aliased many times, still expands to more values and bytes than memory holds.
//!
//! So every value read is charged against a budget proportional to the file: one unit per
//! value plus one per byte of each string. A document without aliases cannot exceed it (a
//! value takes at least one byte of text, a string no more bytes than it has in the text), so
//! only expansion does, and the error is raised from inside the value at fault, where
//! serde_yaml gives it a line and column.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

/// The message when the budget runs out.
pub const EXPANSION_MESSAGE: &str = "aliases expand this document far beyond the size of the file (an alias bomb?); an alias may repeat data, but not multiply it";

thread_local! {
    /// Units left in the document being read on this thread.
    static LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The budget of a document of `len` bytes: twice its size, plus room for tiny documents.
pub fn for_text(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(64)
}

/// Runs `f` with `budget` units for what it reads; returns its result and the units it spent.
pub fn with_budget<R>(budget: usize, f: impl FnOnce() -> R) -> (R, usize) {
    let before = LEFT.with(|left| left.replace(budget));
    let result = f();
    let spent = budget - LEFT.with(|left| left.replace(before));
    (result, spent)
}

fn charge<E: de::Error>(units: usize) -> Result<(), E> {
    LEFT.with(|left| match left.get().checked_sub(units) {
        Some(rest) => {
            left.set(rest);
            Ok(())
        }
        None => {
            left.set(0);
            Err(E::custom(EXPANSION_MESSAGE))
        }
    })
}

/// A deserializer whose every value is charged to the budget.
pub struct Budgeted<D>(pub D);

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* Counted(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Budgeted<D> {
    type Error = D::Error;

    forward!(
        deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
        deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
        deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
        deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
        deserialize_string(), deserialize_bytes(), deserialize_byte_buf(), deserialize_option(),
        deserialize_unit(), deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize), deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
    );

    /// serde_yaml skips an ignored value without a visitor, alias expansions included; read
    /// through one instead, so that skipping is charged too.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Counted(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A seed whose deserializer is budgeted.
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Budgeted(deserializer))
    }
}

/// A visitor that charges each value it is given.
struct Counted<V>(V);

macro_rules! charged {
    ($($method:ident($v:ident: $ty:ty) => $units:expr),* $(,)?) => {
        $(fn $method<E: de::Error>(self, $v: $ty) -> Result<V::Value, E> {
            charge::<E>($units)?;
            self.0.$method($v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Counted<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    charged!(
        visit_bool(_v: bool) => 1,
        visit_i8(_v: i8) => 1,
        visit_i16(_v: i16) => 1,
        visit_i32(_v: i32) => 1,
        visit_i64(_v: i64) => 1,
        visit_i128(_v: i128) => 1,
        visit_u8(_v: u8) => 1,
        visit_u16(_v: u16) => 1,
        visit_u32(_v: u32) => 1,
        visit_u64(_v: u64) => 1,
        visit_u128(_v: u128) => 1,
        visit_f32(_v: f32) => 1,
        visit_f64(_v: f64) => 1,
        visit_char(_v: char) => 1,
        visit_str(v: &str) => 1 + v.len(),
        visit_borrowed_str(v: &'de str) => 1 + v.len(),
        visit_string(v: String) => 1 + v.len(),
        visit_bytes(v: &[u8]) => 1 + v.len(),
        visit_borrowed_bytes(v: &'de [u8]) => 1 + v.len(),
        visit_byte_buf(v: Vec<u8>) => 1 + v.len(),
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        charge::<E>(1)?;
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        charge::<E>(1)?;
        self.0.visit_unit()
    }

    // The value inside is charged when it is read.
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Budgeted(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Budgeted(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        charge::<A::Error>(1)?;
        self.0.visit_seq(Items(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        charge::<A::Error>(1)?;
        self.0.visit_map(Items(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        charge::<A::Error>(1)?;
        self.0.visit_enum(Items(data))
    }
}

/// The items of a sequence, mapping or enum, each read through a budgeted deserializer.
struct Items<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<A> {
    type Error = A::Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Items<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Seed(seed))
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Items<A> {
    type Error = A::Error;
    type Variant = Items<A::Variant>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Items<A::Variant>), A::Error> {
        let (value, variant) = self.0.variant_seed(Seed(seed))?;
        Ok((value, Items(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Items<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Counted(visitor))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Counted(visitor))
    }
}
