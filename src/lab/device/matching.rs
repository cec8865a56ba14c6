//! Typed words against a command pattern, as a CLI matches them: abbreviations, free
//! arguments, and where the first mismatch is (for the `^` marker).

/// Result of matching typed words against a command pattern.
pub(super) enum Match {
    /// Matched; free arguments start at this byte offset of the line (if any).
    Full(Option<usize>),
    /// This many words matched before the first mismatch (or the input ran out).
    Partial(usize),
}

/// Words of a line with their byte offsets.
pub(super) fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// Words of a shell command line: quotes group and disappear, a backslash escapes the next
/// character. Offsets are where each word starts in the line.
pub(super) fn shell_words(line: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some((_, next)) = chars.next() {
                    current.get_or_insert((i, String::new())).1.push(next);
                }
            }
            (Some(_), c) => current.get_or_insert((i, String::new())).1.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert((i, String::new()));
            }
            (None, '\\') => {
                if let Some((_, next)) = chars.next() {
                    current.get_or_insert((i, String::new())).1.push(next);
                }
            }
            (None, c) if c.is_whitespace() => {
                if let Some(word) = current.take() {
                    out.push(word);
                }
            }
            (None, c) => current.get_or_insert((i, String::new())).1.push(c),
        }
    }
    if let Some(word) = current {
        out.push(word);
    }
    out
}

/// Whether `typed` may stand for `expected`: equal, or (abbreviating) a case-insensitive prefix.
pub(super) fn stands_for(expected: &str, typed: &str, abbreviate: bool) -> bool {
    if abbreviate {
        typed.len() <= expected.len()
            && expected.as_bytes()[..typed.len()].eq_ignore_ascii_case(typed.as_bytes())
    } else {
        expected == typed
    }
}

/// Matches typed words against a pattern's words.
pub(super) fn match_words(
    pattern: &[String],
    wildcard: bool,
    input: &[(usize, &str)],
    abbreviate: bool,
) -> Match {
    for (i, (at, typed)) in input.iter().enumerate() {
        let Some(expected) = pattern.get(i) else {
            return if wildcard {
                Match::Full(Some(*at))
            } else {
                Match::Partial(i)
            };
        };
        if !stands_for(expected, typed, abbreviate) {
            return Match::Partial(i);
        }
    }
    if input.len() == pattern.len() {
        Match::Full(None)
    } else {
        Match::Partial(input.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_unquote() {
        let w = shell_words("seq -f 'cpu %g%%' 1 \"3\" a\\ b");
        let texts: Vec<&str> = w.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(texts, ["seq", "-f", "cpu %g%%", "1", "3", "a b"]);
        assert_eq!(w[2].0, 7);
    }

    #[test]
    fn abbreviations() {
        assert!(stands_for("interface", "int", true));
        assert!(stands_for("interface", "INT", true));
        assert!(!stands_for("interface", "int", false));
        assert!(!stands_for("int", "interface", true));
    }
}
