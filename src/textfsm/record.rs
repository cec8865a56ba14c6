//! Parsed records and their JSON form (the one `ntc_templates.parse.parse_output` returns).

use super::pystr;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// One item of a `List` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// The text the Value's regex captured.
    Text(String),
    /// The Value's group took no part in the rule's match (Python's `None`).
    Missing,
    /// A List Value whose regex has named groups: each group's text (or `None`), as the
    /// reference's dict.
    Groups(Vec<(String, Option<String>)>),
}

/// The value of one column in one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A plain Value (empty when it never matched).
    Text(String),
    /// A `List` Value.
    List(Vec<Item>),
}

impl Field {
    /// Python truthiness, which `Fillup` and `Required` test.
    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            Field::Text(s) => !s.is_empty(),
            Field::List(l) => !l.is_empty(),
        }
    }

    /// The field as ntc-templates returns it: list items go through Python's `str()`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Field::Text(s) => serde_json::Value::String(s.clone()),
            Field::List(items) => items
                .iter()
                .map(|i| serde_json::Value::String(i.to_python_str()))
                .collect(),
        }
    }
}

impl Item {
    /// `str(item)` in Python: the text, `None`, or the dict's repr.
    pub fn to_python_str(&self) -> String {
        match self {
            Item::Text(s) => s.clone(),
            Item::Missing => "None".to_string(),
            Item::Groups(groups) => {
                let inner: Vec<String> = groups
                    .iter()
                    .map(|(k, v)| {
                        let value = v.as_deref().map_or_else(|| "None".to_string(), pystr::repr);
                        format!("{}: {value}", pystr::repr(k))
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }
}

/// The records a template (or a chain of templates) produced, with their column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    header: Vec<String>,
    rows: Vec<Vec<Field>>,
}

impl Records {
    /// Records with columns `header`; every row must have one field per column.
    pub fn new(header: Vec<String>, rows: Vec<Vec<Field>>) -> Records {
        Records { header, rows }
    }

    /// Column names as the template spells them.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The records, one field per column.
    pub fn rows(&self) -> &[Vec<Field>] {
        &self.rows
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(crate) fn into_parts(self) -> (Vec<String>, Vec<Vec<Field>>) {
        (self.header, self.rows)
    }

    /// For each output key (lowercased column name, first-seen order) the column whose value it
    /// holds: the last one with that key, as a Python dict filled column by column would.
    fn plan(&self) -> Vec<(String, usize)> {
        let mut plan: Vec<(String, usize)> = Vec::with_capacity(self.header.len());
        for (i, name) in self.header.iter().enumerate() {
            let key = name.to_lowercase();
            match plan.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = i,
                None => plan.push((key, i)),
            }
        }
        plan
    }

    /// The records as a JSON list of objects with lowercase keys, as ntc-templates returns them.
    /// Without serde_json's `preserve_order` the objects' key order is not kept; serialize
    /// [`Records`] itself for output in column order.
    pub fn to_json(&self) -> serde_json::Value {
        let plan = self.plan();
        self.rows
            .iter()
            .map(|row| {
                let object: serde_json::Map<String, serde_json::Value> = plan
                    .iter()
                    .map(|(k, i)| (k.clone(), row[*i].to_json()))
                    .collect();
                serde_json::Value::Object(object)
            })
            .collect()
    }
}

struct PyStrField<'a>(&'a Field);

impl Serialize for PyStrField<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Field::Text(s) => serializer.serialize_str(s),
            Field::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    match item {
                        Item::Text(s) => seq.serialize_element(s)?,
                        other => seq.serialize_element(&other.to_python_str())?,
                    }
                }
                seq.end()
            }
        }
    }
}

/// Serializes like [`Records::to_json`], keeping each object's keys in column order.
impl Serialize for Records {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let plan = self.plan();
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&Row { plan: &plan, row })?;
        }
        seq.end()
    }
}

struct Row<'a> {
    plan: &'a [(String, usize)],
    row: &'a [Field],
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.plan.len()))?;
        for (key, i) in self.plan {
            map.serialize_entry(key, &PyStrField(&self.row[*i]))?;
        }
        map.end()
    }
}
