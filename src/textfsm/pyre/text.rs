//! Reading the text being matched: UTF-8 decoding by byte offset, single-character items,
//! repeats of them, zero-width assertions and backreference comparison.

use super::ast::Assertion;
use super::charset::{is_word, simple_lower};
use super::compile::One;

/// Decodes the character starting at byte `pos` of valid UTF-8.
#[inline]
pub(super) fn decode(bytes: &[u8], pos: usize) -> Option<(char, usize)> {
    let b0 = *bytes.get(pos)?;
    if b0 < 0x80 {
        return Some((char::from(b0), 1));
    }
    let (len, init) = if b0 >= 0xF0 {
        (4, b0 & 0x07)
    } else if b0 >= 0xE0 {
        (3, b0 & 0x0F)
    } else {
        (2, b0 & 0x1F)
    };
    let mut v = u32::from(init);
    for i in 1..len {
        v = (v << 6) | u32::from(bytes.get(pos + i)? & 0x3F);
    }
    char::from_u32(v).map(|c| (c, len))
}

/// Start of the character that ends at `pos` (`pos > 0`).
#[inline]
pub(super) fn prev_start(bytes: &[u8], pos: usize) -> usize {
    let mut p = pos - 1;
    while p > 0 && bytes[p] & 0xC0 == 0x80 {
        p -= 1;
    }
    p
}

pub(super) fn back_chars(bytes: &[u8], pos: usize, n: usize) -> Option<usize> {
    let mut p = pos;
    for _ in 0..n {
        if p == 0 {
            return None;
        }
        p = prev_start(bytes, p);
    }
    Some(p)
}

/// Length in bytes of the item matched at `pos`, if it matches there.
#[inline]
pub(super) fn one_at(one: &One, bytes: &[u8], pos: usize) -> Option<usize> {
    match one {
        One::Char(c) => {
            let (d, len) = decode(bytes, pos)?;
            (d == *c).then_some(len)
        }
        One::Set(set) => {
            let (d, len) = decode(bytes, pos)?;
            set.contains(d).then_some(len)
        }
        One::Any => {
            let (d, len) = decode(bytes, pos)?;
            (d != '\n').then_some(len)
        }
        One::AnyAll => decode(bytes, pos).map(|(_, len)| len),
    }
}

/// Matches `one` up to `limit` times from `pos`; returns the end and the count. The loops are
/// specialised per item with an ASCII fast path: most repeats (`\s+`, `\S+`, `.*`) spend
/// their time here.
#[inline]
pub(super) fn scan(one: &One, bytes: &[u8], mut pos: usize, limit: u32) -> (usize, u32) {
    let mut count = 0;
    match one {
        One::Set(set) => {
            while count < limit {
                let Some(&b) = bytes.get(pos) else { break };
                let len = if b < 0x80 {
                    if !set.contains(char::from(b)) {
                        break;
                    }
                    1
                } else {
                    match decode(bytes, pos) {
                        Some((c, len)) if set.contains(c) => len,
                        _ => break,
                    }
                };
                pos += len;
                count += 1;
            }
        }
        One::Any | One::AnyAll => {
            let dotall = matches!(one, One::AnyAll);
            while count < limit {
                let Some(&b) = bytes.get(pos) else { break };
                if b == b'\n' && !dotall {
                    break;
                }
                pos += if b < 0x80 {
                    1
                } else {
                    decode(bytes, pos).map_or(1, |(_, len)| len)
                };
                count += 1;
            }
        }
        One::Char(_) => {
            while count < limit {
                match one_at(one, bytes, pos) {
                    Some(len) => pos += len,
                    None => break,
                }
                count += 1;
            }
        }
    }
    (pos, count)
}

fn word_before(bytes: &[u8], pos: usize, ascii: bool) -> bool {
    pos > 0 && decode(bytes, prev_start(bytes, pos)).is_some_and(|(c, _)| is_word_char(c, ascii))
}

fn word_at(bytes: &[u8], pos: usize, ascii: bool) -> bool {
    decode(bytes, pos).is_some_and(|(c, _)| is_word_char(c, ascii))
}

fn is_word_char(c: char, ascii: bool) -> bool {
    if ascii {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        is_word(c)
    }
}

pub(super) fn assert_at(a: Assertion, bytes: &[u8], pos: usize) -> bool {
    let len = bytes.len();
    match a {
        Assertion::Start { multiline: false } | Assertion::StartText => pos == 0,
        Assertion::Start { multiline: true } => pos == 0 || bytes[pos - 1] == b'\n',
        Assertion::End { multiline: false } => {
            pos == len || (pos + 1 == len && bytes[pos] == b'\n')
        }
        Assertion::End { multiline: true } => pos == len || bytes[pos] == b'\n',
        Assertion::EndText => pos == len,
        // CPython: neither \b nor \B ever matches in an empty string.
        Assertion::WordBoundary { ascii } => {
            len > 0 && word_before(bytes, pos, ascii) != word_at(bytes, pos, ascii)
        }
        Assertion::NotWordBoundary { ascii } => {
            len > 0 && word_before(bytes, pos, ascii) == word_at(bytes, pos, ascii)
        }
    }
}

/// Length of the backreference's text matched at `pos`, if it matches.
pub(super) fn backref_at(
    bytes: &[u8],
    pos: usize,
    span: (usize, usize),
    icase: bool,
) -> Option<usize> {
    let want = &bytes[span.0..span.1];
    if !icase {
        return bytes[pos..].starts_with(want).then_some(want.len());
    }
    let (mut a, mut b) = (span.0, pos);
    while a < span.1 {
        let (x, lx) = decode(bytes, a)?;
        let (y, ly) = decode(bytes, b)?;
        if simple_lower(x) != simple_lower(y) {
            return None;
        }
        a += lx;
        b += ly;
    }
    Some(b - pos)
}
