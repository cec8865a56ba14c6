//! Corpus outputs mutated (lines shuffled, duplicated, dropped, reversed, cut mid-line, mixed
//! with another case, line endings changed) and parsed by netrun's library and by
//! `ntc_templates.parse.parse_output`: the same records, or both fail.

use crate::reference::{Rng, ask};
use crate::support::{cases, library};
use serde_json::json;

/// Mutations, applied round-robin to the cases (one per case, two for every fifth).
const MUTATIONS: usize = 7;

fn mutate(kind: usize, text: &str, other: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    match kind {
        0 => rng.shuffle(&mut lines),
        1 => {
            let at = rng.below(lines.len() + 1);
            let len = rng.below(lines.len() - at + 1);
            let block: Vec<&str> = lines[at..at + len].to_vec();
            lines.splice(at..at, block);
        }
        2 => {
            let keep = 2 + rng.below(3);
            lines = lines
                .into_iter()
                .enumerate()
                .filter(|(i, _)| i % keep != 0)
                .map(|(_, l)| l)
                .collect();
        }
        3 => lines.reverse(),
        4 => {
            let cut = rng.below(text.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|&c| text.is_char_boundary(c))
                .unwrap_or(0);
            return text[..cut].to_string();
        }
        5 => {
            let others: Vec<&str> = other.lines().collect();
            let mut mixed = Vec::with_capacity(lines.len() + others.len());
            let (mut a, mut b) = (lines.into_iter(), others.into_iter());
            loop {
                match (a.next(), b.next()) {
                    (None, None) => break,
                    (x, y) => mixed.extend(x.into_iter().chain(y)),
                }
            }
            lines = mixed;
        }
        _ => {
            return text
                .replace("\r\n", "\n")
                .replace('\n', ["\r", "\r\n", "\u{b}"][rng.below(3)]);
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_corpus_outputs_parse_as_ntc_templates_does() {
    let library = library();
    let cases = cases();
    let texts: Vec<String> = cases
        .iter()
        .map(|c| {
            std::fs::read_to_string(&c.raw).unwrap_or_else(|e| panic!("{}: {e}", c.raw.display()))
        })
        .collect();
    let mut rng = Rng::new(2026);
    let mut inputs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let other = &texts[(i * 7 + 3) % texts.len()];
        let mut text = mutate(i % MUTATIONS, &texts[i], other, &mut rng);
        if i % 5 == 0 {
            text = mutate((i / 5) % MUTATIONS, &text, other, &mut rng);
        }
        inputs.push((case, text));
    }
    let requests: Vec<_> = inputs
        .iter()
        .map(|(c, text)| json!({"kind": "ntc", "platform": c.platform, "command": c.command, "text": text}))
        .collect();
    let answers = ask(&requests);
    let mut failures = Vec::new();
    for ((case, text), answer) in inputs.iter().zip(&answers) {
        let got = library.parse(&case.platform, &case.command, text);
        let same = match (&got, answer.get("records")) {
            (Ok(records), Some(expected)) => records.to_json() == *expected,
            (Err(_), None) => true,
            _ => false,
        };
        if !same {
            let got = got
                .map(|r| r.to_json().to_string())
                .unwrap_or_else(|e| format!("error: {e}"));
            failures.push(format!(
                "{} mutated:\n    python {answer}\n    netrun {got}",
                case.raw.display()
            ));
        }
    }
    for f in &failures {
        eprintln!("DIFF {f}");
    }
    eprintln!(
        "mutated corpus: {} inputs compared, {} differences",
        inputs.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mutated corpus inputs parse differently (see above)",
        failures.len()
    );
}
