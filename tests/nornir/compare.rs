//! Field-by-field comparison of nornir's and netrun's views, checked against the allowed table.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::allowed::{ALLOWED, Allowed, glob};
use crate::sides::Side;

/// One field on which the two sides disagree (`None`: the side has no such field).
#[derive(Debug)]
pub struct Difference {
    pub host: String,
    pub field: String,
    pub nornir: Option<Value>,
    pub netrun: Option<Value>,
}

/// What a rule may look at besides the difference: nornir's own documents.
pub struct Context<'a> {
    /// nornir's document of the host (null for inventory-level differences).
    pub host: &'a Value,
    /// defaults.yaml's own connection options, by plugin.
    pub defaults: &'a serde_json::Map<String, Value>,
    /// netrun's fields of the host (empty for inventory-level differences).
    pub netrun: &'a std::collections::BTreeMap<String, Value>,
}

/// The outcome for one inventory.
pub struct Report {
    pub inventory: String,
    pub hosts: usize,
    pub fields: usize,
    pub allowed: Vec<(Difference, &'static Allowed)>,
    pub unexpected: Vec<Difference>,
    pub stale: Vec<&'static Allowed>,
}

fn show(value: &Option<Value>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(v) => v.to_string(),
    }
}

impl Report {
    pub fn passed(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }

    pub fn summary(&self) -> String {
        let mut text = format!(
            "nornir differential `{}`: {} hosts, {} fields compared, {} allowed differences",
            self.inventory,
            self.hosts,
            self.fields,
            self.allowed.len()
        );
        for (d, entry) in &self.allowed {
            text.push_str(&format!(
                "\n  allowed {}: {}: nornir {}, netrun {} — {}",
                d.host,
                d.field,
                show(&d.nornir),
                show(&d.netrun),
                entry.rule.text()
            ));
        }
        text
    }

    pub fn failure(&self) -> String {
        let mut text = format!("nornir differential `{}` failed:", self.inventory);
        for d in &self.unexpected {
            text.push_str(&format!(
                "\n  {}: {}: nornir {}, netrun {}",
                d.host,
                d.field,
                show(&d.nornir),
                show(&d.netrun)
            ));
        }
        for entry in &self.stale {
            text.push_str(&format!(
                "\n  stale entry in ALLOWED (no difference needs it): {} {} {} ({:?})",
                entry.inventory, entry.host, entry.field, entry.rule
            ));
        }
        text
    }
}

/// Compares every field of every host, then sorts the differences into allowed and unexpected.
pub fn compare(inventory: &str, nornir: &Side, netrun: &Side) -> Report {
    let mut differences = Vec::new();
    let mut fields = 0;
    if let Some(error) = &netrun.load_error {
        differences.push(Difference {
            host: String::new(),
            field: "load".into(),
            nornir: Some(Value::from(format!("{} hosts", nornir.hosts.len()))),
            netrun: Some(Value::from(error.as_str())),
        });
    } else {
        let names =
            |side: &Side| -> Vec<String> { side.hosts.iter().map(|h| h.name.clone()).collect() };
        fields += 1;
        if names(nornir) != names(netrun) {
            differences.push(Difference {
                host: String::new(),
                field: "hosts".into(),
                nornir: Some(Value::from(names(nornir))),
                netrun: Some(Value::from(names(netrun))),
            });
        }
        for theirs in &nornir.hosts {
            let Some(ours) = netrun.hosts.iter().find(|h| h.name == theirs.name) else {
                continue;
            };
            let mut ours = ours.fields.clone();
            // nornir's host[KEY] misses these keys; netrun's value for them is its data.KEY.
            let raw = &nornir.raw[&theirs.name];
            for key in raw["data_missing"].as_array().into_iter().flatten() {
                let key = key.as_str().expect("data key");
                if let Some(value) = ours.get(&format!("data.{key}")).cloned() {
                    ours.insert(format!("host[{key}]"), value);
                }
            }
            let keys: BTreeSet<&String> = theirs.fields.keys().chain(ours.keys()).collect();
            fields += keys.len();
            for key in keys {
                let (a, b) = (theirs.fields.get(key), ours.get(key));
                if a != b {
                    differences.push(Difference {
                        host: theirs.name.clone(),
                        field: key.clone(),
                        nornir: a.cloned(),
                        netrun: b.cloned(),
                    });
                }
            }
        }
    }
    let mut report = Report {
        inventory: inventory.to_string(),
        hosts: nornir.hosts.len(),
        fields,
        allowed: Vec::new(),
        unexpected: Vec::new(),
        stale: Vec::new(),
    };
    let mut used = BTreeSet::new();
    let null = Value::Null;
    let none = std::collections::BTreeMap::new();
    for d in differences {
        let context = Context {
            host: nornir.raw.get(&d.host).unwrap_or(&null),
            defaults: &nornir.defaults,
            netrun: netrun
                .hosts
                .iter()
                .find(|h| h.name == d.host)
                .map_or(&none, |h| &h.fields),
        };
        let entry = ALLOWED.iter().enumerate().find(|(_, e)| {
            e.inventory == inventory
                && glob(e.host, &d.host)
                && glob(e.field, &d.field)
                && e.rule.explains(&d, &context)
        });
        match entry {
            Some((index, entry)) => {
                used.insert(index);
                report.allowed.push((d, entry));
            }
            None => report.unexpected.push(d),
        }
    }
    report.stale = ALLOWED
        .iter()
        .enumerate()
        .filter(|(i, e)| e.inventory == inventory && !used.contains(i))
        .map(|(_, e)| e)
        .collect();
    report
}
