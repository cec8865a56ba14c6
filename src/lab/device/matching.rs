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

pub(super) fn split_pattern(pattern: &str) -> (Vec<&str>, bool) {
    let mut ws: Vec<&str> = pattern.split_whitespace().collect();
    let wildcard = ws.last() == Some(&"*");
    if wildcard {
        ws.pop();
    }
    (ws, wildcard)
}

pub(super) fn match_words(
    pattern: &[&str],
    wildcard: bool,
    input: &[(usize, &str)],
    abbreviate: bool,
) -> Match {
    for (i, (_, typed)) in input.iter().enumerate() {
        let Some(expected) = pattern.get(i) else {
            return if wildcard {
                Match::Full(Some(input[i].0))
            } else {
                Match::Partial(i)
            };
        };
        let ok = if abbreviate {
            expected
                .to_ascii_lowercase()
                .starts_with(&typed.to_ascii_lowercase())
        } else {
            expected == typed
        };
        if !ok {
            return Match::Partial(i);
        }
    }
    if input.len() == pattern.len() {
        Match::Full(None)
    } else {
        Match::Partial(input.len())
    }
}
