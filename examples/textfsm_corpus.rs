//! Parses the whole shared ntc-templates corpus with netrun's TextFSM engine (bench/textfsm.sh).
//!
//! `textfsm_corpus [--corpus DIR] [--templates DIR] [--rounds N] [--check]`
//!
//! Reads every case's output first, then opens the templates directory (index compiled) and
//! parses every case `N` times (default 1) through the index, each template compiled once on
//! first use and reused. Prints one JSON line: cases, parses, seconds spent opening the library
//! and parsing, and with `--check` how many cases equal the expected records (exit 1 if any
//! differs; the expected records are only read with `--check`).

use netrun::textfsm::{Library, templates_dir};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ntc-corpus");
    let mut templates = None;
    let mut rounds = 1usize;
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--corpus" => corpus = PathBuf::from(value()),
            "--templates" => templates = Some(PathBuf::from(value())),
            "--rounds" => {
                rounds = value()
                    .parse()
                    .unwrap_or_else(|_| fail("--rounds takes a number"))
            }
            "--check" => check = true,
            _ => fail(&format!("unknown argument {arg}")),
        }
    }
    let manifest = std::fs::read_to_string(corpus.join("manifest.jsonl"))
        .unwrap_or_else(|e| fail(&format!("{}/manifest.jsonl: {e}", corpus.display())));
    let mut cases = Vec::new();
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| fail(&format!("manifest: {e}")));
        let field = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| fail(&format!("manifest line lacks {k}")))
                .to_string()
        };
        let read = |k: &str| {
            let path = corpus.join(field(k));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())))
        };
        let expected: serde_json::Value = if check {
            serde_json::from_str(&read("expected"))
                .unwrap_or_else(|e| fail(&format!("expected records: {e}")))
        } else {
            serde_json::Value::Null
        };
        cases.push((field("platform"), field("command"), read("raw"), expected));
    }

    let start = Instant::now();
    let dir = templates_dir(
        templates.as_deref(),
        None,
        std::env::var_os("NET_TEXTFSM").as_deref(),
    )
    .unwrap_or_else(|e| fail(&e.to_string()));
    let library = Library::open(&dir).unwrap_or_else(|e| fail(&e.to_string()));
    let opened = start.elapsed();
    let mut results = Vec::with_capacity(cases.len());
    let start = Instant::now();
    for round in 0..rounds {
        for (platform, command, raw, _) in &cases {
            let parsed = library.parse(platform, command, raw);
            if round == 0 {
                results.push(parsed);
            }
        }
    }
    let parsing = start.elapsed();

    let failed = results.iter().filter(|r| r.is_err()).count();
    let equal = check.then(|| {
        results
            .iter()
            .zip(&cases)
            .filter(|(got, case)| got.as_ref().is_ok_and(|r| r.to_json() == case.3))
            .count()
    });
    println!(
        "{}",
        serde_json::json!({
            "engine": "netrun",
            "cases": cases.len(),
            "parses": cases.len() * rounds,
            "failed": failed,
            "equal": equal,
            "open_s": opened.as_secs_f64(),
            "parse_s": parsing.as_secs_f64(),
        })
    );
    // Exit without tearing down the compiled templates: the process ends here anyway.
    std::process::exit(if equal.is_some_and(|e| e != cases.len()) {
        1
    } else {
        0
    });
}

fn fail(message: &str) -> ! {
    eprintln!("textfsm_corpus: {message}");
    std::process::exit(2);
}
