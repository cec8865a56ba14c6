//! `--filter`, `--where` and `--hosts`, parsed and applied to a small inventory.

use std::sync::{Arc, OnceLock};

use netrun::inventory::Inventory;
use proptest::collection::vec;
use proptest::prelude::*;

use crate::targets::{selection, small_inventory};

fn inventory() -> Arc<Inventory> {
    static INVENTORY: OnceLock<Arc<Inventory>> = OnceLock::new();
    INVENTORY.get_or_init(small_inventory).clone()
}

fn filter() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        3 => prop::sample::select(vec![
            "name", "hostname", "platform", "port", "username", "groups", "site", "cpu",
            "facts.os", "tags", "data", "password", "enabled", "x.y.z", "", ".", "facts..os",
        ])
        .prop_map(str::to_string),
        1 => ".{0,6}",
    ];
    let op = prop::sample::select(vec!["=", "!=", "~", ">", ">=", "<", "<=", "==", "=~", ""]);
    let value = prop_oneof![
        3 => prop::sample::select(vec![
            "earth", "ios", "22", "10", "75.5", "a,b", "(", "^r[0-9]$", "*", "", ",", "nan",
            "1e400", "-0", "core", "r[3]", "\\", "(?i)IOS", "a{99999}",
        ])
        .prop_map(str::to_string),
        1 => ".{0,8}",
    ];
    (key, op, value).prop_map(|(k, o, v)| format!("{k}{o}{v}"))
}

fn where_expr() -> impl Strategy<Value = String> {
    vec(
        prop::sample::select(vec![
            "site == 'earth'",
            "cpu > 50",
            "not",
            "and",
            "or",
            "(",
            ")",
            "nope",
            "groups",
            "'core' in groups",
            "data.facts.os",
            "facts.os == 'ios'",
            "platform",
            "1/0",
            "{{",
            "name is startingwith('r')",
            "tags[5]",
            "port + 'x'",
            "none",
            "true",
            "'",
            "range(5)|length > 2",
            "cpu|int",
            "loop",
            "self",
        ]),
        0..6,
    )
    .prop_map(|parts| parts.join(" "))
}

fn hosts_item() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "r1", "r*", "r[3]", "[", "*", "?", "r[", "**", "r\\[3]", "[!r]*", "[a-", "srv1,r2",
            "@/nonexistent/netrun-fuzz", "@", " r1 ", ",,",
        ])
        .prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

proptest! {
    #![proptest_config(crate::config())]

    #[test]
    fn any_selection_selects_or_says_why(
        filters in vec(filter(), 0..3),
        where_expr in prop::option::of(where_expr()),
        hosts in vec(hosts_item(), 0..3),
    ) {
        selection(&inventory(), &filters, where_expr.as_deref(), &hosts);
    }

    #[test]
    fn arbitrary_text_as_selectors(filter in ".{0,20}", where_expr in ".{0,20}", hosts in ".{0,20}") {
        selection(&inventory(), &[filter], Some(&where_expr), &[hosts]);
    }

    #[test]
    fn globs_never_panic(pattern in "[a-z*?\\[\\]!^-]{0,12}", name in "[a-z\\[\\]-]{0,12}") {
        let _ = netrun::select::glob_match(&pattern, &name);
    }
}
