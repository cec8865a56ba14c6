//! How a candidate's pending changes are printed: Junos `[edit ...]` sections, or the changed
//! lines in their context with a `+`/`-` gutter (IOS-XR, SR OS, PAN-OS).

use super::super::dialect::{ConfigSpec, Style};
use super::paths::brace_lines;
use super::tree::{Node, changes};

/// One subtree, each line after `gutter`.
fn subtree(node: &Node, depth: usize, spec: &ConfigSpec, gutter: &str, out: &mut Vec<String>) {
    if spec.style == Style::Set {
        brace_lines(node, depth, spec, gutter, out);
        return;
    }
    out.push(format!(
        "{gutter}{}{}",
        " ".repeat(depth * spec.indent),
        node.line
    ));
    for child in &node.children {
        subtree(child, depth + 1, spec, gutter, out);
    }
}

/// `[edit path]` then the removed (`-`) and added (`+`) subtrees of that level.
pub(crate) fn junos(old: &[Node], new: &[Node], spec: &ConfigSpec) -> String {
    let mut out = Vec::new();
    let mut path = Vec::new();
    junos_level(old, new, spec, &mut path, &mut out);
    out.join("\n")
}

fn junos_level(
    old: &[Node],
    new: &[Node],
    spec: &ConfigSpec,
    path: &mut Vec<String>,
    out: &mut Vec<String>,
) {
    let c = changes(old, new);
    let added: Vec<&Node> = c
        .added_or_changed
        .iter()
        .filter(|(o, _)| o.is_none())
        .map(|(_, n)| *n)
        .collect();
    if !c.removed.is_empty() || !added.is_empty() {
        let header: String = path.iter().map(|p| format!(" {p}")).collect();
        out.push(format!("[edit{header}]"));
        for node in &c.removed {
            subtree(node, 0, spec, "-  ", out);
        }
        for node in added {
            subtree(node, 0, spec, "+  ", out);
        }
    }
    for (o, n) in &c.added_or_changed {
        if let Some(o) = o {
            path.push(n.line.clone());
            junos_level(&o.children, &n.children, spec, path, out);
            path.pop();
        }
    }
}

/// The changed lines with the lines they sit under; a three-column gutter marks them.
pub(crate) fn tree(old: &[Node], new: &[Node], spec: &ConfigSpec) -> String {
    let mut out = Vec::new();
    tree_level(old, new, 0, spec, &mut out);
    out.join("\n")
}

fn tree_level(old: &[Node], new: &[Node], depth: usize, spec: &ConfigSpec, out: &mut Vec<String>) {
    let c = changes(old, new);
    for node in &c.removed {
        subtree(node, depth, spec, "-  ", out);
    }
    let pad = " ".repeat(depth * spec.indent);
    let braces = spec.style == Style::Set;
    for (o, n) in &c.added_or_changed {
        match o {
            None => subtree(n, depth, spec, "+  ", out),
            Some(o) => {
                let open = if braces { " {" } else { "" };
                out.push(format!("   {pad}{}{open}", n.line));
                tree_level(&o.children, &n.children, depth + 1, spec, out);
                if braces {
                    out.push(format!("   {pad}}}"));
                }
            }
        }
    }
}
