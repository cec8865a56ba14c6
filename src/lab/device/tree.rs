//! Indent-style configuration: a tree of lines. The same tree holds Cisco blocks
//! (`interface X` / ` description`), flat command lists, RouterOS `/menu` sections, FortiOS
//! `config`/`edit` blocks and VRP `#` sections; the dialect says how to read and draw it.

use super::super::dialect::ConfigSpec;

/// One configuration line and the lines below it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Node {
    pub(crate) line: String,
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn new(line: &str) -> Node {
        Node {
            line: line.to_string(),
            children: Vec::new(),
        }
    }
}

/// Reads configuration text (a rendered base configuration) into a tree.
pub(crate) fn parse(text: &str, spec: &ConfigSpec) -> Vec<Node> {
    let mut roots = Vec::new();
    let mut stack: Vec<(usize, Node)> = Vec::new();
    fn fold(stack: &mut Vec<(usize, Node)>, roots: &mut Vec<Node>, above: usize) {
        while stack.last().is_some_and(|(d, _)| *d >= above) {
            let Some((_, node)) = stack.pop() else { break };
            match stack.last_mut() {
                Some((_, parent)) => parent.children.push(node),
                None => roots.push(node),
            }
        }
    }
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let separator =
            Some(trimmed) == spec.block_end.as_deref() || Some(trimmed) == spec.section.as_deref();
        if separator {
            fold(&mut stack, &mut roots, 0);
            continue;
        }
        if spec
            .closers
            .iter()
            .any(|(_, close)| close.trim() == trimmed)
        {
            continue;
        }
        let mut depth = raw.len() - raw.trim_start().len();
        if let Some(prefix) = &spec.header_prefix {
            if trimmed.starts_with(prefix.as_str()) {
                depth = 0;
            } else if let Some((first, _)) = stack.first() {
                depth = depth.max(first + 1);
            }
        }
        fold(&mut stack, &mut roots, depth);
        stack.push((depth, Node::new(&collapse(trimmed))));
    }
    fold(&mut stack, &mut roots, 0);
    roots
}

/// Draws the tree the way the platform prints its running configuration.
pub(crate) fn render(nodes: &[Node], spec: &ConfigSpec) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut previous_block: Option<bool> = None;
    for node in nodes {
        let block = !node.children.is_empty() || is_header(node, spec);
        if let Some(section) = &spec.section
            && (block || previous_block != Some(false))
        {
            out.push(section.clone());
        }
        if block {
            render_node(node, 0, spec, &mut out);
            if let Some(end) = &spec.block_end {
                out.push(end.clone());
            }
        } else {
            out.push(format!("{}{}", " ".repeat(spec.leaf_indent), node.line));
        }
        previous_block = Some(block);
    }
    if let Some(section) = &spec.section
        && !nodes.is_empty()
    {
        out.push(section.clone());
    }
    out.join("\n")
}

fn render_node(node: &Node, depth: usize, spec: &ConfigSpec, out: &mut Vec<String>) {
    let pad = " ".repeat(depth * spec.indent);
    out.push(format!("{pad}{}", node.line));
    for child in &node.children {
        render_node(child, depth + 1, spec, out);
    }
    if let Some(close) = closer(&node.line, spec) {
        out.push(format!("{pad}{close}"));
    }
}

fn closer<'a>(line: &str, spec: &'a ConfigSpec) -> Option<&'a str> {
    let first = line.split_whitespace().next()?;
    spec.closers
        .iter()
        .find(|(open, _)| open == first)
        .map(|(_, close)| close.as_str())
}

fn is_header(node: &Node, spec: &ConfigSpec) -> bool {
    spec.header_prefix
        .as_deref()
        .is_some_and(|p| node.line.starts_with(p))
        || closer(&node.line, spec).is_some()
}

/// Every line with its ancestors in front (`config system global set hostname "x"`).
pub(crate) fn flatten(nodes: &[Node], prefix: &str, out: &mut Vec<String>) {
    for node in nodes {
        let line = if prefix.is_empty() {
            node.line.clone()
        } else {
            format!("{prefix} {}", node.line)
        };
        flatten(&node.children, &line, out);
        out.push(line);
    }
}

/// One space between words.
pub(crate) fn collapse(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two lines name the same thing: case, quotes and spacing aside.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(|w| w.trim_matches('"').to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    norm(a) == norm(b)
}

/// Whether `line` starts with the words of `prefix`.
fn word_prefix(line: &str, prefix: &str) -> bool {
    let mut words = line.split_whitespace();
    prefix.split_whitespace().all(|p| {
        words.next().is_some_and(|w| {
            w.trim_matches('"')
                .eq_ignore_ascii_case(p.trim_matches('"'))
        })
    })
}

/// The lines below the block at `path` (a list of headers), if it exists.
pub(crate) fn children_mut<'a>(
    nodes: &'a mut Vec<Node>,
    path: &[String],
) -> Option<&'a mut Vec<Node>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(nodes);
    };
    let node = nodes.iter_mut().find(|n| same(&n.line, first))?;
    children_mut(&mut node.children, rest)
}

/// Finds or creates the block `header` below `path`; whether the tree changed.
pub(crate) fn open(nodes: &mut Vec<Node>, path: &[String], header: &str) -> bool {
    let Some(list) = children_mut(nodes, path) else {
        return false;
    };
    if list.iter().any(|n| same(&n.line, header)) {
        return false;
    }
    let node = Node::new(&collapse(header));
    if path.is_empty() {
        insert_grouped(list, node);
    } else {
        list.push(node);
    }
    true
}

/// Inserts after the last line of its kind (same first two words, else same first word), the way
/// devices group `interface`s and `ip route`s.
fn insert_grouped(list: &mut Vec<Node>, node: Node) {
    let prefix = |line: &str, n: usize| -> String {
        line.split_whitespace()
            .take(n)
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let at = [2, 1].into_iter().find_map(|n| {
        let wanted = prefix(&node.line, n);
        list.iter()
            .rposition(|b| prefix(&b.line, n) == wanted)
            .map(|i| i + 1)
    });
    list.insert(at.unwrap_or(list.len()), node);
}

/// What a removal word makes of a statement: `no shutdown` → `shutdown`, `unset ip` → `set ip`.
fn negated(line: &str, spec: &ConfigSpec) -> Option<String> {
    let (first, rest) = line.split_once(' ')?;
    spec.negate
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(first))
        .map(|(_, replacement)| {
            if replacement.is_empty() {
                rest.trim().to_string()
            } else {
                format!("{replacement} {}", rest.trim())
            }
        })
}

/// The words that name what a statement sets, so a new value replaces the old one; `None` at
/// the top level unless the statement is one of the dialect's single-valued ones.
fn key(line: &str, top: bool, spec: &ConfigSpec) -> Option<String> {
    let positive = negated(line, spec).unwrap_or_else(|| line.to_string());
    let lower = positive.to_ascii_lowercase();
    if top {
        return spec
            .single
            .iter()
            .filter(|s| word_prefix(&lower, s))
            .max_by_key(|s| s.len())
            .map(|s| s.to_ascii_lowercase());
    }
    let tokens = tokens(&lower);
    let first = tokens.first()?.clone();
    let n = spec
        .key_words
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(&first))
        .map(|(_, n)| *n)
        .unwrap_or(1);
    if n == 0 {
        return Some(tokens.join(" "));
    }
    let mut key: Vec<String> = tokens.iter().take(n).cloned().collect();
    // A RouterOS selector right after the key words is part of the name.
    if let Some(selector) = tokens.get(n).filter(|t| t.starts_with('[')) {
        key.push(selector.clone());
    }
    Some(key.join(" "))
}

/// Words, with a `[ ... ]` group kept as one token.
fn tokens(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut group: Option<String> = None;
    for word in line.split_whitespace() {
        match group.as_mut() {
            Some(g) => {
                g.push(' ');
                g.push_str(word);
                if word.ends_with(']') {
                    out.extend(group.take());
                }
            }
            None if word.starts_with('[') && !word.ends_with(']') => group = Some(word.to_string()),
            None => out.push(word.to_string()),
        }
    }
    out.extend(group);
    out
}

/// What applying a statement did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    Changed,
    Unchanged,
    /// A removal that found nothing to remove.
    NotFound,
}

/// Applies one configuration statement to the lines of a block (or the top level).
pub(crate) fn apply(list: &mut Vec<Node>, stmt: &str, top: bool, spec: &ConfigSpec) -> Applied {
    let stmt = collapse(stmt);
    if let Some(target) = negated(&stmt, spec) {
        let keep = spec.keep_negated.iter().any(|k| word_prefix(&target, k));
        let before = list.len();
        list.retain(|n| !word_prefix(&n.line, &target));
        let removed = list.len() != before;
        if keep {
            let key = key(&stmt, top, spec);
            return replace_or_insert(list, &stmt, key, top, spec);
        }
        return if removed {
            Applied::Changed
        } else {
            Applied::NotFound
        };
    }
    // A positive statement takes the place of its stored negation (`shutdown` / `no shutdown`).
    let before = list.len();
    list.retain(|n| negated(&n.line, spec).is_none_or(|t| !same(&t, &stmt)));
    let mut changed = list.len() != before;
    if !spec.menu.is_empty() && stmt.starts_with("set ") {
        changed |= merge_attributes(list, &stmt, spec);
        return if changed {
            Applied::Changed
        } else {
            Applied::Unchanged
        };
    }
    if list.iter().any(|n| n.line == stmt) {
        return if changed {
            Applied::Changed
        } else {
            Applied::Unchanged
        };
    }
    let key = key(&stmt, top, spec);
    replace_or_insert(list, &stmt, key, top, spec)
}

fn replace_or_insert(
    list: &mut Vec<Node>,
    stmt: &str,
    key_of_stmt: Option<String>,
    top: bool,
    spec: &ConfigSpec,
) -> Applied {
    if let Some(k) = key_of_stmt {
        let same_key = |n: &Node| {
            n.children.is_empty() && key(&n.line, top, spec).as_deref() == Some(k.as_str())
        };
        if let Some(at) = list.iter().position(same_key) {
            list[at].line = stmt.to_string();
            let mut i = 0;
            list.retain(|n| {
                i += 1;
                i - 1 == at || !same_key(n)
            });
            return Applied::Changed;
        }
    }
    if top {
        insert_grouped(list, Node::new(stmt));
    } else {
        list.push(Node::new(stmt));
    }
    Applied::Changed
}

/// RouterOS `set [selector] k=v ...`: merges attributes into the line with the same selector.
fn merge_attributes(list: &mut Vec<Node>, stmt: &str, spec: &ConfigSpec) -> bool {
    let k = key(stmt, false, spec);
    let Some(node) = list.iter_mut().find(|n| key(&n.line, false, spec) == k) else {
        list.push(Node::new(stmt));
        return true;
    };
    let mut merged = tokens(&node.line);
    let head = k.as_deref().map(|k| tokens(k).len()).unwrap_or(1);
    for token in tokens(stmt).into_iter().skip(head) {
        let name = token.split('=').next().unwrap_or("").to_string();
        match merged
            .iter_mut()
            .skip(head)
            .find(|t| t.split('=').next() == Some(name.as_str()))
        {
            Some(slot) => *slot = token,
            None => merged.push(token),
        }
    }
    let line = merged.join(" ");
    let changed = line != node.line;
    node.line = line;
    changed
}

/// RouterOS `remove [find k=v]` / `remove k=v`: drops the lines carrying those attributes.
pub(crate) fn remove_matching(list: &mut Vec<Node>, selector: &str) -> bool {
    let wanted: Vec<String> = selector
        .split_whitespace()
        .filter(|w| w.contains('='))
        .map(|w| w.trim_matches(['[', ']']).replace('"', ""))
        .collect();
    if wanted.is_empty() {
        return false;
    }
    let before = list.len();
    list.retain(|n| {
        let line = n.line.replace('"', "");
        !wanted
            .iter()
            .all(|w| line.split_whitespace().any(|t| t == w))
    });
    list.len() != before
}

/// The changes between two versions of a list of lines.
pub(crate) struct Changes<'a> {
    pub(crate) removed: Vec<&'a Node>,
    /// In the new order: added lines, and lines kept whose children changed (old, new).
    pub(crate) added_or_changed: Vec<(Option<&'a Node>, &'a Node)>,
}

/// Compares two lists of lines by their text.
pub(crate) fn changes<'a>(old: &'a [Node], new: &'a [Node]) -> Changes<'a> {
    let removed = old
        .iter()
        .filter(|o| !new.iter().any(|n| n.line == o.line))
        .collect();
    let mut added_or_changed = Vec::new();
    for n in new {
        match old.iter().find(|o| o.line == n.line) {
            None => added_or_changed.push((None, n)),
            Some(o) if o.children != n.children => added_or_changed.push((Some(o), n)),
            Some(_) => {}
        }
    }
    Changes {
        removed,
        added_or_changed,
    }
}
