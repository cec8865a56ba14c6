//! Escapes (`\d`, `\x41`, `\1`, `\<` ...) and character sets `[...]`.

use super::Parser;
use crate::textfsm::pyre::RegexError;
use crate::textfsm::pyre::ast::{Assertion, Category, CategoryKind, Flags, Node, Set, SetItem};

impl Parser {
    /// An escape outside a set; `c` is the character after the backslash.
    pub(super) fn escape(&mut self, c: char, flags: Flags) -> Result<Node, RegexError> {
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
    pub(super) fn set(&mut self, flags: Flags, start: usize) -> Result<Node, RegexError> {
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
}

fn char_from(value: u32) -> char {
    char::from_u32(value).unwrap_or('\u{fffd}')
}
