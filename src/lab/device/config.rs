//! The running configuration a lab device keeps across connections: Cisco-style blocks of
//! indented lines, or Junos `set` statements shown as a brace hierarchy.

use super::super::catalog::Platform;

/// Cisco configuration commands that open a sub-mode, with the prompt suffix they show.
pub(super) const SUBMODES: &[(&str, &str)] = &[
    ("interface", "config-if"),
    ("router", "config-router"),
    ("line", "config-line"),
    ("vlan", "config-vlan"),
    ("vrf", "config-vrf"),
    ("route-map", "config-route-map"),
    ("ip access-list", "config-acl"),
    ("class-map", "config-cmap"),
    ("policy-map", "config-pmap"),
    ("management", "config-mgmt"),
];

/// Running state that survives the connection: hostname and configuration.
#[derive(Debug)]
pub(super) struct Store {
    pub(super) hostname: String,
    pub(super) config: Config,
}

/// Cisco-style configuration: top-level lines, each with its indented children.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Block {
    pub(super) line: String,
    pub(super) children: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Config {
    Blocks(Vec<Block>),
    /// Junos keeps `set ...` lines (without the `set`).
    SetLines(Vec<String>),
}

pub(super) fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let level = first_indent(text);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed == "!" {
            continue;
        }
        if line.starts_with(' ')
            && let Some(last) = blocks.last_mut()
        {
            // Deeper nesting keeps its extra indentation relative to the first level.
            let depth = line.len() - line.trim_start().len();
            let extra = depth.saturating_sub(level);
            last.children
                .push(format!("{}{}", " ".repeat(extra), trimmed));
            continue;
        }
        blocks.push(Block {
            line: trimmed.to_string(),
            children: Vec::new(),
        });
    }
    blocks
}

pub(super) fn first_indent(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with(' ') && !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(1)
}

impl Store {
    /// Finds (or appends) the block for a sub-mode header and returns its index.
    pub(super) fn open_block(&mut self, header: &str) -> usize {
        let Config::Blocks(blocks) = &mut self.config else {
            return 0;
        };
        if let Some(i) = blocks
            .iter()
            .position(|b| b.line.eq_ignore_ascii_case(header))
        {
            return i;
        }
        insert_grouped(
            blocks,
            Block {
                line: header.to_string(),
                children: Vec::new(),
            },
        )
    }

    pub(super) fn set_top(&mut self, line: &str) {
        let Config::Blocks(blocks) = &mut self.config else {
            return;
        };
        if let Some(removed) = line.strip_prefix("no ") {
            let removed = removed.trim().to_ascii_lowercase();
            blocks.retain(|b| !b.line.to_ascii_lowercase().starts_with(&removed));
            return;
        }
        if let Some(name) = line.strip_prefix("hostname ") {
            let name = name.trim().to_string();
            blocks.retain(|b| !b.line.starts_with("hostname "));
            // Keep `hostname` near the top, where devices print it.
            let at = blocks
                .iter()
                .position(|b| !b.children.is_empty())
                .unwrap_or(blocks.len());
            blocks.insert(
                at.min(blocks.len()),
                Block {
                    line: format!("hostname {name}"),
                    children: Vec::new(),
                },
            );
            self.hostname = name;
            return;
        }
        if !blocks.iter().any(|b| b.line == line) {
            insert_grouped(
                blocks,
                Block {
                    line: line.to_string(),
                    children: Vec::new(),
                },
            );
        }
    }

    pub(super) fn set_child(&mut self, index: usize, line: &str, platform: Platform) {
        let Config::Blocks(blocks) = &mut self.config else {
            return;
        };
        let Some(block) = blocks.get_mut(index) else {
            return;
        };
        let key = child_key(line);
        // A new value takes the old one's place, so the order stays the device's.
        let at = block.children.iter().position(|c| child_key(c) == key);
        block.children.retain(|c| child_key(c) != key);
        let keep_negation = match line.strip_prefix("no ") {
            None => true,
            Some(rest) => match platform {
                Platform::Nxos | Platform::Eos => rest == "shutdown" || rest == "switchport",
                _ => rest.starts_with("ip address"),
            },
        };
        if keep_negation {
            let at = at.unwrap_or(block.children.len()).min(block.children.len());
            block.children.insert(at, line.to_string());
        }
    }
}

/// Inserts a block after the last one of its kind (same first two words, else same first word),
/// the way devices group `interface`s and `ip route`s; returns its index.
pub(super) fn insert_grouped(blocks: &mut Vec<Block>, block: Block) -> usize {
    let prefix = |line: &str, n: usize| -> String {
        line.split_whitespace()
            .take(n)
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let at = [2, 1].into_iter().find_map(|n| {
        let wanted = prefix(&block.line, n);
        blocks
            .iter()
            .rposition(|b| prefix(&b.line, n) == wanted)
            .map(|i| i + 1)
    });
    let at = at.unwrap_or(blocks.len());
    blocks.insert(at, block);
    at
}

/// What a configuration line sets, so a new value replaces the old (`description`, `ip address`).
pub(super) fn child_key(line: &str) -> String {
    let line = line.trim();
    let line = line.strip_prefix("no ").unwrap_or(line);
    let ws: Vec<&str> = line.split_whitespace().collect();
    let two = matches!(
        ws.first().copied(),
        Some("ip" | "ipv4" | "ipv6" | "switchport" | "spanning-tree" | "standby" | "vrrp")
    );
    ws.iter()
        .take(if two { 2 } else { 1 })
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Expands an abbreviated sub-mode keyword (`int gi0/1` → `interface gi0/1`).
pub(super) fn normalize_first_word(line: &str) -> String {
    let mut parts = line.splitn(2, char::is_whitespace);
    let first = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("").trim();
    let lower = first.to_ascii_lowercase();
    if lower.len() >= 3 {
        for (keyword, _) in SUBMODES {
            if !keyword.contains(' ') && keyword.starts_with(&lower) && !rest.is_empty() {
                return format!("{keyword} {rest}");
            }
        }
    }
    line.to_string()
}

pub(super) fn submode_of(line: &str, platform: Platform) -> Option<&'static str> {
    let lower = line.to_ascii_lowercase();
    if platform == Platform::Iosxr && lower.starts_with("username ") {
        return Some("config-un");
    }
    SUBMODES
        .iter()
        .find(|(keyword, _)| {
            lower
                .strip_prefix(keyword)
                .is_some_and(|rest| rest.starts_with(' ') && !rest.trim().is_empty())
        })
        .map(|(_, suffix)| *suffix)
}

pub(super) fn render_blocks(blocks: &[Block], platform: Platform, indent: usize) -> String {
    let pad = " ".repeat(indent.max(1));
    let separator = if platform == Platform::Nxos { "" } else { "!" };
    let mut out: Vec<String> = Vec::new();
    for block in blocks {
        out.push(block.line.clone());
        for child in &block.children {
            out.push(format!("{pad}{child}"));
        }
        if !block.children.is_empty() {
            out.push(separator.to_string());
        }
    }
    out.join("\n")
}

/// Junos statements that hold one value: setting them again replaces the old value.
pub(super) const JUNOS_SINGLE: &[&str] = &[
    "host-name",
    "domain-name",
    "description",
    "mtu",
    "time-zone",
    "location",
    "contact",
    "router-id",
    "autonomous-system",
    "version",
];

/// Leaf words Junos prints as `name { word; }` rather than `name word;`.
pub(super) const JUNOS_FLAGS: &[&str] = &["disable", "ssh", "telnet", "netconf", "inactive"];

pub(super) fn set_junos_line(lines: &mut Vec<String>, line: String) {
    if lines.contains(&line) {
        return;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if let [path @ .., keyword, _value] = words.as_slice()
        && JUNOS_SINGLE.contains(keyword)
    {
        let stem = format!("{} {keyword} ", path.join(" "));
        let stem = stem.trim_start();
        if let Some(i) = lines.iter().position(|l| l.starts_with(stem)) {
            lines[i] = line;
            return;
        }
    }
    lines.push(line);
}

/// Words a Junos `set` path keeps together (`unit 0`, `family inet`).
pub(super) const JUNOS_PAIRS: &[&str] = &[
    "unit",
    "family",
    "user",
    "file",
    "route",
    "group",
    "neighbor",
    "term",
    "policy-statement",
];

#[derive(Default)]
pub(super) struct Node {
    name: String,
    pub(super) children: Vec<Node>,
}

/// Renders `set` lines as the curly-brace hierarchy Junos shows.
pub(super) fn render_junos_tree(lines: &[String], indent: usize) -> String {
    let mut root = Node::default();
    for line in lines {
        let mut path: Vec<String> = Vec::new();
        let mut ws = line.split_whitespace();
        while let Some(w) = ws.next() {
            if JUNOS_PAIRS.contains(&w)
                && let Some(next) = ws.next()
            {
                path.push(format!("{w} {next}"));
                continue;
            }
            path.push(w.to_string());
        }
        let mut node = &mut root;
        for part in path {
            let i = match node.children.iter().position(|c| c.name == part) {
                Some(i) => i,
                None => {
                    node.children.push(Node {
                        name: part,
                        children: Vec::new(),
                    });
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i];
        }
    }
    let mut out = Vec::new();
    for child in &root.children {
        render_node(child, 0, indent, &mut out);
    }
    out.join("\n")
}

pub(super) fn render_node(node: &Node, depth: usize, indent: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(depth * indent);
    match node.children.as_slice() {
        [] => out.push(format!("{pad}{};", node.name)),
        [only] if only.children.is_empty() && !JUNOS_FLAGS.contains(&only.name.as_str()) => {
            out.push(format!("{pad}{} {};", node.name, only.name))
        }
        children => {
            out.push(format!("{pad}{} {{", node.name));
            for child in children {
                render_node(child, depth + 1, indent, out);
            }
            out.push(format!("{pad}}}"));
        }
    }
}
