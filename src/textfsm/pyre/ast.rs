//! The syntax tree of a Python `re` pattern, with the flags in force already applied to each node.

/// Inline flags of a Python pattern that change how it matches or is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flags {
    pub icase: bool,
    pub multiline: bool,
    pub dotall: bool,
    pub ascii: bool,
    pub verbose: bool,
}

/// A character category of `\d \D \s \S \w \W`; `ascii` is the `(?a)` flag, which narrows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Category {
    pub kind: CategoryKind,
    pub negated: bool,
    pub ascii: bool,
}

/// Which of Python's character categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CategoryKind {
    Digit,
    Space,
    Word,
}

/// One member of a character set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SetItem {
    Char(char),
    Range(char, char),
    Category(Category),
}

/// A character set `[...]` (or a lone category escape such as `\s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Set {
    pub negated: bool,
    pub icase: bool,
    pub items: Vec<SetItem>,
}

/// Zero-width tests that look at the text around the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assertion {
    /// `^`; `multiline` is the `(?m)` flag.
    Start { multiline: bool },
    /// `$`: end, or before a final newline (any newline with `(?m)`).
    End { multiline: bool },
    /// `\A`.
    StartText,
    /// `\Z` (Python's: only at the very end).
    EndText,
    /// `\b`.
    WordBoundary { ascii: bool },
    /// `\B`.
    NotWordBoundary { ascii: bool },
}

/// Greedy, lazy (`*?`) or possessive (`*+`) repetition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepeatMode {
    Greedy,
    Lazy,
    Possessive,
}

/// A node of the pattern tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Empty,
    Char {
        c: char,
        icase: bool,
    },
    Any {
        dotall: bool,
    },
    Set(Box<Set>),
    Assert(Assertion),
    /// A non-capturing group, kept so that `(?:a*)*` is not taken for a double repeat.
    Group(Box<Node>),
    Capture {
        index: usize,
        node: Box<Node>,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        mode: RepeatMode,
    },
    Look {
        behind: bool,
        negate: bool,
        width: usize,
        node: Box<Node>,
    },
    Backref {
        group: usize,
        icase: bool,
    },
    Cond {
        group: usize,
        yes: Box<Node>,
        no: Box<Node>,
    },
    Atomic(Box<Node>),
}

/// Python's cap on widths (`MAXWIDTH`), used only to decide whether a look-behind is fixed-width.
pub(crate) const MAX_WIDTH: u64 = 1 << 40;

impl Node {
    /// The shortest and longest text this node can match, in characters (Python's `getwidth`).
    pub(crate) fn width(&self, group_widths: &[(u64, u64)]) -> (u64, u64) {
        match self {
            Node::Empty | Node::Assert(_) | Node::Look { .. } => (0, 0),
            Node::Char { .. } | Node::Any { .. } | Node::Set(_) => (1, 1),
            Node::Group(n) | Node::Capture { node: n, .. } | Node::Atomic(n) => {
                n.width(group_widths)
            }
            Node::Concat(items) => items.iter().fold((0, 0), |(lo, hi), n| {
                let (l, h) = n.width(group_widths);
                ((lo + l).min(MAX_WIDTH), (hi + h).min(MAX_WIDTH))
            }),
            Node::Alt(branches) => {
                let mut lo = u64::MAX;
                let mut hi = 0;
                for b in branches {
                    let (l, h) = b.width(group_widths);
                    lo = lo.min(l);
                    hi = hi.max(h);
                }
                (if branches.is_empty() { 0 } else { lo }, hi)
            }
            Node::Repeat { node, min, max, .. } => {
                let (l, h) = node.width(group_widths);
                let lo = (l.saturating_mul(u64::from(*min))).min(MAX_WIDTH);
                let hi = match max {
                    None if h > 0 => MAX_WIDTH,
                    None => 0,
                    Some(m) => h.saturating_mul(u64::from(*m)).min(MAX_WIDTH),
                };
                (lo, hi)
            }
            Node::Backref { group, .. } => {
                group_widths.get(*group).copied().unwrap_or((0, MAX_WIDTH))
            }
            Node::Cond { yes, no, .. } => {
                let (l1, h1) = yes.width(group_widths);
                let (l2, h2) = no.width(group_widths);
                (l1.min(l2), h1.max(h2))
            }
        }
    }
}
