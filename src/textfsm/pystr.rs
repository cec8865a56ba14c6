//! The few Python `str` behaviours TextFSM depends on: what counts as whitespace, how text is
//! split into lines (`str.splitlines`, and text-mode file reading) and `string.Template`.

use std::fmt;

/// Python's `str.isspace` for one character.
pub(crate) fn is_space(c: char) -> bool {
    super::pyre::is_space(c)
}

/// `str.rstrip()`.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `str.strip()`.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.splitlines()`: splits on every line boundary Python knows (not only `\n`), drops the
/// boundaries, and yields nothing for an empty string.
pub(crate) fn splitlines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.char_indices().find(|&(_, c)| is_line_boundary(c)) {
            Some((i, c)) => {
                let line = &rest[..i];
                let skip = if c == '\r' && rest[i + 1..].starts_with('\n') {
                    2
                } else {
                    c.len_utf8()
                };
                rest = &rest[i + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
        }
    })
}

fn is_line_boundary(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The lines of a file read in Python's text mode (universal newlines: `\n`, `\r\n`, `\r`).
pub(crate) fn file_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
        }
    })
}

/// Why `string.Template(...).substitute(...)` would fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubstituteError {
    /// `$` not followed by `$`, an identifier or `{identifier}` (Python's ValueError).
    Invalid { position: usize },
    /// `$name` or `${name}` with no such name (Python's KeyError).
    Unknown(String),
}

impl fmt::Display for SubstituteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubstituteError::Invalid { position } => {
                write!(f, "invalid placeholder at character {position}")
            }
            SubstituteError::Unknown(name) => write!(f, "no Value named '{name}'"),
        }
    }
}

/// `string.Template(text).substitute(vars)`: `$$` is `$`, `$name` and `${name}` are replaced.
pub(crate) fn substitute<'a>(
    text: &str,
    lookup: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, SubstituteError> {
    let mut out = String::with_capacity(text.len() * 2);
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let ident_len = |s: &str| {
            let mut chars = s.char_indices();
            match chars.next() {
                Some((_, c)) if c == '_' || c.is_ascii_alphabetic() => chars
                    .find(|&(_, c)| !(c == '_' || c.is_ascii_alphanumeric()))
                    .map_or(s.len(), |(j, _)| j),
                _ => 0,
            }
        };
        let position = text.len() - rest.len() + i;
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if ident_len(after) > 0 {
            let n = ident_len(after);
            let name = &after[..n];
            out.push_str(lookup(name).ok_or_else(|| SubstituteError::Unknown(name.to_string()))?);
            rest = &after[n..];
        } else if let Some(inner) = after.strip_prefix('{')
            && ident_len(inner) > 0
            && inner[ident_len(inner)..].starts_with('}')
        {
            let n = ident_len(inner);
            let name = &inner[..n];
            out.push_str(lookup(name).ok_or_else(|| SubstituteError::Unknown(name.to_string()))?);
            rest = &inner[n + 1..];
        } else {
            return Err(SubstituteError::Invalid { position });
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Python's `repr()` of a string.
pub(crate) fn repr(s: &str) -> String {
    super::pyre::py_repr(s)
}
