//! Asking Python (tests/fixtures/textfsm_reference.py) for the reference answers, and the
//! deterministic pseudo-random generator the differential tests draw inputs from.

use crate::support::check_python_packages;
use netrun::textfsm::{Field, Item, Records};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Sends every request to one python3 process and returns its answers in order.
pub fn ask(requests: &[Value]) -> Vec<Value> {
    check_python_packages();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/textfsm_reference.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 {} ({e}); run tests/prerequisites.sh",
                script.display()
            )
        });
    let mut stdin = child.stdin.take().expect("python3 stdin");
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = BufReader::new(child.stdout.take().expect("python3 stdout"));
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(&l.expect("read python3 output")).expect("python3 answers JSON")
        })
        .collect();
    writer
        .join()
        .expect("writer thread")
        .expect("write to python3");
    let status = child.wait().expect("wait for python3");
    assert!(status.success(), "{} failed: {status}", script.display());
    assert_eq!(
        answers.len(),
        requests.len(),
        "python3 answered {} of {} requests",
        answers.len(),
        requests.len()
    );
    answers
}

/// Records in the form Python's `ParseText` returns them (lists may hold None and dicts).
pub fn raw_rows(records: &Records) -> Value {
    let item = |i: &Item| match i {
        Item::Text(s) => json!(s),
        Item::Missing => Value::Null,
        Item::Groups(groups) => Value::Object(
            groups
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().map_or(Value::Null, |s| json!(s))))
                .collect(),
        ),
    };
    records
        .rows()
        .iter()
        .map(|row| {
            row.iter()
                .map(|f| match f {
                    Field::Text(s) => json!(s),
                    Field::List(items) => items.iter().map(item).collect(),
                })
                .collect::<Value>()
        })
        .collect()
}

/// A small linear congruential generator: reproducible inputs without extra crates.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}
