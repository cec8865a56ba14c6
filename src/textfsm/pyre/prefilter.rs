//! A cheap test that rejects most texts a pattern cannot match before the matcher runs: text
//! every match must contain. Python has no such shortcut; templates try each line against many
//! rules, and rules that begin with something like `\s*(.+?)\s+` cost a lot to reject by
//! backtracking alone.

use super::ast::Node;

/// Literal text every match of `node` contains (the longest such run found), if any.
pub(crate) fn required_literal(node: &Node) -> Option<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    collect(node, &mut current, &mut runs);
    flush(&mut current, &mut runs);
    runs.into_iter().max_by_key(String::len)
}

fn flush(current: &mut String, runs: &mut Vec<String>) {
    if !current.is_empty() {
        runs.push(std::mem::take(current));
    }
}

/// Appends to `current` the literal characters `node` must match next to each other, moving
/// finished runs to `runs`.
fn collect(node: &Node, current: &mut String, runs: &mut Vec<String>) {
    match node {
        Node::Char { c, icase: false } => current.push(*c),
        // Groups consume exactly their content, so a literal run continues through them.
        Node::Group(inner) | Node::Capture { node: inner, .. } => collect(inner, current, runs),
        Node::Concat(items) => items.iter().for_each(|n| collect(n, current, runs)),
        Node::Repeat {
            node: inner, min, ..
        } if *min > 0 => {
            flush(current, runs);
            let mut own = String::new();
            collect(inner, &mut own, runs);
            flush(&mut own, runs);
        }
        // What a positive look-around matches is also in the text.
        Node::Look {
            negate: false,
            node: inner,
            ..
        }
        | Node::Atomic(inner) => {
            flush(current, runs);
            let mut own = String::new();
            collect(inner, &mut own, runs);
            flush(&mut own, runs);
        }
        _ => flush(current, runs),
    }
}
