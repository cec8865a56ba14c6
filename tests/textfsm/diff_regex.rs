//! The Python regex dialect (`netrun::textfsm::pyre`) against CPython's `re.match`: the same
//! patterns refused, the same match and the same span for every group.

use crate::reference::ask;
use netrun::textfsm::pyre::{Regex, Scratch};
use serde_json::{Value, json};

const PATTERNS: &[&str] = &[
    r"(a|ab)(c|bcd)(d*)",
    r"(?:(a)|b)*",
    r"(a*)*b",
    r"(a|)*",
    r"(a*)+",
    r"(?:a|b)*?c",
    r"(\w+?)(\d*)$",
    r"(a+)+$",
    r"(?:(\w)(\w)?)+",
    r"a*+a",
    r"(?>a+)b",
    r"(?>(a+))(b?)",
    r"(?=(\w+))\w",
    r"\w+(?<=(o))",
    r"(?<!x)(\w{2})",
    r"(?!a)\w+",
    r"(\w)\1",
    r"(?P<w>\w)(?P=w)",
    r"(?i)(\w)\1",
    r"(a)?(?(1)b|c)",
    r"\b\w+\b",
    r"\B",
    r"\b",
    r"\w+",
    r"\d+",
    r"\s+(\S+)",
    r"[\w\s]+",
    r"[^\W\d]+",
    r"(?a)\w+",
    r"(?i)AB[c-d]",
    r"(?i:a)b",
    r"(?s).+",
    r".+",
    r"(?m)^\w+$",
    r"\w+$",
    r"\w+\Z",
    r"\Aa",
    r"(?x) a b # comment",
    r"(?x)[ ]a",
    r"\x61\u0062\141\0",
    r"[\x5d\]]+",
    r"[]a]+",
    r"[a-]+",
    r"a{,2}",
    r"a{2}",
    r"a{1,}b",
    r"a{x}",
    r"a{}",
    r"{",
    r"\<\>\#\-\/\ \:\%\!",
    r"(?#comment)a",
    r"(?:)*a",
    r"(\b)+\w",
    r"(?=a)*a",
    r"(?<=[^()\s])+(\w)",
    r"((a)|(b))+",
    r"(a)|b",
    r"(?:x(a)|x(b))",
    r"(.*?)(\d+)",
    r"(.*)(\d+)",
    r"(.{2,3}?)(.*)",
    r"([a-z]+) (?P<second>[a-z]+)?",
];

const TEXTS: &[&str] = &[
    "",
    "a",
    "aaa",
    "ab",
    "abab",
    "abcd",
    "abc\n",
    "aBcd",
    "AbC",
    "aa",
    "foo bar",
    "naïve café",
    "٣٤",
    "x²",
    "\u{1c}x",
    "\u{a0}y",
    "A_b",
    "hello world hello",
    "aaaa bbbb",
    "12.34.56",
    "<>#-/ :%!",
    "a\nb",
    "xb",
    "]]a",
    "a-a",
    "abc123",
    "ǅungla ǈ",
    "\u{300}a",
];

/// Patterns CPython refuses.
const INVALID: &[&str] = &[
    "a**",
    "(?<=a*)b",
    r"\q",
    "[b-a]",
    "(?P<1a>x)",
    "(?P=nope)",
    "a)",
    "(a",
    "x{2,1}",
    "a(?i)b",
    r"\8",
    "(?P<n>a)(?P<n>b)",
    "[a",
    r"[\d-z]",
    "*a",
    "^*",
    r"(a)\2",
    "(?<x)",
    "(?L)a",
    r"\x4",
    "(?(2)a|b)(c)",
    "(?(1)a|b|c)",
    "(?P<a>(?P=a))",
];

/// Group spans in characters, as Python reports them.
fn spans(re: &Regex, text: &str, scratch: &mut Scratch) -> Value {
    if !re.match_start(text, scratch) {
        return Value::Null;
    }
    let chars = |byte: usize| text[..byte].chars().count();
    (0..=re.groups())
        .map(|g| match re.group(text, scratch, g) {
            Some(s) => {
                let start = s.as_ptr() as usize - text.as_ptr() as usize;
                json!([chars(start), chars(start + s.len())])
            }
            None => Value::Null,
        })
        .collect()
}

#[test]
fn python_regex_dialect_matches_cpython() {
    let requests: Vec<Value> = PATTERNS
        .iter()
        .chain(INVALID)
        .map(|p| json!({"kind": "regex", "pattern": p, "texts": TEXTS}))
        .collect();
    let answers = ask(&requests);
    let mut failures = Vec::new();
    let mut scratch = Scratch::default();
    for (pattern, answer) in PATTERNS.iter().chain(INVALID).zip(&answers) {
        match (Regex::new(pattern), answer.get("error")) {
            (Err(e), None) => {
                failures.push(format!("{pattern:?}: refused ({e}) but Python accepts it"))
            }
            (Ok(_), Some(_)) => failures.push(format!(
                "{pattern:?}: accepted but Python says {}",
                answer["message"]
            )),
            (Err(_), Some(_)) => {}
            (Ok(re), None) => {
                for (text, expected) in TEXTS
                    .iter()
                    .zip(answer["results"].as_array().expect("results"))
                {
                    let got = spans(&re, text, &mut scratch);
                    if got != *expected {
                        failures.push(format!(
                            "{pattern:?} on {text:?}: Python {expected}, netrun {got}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from CPython re:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
