//! A bound on flow nesting (`[[[…]]]`, `{a: {a: …}}`), checked before libyaml sees the text.
//!
//! libyaml looks at every open flow level on every token, so a document nested `d` levels
//! deep costs `d²`: 100,000 brackets (200 kB) took 40 s of CPU before serde_yaml's recursion
//! limit (128 levels) turned the result into an error. That limit rejects any document nested
//! deeper anyway, so a scan that finds an opening bracket beyond it can reject the document at
//! once, at that bracket.
//!
//! The scan knows enough YAML to skip quoted scalars, comments and block scalars; brackets in a
//! multi-line plain scalar's continuation lines count as if they opened collections, so a
//! document with more than 128 of them left unclosed there is refused although it is valid.

/// The deepest flow nesting allowed: serde_yaml refuses deeper documents with an error.
pub const MAX_FLOW_DEPTH: usize = 128;

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Outside any scalar or comment.
    Normal,
    /// Inside `"…"`; `escaped` after a backslash.
    Double { escaped: bool },
    /// Inside `'…'`.
    Single,
    /// Up to the end of the line.
    Comment,
    /// The block scalar of a header on a line indented `parent` spaces: its lines are blank or
    /// indented further.
    Block { parent: usize },
}

/// The byte offset of the first `[` or `{` that opens a flow collection deeper than
/// [`MAX_FLOW_DEPTH`], if any.
pub fn too_deep(text: &str) -> Option<usize> {
    deeper_than(text, MAX_FLOW_DEPTH)
}

/// The byte offset of the first `[` or `{` that opens a flow collection deeper than `max`.
fn deeper_than(text: &str, max: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut state = State::Normal;
    let mut depth = 0usize;
    // Whether the byte before is a separator: a token may start here.
    let mut token_start = true;
    // A plain scalar open on this line in block context, and the column a line must start at
    // to continue it; the same carried over from the line before.
    let mut plain: Option<usize> = None;
    let mut carry: Option<usize> = None;
    let mut line_start = 0;
    let mut indent = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if i == line_start {
            indent = bytes[i..].iter().take_while(|&&c| c == b' ').count();
            let rest = &bytes[i + indent..];
            let line = &rest[..rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len())];
            let blank = line.iter().all(u8::is_ascii_whitespace);
            let skip = match state {
                // A block scalar's lines are blank or indented past its header's line.
                State::Block { parent } => blank || indent > parent,
                // A plain scalar continues on a blank line or one indented far enough, as
                // text; a comment or a document marker ends it.
                State::Normal if depth == 0 && carry.is_some() => {
                    let ends = line.first() == Some(&b'#')
                        || line.starts_with(b"---")
                        || line.starts_with(b"...");
                    let continues = !ends && (blank || carry.is_some_and(|col| indent >= col));
                    if !continues {
                        carry = None;
                    }
                    continues
                }
                _ => false,
            };
            if skip {
                line_start = next_line(bytes, i);
                i = line_start;
                continue;
            }
            if let State::Block { .. } = state {
                state = State::Normal;
            }
        }
        let next_blank = bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace);
        match state {
            State::Double { escaped } => {
                state = match b {
                    _ if escaped => State::Double { escaped: false },
                    b'\\' => State::Double { escaped: true },
                    b'"' => State::Normal,
                    _ => state,
                }
            }
            State::Single => {
                if b == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        state = State::Normal;
                    }
                }
            }
            State::Comment => {
                if b == b'\n' {
                    state = State::Normal;
                }
            }
            State::Block { .. } => {}
            // Inside a plain scalar in block context only `: ` and ` #` mean anything.
            State::Normal if plain.is_some() => match b {
                b'#' if token_start => {
                    state = State::Comment;
                    plain = None;
                }
                b':' if next_blank => plain = None,
                b'\n' => carry = plain.take(),
                _ => {}
            },
            State::Normal => match b {
                b'#' if token_start => state = State::Comment,
                b'"' if token_start => state = State::Double { escaped: false },
                b'\'' if token_start => state = State::Single,
                b'[' | b'{' if token_start || depth > 0 => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                }
                b']' | b'}' if depth > 0 => depth -= 1,
                b'|' | b'>' if token_start && depth == 0 && is_block_header(&bytes[i + 1..]) => {
                    state = State::Block { parent: indent };
                }
                b'-' | b'?' | b':' if next_blank => {}
                b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b',' => {}
                _ if token_start && depth == 0 && !b.is_ascii_whitespace() => {
                    // The first token of a line continues on any line indented as far (its
                    // collection is further out); a later one needs one more column.
                    plain = Some(if i == line_start + indent {
                        indent
                    } else {
                        indent + 1
                    });
                }
                _ => {}
            },
        }
        token_start = match b {
            b' ' | b'\t' | b'\n' | b'\r' => true,
            // In a flow collection a scalar may follow an indicator directly (`[a,{b: c}]`).
            b'[' | b'{' | b',' | b':' => depth > 0,
            _ => false,
        };
        if b == b'\n' {
            line_start = i + 1;
        }
        i += 1;
    }
    None
}

/// Whether what follows a `|` or `>` is a block scalar header: indentation and chomping
/// indicators, then nothing but a comment to the end of the line.
fn is_block_header(rest: &[u8]) -> bool {
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let after = line
        .iter()
        .position(|b| !matches!(b, b'+' | b'-' | b'0'..=b'9'))
        .unwrap_or(line.len());
    let tail = &line[after..];
    match tail.iter().position(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(at) => at > 0 && tail[at] == b'#',
    }
}

/// The offset of the line after the one containing `at`.
fn next_line(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| at + n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("a: {}x{}\n", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn deep_flow_collections_are_found_at_the_bracket_too_many() {
        assert_eq!(too_deep(&nested(MAX_FLOW_DEPTH)), None);
        assert_eq!(too_deep(&nested(100_000)), Some(3 + MAX_FLOW_DEPTH));
        let braces = format!("a: {}x{}\n", "{b: ".repeat(200), "}".repeat(200));
        assert_eq!(too_deep(&braces), Some(3 + 4 * MAX_FLOW_DEPTH));
    }

    #[test]
    fn brackets_in_scalars_and_comments_do_not_count() {
        let many = "[".repeat(300);
        for text in [
            format!("a: \"{many}\"\n"),
            format!("a: '{many}'\n"),
            format!("a: \"x\\\"{many}\"\n"),
            format!("a: 'it''s {many}'\n"),
            format!("a: x # {many}\n"),
            format!("# {many}\na: 1\n"),
            format!("a: x{many}\n"),
            format!("a: |\n  {many}\n\n  {many}\nb: 1\n"),
            format!("- >-\n  {many}\n"),
            format!("a: [\"{many}\", '{many}', x # {many}\n  ]\n"),
        ] {
            assert_eq!(too_deep(&text), None, "{text}");
        }
        // After the block scalar ends, brackets count again.
        let after = format!("a: |\n  {many}\nb: {}\n", "[".repeat(200));
        assert_eq!(
            too_deep(&after),
            Some(after.find("b: ").unwrap_or(0) + 3 + MAX_FLOW_DEPTH)
        );
    }

    /// How deep `value` nests (a scalar is 0).
    fn nesting(value: &serde_yaml::Value) -> usize {
        match value {
            serde_yaml::Value::Sequence(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
            serde_yaml::Value::Mapping(map) => {
                1 + map
                    .iter()
                    .map(|(k, v)| nesting(k).max(nesting(v)))
                    .max()
                    .unwrap_or(0)
            }
            serde_yaml::Value::Tagged(tagged) => nesting(&tagged.value),
            _ => 0,
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::yaml::property_config(8))]

        /// The scan never finds more nesting than the document has: whatever it refuses,
        /// libyaml refuses too or reads as nested as deep.
        #[test]
        fn the_scan_never_overestimates(
            text in "([\\[\\]{}\"'#|>:, \n-]|ab|- |: |\n  ){0,60}",
            max in 0usize..4,
        ) {
            if deeper_than(&text, max).is_some()
                && let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text)
            {
                proptest::prop_assert!(nesting(&value) > max, "{text:?} nests {}", nesting(&value));
            }
        }
    }
}
