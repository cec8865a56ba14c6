//! Character sets and categories with Python's definitions of `\d`, `\s` and `\w` for str patterns.

use super::ast::{Category, CategoryKind, Set, SetItem};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, HirKind};
use std::sync::OnceLock;

/// A compiled set: a bitmap for ASCII (where nearly all device output lives) and a list of items
/// for everything else.
#[derive(Debug, Clone)]
pub(crate) struct CharSet {
    /// Bit `b` set when ASCII character `b` is in the set (negation applied).
    ascii: u128,
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
        let mut ascii = 0u128;
        for &(lo, hi) in &ranges {
            for b in u32::from(lo)..=u32::from(hi).min(127) {
                ascii |= 1 << b;
            }
        }
        for &cat in &categories {
            ascii |= ascii_bits(cat);
        }
        CharSet {
            ascii: if set.negated { !ascii } else { ascii },
            negated: set.negated,
            ranges: ranges.into(),
            categories: categories.into(),
        }
    }

    /// Whether no character is in both sets (false when unsure beyond ASCII).
    pub(crate) fn disjoint(&self, other: &CharSet) -> bool {
        if self.ascii & other.ascii != 0 || self.negated || other.negated {
            return false;
        }
        let wide = |cs: &CharSet| {
            cs.ranges.iter().filter(|r| u32::from(r.1) >= 128).count() + cs.categories.len()
        };
        if wide(self) == 0 || wide(other) == 0 {
            return true;
        }
        let ranges_apart = self
            .ranges
            .iter()
            .all(|a| other.ranges.iter().all(|b| a.1 < b.0 || b.1 < a.0));
        let mixed = |x: &CharSet, y: &CharSet| {
            x.ranges.iter().any(|r| u32::from(r.1) >= 128) && !y.categories.is_empty()
        };
        ranges_apart
            && !mixed(self, other)
            && !mixed(other, self)
            && self
                .categories
                .iter()
                .all(|a| other.categories.iter().all(|b| categories_disjoint(*a, *b)))
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
            return self.ascii & (1 << v) != 0;
        }
        self.slow_contains(c) != self.negated
    }

    fn slow_contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
            || self.categories.iter().any(|cat| in_category(*cat, c))
    }
}

/// The ASCII members of a category as a bitmap (Python's definitions agree with `(?a)` on
/// ASCII, except that str `\s` also holds the separators 0x1c-0x1f).
fn ascii_bits(cat: Category) -> u128 {
    const DIGIT: u128 = 0x3ff << 48;
    const UPPER: u128 = 0x3ff_ffff << 65;
    const LOWER: u128 = 0x3ff_ffff << 97;
    const WORD: u128 = DIGIT | UPPER | LOWER | (1 << 95);
    const SPACE_ASCII: u128 = (0x1f << 9) | (1 << 32);
    const SPACE_STR: u128 = SPACE_ASCII | (0xf << 28);
    let bits = match (cat.kind, cat.ascii) {
        (CategoryKind::Digit, _) => DIGIT,
        (CategoryKind::Word, _) => WORD,
        (CategoryKind::Space, true) => SPACE_ASCII,
        (CategoryKind::Space, false) => SPACE_STR,
    };
    if cat.negated { !bits } else { bits }
}

/// Whether no character belongs to both categories (false when unsure).
fn categories_disjoint(a: Category, b: Category) -> bool {
    use CategoryKind::{Digit, Space, Word};
    if a.ascii != b.ascii {
        return false;
    }
    if a.kind == b.kind {
        return a.negated != b.negated;
    }
    match (a.negated, b.negated) {
        // Digits and word characters are never whitespace.
        (false, false) => matches!(
            (a.kind, b.kind),
            (Digit | Word, Space) | (Space, Digit | Word)
        ),
        // Every digit is a word character.
        (false, true) => a.kind == Digit && b.kind == Word,
        (true, false) => a.kind == Word && b.kind == Digit,
        (true, true) => false,
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
