//! Reads Python 3.11 `re` pattern syntax into a [`Node`] tree, rejecting what Python rejects.
//!
//! The checks and their order follow CPython's `re._parser`, so a pattern that Python refuses
//! (bad escape, unterminated set, variable-width look-behind, ...) is refused here too, and one it
//! accepts means the same thing.

use super::RegexError;
use super::ast::{
    Assertion, Category, CategoryKind, Flags, MAX_WIDTH, Node, RepeatMode, Set, SetItem,
};

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
}

/// Parses `pattern` as Python's `re.compile` would with no flags.
pub(crate) fn parse(pattern: &str) -> Result<Parsed, RegexError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        global: Flags::default(),
        group_widths: vec![Some((0, 0))],
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
    Ok(Parsed {
        node,
        groups,
        names: p.names,
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    global: Flags,
    /// Width of each closed group; `None` while the group is still open.
    group_widths: Vec<Option<(u64, u64)>>,
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
        matches!(self.group_widths.get(gid), Some(Some(_)))
    }

    fn widths(&self) -> Vec<(u64, u64)> {
        self.group_widths
            .iter()
            .map(|w| w.unwrap_or((0, MAX_WIDTH)))
            .collect()
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
        let mut items: Vec<Node> = Vec::new();
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

    /// An escape outside a set; `c` is the character after the backslash.
    fn escape(&mut self, c: char, flags: Flags) -> Result<Node, RegexError> {
        let category = |kind, negated| {
            Node::Set(Box::new(Set {
                negated: false,
                icase: flags.icase,
                items: vec![SetItem::Category(Category {
                    kind,
                    negated,
                    ascii: flags.ascii,
                })],
            }))
        };
        let literal = |c| {
            Ok(Node::Char {
                c,
                icase: flags.icase,
            })
        };
        match c {
            'A' => Ok(Node::Assert(Assertion::StartText)),
            'Z' => Ok(Node::Assert(Assertion::EndText)),
            'b' => Ok(Node::Assert(Assertion::WordBoundary { ascii: flags.ascii })),
            'B' => Ok(Node::Assert(Assertion::NotWordBoundary {
                ascii: flags.ascii,
            })),
            'd' => Ok(category(CategoryKind::Digit, false)),
            'D' => Ok(category(CategoryKind::Digit, true)),
            's' => Ok(category(CategoryKind::Space, false)),
            'S' => Ok(category(CategoryKind::Space, true)),
            'w' => Ok(category(CategoryKind::Word, false)),
            'W' => Ok(category(CategoryKind::Word, true)),
            '0' => {
                let digits = self.take_while(2, |c| c.is_digit(8));
                literal(char_from(
                    u32::from_str_radix(&format!("0{digits}"), 8).unwrap_or(0),
                ))
            }
            '1'..='9' => {
                let mut digits = c.to_string();
                if let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.pos += 1;
                    digits.push(d);
                    let octal = c.is_digit(8) && d.is_digit(8);
                    if let Some(e) = self.peek().filter(|e| octal && e.is_digit(8)) {
                        self.pos += 1;
                        digits.push(e);
                        let value = u32::from_str_radix(&digits, 8).unwrap_or(0);
                        if value > 0o377 {
                            return Err(self.error(
                                format!("octal escape value \\{digits} outside of range 0-0o377"),
                                4,
                            ));
                        }
                        return literal(char_from(value));
                    }
                }
                let group: usize = digits.parse().unwrap_or(usize::MAX);
                if group < self.group_widths.len() {
                    if !self.group_closed(group) {
                        return Err(self.error("cannot refer to an open group", digits.len() + 1));
                    }
                    self.check_lookbehind_group(group)?;
                    return Ok(Node::Backref {
                        group,
                        icase: flags.icase,
                    });
                }
                Err(self.error(format!("invalid group reference {group}"), digits.len()))
            }
            _ => self.common_escape(c, false).map(|c| Node::Char {
                c,
                icase: flags.icase,
            }),
        }
    }

    /// Escapes shared by sets and the pattern body: control letters, hex, unicode, literals.
    fn common_escape(&mut self, c: char, in_set: bool) -> Result<char, RegexError> {
        let hex = |p: &mut Parser, n: usize, esc: char| -> Result<char, RegexError> {
            let digits = p.take_while(n, |c| c.is_ascii_hexdigit());
            if digits.len() != n {
                return Err(p.error(
                    format!("incomplete escape \\{esc}{digits}"),
                    digits.len() + 2,
                ));
            }
            let value = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
            char::from_u32(value)
                .ok_or_else(|| p.error(format!("bad escape \\{esc}{digits}"), n + 2))
        };
        match c {
            'a' => Ok('\u{7}'),
            'f' => Ok('\u{c}'),
            'n' => Ok('\n'),
            'r' => Ok('\r'),
            't' => Ok('\t'),
            'v' => Ok('\u{b}'),
            '\\' => Ok('\\'),
            'b' if in_set => Ok('\u{8}'),
            'x' => hex(self, 2, 'x'),
            'u' => hex(self, 4, 'u'),
            'U' => hex(self, 8, 'U'),
            'N' => Err(self.error("named unicode escapes (\\N{...}) are not supported", 2)),
            c if c.is_ascii_alphabetic() || c.is_ascii_digit() => {
                Err(self.error(format!("bad escape \\{c}"), 2))
            }
            c => Ok(c),
        }
    }

    /// After `[`: a character set.
    fn set(&mut self, flags: Flags, start: usize) -> Result<Node, RegexError> {
        let negated = self.eat('^');
        let mut items: Vec<SetItem> = Vec::new();
        let unterminated = |p: &Parser| RegexError {
            message: "unterminated character set".into(),
            position: start.min(p.pos),
        };
        loop {
            let Some((this, escaped)) = self.token()? else {
                return Err(unterminated(self));
            };
            if this == ']' && !escaped && !items.is_empty() {
                break;
            }
            let first = if escaped {
                self.set_escape(this, flags)?
            } else {
                SetItem::Char(this)
            };
            if self.eat('-') {
                let Some((that, escaped2)) = self.token()? else {
                    return Err(unterminated(self));
                };
                if that == ']' && !escaped2 {
                    items.push(first);
                    items.push(SetItem::Char('-'));
                    break;
                }
                let second = if escaped2 {
                    self.set_escape(that, flags)?
                } else {
                    SetItem::Char(that)
                };
                let bad = |p: &Parser| {
                    let show = |c: char, e: bool| if e { format!("\\{c}") } else { c.to_string() };
                    p.error(
                        format!(
                            "bad character range {}-{}",
                            show(this, escaped),
                            show(that, escaped2)
                        ),
                        3,
                    )
                };
                match (first, second) {
                    (SetItem::Char(lo), SetItem::Char(hi)) if lo <= hi => {
                        items.push(SetItem::Range(lo, hi))
                    }
                    _ => return Err(bad(self)),
                }
            } else {
                items.push(first);
            }
        }
        let mut unique: Vec<SetItem> = Vec::with_capacity(items.len());
        for item in items {
            if !unique.contains(&item) {
                unique.push(item);
            }
        }
        if let [SetItem::Char(c)] = unique.as_slice()
            && !negated
        {
            return Ok(Node::Char {
                c: *c,
                icase: flags.icase,
            });
        }
        Ok(Node::Set(Box::new(Set {
            negated,
            icase: flags.icase,
            items: unique,
        })))
    }

    fn set_escape(&mut self, c: char, flags: Flags) -> Result<SetItem, RegexError> {
        let category = |kind, negated| {
            SetItem::Category(Category {
                kind,
                negated,
                ascii: flags.ascii,
            })
        };
        match c {
            'd' => Ok(category(CategoryKind::Digit, false)),
            'D' => Ok(category(CategoryKind::Digit, true)),
            's' => Ok(category(CategoryKind::Space, false)),
            'S' => Ok(category(CategoryKind::Space, true)),
            'w' => Ok(category(CategoryKind::Word, false)),
            'W' => Ok(category(CategoryKind::Word, true)),
            '0'..='7' => {
                let digits = self.take_while(2, |c| c.is_digit(8));
                let value = u32::from_str_radix(&format!("{c}{digits}"), 8).unwrap_or(0);
                if value > 0o377 {
                    return Err(self.error(
                        format!("octal escape value \\{c}{digits} outside of range 0-0o377"),
                        4,
                    ));
                }
                Ok(SetItem::Char(char_from(value)))
            }
            _ => self.common_escape(c, true).map(SetItem::Char),
        }
    }

    /// After `(`: a group, extension or inline flags. `None` for comments and global flags.
    fn group(
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
            self.group_widths.push(None);
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
                let width = node.width(&self.widths());
                self.group_widths[gid] = Some(width);
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
        let (lo, hi) = node.width(&self.widths());
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

fn char_from(value: u32) -> char {
    char::from_u32(value).unwrap_or('\u{fffd}')
}

/// Python's `str.isidentifier`, close enough for group names.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => chars.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    }
}

/// Python's `repr` of a string, for error messages and stringified values.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !is_printable(c) => {
                let v = c as u32;
                if v <= 0xff {
                    out.push_str(&format!("\\x{v:02x}"));
                } else if v <= 0xffff {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, approximated: controls, separators other than
/// the space, and unassigned/format characters are not printable.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    if c == ' ' {
        return true;
    }
    if (0x7f..=0xa0).contains(&v) || v == 0xad {
        return false;
    }
    if c.is_whitespace() || c.is_control() {
        return false;
    }
    !matches!(v, 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff)
}
