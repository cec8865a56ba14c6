//! Python `re` patterns, matched the way CPython matches them.
//!
//! TextFSM templates are written in Python's regex dialect and their results depend on its
//! details (which groups a backtracking match fills, `\w` being `str.isalnum`, escapes such as
//! `\<` meaning a plain `<`, look-behind, ...). Rather than translate them for another engine,
//! this module parses the dialect itself ([`parse`]) and runs it on a backtracking matcher
//! ([`vm`]) that explores alternatives in CPython's order. Compiling a pattern costs a few
//! microseconds, which matters with ~26,000 patterns in the ntc-templates collection.

mod ast;
mod charset;
mod compile;
mod parse;
mod prefilter;
mod repr;
#[cfg(test)]
mod tests;
mod text;
mod vm;

pub(crate) use charset::{is_space, is_word};
pub(crate) use repr::py_repr;
pub use vm::Scratch;

use compile::{Inst, Program};
use vm::NONE;

/// A pattern Python's `re` would refuse, with its complaint and where (in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct RegexError {
    /// What is wrong, worded like CPython's `re.error`.
    pub message: String,
    /// Character offset in the pattern.
    pub position: usize,
}

/// A compiled Python regular expression.
#[derive(Debug)]
pub struct Regex {
    pattern: String,
    insts: Vec<Inst>,
    regs: usize,
    groups: usize,
    names: Vec<(String, usize)>,
    /// Fewest characters a match needs: shorter texts are refused at once (as CPython does).
    min_len: usize,
    /// Text every match contains, checked first when the program does not begin with a literal
    /// (one that does fails on its first byte anyway).
    required: Option<Box<str>>,
}

impl Regex {
    /// Compiles `pattern` with Python 3.11's syntax and no flags (inline flags allowed).
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let parsed = parse::parse(pattern)?;
        let Program { insts, regs } = compile::compile(&parsed.node, pattern.len() / 2 + 4);
        let starts_with_literal = insts
            .iter()
            .find(|i| {
                !matches!(
                    i,
                    Inst::Save(_)
                        | Inst::Assert(ast::Assertion::Start { .. } | ast::Assertion::StartText)
                )
            })
            .is_some_and(|i| matches!(i, Inst::Str(_)));
        let required = if starts_with_literal {
            None
        } else {
            prefilter::required_literal(&parsed.node)
        };
        Ok(Regex {
            pattern: pattern.to_string(),
            insts,
            regs,
            groups: parsed.groups,
            names: parsed.names,
            min_len: parsed.min_len,
            required: required.map(String::into_boxed_str),
        })
    }

    /// Checks `pattern` as [`Regex::new`] does without building a matcher; returns its number
    /// of capturing groups.
    pub fn check(pattern: &str) -> Result<usize, RegexError> {
        parse::parse(pattern).map(|parsed| parsed.groups)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Number of capturing groups (Python's `groups`).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Named groups and their numbers, in the order they appear (Python's `groupindex`).
    pub fn names(&self) -> &[(String, usize)] {
        &self.names
    }

    /// `re.match`: matches at the start of `text` (not necessarily to its end). On success the
    /// groups are readable with [`Regex::group`] until `scratch` is used again.
    pub fn match_start(&self, text: &str, scratch: &mut Scratch) -> bool {
        // A character takes at least one byte, so fewer bytes than `min_len` cannot match.
        if text.len() < self.min_len {
            return false;
        }
        if let Some(lit) = &self.required {
            let found = match lit.as_bytes() {
                [b] => text.as_bytes().contains(b),
                _ => text.contains(&**lit),
            };
            if !found {
                return false;
            }
        }
        scratch.reset(2 * (self.groups + 1), self.regs);
        match vm::run(&self.insts, text, 0, 0, scratch) {
            Some(end) => {
                scratch.slots[0] = 0;
                scratch.slots[1] = end;
                true
            }
            None => false,
        }
    }

    /// The text of group `index` after a successful [`Regex::match_start`] on `text`, or `None`
    /// when the group did not take part in the match.
    pub fn group<'t>(&self, text: &'t str, scratch: &Scratch, index: usize) -> Option<&'t str> {
        let start = *scratch.slots.get(2 * index)?;
        let end = *scratch.slots.get(2 * index + 1)?;
        if start == NONE || end == NONE || start > end {
            return None;
        }
        text.get(start..end)
    }
}
