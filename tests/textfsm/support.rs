//! Locating the references: the shared corpus, the pip-installed ntc-templates, python3.

use netrun::textfsm::{Library, templates_dir};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The pinned ntc-templates release the corpus was made with.
pub const NTC_TEMPLATES_VERSION: &str = "9.2.0";
/// The textfsm release it pulls in.
pub const TEXTFSM_VERSION: &str = "2.1.0";

/// `../shared/ntc-corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ntc-corpus");
    assert!(
        dir.join("manifest.jsonl").is_file(),
        "the ntc-templates corpus is missing: expected {}/manifest.jsonl",
        dir.display()
    );
    dir
}

/// Runs `python3 -c code` and returns its stdout, failing the test with its stderr otherwise.
pub fn python(code: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", code])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); run tests/prerequisites.sh"));
    assert!(
        out.status.success(),
        "python3 failed (run tests/prerequisites.sh):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Checks that python3 has the pinned ntc-templates and textfsm, once per test run.
pub fn check_python_packages() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let versions = python(
            "import importlib.metadata as m, ntc_templates, textfsm; print(m.version('ntc-templates'), m.version('textfsm'))",
        );
        assert_eq!(
            versions.split_whitespace().collect::<Vec<_>>(),
            [NTC_TEMPLATES_VERSION, TEXTFSM_VERSION],
            "python3 must have ntc-templates=={NTC_TEMPLATES_VERSION} (textfsm {TEXTFSM_VERSION}); run tests/prerequisites.sh"
        );
    });
}

/// The templates directory of the installed ntc-templates package.
pub fn ntc_templates() -> PathBuf {
    check_python_packages();
    templates_dir(None, None, None).unwrap_or_else(|e| panic!("{e}; run tests/prerequisites.sh"))
}

/// A library over the installed ntc-templates, shared by the tests of this binary.
pub fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let dir = ntc_templates();
        Library::open(&dir).unwrap_or_else(|e| panic!("cannot open {}: {e}", dir.display()))
    })
}

/// One corpus case from `manifest.jsonl`.
pub struct Case {
    pub raw: PathBuf,
    pub expected: PathBuf,
    pub platform: String,
    pub command: String,
}

/// Every case of the corpus, in manifest order.
pub fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let manifest =
        std::fs::read_to_string(dir.join("manifest.jsonl")).expect("read manifest.jsonl");
    manifest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("manifest line is JSON");
            let field = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("manifest line lacks {k}: {line}"))
                    .to_string()
            };
            Case {
                raw: dir.join(field("raw")),
                expected: dir.join(field("expected")),
                platform: field("platform"),
                command: field("command"),
            }
        })
        .collect()
}
