//! Running the netrun binary in a scratch directory and recording the session.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository root, where the example inventory lives.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory, removed when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("netrun-it-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch { path }
    }

    /// Writes `text` to `name` (directories created as needed).
    pub fn file(&self, name: &str, text: &str) -> &Self {
        let path = self.path.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(path, text).expect("write file");
        self
    }

    /// Runs netrun in this directory.
    pub fn netrun(&self, args: &[&str]) -> Session {
        netrun_in(&self.path, args, &[])
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// What one command printed and how it exited.
pub struct Session {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ netrun {}", self.args.join(" "))?;
        writeln!(f, "[exit {}]", self.code)?;
        if !self.stdout.is_empty() {
            writeln!(f, "--- stdout")?;
            write!(f, "{}", self.stdout)?;
        }
        if !self.stderr.is_empty() {
            writeln!(f, "--- stderr")?;
            write!(f, "{}", self.stderr)?;
        }
        Ok(())
    }
}

/// Runs netrun in `dir` with a clean environment plus `env`.
pub fn netrun_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Session {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netrun"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("NETRUN_") {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1").env("COLUMNS", "200");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run netrun");
    Session {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs netrun at the repository root (the example inventory).
pub fn netrun(args: &[&str]) -> Session {
    netrun_in(&repo(), args, &[])
}

/// Replaces run timings (`0.28 s`, `"duration_ms": 812`) so snapshots are stable.
pub fn without_timings(text: &str) -> String {
    let seconds = regex::Regex::new(r"\d+\.\d\d s\b").expect("regex");
    let millis = regex::Regex::new(r#""duration_ms": ?\d+"#).expect("regex");
    let text = seconds.replace_all(text, "[time]");
    millis
        .replace_all(&text, r#""duration_ms": "[ms]""#)
        .into_owned()
}
