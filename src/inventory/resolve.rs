//! Resolution of a host's values through its layers, with where each value came from.

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

pub use super::document::display_value;
pub use super::nornir::{NORNIR_EXTRAS, NORNIR_SSH_PLUGINS};
use super::{ConnectionOptions, Inventory, Layer};
use crate::yaml::{EnvString, Port, Setting};

/// Which layer a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// The host's own entry.
    Host,
    /// A group, by name.
    Group(&'a str),
    /// `defaults.yaml`.
    Defaults,
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Host => f.write_str("host"),
            Source::Group(name) => write!(f, "group {name}"),
            Source::Defaults => f.write_str("defaults"),
        }
    }
}

/// A resolved value: `value` is `None` when every layer that mentions it says `null` (which,
/// as in nornir, means "not set here" for attributes and connection options).
#[derive(Debug)]
pub struct Resolved<'a, T> {
    /// The value, or `None` for `null` everywhere.
    pub value: Option<&'a T>,
    /// The layer that defined it.
    pub source: Source<'a>,
    /// Environment variables it was read from.
    pub vars: &'a [String],
    /// True when a connection option fell back to the host attribute of the same name.
    pub from_attribute: bool,
    /// The nearest layer that said `null` before the one that gave the value.
    pub null_at: Option<Source<'a>>,
    /// The nornir plugin whose connection options gave the value (`netmiko`), for `ssh`.
    pub via: Option<&'a str>,
}

// By hand: the derives would require `T: Copy`, and only references to `T` are held.
impl<T> Clone for Resolved<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Resolved<'_, T> {}

impl<'a, T> Resolved<'a, T> {
    /// Describes the origin for `inventory show --explain`.
    pub fn origin(&self) -> String {
        let mut origin = self.source.to_string();
        if let Some(plugin) = self.via {
            origin = format!("connection_options.{plugin} of {origin}");
        }
        if !self.vars.is_empty() {
            let vars: Vec<String> = self.vars.iter().map(|v| format!("${{{v}}}")).collect();
            origin = format!("environment {} via {origin}", vars.join(", "));
        }
        if self.from_attribute {
            origin = format!("host attribute, from {origin}");
        }
        match self.null_at {
            Some(Source::Host) if self.value.is_some() => {
                format!("null here, inherited from {origin}")
            }
            Some(layer) if self.value.is_some() => {
                format!("null in {layer}, inherited from {origin}")
            }
            _ => origin,
        }
    }
}

/// The first layer that gives `pick` a value, skipping (and remembering) nulls; when every
/// layer that mentions it says `null`, the nearest of them with no value.
fn resolve_through<'a, L: 'a, T: 'a>(
    layers: impl Iterator<Item = (&'a L, Source<'a>)>,
    pick: impl Fn(&'a L) -> Option<&'a Setting<T>>,
    vars: impl Fn(&'a T) -> &'a [String],
) -> Option<Resolved<'a, T>> {
    let mut null_at = None;
    for (layer, source) in layers {
        match pick(layer) {
            Some(Setting::Set(value)) => {
                return Some(Resolved {
                    value: Some(value),
                    source,
                    vars: vars(value),
                    from_attribute: false,
                    null_at,
                    via: None,
                });
            }
            Some(Setting::Null) => {
                null_at.get_or_insert(source);
            }
            Some(Setting::Unset) | None => {}
        }
    }
    null_at.map(|source| Resolved {
        value: None,
        source,
        vars: &[],
        from_attribute: false,
        null_at: None,
        via: None,
    })
}

/// A host attribute usable in filters and output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    /// `hostname`
    Hostname,
    /// `port`
    Port,
    /// `username`
    Username,
    /// `password` (never shown)
    Password,
    /// `platform`
    Platform,
}

impl Attr {
    /// Every attribute, in output order.
    pub const ALL: [Attr; 5] = [
        Attr::Hostname,
        Attr::Port,
        Attr::Username,
        Attr::Password,
        Attr::Platform,
    ];

    /// The field name in the files.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Hostname => "hostname",
            Attr::Port => "port",
            Attr::Username => "username",
            Attr::Password => "password",
            Attr::Platform => "platform",
        }
    }

    /// The attribute called `name`.
    pub fn from_name(name: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|attr| attr.name() == name)
    }
}

/// A resolved scalar attribute, as text.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue<'a> {
    /// A string attribute.
    Text(&'a str),
    /// The port.
    Port(u16),
}

impl fmt::Display for AttrValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Text(text) => f.write_str(text),
            AttrValue::Port(port) => write!(f, "{port}"),
        }
    }
}

/// A host seen through its layers: every getter resolves host → groups → defaults.
#[derive(Clone, Copy)]
pub struct HostView<'a> {
    inv: &'a Inventory,
    index: usize,
}

impl<'a> HostView<'a> {
    pub(super) fn new(inv: &'a Inventory, index: usize) -> Self {
        HostView { inv, index }
    }

    /// The host's position in inventory order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The host's name.
    pub fn name(&self) -> &'a str {
        &self.inv.hosts[self.index].name
    }

    /// The groups the host lists itself.
    pub fn direct_groups(&self) -> &'a [String] {
        &self.inv.hosts[self.index].groups
    }

    /// Every group the host belongs to, in resolution order.
    pub fn groups(&self) -> impl Iterator<Item = &'a str> + 'a {
        let inv = self.inv;
        self.inv.hosts[self.index]
            .order
            .iter()
            .map(move |&g| inv.groups[g].name.as_str())
    }

    /// Whether the host belongs to `group`, directly or through another group.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().any(|name| name == group)
    }

    /// The layers in resolution order: host, groups, defaults.
    pub fn layers(&self) -> impl Iterator<Item = (&'a Layer, Source<'a>)> + 'a {
        let inv = self.inv;
        let host = &inv.hosts[self.index];
        std::iter::once((&host.layer, Source::Host))
            .chain(host.order.iter().map(move |&g| {
                let group = &inv.groups[g];
                (&group.layer, Source::Group(group.name.as_str()))
            }))
            .chain(std::iter::once((&inv.defaults, Source::Defaults)))
    }

    fn first<T: 'a>(
        &self,
        pick: impl Fn(&'a Layer) -> &'a Setting<T>,
        vars: impl Fn(&'a T) -> &'a [String],
    ) -> Option<Resolved<'a, T>> {
        resolve_through(self.layers(), |l| Some(pick(l)), vars)
    }

    /// `hostname`, or `None` when no layer sets it.
    pub fn hostname(&self) -> Option<Resolved<'a, EnvString>> {
        self.first(|l| &l.hostname, |v| &v.vars)
    }

    /// `port`.
    pub fn port(&self) -> Option<Resolved<'a, Port>> {
        self.first(|l| &l.port, port_vars)
    }

    /// `username`.
    pub fn username(&self) -> Option<Resolved<'a, EnvString>> {
        self.first(|l| &l.username, |v| &v.vars)
    }

    /// `password` (callers must never print it).
    pub fn password(&self) -> Option<Resolved<'a, EnvString>> {
        self.first(|l| &l.password, |v| &v.vars)
    }

    /// `platform`.
    pub fn platform(&self) -> Option<Resolved<'a, String>> {
        self.first(|l| &l.platform, |_| &[])
    }

    /// An attribute as a value for filters and tables; `None` when unset or `null`.
    pub fn attr(&self, attr: Attr) -> Option<AttrValue<'a>> {
        match attr {
            Attr::Hostname => self.hostname()?.value.map(|v| AttrValue::Text(&v.value)),
            Attr::Port => self.port()?.value.map(|v| AttrValue::Port(v.value)),
            Attr::Username => self.username()?.value.map(|v| AttrValue::Text(&v.value)),
            Attr::Password => self.password()?.value.map(|v| AttrValue::Text(&v.value)),
            Attr::Platform => self.platform()?.value.map(|v| AttrValue::Text(v)),
        }
    }

    /// The resolved `data` key, with its source (`Null` for an explicit `null`).
    pub fn data(&self, key: &str) -> Option<(&'a serde_yaml::Value, Source<'a>)> {
        self.layers()
            .find_map(|(layer, source)| layer.data.get(key).map(|v| (&v.value, source)))
    }

    /// Every data key the host has, host's own first, then groups', then defaults'.
    pub fn data_keys(&self) -> Vec<&'a str> {
        let mut keys: Vec<&'a str> = Vec::new();
        for (layer, _) in self.layers() {
            for key in layer.data.keys() {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
            }
        }
        keys
    }

    /// Follows a dotted path (`facts.os`) into the resolved data.
    pub fn data_path(&self, path: &str) -> Option<&'a serde_yaml::Value> {
        let mut parts = path.split('.');
        let (mut value, _) = self.data(parts.next()?)?;
        for part in parts {
            value = match value {
                serde_yaml::Value::Mapping(map) => map.get(part)?,
                serde_yaml::Value::Sequence(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// Names of the connection plugins any layer configures, in first-seen order.
    pub fn connection_plugins(&self) -> Vec<&'a str> {
        let mut names: Vec<&'a str> = Vec::new();
        for (layer, _) in self.layers() {
            for name in layer.connection_options.keys() {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The host's options for connection plugin `plugin`.
    pub fn connection(&self, plugin: &'a str) -> ConnectionView<'a> {
        ConnectionView {
            host: *self,
            plugin,
        }
    }

    /// The whole host, resolved, for JSON/YAML output (secrets redacted).
    pub fn to_serializable(self) -> impl Serialize + 'a {
        super::document::ResolvedHost(self)
    }
}

fn port_vars(port: &Port) -> &[String] {
    port.var.as_slice()
}

/// A host's options for one connection plugin; unset fields fall back to the host attributes.
#[derive(Clone, Copy)]
pub struct ConnectionView<'a> {
    host: HostView<'a>,
    plugin: &'a str,
}

impl<'a> ConnectionView<'a> {
    /// The plugins whose options this view reads, in order: the plugin itself, and for `ssh`
    /// nornir's SSH plugins after it (a migrated inventory keeps its settings there).
    fn sources(&self) -> Vec<&'a str> {
        if self.plugin == "ssh" {
            NORNIR_SSH_PLUGINS.to_vec()
        } else {
            vec![self.plugin]
        }
    }

    fn option<T: 'a>(
        &self,
        pick: impl Fn(&'a ConnectionOptions) -> &'a Setting<T>,
        vars: impl Fn(&'a T) -> &'a [String] + Copy,
    ) -> Option<Resolved<'a, T>> {
        let mut nothing = None;
        for plugin in self.sources() {
            let found = resolve_through(
                self.host.layers(),
                |layer| layer.connection_options.get(plugin).map(&pick),
                vars,
            );
            match found {
                Some(r) if r.value.is_some() => {
                    let via = (plugin != self.plugin).then_some(plugin);
                    return Some(Resolved { via, ..r });
                }
                Some(r) => {
                    nothing.get_or_insert(r);
                }
                None => {}
            }
        }
        nothing
    }

    /// A connection option with no value anywhere takes the host attribute (remembering a
    /// `null` that was skipped).
    fn fallback<T>(
        own: Option<Resolved<'a, T>>,
        attribute: Option<Resolved<'a, T>>,
    ) -> Option<Resolved<'a, T>> {
        match own {
            Some(r) if r.value.is_some() => Some(r),
            own => attribute
                .filter(|a| a.value.is_some())
                .map(|a| Resolved {
                    from_attribute: true,
                    null_at: own.map(|o| o.source).or(a.null_at),
                    ..a
                })
                .or(own),
        }
    }

    /// The plugin name.
    pub fn plugin(&self) -> &'a str {
        self.plugin
    }

    /// `hostname` for this plugin.
    pub fn hostname(&self) -> Option<Resolved<'a, EnvString>> {
        Self::fallback(
            self.option(|o| &o.hostname, |v| &v.vars),
            self.host.hostname(),
        )
    }

    /// `port` for this plugin.
    pub fn port(&self) -> Option<Resolved<'a, Port>> {
        Self::fallback(self.option(|o| &o.port, port_vars), self.host.port())
    }

    /// `username` for this plugin.
    pub fn username(&self) -> Option<Resolved<'a, EnvString>> {
        Self::fallback(
            self.option(|o| &o.username, |v| &v.vars),
            self.host.username(),
        )
    }

    /// `password` for this plugin (never print it).
    pub fn password(&self) -> Option<Resolved<'a, EnvString>> {
        Self::fallback(
            self.option(|o| &o.password, |v| &v.vars),
            self.host.password(),
        )
    }

    /// `platform` for this plugin, as text.
    pub fn platform(&self) -> Option<(Option<&'a str>, String)> {
        let own = self.option(|o| &o.platform, |v| &v.vars);
        if let Some(r) = own.filter(|r| r.value.is_some()) {
            return Some((r.value.map(|v| v.value.as_str()), r.origin()));
        }
        let attribute = self
            .host
            .platform()
            .filter(|a| a.value.is_some())
            .map(|a| Resolved {
                from_attribute: true,
                null_at: own.map(|o| o.source).or(a.null_at),
                ..a
            });
        match attribute {
            Some(a) => Some((a.value.map(String::as_str), a.origin())),
            None => own.map(|r| (None, r.origin())),
        }
    }

    /// `extras`, merged key by key through the layers; for `ssh`, settings kept in the extras
    /// of nornir's plugins fill the keys ssh leaves unset (`NORNIR_EXTRAS`).
    pub fn extras(&self) -> IndexMap<&'a str, (&'a serde_yaml::Value, Resolved<'a, ()>)> {
        let mut merged = IndexMap::new();
        for (layer, source) in self.host.layers() {
            let Some(options) = layer.connection_options.get(self.plugin) else {
                continue;
            };
            for (key, value) in &options.extras.entries {
                merged.entry(key.as_str()).or_insert((
                    &value.value,
                    Resolved {
                        value: None,
                        source,
                        vars: value.vars.as_slice(),
                        from_attribute: false,
                        null_at: None,
                        via: None,
                    },
                ));
            }
        }
        if self.plugin == "ssh" {
            for (key, plugin, path, via) in NORNIR_EXTRAS {
                if merged.contains_key(key) {
                    continue;
                }
                let found = self.host.layers().find_map(|(layer, source)| {
                    let options = layer.connection_options.get(plugin)?;
                    let (first, rest) = path.split_first()?;
                    let entry = options.extras.entries.get(*first)?;
                    let mut value = &entry.value;
                    for part in rest {
                        value = value.get(*part)?;
                    }
                    (!value.is_null()).then_some((value, source, entry.vars.as_slice()))
                });
                if let Some((value, source, vars)) = found {
                    merged.insert(
                        key,
                        (
                            value,
                            Resolved {
                                value: None,
                                source,
                                vars,
                                from_attribute: false,
                                null_at: None,
                                via: Some(via),
                            },
                        ),
                    );
                }
            }
        }
        merged
    }
}
