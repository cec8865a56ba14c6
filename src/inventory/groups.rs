//! The group graph: which names `groups.yaml` defines, which parent edges close a cycle, and the
//! order a host's groups are searched in. Neither walk recurses: groups may nest as deep as the
//! file is long.

use std::collections::HashSet;

use indexmap::IndexMap;

use super::Group;
use super::file::GroupSkeleton;
use crate::graph::Cycles;

/// What group references are checked against while a file is read.
#[derive(Debug, Default)]
pub struct GroupCheck {
    /// Every group of `groups.yaml`, and the parent edges that close a cycle.
    cycles: Cycles,
    /// The groups file as the user named it, for "not defined in" messages.
    pub groups_file: String,
}

impl GroupCheck {
    /// Whether `groups.yaml` defines `name`.
    pub fn is_defined(&self, name: &str) -> bool {
        self.cycles.index(name).is_some()
    }

    /// The cycle that the edge `group → parent` closes, spelled out (`a → b → c → a`).
    pub fn cycle(&self, group: &str, parent: &str) -> Option<String> {
        self.cycles.closed_by(group, parent)
    }
}

/// Finds the group names and every parent edge that closes a cycle: a depth-first walk from
/// each group in file order, parents left to right. `groups_file` names the file in messages.
pub fn group_check(skeleton: &IndexMap<String, GroupSkeleton>, groups_file: String) -> GroupCheck {
    // Parents as indices; undefined ones are left out (the strict read reports them).
    let edges: Vec<Vec<usize>> = skeleton
        .values()
        .map(|group| {
            group
                .parents()
                .filter_map(|p| skeleton.get_index_of(p))
                .collect()
        })
        .collect();
    GroupCheck {
        cycles: Cycles::find(skeleton.keys().cloned().collect(), &edges),
        groups_file,
    }
}

/// Depth-first, left to right, first occurrence wins: [a,b], a→[1,2], b→[2,3], 1→[X] gives
/// [a, 1, X, 2, b, 3]. Cycles were rejected while loading, but `seen` also guards against them.
pub fn group_order(groups: &IndexMap<String, Group>, direct: &[String]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    // Names still to visit, the next one last: popping one and pushing its parents in reverse
    // visits a parent's ancestors before its next sibling, as a recursive walk would.
    let mut pending: Vec<&str> = direct.iter().rev().map(String::as_str).collect();
    while let Some(name) = pending.pop() {
        let Some(index) = groups.get_index_of(name) else {
            continue;
        };
        if !seen.insert(index) {
            continue;
        }
        order.push(index);
        pending.extend(groups[index].groups.iter().rev().map(String::as_str));
    }
    order
}
