//! Why a selection came out empty or named something the inventory lacks, and what was probably
//! meant: the "did you mean" of `--filter`, `--where` and `--hosts`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use minijinja::Expression;

use super::{Filter, Key, Op, SelectError, Selector};
use crate::inventory::object::known_data_keys;
use crate::inventory::{Attr, Inventory};
use crate::suggest::{did_you_mean, nearest};

/// " (of N hosts: --hosts a kept 6, --filter b kept 0)" when more than one selector ran; the
/// reader sees which one removed the last hosts.
pub(super) fn steps(total: usize, kept: &[(String, usize)]) -> String {
    if kept.len() < 2 {
        return String::new();
    }
    let steps: Vec<String> = kept
        .iter()
        .map(|(selector, n)| format!("{selector} kept {n}"))
        .collect();
    format!(" (of {total} hosts: {})", steps.join(", then "))
}

/// `--hosts NAME` for a name the inventory lacks: the nearest host names, and whether it is a
/// group's name.
pub(super) fn unknown_host(
    inv: &Inventory,
    name: &str,
    origin: Option<(PathBuf, usize)>,
) -> SelectError {
    SelectError::UnknownHost {
        name: name.to_string(),
        origin,
        suggestions: nearest(name, inv.names()),
        is_group: inv.group_names().any(|group| group == name),
    }
}

/// The key names a filter or `--where` can use on this inventory.
fn key_names(inv: &Inventory) -> Vec<String> {
    let mut names: Vec<String> = ["name", "groups", "direct_groups"]
        .into_iter()
        .chain(
            Attr::ALL
                .iter()
                .map(|a| a.name())
                .filter(|n| *n != "password"),
        )
        .map(str::to_string)
        .collect();
    let mut data: Vec<String> = known_data_keys(inv).into_iter().collect();
    data.sort();
    names.extend(data);
    names
}

/// What the first selector that left no host probably meant.
pub(super) fn suggestion(
    selector: &Selector,
    inv: &Inventory,
    kept: &[(String, usize)],
) -> Option<String> {
    let (first_empty, _) = kept.iter().find(|(_, n)| *n == 0)?;
    let filter = selector
        .filters
        .iter()
        .find(|f| &f.to_string() == first_empty)?;
    filter_suggestion(filter, selector, inv)
}

/// A filter key no host has, or (for `=`) values no host has.
fn filter_suggestion(filter: &Filter, selector: &Selector, inv: &Inventory) -> Option<String> {
    if let Key::Data(path) = &filter.key
        && !inv.hosts().any(|host| host.data_path(path).is_some())
    {
        let nearby = nearest(path, key_names(inv));
        let mut text = format!("no host has a key `{path}`");
        if let Some(mean) = did_you_mean(&nearby) {
            text.push_str(&format!("; {mean}"));
        }
        return Some(text);
    }
    if filter.op != Op::Eq {
        return None;
    }
    let mut present: BTreeSet<String> = BTreeSet::new();
    for host in inv.hosts() {
        present.extend(filter.candidates(&host));
    }
    if filter.key == Key::Groups {
        present.extend(inv.group_names().map(str::to_string));
    }
    let platforms = selector.platforms.as_deref();
    if let (Key::Attr(Attr::Platform), Some(platforms)) = (&filter.key, platforms) {
        present.extend(platforms.spellings().map(str::to_string));
    }
    let key = filter
        .text
        .split(['=', '!'])
        .next()
        .unwrap_or_default()
        .trim();
    let hints: Vec<String> = filter
        .values
        .iter()
        .filter(|value| !value.is_empty() && !present.contains(*value))
        .filter(|value| platforms.is_none_or(|p| p.canonical(value).is_none()))
        .map(|value| {
            let mut text = match filter.key {
                Key::Groups | Key::DirectGroups => format!("no group `{value}` has hosts"),
                _ => format!("no host has {key} `{value}`"),
            };
            if let Some(mean) = did_you_mean(&nearest(value, &present)) {
                text.push_str(&format!("; {mean}"));
            }
            text
        })
        .collect();
    (!hints.is_empty()).then(|| hints.join("; "))
}

/// A `--where` that no host could evaluate, with the names it uses that no host has.
pub(super) fn with_unknown_names(
    err: SelectError,
    compiled: &Expression<'_, '_>,
    inv: &Inventory,
) -> SelectError {
    let SelectError::WhereFailed {
        expr, host, source, ..
    } = err
    else {
        return err;
    };
    let names = key_names(inv);
    let mut used: Vec<String> = compiled.undeclared_variables(false).into_iter().collect();
    used.sort();
    let unknown = used
        .into_iter()
        .filter(|name| !names.contains(name) && name != "data")
        .map(|name| {
            let nearby = nearest(&name, &names);
            (name, nearby)
        })
        .collect();
    SelectError::WhereFailed {
        expr,
        host,
        unknown,
        source,
    }
}
