//! Hand-written templates exercising every Value option, action and state feature, run by
//! netrun and by Python textfsm on the same generated inputs; the records (or the failure)
//! must be the same. Also templates the reference rejects, which netrun must reject too.

use crate::reference::{Rng, ask, raw_rows};
use netrun::textfsm::Template;
use serde_json::{Value, json};

/// (name, template, lines the inputs are drawn from).
const TEMPLATES: &[(&str, &str, &[&str])] = &[
    (
        "filldown-required-list",
        "Value Filldown CHASSIS (\\S+)\nValue Required SLOT (\\d+)\nValue TYPE (\\S+)\nValue List PORTS (\\S+)\n\nStart\n  ^Chassis\\s+${CHASSIS}\n  ^Slot\\s+${SLOT}\\s+type\\s+${TYPE} -> Continue\n  ^.*port\\s+${PORTS}\n  ^Slot -> Record\n  ^end -> Clearall\n  ^reset -> Clear\n",
        &[
            "Chassis c1",
            "Chassis c2",
            "Slot 1 type linecard",
            "Slot 2 type sup port g0/1",
            "  port g0/2",
            "  port g0/3",
            "Slot x",
            "end",
            "reset",
            "",
        ],
    ),
    (
        "fillup-key",
        "Value Key IFACE (\\S+)\nValue Fillup VLAN (\\d+)\nValue DESC (.*?)\n\nStart\n  ^vlan\\s+${VLAN}\n  ^interface\\s+${IFACE}(\\s+${DESC})?\\s*$$ -> Record\n  ^vlan-empty\\s*${VLAN}$$\n",
        &[
            "vlan 10",
            "vlan 20",
            "interface Gi1",
            "interface Gi2 uplink to core",
            "interface Gi3   ",
            "vlan-empty",
            "other",
        ],
    ),
    (
        "list-nested-and-missing",
        "Value List NEIGH ((?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+(?P<asn>\\d+)?)\nValue List OPT (x|(y))\nValue List MAYBE (\\w+)\nValue NAME (\\S+)\n\nStart\n  ^neighbor\\s+${NEIGH}\n  ^nb(\\s+${NEIGH})?\\s*$$\n  ^opt\\s+${OPT}\n  ^maybe(\\s+${MAYBE})?\\s*$$\n  ^name\\s+${NAME} -> Record\n",
        &[
            "neighbor 10.0.0.1 65001",
            "neighbor 10.0.0.2 ",
            "nb 10.0.0.3 7",
            "nb",
            "opt x",
            "opt y",
            "maybe",
            "maybe word",
            "name r1",
            "name r2",
        ],
    ),
    (
        "states-end-eof-error",
        "Value A (\\w+)\nValue B (\\w+)\n\nStart\n  ^begin -> Body\n  ^stop -> End\n  ^eof -> EOF\n  ^a\\s+${A}\n\nBody\n  ^a\\s+${A}\n  ^b\\s+${B} -> Next.Record Start\n  ^abort -> Error \"aborted here\"\n  ^fail -> Error\n  ^x\\s+${A} -> Continue.Record\n  ^x\\s+\\w+\\s+${B}\n  ^done -> Record End\n",
        &[
            "begin",
            "a one",
            "a two",
            "b three",
            "x four five",
            "x six",
            "stop",
            "eof",
            "abort",
            "fail",
            "done",
            "zzz",
        ],
    ),
    (
        "declared-eof-and-end",
        "Value A (\\w+)\n\nStart\n  ^a\\s+${A}\n  ^r -> Record\n  ^e -> EOF\n  ^x -> End\n\nEOF\n\nEnd\n",
        &["a one", "a two", "r", "e", "x", "junk"],
    ),
    (
        "clear-clearall-list-filldown-order",
        "Value Filldown,List TAGS (\\w+)\nValue Required,List R1 (\\w+)\nValue List,Required R2 (\\w+)\nValue Filldown F (\\w+)\nValue Fillup U (\\w+)\n\nStart\n  ^t\\s+${TAGS}\n  ^r1\\s+${R1}\n  ^r2\\s+${R2}\n  ^f\\s+${F}\n  ^u\\s+${U}\n  ^rec -> Record\n  ^clr -> Clear\n  ^clra -> Clearall\n  ^both\\s+${TAGS}\\s+${F} -> Continue.Clear\n  ^both -> Next.Record\n",
        &[
            "t red",
            "t blue",
            "r1 one",
            "r2 two",
            "f fill",
            "u up",
            "rec",
            "clr",
            "clra",
            "both green down",
            "both",
        ],
    ),
    (
        "regex-dialect",
        "Value Required NAME (\\S+?)\nValue PRICE (\\d+(?:\\.\\d+)?)\nValue CUR ((?<=\\s)[A-Z]{3}\\b|€)\nValue ALT (a)|(b)\nValue WORD (\\w+)\nValue NOTX ((?!x)\\S+)\n\nStart\n  ^item\\s+${NAME}\\s*=\\s*${PRICE}\\s*${CUR}?\\s*$$ -> Record\n  ^alt\\s+${ALT}\n  ^w\\s+${WORD}(?=\\s|$$)\n  ^n\\s+${NOTX}\\<\\>\\#\\/\\-\\ ?\n  ^\\s*$$ -> Record\n",
        &[
            "item apple = 3.50 EUR",
            "item pear=2 USD",
            "item fig = 1 €",
            "item bad = x",
            "alt a",
            "alt b",
            "b",
            "w naïve café",
            "w ٣٤ x",
            "w Straße",
            "n yes<>#/- ",
            "n xno<>#/-",
            "",
            "   ",
        ],
    ),
    (
        "record-actions-and-transitions",
        "Value X (\\d+)\nValue Y (\\d*)\n\nStart\n  ^x\\s+${X} -> Record\n  ^go -> NoRecord Other\n  ^same -> Next.NoRecord\n  ^y${Y}$$\n\nOther\n  ^x\\s+${X} -> Clearall\n  ^back -> Start\n  ^y\\s+${X} -> Record Start\n  ^lit\\s+\\$$\\s+${X}\n",
        &[
            "x 1", "x 22", "go", "same", "y", "y7", "back", "y 5", "lit $ 9", "lit $$ 9",
        ],
    ),
    (
        "dollar-forms-and-comments",
        "# a comment before the values\nValue Key Name (\\w+)\n  # an indented comment\nValue Count (\\d+)\n\n# comment between sections\nStart\n  # comment in a state\n  ^$Name:\\s+${Count}\\s*$$ -> Record\n\t^tab\\s+${Name}\n",
        &["alpha: 1", "beta: 22  ", "tab gamma", "gamma:3", "x"],
    ),
    ("no-values", "\nStart\n  ^.* -> Record\n", &["anything", ""]),
    (
        "value-regex-with-inner-groups",
        "Value Filldown,Required HOST ((\\w+)(\\.\\w+)*)\nValue IP (\\d+(\\.\\d+){3})\n\nStart\n  ^host\\s+${HOST}\n  ^ip\\s+${IP} -> Record\n",
        &["host a.b.c", "host r1", "ip 10.1.2.3", "ip 1.2"],
    ),
];

/// Inputs for one template: edge cases, then random sequences of its lines.
fn inputs(seed: u64, pool: &[&str]) -> Vec<String> {
    let mut texts = vec![
        String::new(),
        "\n".to_string(),
        pool.join("\n"),
        format!("{}\n", pool.join("\r\n")),
    ];
    texts.extend(pool.iter().map(|l| l.to_string()));
    let mut rng = Rng::new(seed);
    for _ in 0..60 {
        let n = rng.below(14);
        let lines: Vec<&str> = (0..n).map(|_| pool[rng.below(pool.len())]).collect();
        let sep = ["\n", "\r\n", "\r"][rng.below(3)];
        texts.push(lines.join(sep));
    }
    texts
}

#[test]
fn hand_written_templates_match_python_textfsm() {
    let mut requests = Vec::new();
    for (i, (_, template, pool)) in TEMPLATES.iter().enumerate() {
        requests.push(
            json!({"kind": "template", "template": template, "texts": inputs(i as u64, pool)}),
        );
    }
    let answers = ask(&requests);
    let mut failures = Vec::new();
    let mut compared = 0;
    for ((name, template, _), (request, answer)) in
        TEMPLATES.iter().zip(requests.iter().zip(&answers))
    {
        let compiled = match Template::compile(name, template) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{name}: netrun rejects it ({e}); Python: {answer}"));
                continue;
            }
        };
        assert!(
            answer.get("error").is_none(),
            "{name}: Python rejects the template: {answer}"
        );
        let header: Vec<String> = compiled.header().map(str::to_string).collect();
        assert_eq!(json!(header), answer["header"], "{name}: header");
        let texts = request["texts"].as_array().expect("texts");
        let results = answer["results"].as_array().expect("results");
        for (text, expected) in texts.iter().zip(results) {
            let text = text.as_str().expect("text");
            compared += 1;
            let got = match compiled.parse(text) {
                Ok(records) => json!({"rows": raw_rows(&records)}),
                Err(e) => json!({"error": "parse", "message": e.to_string()}),
            };
            let same = match (expected.get("error"), got.get("error")) {
                (Some(_), Some(_)) => true,
                (None, None) => expected["rows"] == got["rows"],
                _ => false,
            };
            if !same {
                failures.push(format!(
                    "{name}: input {text:?}\n    python {expected}\n    netrun {got}"
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("DIFF {f}");
    }
    eprintln!(
        "hand-written templates: {compared} inputs compared, {} differences",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences from Python textfsm (see above)",
        failures.len()
    );
}

/// Templates the reference refuses; netrun must refuse them too (and accept the valid controls).
const INVALID: &[&str] = &[
    "Value X \\d+\n\nStart\n  ^a\n",
    "Value Bogus X (a)\n\nStart\n",
    "Value Filldown,Filldown X (a)\n\nStart\n",
    "Value X (a)\n\nOther\n  ^a\n",
    "Value X (a)\n\nStart\n  ^${Y}\n",
    "Value X (a)\n\nStart\n  ^a$\n",
    "Value X (a)\n\nStart\n  ^a -> Continue Other\n\nOther\n",
    "Value X (a)\n\nStart\n  ^a -> Missing\n",
    "Value X (a)\n\nStart\n   ^a\n",
    "Value X (a)\nfoo\n\nStart\n",
    "foo\nValue X (a)\n\nStart\n",
    "Value X (a)\n\nStart\n  ^a\n\nEOF\n  ^b\n",
    "Value X (a)\n\nStart\n  ^a\n\nEnd\n  ^b\n",
    "Value X (a)\nValue X (b)\n\nStart\n",
    "Value X (a)\n\nStart\n\nStart\n",
    "Value X ((a)\n\nStart\n",
    "Value X (a)\n\nStart\n  ^(?<=a+)b\n",
    "Value X (a)\n\nStart\n  ^a -> Next.Bogus\n",
    "Value X (a)\n\nNext\n",
    "Value X (a)\n\nStart\n  ^a -> Next \"quoted\"\n",
    "Value X (a)\n\nStart\n  ^a\\q\n",
    "Value X (a)\n\nStart\n  ^a{2,1}\n",
    "Value X (a)\n\nStart\n  ^*a\n",
    "Value X (a\\)\n\nStart\n",
    "Value Required\n\nStart\n",
    "Value X (a)\n\nStart\n  ^${X}${X}\n",
    "Value X (a)\n\nStart\n  ^a -> Record Next\n",
    "Value Filldown X\n\nStart\n",
    "Value X (a)\n\nSt art\n",
    // Valid controls.
    "Value X (a)\n\nStart\n  ^a -> Error \"with a message\"\n",
    "Value X (a)\n\nStart\n  ^a\\<\\>\\#\\ \\- -> Next.Clearall Start\n",
    "Value X (a)\n\nStart\n  ^a -> Clearall\n  ^b -> NoRecord\n  ^c -> Continue.NoRecord\n",
];

#[test]
fn invalid_templates_are_rejected_as_python_rejects_them() {
    let requests: Vec<Value> = INVALID
        .iter()
        .map(|t| json!({"kind": "template", "template": t, "texts": ["a"]}))
        .collect();
    let answers = ask(&requests);
    let mut failures = Vec::new();
    for (template, answer) in INVALID.iter().zip(&answers) {
        let python_rejects = answer.get("error").is_some();
        match Template::compile("invalid", template) {
            Ok(_) if python_rejects => failures.push(format!(
                "{template:?}: accepted; Python: {}",
                answer["message"]
            )),
            Err(e) if !python_rejects => {
                failures.push(format!("{template:?}: rejected ({e}); Python accepts it"))
            }
            Err(e) => eprintln!("rejected as Python does: {e}"),
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "templates handled differently from Python:\n{}",
        failures.join("\n")
    );
}
