//! Set-style configuration: full-path statements (`system host-name core1`), kept in the order
//! they were set, shown as a brace hierarchy or as set lines.

use super::super::dialect::{Braces, ConfigSpec};
use super::tree::{Applied, Node};

/// Words of a statement; a double-quoted string stays one word, quotes included; single quotes
/// (VyOS `'10.0.0.1/24'`) group words and are dropped.
pub(crate) fn words(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut single = false;
    for c in path.chars() {
        match c {
            '\'' if !quoted => single = !single,
            '"' if !single => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted && !single => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Adds a statement; a leaf of `single` gets its new value in place of the old one.
pub(crate) fn set(paths: &mut Vec<String>, path: &str, spec: &ConfigSpec) -> Applied {
    let ws = words(path);
    let path = ws.join(" ");
    if path.is_empty() {
        return Applied::NotFound;
    }
    if paths.contains(&path) {
        return Applied::Unchanged;
    }
    if let [stem @ .., keyword, _value] = ws.as_slice()
        && spec.single.iter().any(|s| s == keyword)
    {
        let mut prefix = stem.join(" ");
        if !prefix.is_empty() {
            prefix.push(' ');
        }
        prefix.push_str(keyword);
        prefix.push(' ');
        if let Some(i) = paths.iter().position(|l| l.starts_with(&prefix)) {
            paths[i] = path;
            return Applied::Changed;
        }
    }
    paths.push(path);
    Applied::Changed
}

/// Removes a statement and everything below it.
pub(crate) fn delete(paths: &mut Vec<String>, path: &str) -> Applied {
    let path = words(path).join(" ");
    let below = format!("{path} ");
    let before = paths.len();
    paths.retain(|l| *l != path && !l.starts_with(&below));
    if paths.len() == before {
        Applied::NotFound
    } else {
        Applied::Changed
    }
}

/// The set lines as the platform prints them (`set system host-name core1`).
pub(crate) fn set_lines(paths: &[String], spec: &ConfigSpec) -> String {
    paths
        .iter()
        .map(|p| format!("{}{p}", spec.display_prefix))
        .collect::<Vec<_>>()
        .join("\n")
}

struct Raw {
    name: String,
    pair: bool,
    children: Vec<Raw>,
}

/// The statements as a display hierarchy: `unit 0` and other pairs are one level, and a
/// keyword with one plain value is one leaf (`host-name core1`).
pub(crate) fn tree(paths: &[String], spec: &ConfigSpec) -> Vec<Node> {
    let mut root: Vec<Raw> = Vec::new();
    for path in paths {
        let mut parts: Vec<(String, bool)> = Vec::new();
        let mut ws = words(path).into_iter();
        while let Some(w) = ws.next() {
            if spec.pairs.contains(&w)
                && let Some(next) = ws.next()
            {
                parts.push((format!("{w} {next}"), true));
                continue;
            }
            parts.push((w, false));
        }
        let mut level = &mut root;
        for (name, pair) in parts {
            let i = match level.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    level.push(Raw {
                        name,
                        pair,
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            level = &mut level[i].children;
        }
    }
    fn convert(raw: &Raw, spec: &ConfigSpec) -> Node {
        match raw.children.as_slice() {
            [only]
                if only.children.is_empty() && !only.pair && !spec.flags.contains(&only.name) =>
            {
                Node::new(&format!("{} {}", raw.name, only.name))
            }
            children => Node {
                line: raw.name.clone(),
                children: children.iter().map(|c| convert(c, spec)).collect(),
            },
        }
    }
    root.iter().map(|r| convert(r, spec)).collect()
}

/// Draws a display hierarchy with braces.
pub(crate) fn braces(nodes: &[Node], spec: &ConfigSpec) -> String {
    let mut out = Vec::new();
    for node in nodes {
        brace_lines(node, 0, spec, "", &mut out);
    }
    out.join("\n")
}

/// One node's lines, each after `gutter`; leaves end in `;` in Junos style.
pub(crate) fn brace_lines(
    node: &Node,
    depth: usize,
    spec: &ConfigSpec,
    gutter: &str,
    out: &mut Vec<String>,
) {
    let pad = " ".repeat(depth * spec.indent);
    if node.children.is_empty() {
        let semi = if spec.braces == Braces::Junos {
            ";"
        } else {
            ""
        };
        out.push(format!("{gutter}{pad}{}{semi}", node.line));
        return;
    }
    out.push(format!("{gutter}{pad}{} {{", node.line));
    for child in &node.children {
        brace_lines(child, depth + 1, spec, gutter, out);
    }
    out.push(format!("{gutter}{pad}}}"));
}

/// NVUE-style change list: removed statements as delete lines, added ones as set lines.
pub(crate) fn line_diff(old: &[String], new: &[String], spec: &ConfigSpec) -> String {
    let delete = spec
        .delete
        .as_ref()
        .map(|d| d.join(" "))
        .unwrap_or_else(|| "delete".into());
    let mut out = Vec::new();
    for line in old.iter().filter(|l| !new.contains(l)) {
        // A replaced single value shows only as its new setting.
        let replaced = words(line)
            .split_last()
            .map(|(_, stem)| stem.join(" ") + " ")
            .is_some_and(|stem| new.iter().any(|n| n.starts_with(&stem) && !old.contains(n)));
        if !replaced {
            out.push(format!("{delete} {line}"));
        }
    }
    for line in new.iter().filter(|l| !old.contains(l)) {
        out.push(format!("{}{line}", spec.display_prefix));
    }
    out.join("\n")
}
