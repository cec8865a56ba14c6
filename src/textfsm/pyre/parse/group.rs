//! Groups and extensions: `(...)`, `(?P<name>...)`, `(?:...)`, look-around, conditionals,
//! atomic groups, comments and inline flags.

use super::{MAX_GROUPS, Parser};
use crate::textfsm::pyre::RegexError;
use crate::textfsm::pyre::ast::{Flags, MAX_WIDTH, Node};
use crate::textfsm::pyre::py_repr;

impl Parser {
    /// After `(`: a group, extension or inline flags. `None` for comments and global flags.
    pub(super) fn group(
        &mut self,
        flags: &mut Flags,
        nested: usize,
        first: bool,
        start: usize,
    ) -> Result<Option<Node>, RegexError> {
        let mut name = None;
        let mut capture = true;
        let mut atomic = false;
        let mut inner = *flags;
        if self.eat('?') {
            let Some(c) = self.peek() else {
                return Err(self.error("unexpected end of pattern", 0));
            };
            self.pos += 1;
            match c {
                'P' => {
                    if self.eat('<') {
                        let n = self.until('>', "group name")?;
                        self.check_name(&n, 1)?;
                        name = Some(n);
                    } else if self.eat('=') {
                        let n = self.until(')', "group name")?;
                        self.check_name(&n, 1)?;
                        let Some(&(_, gid)) = self.names.iter().find(|(k, _)| *k == n) else {
                            return Err(self.error(
                                format!("unknown group name {}", py_repr(&n)),
                                n.chars().count() + 1,
                            ));
                        };
                        if !self.group_closed(gid) {
                            return Err(
                                self.error("cannot refer to an open group", n.chars().count() + 1)
                            );
                        }
                        self.check_lookbehind_group(gid)?;
                        return Ok(Some(Node::Backref {
                            group: gid,
                            icase: flags.icase,
                        }));
                    } else {
                        return Err(match self.token()? {
                            None => self.error("unexpected end of pattern", 0),
                            Some((c, _)) => self.error(format!("unknown extension ?P{c}"), 3),
                        });
                    }
                }
                ':' => capture = false,
                '#' => loop {
                    match self.token()? {
                        None => {
                            return Err(RegexError {
                                message: "missing ), unterminated comment".into(),
                                position: start,
                            });
                        }
                        Some((')', false)) => return Ok(None),
                        Some(_) => {}
                    }
                },
                '=' | '!' | '<' => return self.look(c, *flags, nested, start).map(Some),
                '(' => return self.conditional(*flags, nested, start).map(Some),
                '>' => {
                    capture = false;
                    atomic = true;
                }
                c if "aiLmsux-".contains(c) => match self.flag_group(c)? {
                    None => {
                        if !first {
                            return Err(RegexError {
                                message: "global flags not at the start of the expression".into(),
                                position: start,
                            });
                        }
                        *flags = self.global;
                        return Ok(None);
                    }
                    Some((add, del)) => {
                        inner = apply(inner, add, true);
                        inner = apply(inner, del, false);
                        capture = false;
                    }
                },
                c => return Err(self.error(format!("unknown extension ?{c}"), 2)),
            }
        }
        let index = if capture {
            let gid = self.group_widths.len();
            if gid >= MAX_GROUPS {
                return Err(self.error("too many groups", 0));
            }
            if let Some(n) = &name {
                if let Some((_, old)) = self.names.iter().find(|(k, _)| k == n) {
                    return Err(self.error(
                        format!(
                            "redefinition of group name {} as group {gid}; was group {old}",
                            py_repr(n)
                        ),
                        n.chars().count() + 1,
                    ));
                }
                self.names.push((n.clone(), gid));
            }
            self.group_widths.push((0, MAX_WIDTH));
            self.closed.push(false);
            Some(gid)
        } else {
            None
        };
        let node = self.alternation(inner, nested)?;
        if !self.eat(')') {
            return Err(RegexError {
                message: "missing ), unterminated subpattern".into(),
                position: start,
            });
        }
        Ok(Some(match index {
            Some(gid) => {
                self.group_widths[gid] = node.width(&self.group_widths);
                self.closed[gid] = true;
                Node::Capture {
                    index: gid,
                    node: Box::new(node),
                }
            }
            None if atomic => Node::Atomic(Box::new(node)),
            None => Node::Group(Box::new(node)),
        }))
    }

    /// After `(?=`, `(?!` or `(?<`: a look-ahead or look-behind assertion.
    fn look(
        &mut self,
        c: char,
        flags: Flags,
        nested: usize,
        start: usize,
    ) -> Result<Node, RegexError> {
        let (behind, negate) = if c == '<' {
            let Some(d) = self.peek() else {
                return Err(self.error("unexpected end of pattern", 0));
            };
            self.pos += 1;
            if d != '=' && d != '!' {
                return Err(self.error(format!("unknown extension ?<{d}"), 3));
            }
            (true, d == '!')
        } else {
            (false, c == '!')
        };
        let outer = self.lookbehind_groups;
        if behind && outer.is_none() {
            self.lookbehind_groups = Some(self.group_widths.len());
        }
        let node = self.alternation(flags, nested)?;
        if behind && outer.is_none() {
            self.lookbehind_groups = None;
        }
        if !self.eat(')') {
            return Err(RegexError {
                message: "missing ), unterminated subpattern".into(),
                position: start,
            });
        }
        let (lo, hi) = node.width(&self.group_widths);
        if behind && lo != hi {
            return Err(RegexError {
                message: "look-behind requires fixed-width pattern".into(),
                position: start,
            });
        }
        let width = usize::try_from(lo).unwrap_or(usize::MAX);
        Ok(Node::Look {
            behind,
            negate,
            width,
            node: Box::new(node),
        })
    }

    /// After `(?(`: a conditional on whether a group matched.
    fn conditional(
        &mut self,
        flags: Flags,
        nested: usize,
        start: usize,
    ) -> Result<Node, RegexError> {
        let name = self.until(')', "group name")?;
        let group = if is_identifier(&name) {
            match self.names.iter().find(|(k, _)| *k == name) {
                Some(&(_, gid)) => gid,
                None => {
                    return Err(self.error(
                        format!("unknown group name {}", py_repr(&name)),
                        name.chars().count() + 1,
                    ));
                }
            }
        } else {
            let n: usize = match name.parse() {
                Ok(n) if name.chars().all(|c| c.is_ascii_digit()) => n,
                _ => {
                    return Err(self.error(
                        format!("bad character in group name {}", py_repr(&name)),
                        name.chars().count() + 1,
                    ));
                }
            };
            if n == 0 {
                return Err(self.error("bad group number", name.chars().count() + 1));
            }
            if n >= MAX_GROUPS {
                return Err(self.error(
                    format!("invalid group reference {n}"),
                    name.chars().count() + 1,
                ));
            }
            self.cond_refs
                .push((n, self.pos - name.chars().count() - 1));
            n
        };
        self.check_lookbehind_group(group)?;
        let yes = self.sequence(flags, nested + 1, false)?;
        let no = if self.eat('|') {
            let no = self.sequence(flags, nested + 1, false)?;
            if self.peek() == Some('|') {
                return Err(self.error("conditional backref with more than two branches", 0));
            }
            no
        } else {
            Node::Empty
        };
        if !self.eat(')') {
            return Err(RegexError {
                message: "missing ), unterminated subpattern".into(),
                position: start,
            });
        }
        Ok(Node::Cond {
            group,
            yes: Box::new(yes),
            no: Box::new(no),
        })
    }

    /// Inline flags after `(?`, first letter `c` already read. `None` for global flags `(?i)`.
    fn flag_group(&mut self, c: char) -> Result<Option<(Flags, Flags)>, RegexError> {
        let mut add = Flags::default();
        let mut del = Flags::default();
        let mut c = c;
        let mut type_flags = 0;
        if c != '-' {
            loop {
                if c == 'L' {
                    return Err(self.error(
                        "bad inline flags: cannot use 'L' flag with a str pattern",
                        0,
                    ));
                }
                if c == 'a' || c == 'u' {
                    type_flags |= if c == 'a' { 1 } else { 2 };
                    if type_flags == 3 {
                        return Err(self.error(
                            "bad inline flags: flags 'a', 'u' and 'L' are incompatible",
                            0,
                        ));
                    }
                }
                set_flag(&mut add, c);
                let Some(next) = self.peek() else {
                    return Err(self.error("missing -, : or )", 0));
                };
                self.pos += 1;
                c = next;
                if ")-:".contains(c) {
                    break;
                }
                if !"aiLmsux".contains(c) {
                    let msg = if c.is_alphabetic() {
                        "unknown flag"
                    } else {
                        "missing -, : or )"
                    };
                    return Err(self.error(msg, 1));
                }
            }
        }
        if c == ')' {
            self.global = apply(self.global, add, true);
            return Ok(None);
        }
        if c == '-' {
            let Some(next) = self.peek() else {
                return Err(self.error("missing flag", 0));
            };
            self.pos += 1;
            c = next;
            if !"aiLmsux".contains(c) {
                let msg = if c.is_alphabetic() {
                    "unknown flag"
                } else {
                    "missing flag"
                };
                return Err(self.error(msg, 1));
            }
            loop {
                if "aLu".contains(c) {
                    return Err(self.error(
                        "bad inline flags: cannot turn off flags 'a', 'u' and 'L'",
                        0,
                    ));
                }
                set_flag(&mut del, c);
                let Some(next) = self.peek() else {
                    return Err(self.error("missing :", 0));
                };
                self.pos += 1;
                c = next;
                if c == ':' {
                    break;
                }
                if !"aiLmsux".contains(c) {
                    let msg = if c.is_alphabetic() {
                        "unknown flag"
                    } else {
                        "missing :"
                    };
                    return Err(self.error(msg, 1));
                }
            }
        }
        let both = (add.icase && del.icase)
            || (add.multiline && del.multiline)
            || (add.dotall && del.dotall)
            || (add.verbose && del.verbose);
        if both {
            return Err(self.error("bad inline flags: flag turned on and off", 1));
        }
        Ok(Some((add, del)))
    }
}

fn set_flag(flags: &mut Flags, c: char) {
    match c {
        'i' => flags.icase = true,
        'm' => flags.multiline = true,
        's' => flags.dotall = true,
        'x' => flags.verbose = true,
        'a' => flags.ascii = true,
        _ => {}
    }
}

/// `base` with every flag set in `change` turned on (`on`) or off.
fn apply(mut base: Flags, change: Flags, on: bool) -> Flags {
    let pairs = [
        (change.icase, &mut base.icase),
        (change.multiline, &mut base.multiline),
        (change.dotall, &mut base.dotall),
        (change.ascii, &mut base.ascii),
        (change.verbose, &mut base.verbose),
    ];
    for (set, flag) in pairs {
        if set {
            *flag = on;
        }
    }
    base
}

/// Python's `str.isidentifier`, close enough for group names.
pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => chars.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    }
}
