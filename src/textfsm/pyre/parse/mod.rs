//! Reads Python 3.11 `re` pattern syntax into a [`Node`] tree, rejecting what Python rejects.
//!
//! The checks and their order follow CPython's `re._parser`, so a pattern that Python refuses
//! (bad escape, unterminated set, variable-width look-behind, ...) is refused here too, and one it
//! accepts means the same thing.

mod escape;
mod group;

use super::RegexError;
use super::ast::{Assertion, Flags, Node, RepeatMode};
use super::py_repr;
use group::is_identifier;

const SPECIAL: &str = ".\\[{()*+?^$|";
const VERBOSE_SPACE: &str = " \t\n\r\u{b}\u{c}";
/// Python's `MAXREPEAT`: counts must stay below it.
const MAX_REPEAT: u64 = u32::MAX as u64;
/// Python's `MAXGROUPS` on 64-bit builds is far beyond anything a template holds; keep a sane cap.
const MAX_GROUPS: usize = 1 << 20;

/// What the parser learned about a pattern besides its tree.
pub(crate) struct Parsed {
    pub node: Node,
    /// Number of capturing groups (not counting group 0).
    pub groups: usize,
    /// Named groups in the order they were opened.
    pub names: Vec<(String, usize)>,
    /// The fewest characters a match takes.
    pub min_len: usize,
}

/// Parses `pattern` as Python's `re.compile` would with no flags.
pub(crate) fn parse(pattern: &str) -> Result<Parsed, RegexError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        global: Flags::default(),
        group_widths: vec![(0, 0)],
        closed: vec![true],
        names: Vec::new(),
        lookbehind_groups: None,
        cond_refs: Vec::new(),
    };
    let node = p.alternation(Flags::default(), 0)?;
    if p.pos < p.chars.len() {
        return Err(p.error("unbalanced parenthesis", 0));
    }
    let groups = p.group_widths.len() - 1;
    if let Some(&(g, at)) = p.cond_refs.iter().find(|(g, _)| *g > groups) {
        return Err(RegexError {
            message: format!("invalid group reference {g}"),
            position: at,
        });
    }
    let min_len = usize::try_from(node.width(&p.group_widths).0).unwrap_or(usize::MAX);
    Ok(Parsed {
        node,
        groups,
        names: p.names,
        min_len,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    global: Flags,
    /// Width of each closed group; `None` while the group is still open.
    group_widths: Vec<(u64, u64)>,
    /// Whether each group is closed (its width final); open groups count as (0, MAX_WIDTH).
    closed: Vec<bool>,
    names: Vec<(String, usize)>,
    /// Number of groups when the outermost look-behind being parsed began.
    lookbehind_groups: Option<usize>,
    /// Conditional references to group numbers, checked once all groups are known.
    cond_refs: Vec<(usize, usize)>,
}

impl Parser {
    fn error(&self, message: impl Into<String>, back: usize) -> RegexError {
        RegexError {
            message: message.into(),
            position: self.pos.saturating_sub(back),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// The next token: a plain character, or `\` with the character after it.
    fn token(&mut self) -> Result<Option<(char, bool)>, RegexError> {
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        if c == '\\' {
            let Some(&e) = self.chars.get(self.pos + 1) else {
                return Err(RegexError {
                    message: "bad escape (end of pattern)".into(),
                    position: self.chars.len().saturating_sub(1),
                });
            };
            self.pos += 2;
            Ok(Some((e, true)))
        } else {
            self.pos += 1;
            Ok(Some((c, false)))
        }
    }

    /// Reads up to `n` characters from `allowed`.
    fn take_while(&mut self, n: usize, allowed: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while out.chars().count() < n {
            match self.peek() {
                Some(c) if allowed(c) => {
                    out.push(c);
                    self.pos += 1;
                }
                _ => break,
            }
        }
        out
    }

    /// Reads a group name up to `terminator` (tokens, as Python's `getuntil`).
    fn until(&mut self, terminator: char, what: &str) -> Result<String, RegexError> {
        let mut out = String::new();
        loop {
            match self.token()? {
                None if out.is_empty() => return Err(self.error(format!("missing {what}"), 0)),
                None => {
                    return Err(self.error(
                        format!("missing {terminator}, unterminated name"),
                        out.chars().count(),
                    ));
                }
                Some((c, false)) if c == terminator => {
                    if out.is_empty() {
                        return Err(self.error(format!("missing {what}"), 1));
                    }
                    return Ok(out);
                }
                Some((c, escaped)) => {
                    if escaped {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
        }
    }

    fn check_name(&self, name: &str, offset: usize) -> Result<(), RegexError> {
        if is_identifier(name) {
            Ok(())
        } else {
            Err(self.error(
                format!("bad character in group name {}", py_repr(name)),
                name.chars().count() + offset,
            ))
        }
    }

    fn check_lookbehind_group(&self, gid: usize) -> Result<(), RegexError> {
        if let Some(first) = self.lookbehind_groups {
            if !self.group_closed(gid) {
                return Err(self.error("cannot refer to an open group", 0));
            }
            if gid >= first {
                return Err(self.error(
                    "cannot refer to group defined in the same lookbehind subpattern",
                    0,
                ));
            }
        }
        Ok(())
    }

    fn group_closed(&self, gid: usize) -> bool {
        self.closed.get(gid) == Some(&true)
    }

    /// `a|b|c` up to an unmatched `)` or the end.
    fn alternation(&mut self, flags: Flags, nested: usize) -> Result<Node, RegexError> {
        let mut branches = Vec::new();
        let mut flags = flags;
        loop {
            let first = nested == 0 && branches.is_empty();
            branches.push(self.sequence(flags, nested + 1, first)?);
            if !self.eat('|') {
                break;
            }
            if nested == 0 {
                // Global flags met in the first branch hold for the rest of the pattern.
                flags = self.global;
            }
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    /// A sequence of atoms with their quantifiers.
    fn sequence(
        &mut self,
        mut flags: Flags,
        nested: usize,
        first: bool,
    ) -> Result<Node, RegexError> {
        // The top level holds most of a rule's atoms; size it once instead of growing it.
        let mut items: Vec<Node> = Vec::with_capacity(if nested == 1 {
            self.chars.len() - self.pos
        } else {
            4
        });
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let start = self.pos;
            let Some((c, escaped)) = self.token()? else {
                break;
            };
            if flags.verbose && !escaped {
                if VERBOSE_SPACE.contains(c) {
                    continue;
                }
                if c == '#' {
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == '\n' {
                            break;
                        }
                    }
                    continue;
                }
            }
            if escaped {
                let node = self.escape(c, flags)?;
                items.push(node);
                continue;
            }
            if !SPECIAL.contains(c) {
                items.push(Node::Char {
                    c,
                    icase: flags.icase,
                });
                continue;
            }
            match c {
                '[' => {
                    let set = self.set(flags, start)?;
                    items.push(set);
                }
                '*' | '+' | '?' | '{' => {
                    let (min, max) = match c {
                        '?' => (0, Some(1)),
                        '*' => (0, None),
                        '+' => (1, None),
                        _ => match self.braces()? {
                            Some(bounds) => bounds,
                            None => {
                                items.push(Node::Char {
                                    c: '{',
                                    icase: flags.icase,
                                });
                                continue;
                            }
                        },
                    };
                    let here = self.pos - start;
                    let Some(last) = items.pop() else {
                        return Err(self.error("nothing to repeat", here));
                    };
                    match last {
                        Node::Assert(_) => return Err(self.error("nothing to repeat", here)),
                        Node::Repeat { .. } => return Err(self.error("multiple repeat", here)),
                        _ => {}
                    }
                    let mode = if self.eat('?') {
                        RepeatMode::Lazy
                    } else if self.eat('+') {
                        RepeatMode::Possessive
                    } else {
                        RepeatMode::Greedy
                    };
                    items.push(Node::Repeat {
                        node: Box::new(last),
                        min,
                        max,
                        mode,
                    });
                }
                '.' => items.push(Node::Any {
                    dotall: flags.dotall,
                }),
                '(' => {
                    if let Some(node) =
                        self.group(&mut flags, nested, first && items.is_empty(), start)?
                    {
                        items.push(node);
                    }
                }
                '^' => items.push(Node::Assert(Assertion::Start {
                    multiline: flags.multiline,
                })),
                '$' => items.push(Node::Assert(Assertion::End {
                    multiline: flags.multiline,
                })),
                _ => items.push(Node::Char {
                    c,
                    icase: flags.icase,
                }),
            }
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// After `{`: the bounds of a counted repeat, or `None` when the brace is a literal.
    fn braces(&mut self) -> Result<Option<(u32, Option<u32>)>, RegexError> {
        let here = self.pos;
        if self.peek() == Some('}') {
            return Ok(None);
        }
        let lo = self.take_while(usize::MAX, |c| c.is_ascii_digit());
        let hi = if self.eat(',') {
            self.take_while(usize::MAX, |c| c.is_ascii_digit())
        } else {
            lo.clone()
        };
        if !self.eat('}') {
            self.pos = here;
            return Ok(None);
        }
        let number = |s: &str| -> Result<Option<u32>, RegexError> {
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<u64>() {
                Ok(n) if n < MAX_REPEAT => Ok(u32::try_from(n).ok()),
                _ => Err(RegexError {
                    message: "the repetition number is too large".into(),
                    position: here,
                }),
            }
        };
        let min = number(&lo)?.unwrap_or(0);
        let max = number(&hi)?;
        if let Some(max) = max
            && max < min
        {
            return Err(self.error("min repeat greater than max repeat", self.pos - here));
        }
        Ok(Some((min, max)))
    }
}
