//! The Python regex dialect, feature by feature (tests/textfsm/diff_regex.rs compares the same
//! ground with CPython itself).

use super::{Regex, Scratch};

/// Groups of `re.match(pattern, text)`, `None` when it does not match.
fn groups(pattern: &str, text: &str) -> Option<Vec<Option<String>>> {
    let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
    let mut s = Scratch::default();
    re.match_start(text, &mut s).then(|| {
        (0..=re.groups())
            .map(|g| re.group(text, &s, g).map(str::to_string))
            .collect()
    })
}

fn whole(pattern: &str, text: &str) -> Option<String> {
    groups(pattern, text).and_then(|g| g[0].clone())
}

fn g(items: &[Option<&str>]) -> Option<Vec<Option<String>>> {
    Some(items.iter().map(|i| i.map(str::to_string)).collect())
}

fn refused(pattern: &str) -> String {
    match Regex::new(pattern) {
        Ok(_) => panic!("{pattern:?} should be refused"),
        Err(e) => e.message,
    }
}

#[test]
fn matches_at_the_start_only_but_not_to_the_end() {
    assert_eq!(whole("ab", "abc"), Some("ab".into()));
    assert_eq!(whole("b", "abc"), None);
    assert_eq!(whole("", "abc"), Some(String::new()));
}

#[test]
fn dollar_matches_at_the_end_or_before_a_final_newline() {
    assert_eq!(whole("ab$", "ab"), Some("ab".into()));
    assert_eq!(whole("ab$", "ab\n"), Some("ab".into()));
    assert_eq!(whole("ab$", "ab\nc"), None);
    assert_eq!(whole(r"ab\Z", "ab\n"), None);
    assert_eq!(whole("(?m)ab$", "ab\nc"), Some("ab".into()));
}

#[test]
fn named_and_numbered_groups() {
    let re = Regex::new(r"(?P<first>\w+)\s(\w+)(?:\s(?P<third>\w+))?").expect("compiles");
    assert_eq!(re.groups(), 3);
    assert_eq!(
        re.names(),
        &[("first".to_string(), 1), ("third".to_string(), 3)]
    );
    assert_eq!(
        groups(re.as_str(), "a b"),
        g(&[Some("a b"), Some("a"), Some("b"), None])
    );
}

#[test]
fn backtracking_picks_what_python_picks() {
    assert_eq!(
        groups("(a|ab)(c|bcd)(d*)", "abcd"),
        g(&[Some("abcd"), Some("a"), Some("bcd"), Some("")])
    );
    assert_eq!(groups("(?:(a)|b)*", "ab"), g(&[Some("ab"), Some("a")]));
    assert_eq!(groups("(a*)*b", "aab"), g(&[Some("aab"), Some("")]));
    assert_eq!(
        groups(r"(\w+?)(\d*)$", "ab12"),
        g(&[Some("ab12"), Some("ab"), Some("12")])
    );
}

#[test]
fn lazy_greedy_and_possessive_quantifiers() {
    assert_eq!(whole("a+?", "aaa"), Some("a".into()));
    assert_eq!(whole("a{2,}?", "aaaa"), Some("aa".into()));
    assert_eq!(whole("a{,2}", "aaaa"), Some("aa".into()));
    assert_eq!(whole("a{2}", "aaaa"), Some("aa".into()));
    assert_eq!(whole("a*+a", "aaa"), None);
    assert_eq!(whole("(?>a+)b", "aab"), Some("aab".into()));
    assert_eq!(whole("(?>a|ab)c", "abc"), None);
}

#[test]
fn braces_that_are_not_counts_are_literal() {
    assert_eq!(whole("a{x}", "a{x}"), Some("a{x}".into()));
    assert_eq!(whole("a{}", "a{}"), Some("a{}".into()));
    assert_eq!(whole("{", "{"), Some("{".into()));
}

#[test]
fn lookahead_and_lookbehind() {
    assert_eq!(groups(r"(?=(\w+))\w", "abc"), g(&[Some("a"), Some("abc")]));
    assert_eq!(whole(r"(?!x)\w+", "xy"), None);
    assert_eq!(whole(r"\w+(?<=c)", "abc"), Some("abc".into()));
    assert_eq!(whole(r"\w(?<!a)", "a"), None);
    assert_eq!(
        refused("(?<=a+)b"),
        "look-behind requires fixed-width pattern"
    );
}

#[test]
fn repeated_zero_width_items() {
    assert_eq!(groups(r"(?<=[^()\s])+(\w)", "ab"), None);
    assert_eq!(whole(r"a(?<=[^()\s])+(\w)", "ab"), Some("ab".into()));
    assert_eq!(whole("(?:)*a", "a"), Some("a".into()));
    assert_eq!(whole(r"(\b)+\w", "a"), Some("a".into()));
}

#[test]
fn classes_follow_python_str_definitions() {
    assert_eq!(whole(r"\w+", "naïve_٣²x"), Some("naïve_٣²x".into()));
    assert_eq!(whole(r"\d+", "٣٤5x"), Some("٣٤5".into()));
    assert_eq!(whole(r"\d", "²"), None);
    assert_eq!(
        whole(r"\s+", "\u{1c}\u{a0} x"),
        Some("\u{1c}\u{a0} ".into())
    );
    assert_eq!(whole(r"\S+", "ab c"), Some("ab".into()));
    assert_eq!(whole(r"(?a)\w+", "abé"), Some("ab".into()));
    assert_eq!(whole(r"[^\W\d]+", "ab1"), Some("ab".into()));
    assert_eq!(whole(r"[\d.]+", "1.2.3x"), Some("1.2.3".into()));
}

#[test]
fn word_boundaries() {
    assert_eq!(whole(r"\bab\b", "ab cd"), Some("ab".into()));
    assert_eq!(whole(r"a\b", "ab"), None);
    assert_eq!(whole(r"\B", ""), None);
    assert_eq!(whole(r"\b", ""), None);
    assert_eq!(whole(r"é\b", "é"), Some("é".into()));
}

#[test]
fn escaped_punctuation_is_literal() {
    assert_eq!(
        whole(r"\<\>\#\-\/\ \:\%\!\@", "<>#-/ :%!@"),
        Some("<>#-/ :%!@".into())
    );
    assert_eq!(whole(r"\x41\u0042\101\0", "ABA\0"), Some("ABA\0".into()));
    assert_eq!(whole(r"[\-\]\\]+", r"-]\"), Some(r"-]\".into()));
    assert_eq!(refused(r"\q"), r"bad escape \q");
    assert_eq!(refused(r"[\z]"), r"bad escape \z");
}

#[test]
fn sets_with_python_quirks() {
    assert_eq!(whole("[]a]+", "]a]"), Some("]a]".into()));
    assert_eq!(whole("[a-]+", "a-a"), Some("a-a".into()));
    assert_eq!(whole("[^]]+", "ab]"), Some("ab".into()));
    assert_eq!(whole(r"[\b]", "\u{8}"), Some("\u{8}".into()));
    assert!(refused("[b-a]").starts_with("bad character range"));
    assert!(refused(r"[\d-z]").starts_with("bad character range"));
    assert_eq!(refused("[a"), "unterminated character set");
}

#[test]
fn inline_flags() {
    assert_eq!(whole("(?i)ab", "AB"), Some("AB".into()));
    assert_eq!(whole("(?i:a)b", "Ab"), Some("Ab".into()));
    assert_eq!(whole("(?i:a)b", "AB"), None);
    assert_eq!(whole("(?i)k", "\u{212a}"), Some("\u{212a}".into()));
    assert_eq!(whole("(?s).+", "a\nb"), Some("a\nb".into()));
    assert_eq!(whole(".+", "a\nb"), Some("a".into()));
    assert_eq!(whole("(?x) a b # comment", "ab"), Some("ab".into()));
    assert_eq!(whole(r"(?x)a\ b", "a b"), Some("a b".into()));
    assert_eq!(
        refused("a(?i)b"),
        "global flags not at the start of the expression"
    );
}

#[test]
fn backreferences_and_conditionals() {
    assert_eq!(whole(r"(\w)\1", "aa"), Some("aa".into()));
    assert_eq!(whole(r"(?P<w>\w)(?P=w)", "ab"), None);
    assert_eq!(whole(r"(?i)(\w)\1", "aA"), Some("aA".into()));
    assert_eq!(whole(r"(a)?(?(1)b|c)", "ab"), Some("ab".into()));
    assert_eq!(whole(r"(a)?(?(1)b|c)", "c"), Some("c".into()));
    assert_eq!(refused(r"(a)\2"), "invalid group reference 2");
    assert_eq!(refused(r"(a\1)"), "cannot refer to an open group");
}

#[test]
fn python_refusals() {
    assert_eq!(refused("a**"), "multiple repeat");
    assert_eq!(refused("*a"), "nothing to repeat");
    assert_eq!(refused("^*"), "nothing to repeat");
    assert_eq!(refused("(a"), "missing ), unterminated subpattern");
    assert_eq!(refused("a)"), "unbalanced parenthesis");
    assert_eq!(refused("x{2,1}"), "min repeat greater than max repeat");
    assert!(refused("(?P<n>a)(?P<n>b)").starts_with("redefinition of group name 'n'"));
    assert!(refused("(?P<1a>x)").starts_with("bad character in group name"));
    assert_eq!(refused("(?<x)"), "unknown extension ?<x");
    assert_eq!(
        refused("(?L)a"),
        "bad inline flags: cannot use 'L' flag with a str pattern"
    );
    assert_eq!(refused("\\"), "bad escape (end of pattern)");
}

#[test]
fn ascii_bitmaps_agree_with_categories() {
    use super::ast::{Category, CategoryKind, Set, SetItem};
    use super::charset::{CharSet, in_category};
    for kind in [CategoryKind::Digit, CategoryKind::Space, CategoryKind::Word] {
        for negated in [false, true] {
            for ascii in [false, true] {
                let cat = Category {
                    kind,
                    negated,
                    ascii,
                };
                let set = CharSet::new(&Set {
                    negated: false,
                    icase: false,
                    items: vec![SetItem::Category(cat)],
                });
                for b in 0u8..128 {
                    assert_eq!(
                        set.contains(char::from(b)),
                        in_category(cat, char::from(b)),
                        "{cat:?} {b}"
                    );
                }
            }
        }
    }
}

#[test]
fn speed_ups_keep_matches() {
    // Possessive conversion, literal give-back and the required-literal prefilter.
    assert_eq!(
        groups(r"(\S+)\s+(\d+)\.", "ab  12."),
        g(&[Some("ab  12."), Some("ab"), Some("12")])
    );
    assert_eq!(
        groups(r"(.*)ab", "xabyab"),
        g(&[Some("xabyab"), Some("xaby")])
    );
    assert_eq!(
        groups(r"\s*(.+?)\s+(\d+\.\d+)", " a b 1.5"),
        g(&[Some(" a b 1.5"), Some("a b"), Some("1.5")])
    );
    assert_eq!(whole(r"\s*(.+?)\s+(\d+\.\d+)", " a b 15"), None);
    assert_eq!(whole(r"\S+$", "ab\n"), Some("ab".into()));
    assert_eq!(whole(r"[^,]+,", "a,b,"), Some("a,".into()));
}
