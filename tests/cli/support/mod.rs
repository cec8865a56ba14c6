//! Running the netrun binary in a scratch directory and recording the session; servers the
//! tests talk to.

pub mod plugins;
pub mod sshd;

use std::fmt;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
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

/// A home directory of no one: netrun reads `~/.ssh` (config, keys, known_hosts) like ssh
/// does, and a test must never read or write the real user's.
pub fn empty_home() -> PathBuf {
    std::env::temp_dir().join(format!("netrun-it-home-{}", std::process::id()))
}

/// Runs netrun in `dir` with a clean environment plus `env` (`HOME` an empty scratch home and
/// no ssh-agent unless `env` says otherwise).
pub fn netrun_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Session {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netrun"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("NETRUN_") {
            command.env_remove(key);
        }
    }
    command
        .env("HOME", empty_home())
        .env_remove("SSH_AUTH_SOCK");
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

/// Runs netrun in `dir` like [`netrun_in`], but kills it and fails the test when it has not
/// finished within `limit`: for inputs that once made it hang.
pub fn netrun_within(dir: &Path, args: &[&str], limit: Duration) -> Session {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netrun"));
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("NETRUN_") {
            command.env_remove(key);
        }
    }
    let child = command
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netrun");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(limit) {
        Ok(output) => output.expect("netrun output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("netrun {} did not finish within {limit:?}", args.join(" "));
        }
    };
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

/// Credentials every lab test inventory uses (the lab accepts the host's own).
pub const DEFAULTS: &str = "username: netops\npassword: netrun-lab\nplatform: ios\n";

/// A `netrun lab` process serving an inventory of its own on consecutive 127.0.0.1 ports;
/// SIGTERM on drop.
pub struct LabProcess {
    child: Child,
    /// The first device's port; device N listens on `port + N`.
    pub port: u16,
    counters: PathBuf,
}

impl LabProcess {
    /// Serves `hosts_yaml` (with [`DEFAULTS`]) from `dir/lab`, on ports picked free for `count`
    /// devices; retries elsewhere if another process takes a port first.
    pub fn start(dir: &Path, hosts_yaml: &str, count: u16) -> LabProcess {
        let inventory = dir.join("lab");
        std::fs::create_dir_all(&inventory).expect("lab dir");
        std::fs::write(inventory.join("defaults.yaml"), DEFAULTS).expect("write defaults");
        std::fs::write(inventory.join("hosts.yaml"), hosts_yaml).expect("write hosts");
        let counters = dir.join("counters.json");
        let mut last = String::new();
        for attempt in 0..20u32 {
            let port = free_block(count, attempt);
            let mut child = Command::new(env!("CARGO_BIN_EXE_netrun"))
                .current_dir(dir)
                .args(["--inventory", "lab", "lab", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("--counters")
                .arg(&counters)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start netrun lab");
            let stdout = child.stdout.take().expect("lab stdout");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if line.starts_with("lab serving") {
                        let _ = tx.send(());
                    }
                }
            });
            if rx.recv_timeout(Duration::from_secs(60)).is_ok() {
                return LabProcess {
                    child,
                    port,
                    counters,
                };
            }
            let _ = child.kill();
            let out = child.wait_with_output().expect("lab output");
            last = String::from_utf8_lossy(&out.stderr).into_owned();
        }
        panic!("netrun lab did not start: {last}");
    }

    /// The lab's latest counters file, once `ready` holds for it (a few seconds at most).
    pub fn counters_when(&self, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let current = std::fs::read_to_string(&self.counters)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            match current {
                Some(value) if ready(&value) => return value,
                Some(value) if Instant::now() > deadline => return value,
                _ if Instant::now() > deadline => panic!("no counters file"),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Stops the lab with SIGTERM, waits for it to exit, and returns its counters file as it
    /// was left (`None` when there is none).
    pub fn stop(mut self) -> Option<Value> {
        self.terminate();
        std::fs::read_to_string(&self.counters)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    }

    /// SIGTERM, then SIGKILL if it is still running after 5 s; nothing once it has exited.
    fn terminate(&mut self) {
        // After an exit has been seen, std keeps the status: the pid is never signalled again.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A first port of `count` consecutive free 127.0.0.1 ports, below the ephemeral range so that
/// other tests' `:0` listeners do not land in it.
fn free_block(count: u16, attempt: u32) -> u16 {
    let seed = std::process::id()
        .wrapping_mul(7919)
        .wrapping_add(attempt.wrapping_mul(104_729))
        .wrapping_add(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default(),
        );
    for offset in 0..1000u32 {
        let base = 20_000 + ((seed.wrapping_add(offset * 37)) % 10_000) as u16;
        let free = (0..count).all(|i| TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if free {
            return base;
        }
    }
    panic!("no block of {count} free ports");
}
