//! Running templates: record semantics, states and actions.

use super::{parse, r, rows, template};
use crate::textfsm::{Field, Item, ParseError};

#[test]
fn implicit_eof_record() {
    let t = "Value A (\\w+)\n\nStart\n  ^a ${A}\n";
    assert_eq!(parse(t, "a x\na y"), vec![r(&["y"])]);
    assert_eq!(parse(t, ""), Vec::<Vec<String>>::new());
}

#[test]
fn declared_eof_state_suppresses_the_last_record() {
    let t = "Value A (\\w+)\n\nStart\n  ^a ${A}\n  ^r -> Record\n\nEOF\n";
    assert_eq!(parse(t, "a x\nr\na y"), vec![r(&["x"])]);
}

#[test]
fn end_stops_without_record_and_eof_stops_with_one() {
    let t = "Value A (\\w+)\n\nStart\n  ^a ${A}\n  ^stop -> End\n  ^eof -> EOF\n";
    assert_eq!(parse(t, "a x\nstop\na y"), Vec::<Vec<String>>::new());
    assert_eq!(parse(t, "a x\neof\na y"), vec![r(&["x"])]);
}

#[test]
fn filldown_survives_records_until_clearall() {
    let t = "Value Filldown A (\\w+)\nValue B (\\d+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n  ^clear -> Clear\n  ^all -> Clearall\n";
    assert_eq!(
        parse(t, "a x\nb 1\nb 2\nclear\nb 3\nall\nb 4"),
        vec![
            r(&["x", "1"]),
            r(&["x", "2"]),
            r(&["x", "3"]),
            r(&["", "4"])
        ]
    );
}

#[test]
fn required_drops_records_where_it_is_empty() {
    let t = "Value Required A (\\w+)\nValue B (\\d+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n";
    assert_eq!(parse(t, "b 1\na x\nb 2"), vec![r(&["x", "2"])]);
}

#[test]
fn a_record_of_only_unset_values_is_not_kept_but_empty_strings_count() {
    let t = "Value A (\\w*)\nValue B (\\d+)\n\nStart\n  ^rec -> Record\n  ^a${A}$$ -> Record\n";
    assert_eq!(parse(t, "rec\na"), vec![r(&["", ""])]);
}

#[test]
fn fillup_fills_earlier_records_upwards() {
    let t = "Value Fillup A (\\w+)\nValue B (\\d+)\n\nStart\n  ^b ${B} -> Record\n  ^a ${A}\n";
    assert_eq!(
        parse(t, "b 1\nb 2\na x\nb 3\na y\nb 4"),
        // A later Fillup stops at the first record that already has a value.
        vec![
            r(&["x", "1"]),
            r(&["x", "2"]),
            r(&["x", "3"]),
            r(&["y", "4"])
        ]
    );
}

#[test]
fn list_values_collect_and_reset() {
    let t = "Value List A (\\w+)\nValue B (\\d+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n";
    assert_eq!(
        parse(t, "a x\na y\nb 1\nb 2"),
        vec![r(&["[x|y]", "1"]), r(&["[]", "2"])]
    );
    let filldown =
        "Value Filldown,List A (\\w+)\nValue B (\\d+)\n\nStart\n  ^a ${A}\n  ^b ${B} -> Record\n";
    // The filled-down list keeps the implicit EOF record alive.
    assert_eq!(
        parse(filldown, "a x\nb 1\na y\nb 2"),
        vec![r(&["[x]", "1"]), r(&["[x|y]", "2"]), r(&["[x|y]", ""])]
    );
}

#[test]
fn list_items_can_be_missing_or_dicts() {
    let t = "Value List A ((?P<n>\\w+)=(?P<v>\\d+)?)\nValue List M (\\w+)\n\nStart\n  ^kv ${A}\n  ^m( ${M})?$$\n";
    let records = template(t).parse("kv a=1\nkv b=\nm\nm z").expect("parses");
    let want_a = Field::List(vec![
        Item::Groups(vec![
            ("n".into(), Some("a".into())),
            ("v".into(), Some("1".into())),
        ]),
        Item::Groups(vec![("n".into(), Some("b".into())), ("v".into(), None)]),
    ]);
    assert_eq!(records.rows()[0][0], want_a);
    assert_eq!(
        records.rows()[0][1],
        Field::List(vec![Item::Missing, Item::Text("z".into())])
    );
    assert_eq!(
        rows(&records)[0][0],
        "[{'n': 'a', 'v': '1'}|{'n': 'b', 'v': None}]"
    );
    assert_eq!(rows(&records)[0][1], "[None|z]");
}

#[test]
fn required_and_list_check_in_option_order() {
    // `Required,List` checks the last captured text; `List,Required` checks the list.
    let t = "Value Required,List A (\\w+)\nValue List,Required B (\\w+)\nValue C (\\d+)\n\nStart\n  ^a( ${A})?$$\n  ^b( ${B})?$$\n  ^c ${C} -> Record\n";
    assert_eq!(parse(t, "a x\na\nb y\nc 1"), Vec::<Vec<String>>::new());
    assert_eq!(
        parse(t, "a x\nb y\nb\nc 1"),
        vec![r(&["[x]", "[y|None]", "1"])]
    );
}

#[test]
fn continue_keeps_the_line_for_later_rules() {
    let t =
        "Value A (\\w+)\nValue B (\\w+)\n\nStart\n  ^${A} -> Continue\n  ^\\w+ ${B} -> Record\n";
    assert_eq!(parse(t, "x y\nz w"), vec![r(&["x", "y"]), r(&["z", "w"])]);
    let record_first = "Value A (\\w+)\n\nStart\n  ^${A} -> Continue.Record\n  ^b -> Record\n";
    assert_eq!(parse(record_first, "a\nb"), vec![r(&["a"]), r(&["b"])]);
}

#[test]
fn state_transitions() {
    let t = "Value A (\\w+)\nValue B (\\w+)\n\nStart\n  ^begin -> Body\n  ^b ${B}\n\nBody\n  ^a ${A}\n  ^done -> Next.Record Start\n";
    assert_eq!(
        parse(t, "a 1\nbegin\na 2\nb 3\ndone\nb 4"),
        vec![r(&["2", ""]), r(&["", "4"])]
    );
}

#[test]
fn error_action_is_a_typed_error() {
    let t = template(
        "Value A (\\w+)\n\nStart\n  ^ok\n  ^bad.* -> Error \"unexpected line\"\n  ^worse -> Error\n",
    );
    match t.parse("ok\nbad thing") {
        Err(ParseError::Action {
            message,
            line,
            rule_line,
            ..
        }) => {
            assert_eq!(message.as_deref(), Some("unexpected line"));
            assert_eq!(line, "bad thing");
            assert_eq!(rule_line, 5);
        }
        other => panic!("expected an Error action, got {other:?}"),
    }
    assert!(matches!(
        t.parse("worse"),
        Err(ParseError::Action { message: None, .. })
    ));
}

#[test]
fn lines_split_like_python_splitlines() {
    let t = "Value A (.*)\n\nStart\n  ^${A} -> Record\n";
    assert_eq!(
        parse(t, "a\r\nb\rc\u{b}d\u{85}e\n"),
        vec![r(&["a"]), r(&["b"]), r(&["c"]), r(&["d"]), r(&["e"])]
    );
}

#[test]
fn a_template_without_values_records_nothing() {
    assert_eq!(
        parse("\nStart\n  ^.* -> Record\n", "a\nb"),
        Vec::<Vec<String>>::new()
    );
}

#[test]
fn json_has_lowercase_keys_in_column_order() {
    let t = template(
        "Value Name (\\w+)\nValue List Items (\\w+)\n\nStart\n  ^n ${Name}\n  ^i ${Items}\n",
    );
    let records = t.parse("n R1\ni a\ni b").expect("parses");
    assert_eq!(
        records.to_json(),
        serde_json::json!([{"name": "R1", "items": ["a", "b"]}])
    );
    let text = serde_json::to_string(&records).expect("serializes");
    assert_eq!(text, r#"[{"name":"R1","items":["a","b"]}]"#);
}
