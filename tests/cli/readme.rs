//! The README's shell examples, run as pasted: every ```sh block that only drives netrun is
//! executed by bash at the repository root (examples write to temporary directories), and each
//! netrun command in it must run — exit 0 or 1, no host unreachable — so that a README that
//! drifts from the binary fails here.

use std::path::Path;
use std::process::Command;

use crate::support::{Scratch, repo};

/// Blocks that need what a test cannot give (a toolchain run, a long-lived server, a plugin
/// build, a zsh function path): skipped by a marker they contain, each for the reason given.
const SKIPPED: &[(&str, &str)] = &[
    ("cargo ", "builds or installs with cargo"),
    ("bash tests/", "runs the whole test suite"),
    ("netrun lab", "serves the lab until interrupted"),
    ("--plugin", "needs a plugin built in its own directory"),
    ("fpath", "writes into zsh's function path"),
];

/// The ```sh blocks of the README, each with the line it starts on.
fn sh_blocks(readme: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in readme.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some((number + 1, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, text)), _) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A bash prelude: `netrun` is the binary under test, and each call must succeed as a README
/// reader expects (exit 0, or 1 for a host the example says fails) with no host unreachable.
fn prelude(binary: &Path, scratch: &Path) -> String {
    format!(
        r#"set -u
netrun() {{
  "{binary}" "$@" >"{scratch}/out" 2>"{scratch}/err"
  local rc=$?
  cat "{scratch}/out"
  if [ $rc -gt 1 ] || grep -qE ' [1-9][0-9]* unreachable' "{scratch}/out"; then
    echo "README command failed (exit $rc): netrun $*" >&2
    cat "{scratch}/err" >&2
    exit 99
  fi
}}
"#,
        binary = binary.display(),
        scratch = scratch.display(),
    )
}

#[test]
fn every_readme_shell_example_runs_as_pasted() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("read README.md");
    let binary = Path::new(env!("CARGO_BIN_EXE_netrun"));
    let mut ran = 0;
    for (line, block) in sh_blocks(&readme) {
        if SKIPPED.iter().any(|(marker, _)| block.contains(marker)) {
            continue;
        }
        let scratch = Scratch::new();
        // `~` in an example is the reader's home: here, a scratch one.
        std::fs::create_dir_all(scratch.path.join("home/.local/share/man/man1")).expect("home");
        std::fs::create_dir_all(scratch.path.join("home/.config/fish/completions")).expect("home");
        std::fs::create_dir_all(
            scratch
                .path
                .join("home/.local/share/bash-completion/completions"),
        )
        .expect("home");
        let script = format!("{}{block}", prelude(binary, &scratch.path));
        let output = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(repo())
            .env("HOME", scratch.path.join("home"))
            .env("NO_COLOR", "1")
            .env_remove("NETRUN_CONFIG")
            .env_remove("NETRUN_INVENTORY")
            .env_remove("NETRUN_TASKS")
            .output()
            .expect("run bash (tests/prerequisites.sh installs it)");
        assert!(
            output.status.success(),
            "README.md:{line}: the block fails as pasted:\n{block}\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        ran += 1;
    }
    assert!(
        ran >= 6,
        "only {ran} README blocks ran: is the README still in ```sh blocks?"
    );
    let status = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(repo())
        .output()
        .expect("git status");
    let untracked: Vec<String> = String::from_utf8_lossy(&status.stdout)
        .lines()
        .filter(|l| l.starts_with("??") && (l.contains("backups") || l.contains("failed.txt")))
        .map(str::to_string)
        .collect();
    assert!(
        untracked.is_empty(),
        "README examples wrote into the repository: {untracked:?}"
    );
}
