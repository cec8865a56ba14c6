//! Generators of YAML-ish text: mostly the shapes of netrun's files, with the constructs that
//! stress a parser (anchors, aliases, tags, quotes, block scalars, flow collections, document
//! markers, `${VARIABLES}`), and now and then a byte or a line out of place.

use proptest::collection::vec;
use proptest::prelude::*;

/// A scalar as it might be written.
pub fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._-]{1,10}",
        Just("22".to_string()),
        Just("-1".to_string()),
        Just("70000".to_string()),
        Just("0x1F".to_string()),
        Just("1.5".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("true".to_string()),
        Just("off".to_string()),
        Just("${HOME}".to_string()),
        Just("${NETRUN_FUZZ_UNSET}".to_string()),
        Just("${".to_string()),
        Just("\"quoted \\u00e9\\n\"".to_string()),
        Just("'it''s'".to_string()),
        Just("\"unterminated".to_string()),
        Just("*a".to_string()),
        Just("*nope".to_string()),
        Just("&a anchored".to_string()),
        Just("&a [x, y]".to_string()),
        Just("!tag x".to_string()),
        Just("!!str 5".to_string()),
        Just("|\n    block\n    text".to_string()),
        Just(">-\n    folded".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("?".to_string()),
        Just("- a".to_string()),
        Just("a: b: c".to_string()),
        Just("\"\\xff\"".to_string()),
        Just("é漢".to_string()),
        Just("#comment".to_string()),
    ]
}

/// A value: a scalar, or a flow sequence or mapping of values, a few levels deep.
pub fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            vec((key(), inner), 0..4).prop_map(|pairs| {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", pairs.join(", "))
            }),
        ]
    })
}

/// A mapping key: usually one netrun knows, sometimes not.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "hostname", "port", "username", "password", "platform", "groups", "data",
            "connection_options", "extras", "ssh", "site", "api_token", "<<",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_]{1,6}",
        1 => prop::sample::select(vec!["\"q\"", "'q'", "1", "true", "? k", "&k k", "*a", "~"])
            .prop_map(str::to_string),
    ]
}

/// A group reference list: names that exist (`g0`…`g3`), and some that do not.
pub fn groups_list() -> impl Strategy<Value = String> {
    vec(
        prop::sample::select(vec!["g0", "g1", "g2", "g3", "nope", "1", "[]", "*a"]),
        0..4,
    )
    .prop_map(|names| format!("[{}]", names.join(", ")))
}

/// One top-level entry, in block or flow style.
pub fn entry() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        4 => "[a-z][a-z0-9.-]{0,8}",
        1 => prop::sample::select(vec!["g0", "g1", "g2", "g3", "'r 1'", "\"r\\t2\"", "1", "&a r", "*a"])
            .prop_map(str::to_string),
    ];
    let field = prop_oneof![
        3 => (key(), value()),
        1 => groups_list().prop_map(|list| ("groups".to_string(), list)),
    ];
    (name, vec(field, 0..5), any::<bool>()).prop_map(|(name, fields, flow)| {
        if flow {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{name}: {{{}}}\n", fields.join(", "))
        } else {
            let mut text = format!("{name}:\n");
            for (k, v) in fields {
                text.push_str(&format!("  {k}: {v}\n"));
            }
            text
        }
    })
}

/// A whole file of entries, perhaps between document markers, perhaps with a fault put in.
pub fn document() -> impl Strategy<Value = Vec<u8>> {
    (
        vec(entry(), 0..8),
        any::<bool>(),
        any::<bool>(),
        prop::option::of((any::<usize>(), vec(any::<u8>(), 1..4))),
    )
        .prop_map(|(entries, start, end, fault)| {
            let mut text = String::new();
            if start {
                text.push_str("---\n");
            }
            text.push_str(&entries.concat());
            if end {
                text.push_str("...\n");
            }
            let mut bytes = text.into_bytes();
            if let Some((at, insert)) = fault {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, insert);
            }
            bytes
        })
}
