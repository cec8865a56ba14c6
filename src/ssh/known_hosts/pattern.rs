//! OpenSSH wildcard patterns, shared by known_hosts and ssh_config: `*` matches any run of
//! characters (also none), `?` exactly one, everything else (`[`, `]`, `:` included) itself;
//! a pattern list is comma-separated and a `!pattern` that matches vetoes the whole list
//! (ssh_config(5) PATTERNS).

/// How a name fared against a pattern list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListMatch {
    /// No pattern matched.
    None,
    /// A plain pattern matched and no negated one did.
    Positive,
    /// A `!pattern` matched: the list does not apply, whatever else matched.
    Negated,
}

impl ListMatch {
    /// Whether the list applies to the name.
    pub(crate) fn applies(self) -> bool {
        self == ListMatch::Positive
    }
}

/// Whether `text` matches `pattern` (`*` and `?` wildcards), character by character.
pub(crate) fn wildcard_match(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let (mut t, mut p) = (0, 0);
    // Where the last `*` was and which text position it currently absorbs up to: on a
    // mismatch, let that star swallow one more character and retry. One backtrack point is
    // enough for `*`/`?` globs, so this stays linear-ish even on hostile patterns.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether a pattern has wildcards or a negation, i.e. cannot be looked up literally.
pub(crate) fn is_literal(pattern: &str) -> bool {
    !pattern.starts_with('!') && !pattern.contains(['*', '?'])
}

/// Match `name` against patterns that may each start with `!`. With `fold_case`, both sides
/// are compared in ASCII lower case, as OpenSSH does for host names.
pub(crate) fn match_list<'a>(
    name: &str,
    patterns: impl IntoIterator<Item = &'a str>,
    fold_case: bool,
) -> ListMatch {
    let lowered;
    let name = if fold_case {
        lowered = name.to_ascii_lowercase();
        lowered.as_str()
    } else {
        name
    };
    let mut result = ListMatch::None;
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let hit = if fold_case {
            wildcard_match(name, &pattern.to_ascii_lowercase())
        } else {
            wildcard_match(name, pattern)
        };
        if hit {
            if negated {
                return ListMatch::Negated;
            }
            result = ListMatch::Positive;
        }
    }
    result
}

/// Match `name` against a comma-separated pattern list (`a,b*,!c`).
pub(crate) fn match_comma_list(name: &str, list: &str, fold_case: bool) -> ListMatch {
    match_list(name, list.split(',').filter(|p| !p.is_empty()), fold_case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("127.0.40.7", "127.0.40.*"));
        assert!(!wildcard_match("127.0.41.7", "127.0.40.*"));
        assert!(wildcard_match("[h]:4051", "[h]:405*"));
        assert!(wildcard_match("[h]:405", "[h]:405*"));
        assert!(!wildcard_match("[h]:406", "[h]:405*"));
        assert!(wildcard_match("r1", "r?"));
        assert!(!wildcard_match("r12", "r?"));
        assert!(wildcard_match("", "*"));
        assert!(wildcard_match("abcabd", "*ab?"));
        assert!(wildcard_match("core-sw1.dc2", "core-*.dc?"));
        assert!(!wildcard_match("core-sw1.dc22", "core-*.dc?"));
        assert!(wildcard_match("aaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*b"));
        assert!(!wildcard_match("aaaaaaaaaaaaaaaaaaaaaaaaa", "*a*a*a*a*b"));
    }

    #[test]
    fn lists_with_negation() {
        assert_eq!(match_comma_list("r1", "r*,!r2", false), ListMatch::Positive);
        assert_eq!(match_comma_list("r2", "r*,!r2", false), ListMatch::Negated);
        assert_eq!(match_comma_list("r2", "!r2,r*", false), ListMatch::Negated);
        assert_eq!(match_comma_list("sw1", "r*,!r2", false), ListMatch::None);
        assert_eq!(match_comma_list("sw1", "!r2", false), ListMatch::None);
        assert_eq!(match_comma_list("R1", "r1", true), ListMatch::Positive);
        assert_eq!(match_comma_list("R1", "r1", false), ListMatch::None);
        assert!(is_literal("r1.lab"));
        assert!(!is_literal("r*"));
        assert!(!is_literal("!r1"));
    }
}
