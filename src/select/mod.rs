//! Host selection: `--filter`, `--where` and `--hosts`, the same for every subcommand.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::Value;
use regex::Regex;

use crate::inventory::object::{HostObject, known_data_keys};
use crate::inventory::resolve::AttrValue;
use crate::inventory::{Attr, HostView, Inventory};
use crate::platform::Platforms;

pub use glob::glob_match;
use glob::is_glob;

/// Why a selection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// A `--filter` that does not parse.
    #[error("invalid filter `{expr}`: {reason}")]
    BadFilter {
        /// The filter as given.
        expr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--where` expression that does not compile.
    #[error("invalid --where expression `{expr}`")]
    BadWhere {
        /// The expression.
        expr: String,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },
    /// A `--where` expression that fails on a host.
    #[error("--where `{expr}` failed on host `{host}`")]
    WhereFailed {
        /// The expression.
        expr: String,
        /// The host it failed on.
        host: String,
        /// Names the expression uses that no host has, each with the nearest known names.
        unknown: Vec<(String, Vec<String>)>,
        /// minijinja's error.
        #[source]
        source: minijinja::Error,
    },
    /// A `--hosts` name that is not in the inventory.
    #[error("unknown host `{name}`{}", origin.as_ref().map(|(p, l)| format!(" ({}:{l})", p.display())).unwrap_or_default())]
    UnknownHost {
        /// The name.
        name: String,
        /// The `@FILE` and line it came from.
        origin: Option<(PathBuf, usize)>,
        /// The nearest host names.
        suggestions: Vec<String>,
        /// Whether the name is a group's.
        is_group: bool,
    },
    /// An `@FILE` that cannot be read.
    #[error("cannot read host list {}", path.display())]
    HostsFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The selection is empty.
    #[error("no host matched {}{}", describe(applied), nomatch::steps(*total, kept))]
    NoMatch {
        /// The selectors that were applied.
        applied: Vec<String>,
        /// How many hosts the inventory has.
        total: usize,
        /// Each selector in the order applied, with how many hosts were left after it.
        kept: Vec<(String, usize)>,
        /// What the selector that left none probably meant ("no host has a key `stie`; did you
        /// mean `site`?"), when that can be told.
        suggestion: Option<String>,
    },
}

fn describe(applied: &[String]) -> String {
    if applied.is_empty() {
        "(the inventory has no hosts)".to_string()
    } else {
        applied.join(" and ")
    }
}

/// A comparison operator of `--filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`: equal (any of the values; membership for groups and lists).
    Eq,
    /// `!=`: the exact negation of `=`.
    Ne,
    /// `~`: regular expression search.
    Regex,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    // Longest first, so that `>=` is not read as `>`.
    const SPELLINGS: [(&'static str, Op); 7] = [
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("=", Op::Eq),
        ("~", Op::Regex),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];

    fn is_numeric(self) -> bool {
        matches!(self, Op::Gt | Op::Ge | Op::Lt | Op::Le)
    }
}

/// What a filter key refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// The host name.
    Name,
    /// A host attribute.
    Attr(Attr),
    /// Group membership, inherited.
    Groups,
    /// The groups a host lists itself (nornir's `groups__contains`).
    DirectGroups,
    /// A data key, dotted for nesting.
    Data(String),
}

impl Key {
    /// The key a filter (or `--max-per`) names: `name`, `groups`, an attribute, or a data path.
    pub fn parse(key: &str) -> Result<Key, String> {
        if key.is_empty() {
            return Err("the key is empty".into());
        }
        if key.starts_with('.') || key.ends_with('.') || key.contains("..") {
            return Err("a dotted key needs a name on each side of every dot".into());
        }
        Ok(match key {
            "name" => Key::Name,
            "groups" | "group" => Key::Groups,
            "direct_groups" => Key::DirectGroups,
            "password" => return Err("hosts cannot be selected by password".into()),
            other => Attr::from_name(other)
                .map(Key::Attr)
                .unwrap_or_else(|| Key::Data(other.to_string())),
        })
    }

    /// The values of the key on `host`: one for a scalar, several for groups or a list, none
    /// when the key is unset or `null`.
    pub fn values(&self, host: &HostView<'_>) -> Vec<String> {
        match self {
            Key::Name => vec![host.name().to_string()],
            Key::Attr(attr) => host
                .attr(*attr)
                .map(|v: AttrValue<'_>| v.to_string())
                .into_iter()
                .collect(),
            Key::Groups => host.groups().map(str::to_string).collect(),
            Key::DirectGroups => host.direct_groups().to_vec(),
            Key::Data(path) => match host.data_path(path) {
                Some(serde_yaml::Value::Sequence(items)) => {
                    items.iter().filter_map(scalar_text).collect()
                }
                Some(value) => scalar_text(value).into_iter().collect(),
                None => Vec::new(),
            },
        }
    }
}

/// One `--filter KEY OP VALUE[,VALUE...]`.
#[derive(Clone, Debug)]
pub struct Filter {
    text: String,
    key: Key,
    op: Op,
    values: Vec<String>,
    regexes: Vec<Regex>,
    numbers: Vec<f64>,
}

impl FromStr for Filter {
    type Err = SelectError;

    fn from_str(text: &str) -> Result<Self, SelectError> {
        let bad = |reason: &str| SelectError::BadFilter {
            expr: text.to_string(),
            reason: reason.to_string(),
        };
        let key_end = text
            .find(['=', '!', '~', '<', '>'])
            .ok_or_else(|| bad("expected KEY=VALUE (operators: = != ~ > >= < <=)"))?;
        let (key, rest) = text.split_at(key_end);
        let key = key.trim();
        let (op, value) = Op::SPELLINGS
            .iter()
            .find_map(|(spelling, op)| rest.strip_prefix(spelling).map(|v| (*op, v)))
            .ok_or_else(|| bad("unknown operator (use = != ~ > >= < <=)"))?;
        let key = Key::parse(key).map_err(|reason| bad(&reason))?;
        let values: Vec<String> = value.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().all(String::is_empty) && op != Op::Eq && op != Op::Ne {
            return Err(bad("the value is empty"));
        }
        let regexes = if op == Op::Regex {
            values
                .iter()
                .map(|v| {
                    Regex::new(v).map_err(|err| bad(&format!("bad regular expression: {err}")))
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let numbers = if op.is_numeric() {
            values
                .iter()
                .map(|v| {
                    v.parse::<f64>().map_err(|_| {
                        bad(&format!(
                            "`{v}` is not a number, and {} compares numbers",
                            &rest[..rest.len() - value.len()]
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        Ok(Filter {
            text: text.to_string(),
            key,
            op,
            values,
            regexes,
            numbers,
        })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--filter {}", self.text)
    }
}

/// A scalar as filter text: strings as they are, numbers and booleans spelled out.
fn scalar_text(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

impl Filter {
    fn candidates(&self, host: &HostView<'_>) -> Vec<String> {
        self.key.values(host)
    }

    /// Whether `host` passes this filter.
    pub fn matches(&self, host: &HostView<'_>) -> bool {
        self.matches_with(host, None)
    }

    /// Whether `host` passes this filter; with `platforms`, a platform is compared by its
    /// canonical name as well as as written, so `platform=ios` holds for `cisco_ios`.
    pub fn matches_with(&self, host: &HostView<'_>, platforms: Option<&Platforms>) -> bool {
        let mut candidates = self.candidates(host);
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        if let (Key::Attr(Attr::Platform), Some(platforms)) = (&self.key, platforms) {
            let canonical: Vec<String> = candidates
                .iter()
                .filter_map(|c| platforms.canonical(c))
                .filter(|name| !candidates.iter().any(|c| c == name))
                .map(str::to_string)
                .collect();
            candidates.extend(canonical);
            values.extend(self.values.iter().filter_map(|v| platforms.canonical(v)));
        }
        let equal = || candidates.iter().any(|c| values.contains(&c.as_str()));
        match self.op {
            Op::Eq => equal(),
            Op::Ne => !equal(),
            Op::Regex => candidates
                .iter()
                .any(|c| self.regexes.iter().any(|re| re.is_match(c))),
            op => candidates
                .iter()
                .filter_map(|c| c.parse::<f64>().ok())
                .any(|c| {
                    self.numbers.iter().any(|&n| match op {
                        Op::Gt => c > n,
                        Op::Ge => c >= n,
                        Op::Lt => c < n,
                        _ => c <= n,
                    })
                }),
        }
    }
}

/// The selectors given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    /// `--filter`s; all must hold.
    pub filters: Vec<Filter>,
    /// `--where` expression.
    pub where_expr: Option<String>,
    /// `--hosts` items: names, globs, or `@FILE`; an exact host name is never read as a glob.
    pub hosts: Vec<String>,
    /// The platform table, for comparing platforms by canonical name; `None` compares as written.
    pub platforms: Option<Arc<Platforms>>,
}

impl Selector {
    /// Parses the command-line forms.
    pub fn new(
        filters: &[String],
        where_expr: Option<&str>,
        hosts: &[String],
    ) -> Result<Self, SelectError> {
        Ok(Selector {
            filters: filters
                .iter()
                .map(|f| f.parse())
                .collect::<Result<_, _>>()?,
            where_expr: where_expr.map(str::to_string),
            hosts: hosts
                .iter()
                .flat_map(|h| h.split(','))
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_string)
                .collect(),
            platforms: None,
        })
    }

    /// Compares `platform` in `--filter` and `--where` by canonical name (`ios` for `cisco_ios`).
    pub fn with_platforms(mut self, platforms: Arc<Platforms>) -> Self {
        self.platforms = Some(platforms);
        self
    }

    fn applied(&self) -> Vec<String> {
        let mut applied = Vec::new();
        if !self.hosts.is_empty() {
            applied.push(format!("--hosts {}", self.hosts.join(",")));
        }
        applied.extend(self.filters.iter().map(Filter::to_string));
        if let Some(expr) = &self.where_expr {
            applied.push(format!("--where '{expr}'"));
        }
        applied
    }

    /// The indices of the selected hosts, in inventory order; empty is an error.
    pub fn select(
        &self,
        inv: &Arc<Inventory>,
        env: &Environment<'_>,
    ) -> Result<Vec<usize>, SelectError> {
        let count = |mask: &[bool]| mask.iter().filter(|keep| **keep).count();
        let mut kept = Vec::new();
        let mut selected: Vec<bool> = match self.host_set(inv)? {
            Some(set) => {
                kept.push((format!("--hosts {}", self.hosts.join(",")), count(&set)));
                set
            }
            None => vec![true; inv.len()],
        };
        let platforms = self.platforms.as_deref();
        for filter in &self.filters {
            for (index, keep) in selected.iter_mut().enumerate() {
                if *keep {
                    *keep = filter.matches_with(&inv.host(index), platforms);
                }
            }
            kept.push((filter.to_string(), count(&selected)));
        }
        if let Some(expr) = &self.where_expr {
            let compiled =
                env.compile_expression(expr)
                    .map_err(|source| SelectError::BadWhere {
                        expr: expr.clone(),
                        source,
                    })?;
            let known = Arc::new(known_data_keys(inv));
            // A nested key some hosts lack (`facts.os` on a host without `facts`) makes the
            // expression false for them, as nornir's filters are; only when no host at all can
            // evaluate it is it a mistake (a typo) worth stopping for.
            let mut undefined = None;
            let mut evaluated = false;
            for (index, keep) in selected.iter_mut().enumerate() {
                if !*keep {
                    continue;
                }
                let host = Value::from_object(
                    HostObject::new(inv.clone(), index, known.clone())
                        .with_platforms(self.platforms.clone())
                        .lenient(),
                );
                let failed = |source| SelectError::WhereFailed {
                    expr: expr.clone(),
                    host: inv.host(index).name().to_string(),
                    unknown: Vec::new(),
                    source,
                };
                match compiled.eval(host) {
                    Ok(result) => {
                        evaluated = true;
                        *keep = result.is_true();
                    }
                    Err(err) if err.kind() == minijinja::ErrorKind::UndefinedError => {
                        undefined.get_or_insert_with(|| failed(err));
                        *keep = false;
                    }
                    Err(err) => return Err(failed(err)),
                }
            }
            if let (false, Some(err)) = (evaluated, undefined) {
                return Err(nomatch::with_unknown_names(err, &compiled, inv));
            }
            kept.push((format!("--where '{expr}'"), count(&selected)));
        }
        let indices: Vec<usize> = selected
            .iter()
            .enumerate()
            .filter_map(|(i, keep)| keep.then_some(i))
            .collect();
        if indices.is_empty() {
            return Err(SelectError::NoMatch {
                applied: self.applied(),
                total: inv.len(),
                suggestion: nomatch::suggestion(self, inv, &kept),
                kept,
            });
        }
        Ok(indices)
    }

    /// Resolves `--hosts` into a membership mask, or `None` when not given.
    fn host_set(&self, inv: &Inventory) -> Result<Option<Vec<bool>>, SelectError> {
        if self.hosts.is_empty() {
            return Ok(None);
        }
        let mut set = vec![false; inv.len()];
        let mut mark = |name: &str, origin: Option<(PathBuf, usize)>| -> Result<(), SelectError> {
            // An exact host name wins over reading it as a glob: `--save-failed` writes names
            // verbatim, and a host named `r[1]` must not come back as `r1`.
            if let Some(index) = inv.index_of(name) {
                set[index] = true;
                return Ok(());
            }
            if is_glob(name) {
                for (index, host) in inv.names().enumerate() {
                    if glob_match(name, host) {
                        set[index] = true;
                    }
                }
                return Ok(());
            }
            Err(nomatch::unknown_host(inv, name, origin))
        };
        for item in &self.hosts {
            if let Some(file) = item.strip_prefix('@') {
                let path = PathBuf::from(file);
                let text =
                    std::fs::read_to_string(&path).map_err(|source| SelectError::HostsFile {
                        path: path.clone(),
                        source,
                    })?;
                for (line_no, line) in text.lines().enumerate() {
                    let origin = Some((path.clone(), line_no + 1));
                    // The untrimmed line first, so that a name with edge spaces round-trips too.
                    let name = if inv.index_of(line).is_some() {
                        line
                    } else {
                        line.trim()
                    };
                    // `#` starts a comment only when the line is not a host name, so that a
                    // host named `#x` written by `--save-failed` still selects itself.
                    if name.is_empty() || (name.starts_with('#') && inv.index_of(name).is_none()) {
                        continue;
                    }
                    mark(name, origin)?;
                }
            } else {
                mark(item, None)?;
            }
        }
        Ok(Some(set))
    }
}

/// Names of hosts that are in `set` (for messages).
pub fn names(inv: &Inventory, indices: &[usize]) -> Vec<String> {
    let wanted: HashSet<usize> = indices.iter().copied().collect();
    inv.names()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(_, n)| n.to_string())
        .collect()
}

mod glob;
mod nomatch;
#[cfg(test)]
mod tests;
