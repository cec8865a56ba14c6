//! The one list of differences from nornir the differential test accepts, each tied to a rule
//! README documents ("Differences from nornir"). An entry names the inventory, the host and
//! the field (`*` matches any run of characters) and the rule; the rule's check must confirm
//! that the difference is of its kind, or the difference still fails the test.

use serde_json::Value;

use crate::compare::{Context, Difference};

/// Why netrun and nornir may disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A `null` data value in defaults is a value: nornir's `host[key]` raises `KeyError` for
    /// it (its `host.items()` lists it as `None`, as netrun does).
    NullInDefaultsData,
    /// A defaults connection option never beats a later group's: nornir merges defaults into
    /// each group's connection options before it looks at the next group.
    DefaultsAfterGroups,
    /// `extras` are merged key by key; nornir takes the whole `extras` of the first layer that
    /// has any (an empty `{}` included).
    ExtrasMerged,
    /// netrun's `ssh` reads nornir's netmiko, scrapli, napalm and paramiko options for what it
    /// leaves unset; nornir's `ssh` view is the `ssh` options alone.
    SshReadsNornirPlugins,
    /// `${NAME}` is replaced from the environment in hostname, username, password, port and
    /// connection options; nornir keeps the text.
    EnvExpanded,
    /// A group a host lists twice counts once; nornir keeps the repeat in `host.groups` (the
    /// group order, and so every value, is the same).
    GroupListedOnce,
    /// Files are YAML 1.2: a date is a string; nornir's loader makes it a `datetime.date`.
    DatesAreStrings,
    /// YAML 1.2 integers: `1_000` is a string in netrun; nornir's loader reads it as 1000.
    UnderscoreNumbers,
    /// A plain number written with a leading zero (`010`) in data or extras is a string in
    /// netrun; nornir's loader (ruamel.yaml) reads it as a decimal integer. Attributes (`port`)
    /// are numbers in both.
    LeadingZeros,
}

impl Rule {
    /// The rule as README states it.
    pub fn text(self) -> &'static str {
        match self {
            Rule::NullInDefaultsData => "a null data value in defaults is a value",
            Rule::DefaultsAfterGroups => {
                "a defaults connection_options value never beats a later group's"
            }
            Rule::ExtrasMerged => "extras are merged key by key (nornir replaces the whole dict)",
            Rule::SshReadsNornirPlugins => {
                "ssh falls back to netmiko/scrapli/napalm/paramiko options (netrun only)"
            }
            Rule::EnvExpanded => "${NAME} is expanded from the environment (nornir keeps the text)",
            Rule::GroupListedOnce => "a group listed twice counts once",
            Rule::DatesAreStrings => "YAML 1.2: dates are strings",
            Rule::UnderscoreNumbers => "YAML 1.2: 1_000 is a string",
            Rule::LeadingZeros => "a number with a leading zero in data or extras is a string",
        }
    }

    /// Whether `d` is a difference of this rule's kind.
    pub fn explains(self, d: &Difference, context: &Context) -> bool {
        let (nornir, netrun) = (d.nornir.as_ref(), d.netrun.as_ref());
        match self {
            Rule::NullInDefaultsData => {
                d.field.starts_with("host[") && nornir.is_none() && netrun == Some(&Value::Null)
            }
            Rule::DefaultsAfterGroups => {
                let Some((plugin, field)) = connection_field(&d.field) else {
                    return false;
                };
                let Some(defaults) = context.defaults.get(plugin) else {
                    return false;
                };
                let from_defaults = match field.strip_prefix("extras.") {
                    Some(key) => defaults["extras"]
                        .get(key)
                        .map(|v| crate::sides::redacted(key, v)),
                    None if field == "password" => {
                        Some(crate::sides::redacted("password", &defaults[field]))
                    }
                    None => Some(defaults[field].clone()),
                };
                nornir.is_some_and(|v| !v.is_null())
                    && nornir == from_defaults.as_ref()
                    && netrun.is_some()
            }
            Rule::ExtrasMerged => {
                connection_field(&d.field).is_some_and(|(_, f)| f.starts_with("extras."))
                    && nornir.is_none()
                    && netrun.is_some()
            }
            Rule::SshReadsNornirPlugins => {
                let Some(value) = netrun else { return false };
                // The value is one of those plugins' options, as nornir or as netrun resolves
                // them (they differ where another rule applies, e.g. defaults after groups).
                d.field.starts_with("connection_options.ssh.")
                    && ["netmiko", "scrapli", "napalm", "paramiko"]
                        .iter()
                        .any(|p| {
                            let options = &context.host["connection_options"][*p];
                            let prefix = format!("connection_options.{p}.");
                            contains(&crate::sides::redacted("", options), value)
                                || (d.field.ends_with(".password")
                                    && !options["password"].is_null()
                                    && value == "***")
                                || context.netrun.iter().any(|(field, theirs)| {
                                    field.starts_with(&prefix) && contains(theirs, value)
                                })
                        })
            }
            Rule::EnvExpanded => {
                nornir
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.contains("${"))
                    && netrun.is_some_and(|v| !v.is_null())
            }
            Rule::GroupListedOnce => {
                let Some(Value::Array(listed)) = nornir else {
                    return false;
                };
                let mut once: Vec<&Value> = Vec::new();
                for group in listed {
                    if !once.contains(&group) {
                        once.push(group);
                    }
                }
                d.field == "groups"
                    && netrun == Some(&Value::from(once.into_iter().cloned().collect::<Vec<_>>()))
            }
            Rule::DatesAreStrings => {
                nornir.is_some_and(|v| v["$python"] == "date" && netrun == Some(&v["value"]))
            }
            Rule::UnderscoreNumbers => match (nornir, netrun.and_then(Value::as_str)) {
                (Some(Value::Number(n)), Some(text)) => text.replace('_', "") == n.to_string(),
                _ => false,
            },
            Rule::LeadingZeros => match (nornir, netrun.and_then(Value::as_str)) {
                (Some(Value::Number(n)), Some(text)) => {
                    let digits = text.strip_prefix('-').unwrap_or(text);
                    digits.len() > 1
                        && digits.starts_with('0')
                        && digits.bytes().all(|b| b.is_ascii_digit())
                        && (!d.field.starts_with("connection_options.")
                            || d.field.contains(".extras."))
                        && text.parse::<i64>().ok().map(Value::from).as_ref()
                            == Some(&Value::Number(n.clone()))
                }
                _ => false,
            },
        }
    }
}

/// `connection_options.PLUGIN.FIELD` → (PLUGIN, FIELD); plugin names may hold dots, fields
/// are `hostname`, `port`, `username`, `password`, `platform` or `extras.KEY`.
fn connection_field(field: &str) -> Option<(&str, &str)> {
    let rest = field.strip_prefix("connection_options.")?;
    if let Some(at) = rest.find(".extras.") {
        return Some((&rest[..at], &rest[at + 1..]));
    }
    rest.rsplit_once('.')
}

/// Whether `needle` is `haystack` or a value anywhere inside it.
fn contains(haystack: &Value, needle: &Value) -> bool {
    haystack == needle
        || match haystack {
            Value::Object(map) => map.values().any(|v| contains(v, needle)),
            Value::Array(items) => items.iter().any(|v| contains(v, needle)),
            _ => false,
        }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// An accepted difference: where it may occur and the rule that explains it.
#[derive(Debug)]
pub struct Allowed {
    pub inventory: &'static str,
    pub host: &'static str,
    pub field: &'static str,
    pub rule: Rule,
}

const fn allow(
    inventory: &'static str,
    host: &'static str,
    field: &'static str,
    rule: Rule,
) -> Allowed {
    Allowed {
        inventory,
        host,
        field,
        rule,
    }
}

use Rule::*;

/// Every difference from nornir the tests accept.
pub const ALLOWED: &[Allowed] = &[
    allow("nested", "twice", "groups", GroupListedOnce),
    allow("blanks", "*", "host[*]", NullInDefaultsData),
    allow(
        "connections",
        "*",
        "connection_options.ssh.*",
        SshReadsNornirPlugins,
    ),
    allow(
        "connections",
        "*",
        "connection_options.*.extras.*",
        ExtrasMerged,
    ),
    allow(
        "connections",
        "*",
        "connection_options.*",
        DefaultsAfterGroups,
    ),
    allow(
        "anchors",
        "*",
        "connection_options.*.extras.*",
        ExtrasMerged,
    ),
    allow(
        "generated",
        "*",
        "connection_options.ssh.*",
        SshReadsNornirPlugins,
    ),
    allow(
        "generated",
        "*",
        "connection_options.*.extras.*",
        ExtrasMerged,
    ),
    allow(
        "generated",
        "*",
        "connection_options.*",
        DefaultsAfterGroups,
    ),
    allow("generated", "*", "host[*]", NullInDefaultsData),
    allow("env", "*", "*", EnvExpanded),
    allow("bom_numbers", "*", "*", LeadingZeros),
    allow("bom_numbers", "r1", "data.underscore", UnderscoreNumbers),
    allow("bom_numbers", "r1", "data.date", DatesAreStrings),
    allow(
        "nornir_tests",
        "dev6.group_3",
        "connection_options.dummy.*",
        DefaultsAfterGroups,
    ),
];
