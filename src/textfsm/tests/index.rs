//! The index file: header, comments, completion brackets, anchoring and row order.

use crate::textfsm::{Index, IndexErrorKind, expand_completions};
use std::path::Path;

const INDEX: &str = "\
# comment line
# Template, Hostname, Platform, Command

Template, Hostname, Platform, Command

a_show_version.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]
a_show_ip.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]$
a_first.textfsm:a_second.textfsm, .*, cisco_(ios|xe), sh[[ow]] inv[[entory]]
b_any.textfsm, , , sh[[ow]] any
 this line has the wrong number of fields
#a_commented.textfsm, .*, cisco_ios, show clock
a_clock.textfsm, .*, cisco_ios, show clock
a_clock_late.textfsm, .*, cisco_ios, show clock
";

fn index() -> Index {
    Index::parse(Path::new("index"), INDEX).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn completion_brackets_expand_to_optional_prefixes() {
    assert_eq!(
        expand_completions("sh[[ow]] ver[[sion]]"),
        "sh(o(w)?)? ver(s(i(o(n)?)?)?)?"
    );
    assert_eq!(expand_completions("a[[b]]"), "a(b)?");
    assert_eq!(expand_completions("x[[]]]"), "x(])?");
    assert_eq!(expand_completions("no brackets"), "no brackets");
    assert_eq!(expand_completions("open [[ only"), "open [[ only");
}

#[test]
fn abbreviations_and_prefix_matching() {
    let i = index();
    for cmd in [
        "show version",
        "sh ver",
        "sho versi",
        "show version | include x",
    ] {
        assert_eq!(
            i.lookup("cisco_ios", cmd),
            Some(vec!["a_show_version.textfsm"]),
            "{cmd}"
        );
    }
    assert_eq!(i.lookup("cisco_ios", "s ver"), None);
    // `$` in the index anchors the end; otherwise only the start is anchored.
    assert_eq!(
        i.lookup("cisco_ios", "sh ip int br"),
        Some(vec!["a_show_ip.textfsm"])
    );
    assert_eq!(i.lookup("cisco_ios", "sh ip int brief x"), None);
    // The platform is a regex matched at the start too.
    assert_eq!(
        i.lookup("cisco_ios_telnet", "show version"),
        Some(vec!["a_show_version.textfsm"])
    );
    assert_eq!(i.lookup("xcisco_ios", "show version"), None);
}

#[test]
fn several_templates_and_empty_fields() {
    let i = index();
    assert_eq!(
        i.lookup("cisco_xe", "show inventory"),
        Some(vec!["a_first.textfsm", "a_second.textfsm"])
    );
    assert_eq!(
        i.lookup("anything", "show any"),
        Some(vec!["b_any.textfsm"])
    );
}

#[test]
fn first_matching_row_wins_and_bad_lines_are_skipped() {
    let i = index();
    assert_eq!(
        i.lookup("cisco_ios", "show clock"),
        Some(vec!["a_clock.textfsm"])
    );
    assert_eq!(i.path(), Path::new("index"));
}

#[test]
fn index_errors() {
    let err = |text: &str| {
        Index::parse(Path::new("idx"), text)
            .expect_err("should fail")
            .kind
    };
    assert!(matches!(
        err("# only comments\n\n"),
        IndexErrorKind::NoHeader
    ));
    assert!(matches!(
        err("Hostname, Platform, Command\n"),
        IndexErrorKind::NoTemplateColumn
    ));
    assert!(
        matches!(err("Template, Template\n"), IndexErrorKind::DuplicateColumn(c) if c == "Template")
    );
    let bad = Index::parse(
        Path::new("idx"),
        "Template, Platform, Command\nt, cisco(, show x\n",
    )
    .expect_err("bad regex");
    assert_eq!(bad.line, Some(2));
    assert!(matches!(bad.kind, IndexErrorKind::Regex { ref column, .. } if column == "Platform"));
}
