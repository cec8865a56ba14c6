//! Character sets and categories with Python's definitions of `\d`, `\s` and `\w` for str patterns.

use super::ast::{Category, CategoryKind, Set, SetItem};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, HirKind};
use std::sync::OnceLock;

/// A compiled set: a bitmap for ASCII (where nearly all device output lives) and a list of items
/// for everything else.
#[derive(Debug, Clone)]
pub(crate) struct CharSet {
    ascii: [u64; 2],
    negated: bool,
    ranges: Box<[(char, char)]>,
    categories: Box<[Category]>,
}

impl CharSet {
    /// Compiles a parsed set; with `icase` its explicit characters are widened to their case
    /// variants (categories are closed under case already).
    pub(crate) fn new(set: &Set) -> CharSet {
        let mut ranges: Vec<(char, char)> = Vec::new();
        let mut categories = Vec::new();
        for item in &set.items {
            match *item {
                SetItem::Char(c) => ranges.push((c, c)),
                SetItem::Range(lo, hi) => ranges.push((lo, hi)),
                SetItem::Category(cat) => categories.push(cat),
            }
        }
        if set.icase {
            ranges = fold_ranges(&ranges);
        }
        let mut cs = CharSet {
            ascii: [0; 2],
            negated: set.negated,
            ranges: ranges.into(),
            categories: categories.into(),
        };
        for b in 0u8..128 {
            if cs.slow_contains(char::from(b)) != cs.negated {
                cs.ascii[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        cs
    }

    /// The set of one character and its case variants, for a case-insensitive literal.
    pub(crate) fn folded_char(c: char) -> CharSet {
        CharSet::new(&Set {
            negated: false,
            icase: true,
            items: vec![SetItem::Char(c)],
        })
    }

    /// The only member of a plain one-character set (no categories, not negated).
    pub(crate) fn single_char(&self) -> Option<char> {
        match (&*self.ranges, &*self.categories, self.negated) {
            ([(lo, hi)], [], false) if lo == hi => Some(*lo),
            _ => None,
        }
    }

    /// Whether `c` is in the set.
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let v = c as u32;
        if v < 128 {
            return self.ascii[(v >> 6) as usize] & (1 << (v & 63)) != 0;
        }
        self.slow_contains(c) != self.negated
    }

    fn slow_contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
            || self.categories.iter().any(|cat| in_category(*cat, c))
    }
}

/// Whether `c` belongs to a Python category.
pub(crate) fn in_category(cat: Category, c: char) -> bool {
    let inside = match (cat.kind, cat.ascii) {
        (CategoryKind::Digit, true) => c.is_ascii_digit(),
        (CategoryKind::Digit, false) => is_digit(c),
        (CategoryKind::Space, true) => matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}'),
        (CategoryKind::Space, false) => is_space(c),
        (CategoryKind::Word, true) => c.is_ascii_alphanumeric() || c == '_',
        (CategoryKind::Word, false) => is_word(c),
    };
    inside != cat.negated
}

/// Python's `str.isspace`, which is what `\s` means in a str pattern.
#[inline]
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\u{1c}'..='\u{1f}' | ' ') || (c as u32 >= 0x80 && c.is_whitespace())
}

/// `\w` in a Python str pattern: `str.isalnum()` (letters and numbers of every script) or `_`.
#[inline]
pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    in_table(word_table(), c)
}

/// `\d` in a Python str pattern: any decimal digit (Unicode category Nd).
#[inline]
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    in_table(digit_table(), c)
}

fn in_table(table: &[(char, char)], c: char) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn word_table() -> &'static [(char, char)] {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| unicode_class(r"[\p{L}\p{N}_]"))
}

fn digit_table() -> &'static [(char, char)] {
    static TABLE: OnceLock<Vec<(char, char)>> = OnceLock::new();
    TABLE.get_or_init(|| unicode_class(r"\p{Nd}"))
}

/// The ranges of a Unicode class written in regex-syntax's notation (its tables are the only
/// Unicode category data at hand).
fn unicode_class(class: &str) -> Vec<(char, char)> {
    match regex_syntax::parse(class).map(|hir| hir.into_kind()) {
        Ok(HirKind::Class(Class::Unicode(cls))) => {
            cls.ranges().iter().map(|r| (r.start(), r.end())).collect()
        }
        // The patterns above are constants; an empty table would only narrow \w to ASCII.
        _ => Vec::new(),
    }
}

/// Widens ranges to every simple case variant, plus the dotted/dotless i that Python also treats
/// as case variants of `i`.
fn fold_ranges(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut cls = ClassUnicode::new(
        ranges
            .iter()
            .map(|&(lo, hi)| ClassUnicodeRange::new(lo, hi)),
    );
    cls.case_fold_simple();
    let mut out: Vec<(char, char)> = cls.ranges().iter().map(|r| (r.start(), r.end())).collect();
    if out.iter().any(|&(lo, hi)| lo <= 'i' && 'i' <= hi) {
        out.push(('\u{130}', '\u{131}'));
    }
    out
}

/// The simple lowercase mapping Python's case-insensitive comparisons use.
pub(crate) fn simple_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}
