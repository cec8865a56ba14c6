//! Reading templates: Values, states, rules, actions and the errors the reference raises.

use super::{compile_error, parse, r, template};
use crate::textfsm::ValueOption;

#[test]
fn value_options_and_combinations() {
    let t = template(
        "Value Filldown,Required A (\\S+)\nValue Key B (\\d+)\nValue List,Fillup C (x)\nValue D (.*)\n\nStart\n  ^${A}\n",
    );
    let options: Vec<(&str, Vec<ValueOption>)> =
        t.options().map(|(n, o)| (n, o.to_vec())).collect();
    assert_eq!(
        options,
        vec![
            ("A", vec![ValueOption::Filldown, ValueOption::Required]),
            ("B", vec![ValueOption::Key]),
            ("C", vec![ValueOption::List, ValueOption::Fillup]),
            ("D", vec![]),
        ]
    );
    assert_eq!(t.keys().collect::<Vec<_>>(), ["B"]);
    assert_eq!(t.header().collect::<Vec<_>>(), ["A", "B", "C", "D"]);
}

#[test]
fn value_regex_keeps_its_spaces() {
    assert_eq!(
        parse("Value A (a b  c)\n\nStart\n  ^${A} -> Record\n", "a b  c"),
        vec![r(&["a b  c"])]
    );
}

#[test]
fn value_errors() {
    assert!(compile_error("Value A\n\nStart\n").contains("at least a name and a regex"));
    assert!(
        compile_error("Value Sticky A (x)\n\nStart\n").contains("unknown Value option \"Sticky\"")
    );
    assert!(
        compile_error("Value List,List A (x)\n\nStart\n")
            .contains("duplicate Value option \"List\"")
    );
    assert!(compile_error("Value A x\n\nStart\n").contains("unknown Value option \"A\""));
    assert!(
        compile_error("Value A (x\\)\n\nStart\n").contains("must be contained within a '()' pair")
    );
    assert!(
        compile_error("Value A ((x)\n\nStart\n").contains("missing ), unterminated subpattern")
    );
    assert!(
        compile_error(&format!("Value {} (x)\n\nStart\n", "N".repeat(49))).contains("too long")
    );
    assert!(
        compile_error("Value A (x)\nValue A (y)\n\nStart\n")
            .contains("duplicate declarations for Value 'A'")
    );
}

#[test]
fn errors_name_the_template_and_line() {
    let e = compile_error("Value A (x)\n\nStart\n  ^a\n  ^${B}\n");
    assert!(
        e.starts_with("template test.textfsm:5: bad variable substitution"),
        "{e}"
    );
}

#[test]
fn comments_and_blank_line_sections() {
    let t = "# header comment\nValue A (\\w+)\n  # indented comment\n\n# between\nStart\n  # in a state\n  ^a ${A} -> Record\n";
    assert_eq!(parse(t, "a x\na y"), vec![r(&["x"]), r(&["y"])]);
    assert!(
        compile_error("Value A (x)\nText\n\nStart\n")
            .contains("expected a blank line after the last Value")
    );
    assert!(compile_error("Text\nValue A (x)\n\nStart\n").contains("no Value definitions found"));
}

#[test]
fn rule_indentation() {
    for indent in [" ", "  ", "\t"] {
        assert_eq!(
            parse(
                &format!("Value A (\\w+)\n\nStart\n{indent}^${{A}} -> Record\n"),
                "x"
            ),
            vec![r(&["x"])]
        );
    }
    assert!(
        compile_error("Value A (x)\n\nStart\n   ^a\n").contains("missing white space or caret")
    );
    assert!(compile_error("Value A (x)\n\nStart\n  a\n").contains("missing white space or caret"));
}

#[test]
fn states_must_be_valid() {
    assert!(compile_error("Value A (x)\n\nBegin\n  ^a\n").contains("missing state 'Start'"));
    assert!(
        compile_error("Value A (x)\n\nStart\n  ^a -> Nowhere\n")
            .contains("state 'Nowhere' not found")
    );
    assert!(
        compile_error("Value A (x)\n\nStart\n\nStart\n").contains("duplicate state name 'Start'")
    );
    assert!(
        compile_error("Value A (x)\n\nStart\n\nRecord\n").contains("invalid state name 'Record'")
    );
    assert!(compile_error("Value A (x)\n\nStart\n\nMy State\n").contains("invalid state name"));
    assert!(
        compile_error("Value A (x)\n\nStart\n\nEOF\n  ^a\n").contains("'EOF' state must be empty")
    );
    assert!(
        compile_error("Value A (x)\n\nStart\n\nEnd\n  ^a\n").contains("'End' state must be empty")
    );
}

#[test]
fn action_forms() {
    let ok = [
        "-> Next",
        "-> Continue",
        "-> Record",
        "-> NoRecord",
        "-> Clear",
        "-> Clearall",
        "-> Next.Record",
        "-> Next.NoRecord",
        "-> Next.Clear",
        "-> Next.Clearall",
        "-> Continue.Record",
        "-> Continue.Clearall",
        "-> Error",
        "-> Error \"with a message\"",
        "-> Error message",
        "-> Other",
        "-> Record Other",
        "-> Next.Record Other",
        "-> End",
        "-> EOF",
        "->",
    ];
    for action in ok {
        template(&format!("Value A (x)\n\nStart\n  ^a {action}\n\nOther\n"));
    }
    let bad = [
        ("-> Continue Other", "cannot change state"),
        ("-> Continue.Record Other", "cannot change state"),
        ("-> Next.Bogus", "badly formatted rule"),
        ("-> Next \"quoted\"", "must be alphanumeric"),
        ("-> Next Record", "state 'Record' not found"),
        ("->Next", "badly formatted rule"),
    ];
    for (action, why) in bad {
        let e = compile_error(&format!("Value A (x)\n\nStart\n  ^a {action}\n\nOther\n"));
        assert!(e.contains(why), "{action}: {e}");
    }
}

#[test]
fn the_action_follows_the_last_arrow() {
    // The regex part keeps everything before the last whitespace-then-arrow, spaces included.
    assert_eq!(
        parse(
            "Value A (\\S+)\n\nStart\n  ^x -> ${A}  -> Record\n",
            "x -> y  "
        ),
        vec![r(&["y"])]
    );
    assert_eq!(
        parse(
            "Value A (\\S+)\n\nStart\n  ^x -> ${A}  -> Record\n",
            "x -> y"
        ),
        Vec::<Vec<String>>::new()
    );
}

#[test]
fn substitution_forms() {
    let t = "Value Name (\\w+)\nValue N2 (\\d+)\n\nStart\n  ^${Name}:$N2$$ -> Record\n  ^lit \\$$${Name} -> Record\n";
    assert_eq!(
        parse(t, "a:1\nb:2x\nlit $c"),
        vec![r(&["a", "1"]), r(&["c", ""])]
    );
    assert!(compile_error("Value A (x)\n\nStart\n  ^a$\n").contains("invalid placeholder"));
    assert!(compile_error("Value A (x)\n\nStart\n  ^$B\n").contains("no Value named 'B'"));
    assert!(compile_error("Value A (x)\n\nStart\n  ^${A\n").contains("invalid placeholder"));
    // Without Values nothing is substituted: `$$` stays two end anchors.
    template("\nStart\n  ^a$$\n");
}

#[test]
fn python_regex_errors_fail_the_template() {
    assert!(compile_error("Value A (x)\n\nStart\n  ^a\\q\n").contains("bad escape \\q"));
    assert!(
        compile_error("Value A (x)\n\nStart\n  ^${A}${A}\n")
            .contains("redefinition of group name 'A'")
    );
    assert!(compile_error("Value A (x)\n\nStart\n  ^(?<=a*)b\n").contains("fixed-width"));
}
