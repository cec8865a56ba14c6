//! Every case of the shared ntc-templates corpus through index lookup and parse, compared with
//! the records Python produced.

use crate::support::{cases, library};
use serde_json::Value;

/// How many cases may differ (the bar: 99.5% of 908).
const MAX_FAILURES: usize = 4;

fn describe(expected: &Value, got: &Value) -> String {
    let (Some(e), Some(g)) = (expected.as_array(), got.as_array()) else {
        return format!("expected {expected}\n     got {got}");
    };
    let mut out = format!("expected {} records, got {}", e.len(), g.len());
    if let Some(i) = (0..e.len().max(g.len())).find(|&i| e.get(i) != g.get(i)) {
        let show = |v: Option<&Value>| v.map_or("(none)".to_string(), Value::to_string);
        out.push_str(&format!(
            "; first difference at record {i}:\n    expected {}\n         got {}",
            show(e.get(i)),
            show(g.get(i))
        ));
    }
    out
}

#[test]
fn corpus_cases_parse_as_python_textfsm_does() {
    let library = library();
    let cases = cases();
    assert_eq!(cases.len(), 908, "the corpus should hold 908 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let raw = std::fs::read_to_string(&case.raw)
            .unwrap_or_else(|e| panic!("{}: {e}", case.raw.display()));
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&case.expected)
                .unwrap_or_else(|e| panic!("{}: {e}", case.expected.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.expected.display()));
        let outcome = match library.parse(&case.platform, &case.command, &raw) {
            Ok(records) => {
                let got = records.to_json();
                (got != expected).then(|| describe(&expected, &got))
            }
            Err(e) => Some(format!("error: {e}")),
        };
        if let Some(why) = outcome {
            failures.push(format!(
                "{} ({} / {}): {why}",
                case.raw.display(),
                case.platform,
                case.command
            ));
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}\n");
    }
    let passed = cases.len() - failures.len();
    eprintln!(
        "corpus: {passed}/{} cases equal to Python textfsm",
        cases.len()
    );
    assert!(
        failures.len() <= MAX_FAILURES,
        "{} corpus cases differ from Python textfsm (at most {MAX_FAILURES} allowed); see above",
        failures.len()
    );
}
