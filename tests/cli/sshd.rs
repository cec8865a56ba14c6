//! The netrun binary against OpenSSH's sshd on 127.0.0.1: exec and shell, key, agent and
//! password authentication, and known_hosts `strict` rejecting a changed key.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::support::sshd::{KEY_PASSPHRASE, PASSWORD, Sshd, SshdOptions, USER};
use crate::support::{Scratch, Session, netrun_in};

/// A one-host inventory for `sshd` with the given ssh extras.
fn inventory(scratch: &Scratch, sshd: &Sshd, auth: &str, extras: &str) {
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "server1:\n  hostname: 127.0.0.1\n  port: {port}\n  username: {USER}\n  platform: linux\n{auth}  connection_options:\n    ssh:\n      extras:\n        known_hosts_file: {kh}\n{extras}",
            port = sshd.port,
            kh = scratch.path.join("known_hosts").display(),
        ),
    );
}

fn json(session: &Session) -> serde_json::Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {session}"))
}

fn results(doc: &serde_json::Value) -> Vec<String> {
    doc["hosts"][0]["results"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .map(|n| n["result"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn exec_mode_with_a_key_gives_clean_output() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let auth = "  password: null\n".to_string();
    let extras = format!("        private_key: {}\n", sshd.key.display());
    inventory(&scratch, &sshd, &auth, &extras);
    let session = scratch.netrun(&[
        "command",
        "echo hello from sshd",
        "printf 'a\\nb\\n'",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "ok");
    assert_eq!(
        doc["hosts"][0]["connections"], 1,
        "both commands over one connection"
    );
    assert_eq!(results(&doc), ["hello from sshd\n", "a\nb\n"]);
}

#[test]
fn shell_mode_with_a_password_strips_echo_and_prompt() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let auth = format!("  password: {PASSWORD}\n");
    inventory(&scratch, &sshd, &auth, "        mode: shell\n");
    let session = scratch.netrun(&["command", "echo shell-ok", "pwd", "--output", "json"]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(
        !session.stdout.contains(PASSWORD),
        "the password never appears"
    );
    let doc = json(&session);
    let out = results(&doc);
    assert_eq!(out[0].trim_end(), "shell-ok", "{out:?}");
    assert!(out[1].trim_end().starts_with('/'), "{out:?}");
    assert!(
        !out.iter().any(|o| o.contains('$') || o.contains('\r')),
        "no prompt, no CR: {out:?}"
    );
}

#[test]
fn encrypted_key_with_its_passphrase() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        ..SshdOptions::default()
    });
    let scratch = Scratch::new();
    let extras = format!(
        "        private_key: {}\n        passphrase: {KEY_PASSPHRASE}\n",
        sshd.enc_key.display()
    );
    inventory(&scratch, &sshd, "", &extras);
    let session = scratch.netrun(&["command", "id -un"]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");
    assert!(!session.stdout.contains(KEY_PASSPHRASE), "{session}");
}

#[test]
fn strict_known_hosts_rejects_a_changed_key() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    // A key recorded for this address that is not the server's: the server looks replaced.
    scratch.file(
        "known_hosts",
        &format!(
            "[127.0.0.1]:{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIHr1sb3ZSLsB3DDZuNqv3HBxDqH9BZoq8JJFXM4dgeb\n",
            sshd.port
        ),
    );
    let auth = format!("  password: {PASSWORD}\n");
    inventory(&scratch, &sshd, &auth, "        known_hosts: strict\n");
    let session = scratch.netrun(&["command", "true", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "unreachable");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("HOST KEY MISMATCH"), "{error}");
    assert!(error.contains("known_hosts line 1"), "{error}");

    // With the real key recorded, strict connects.
    scratch.file(
        "known_hosts",
        &format!("[127.0.0.1]:{} {}\n", sshd.port, sshd.host_pub.trim()),
    );
    let session = scratch.netrun(&["command", "true"]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
}

#[test]
fn wrong_password_is_unreachable_with_the_methods_tried() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    inventory(
        &scratch,
        &sshd,
        "  password: not-the-password\n",
        "        known_hosts: off\n",
    );
    let session = scratch.netrun(&["command", "true", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "unreachable");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("password"), "{error}");
    assert!(!session.stdout.contains("not-the-password"), "{session}");
}

/// A real `ssh-agent` listening on a socket in a scratch directory, killed on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("ssh-agent (package openssh-client) did not start: {e}"));
        let agent = Agent { child, socket };
        for _ in 0..100 {
            if agent.socket.exists() {
                return agent;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("ssh-agent did not create {}", agent.socket.display());
    }

    /// Runs `ssh-add ARGS` against this agent.
    fn add(&self, args: &[&std::ffi::OsStr]) {
        let out = Command::new("ssh-add")
            .args(args)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .expect("run ssh-add");
        assert!(
            out.status.success(),
            "ssh-add {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn agent_keys_authenticate_and_an_empty_agent_is_named_in_the_error() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        ..SshdOptions::default()
    });
    let scratch = Scratch::new();
    let agent = Agent::start(&scratch.path);
    agent.add(&[sshd.key.as_os_str()]);
    inventory(&scratch, &sshd, "", "        use_agent: true\n");
    let sock = agent.socket.to_string_lossy().into_owned();
    let env = [("SSH_AUTH_SOCK", sock.as_str())];

    let session = netrun_in(&scratch.path, &["command", "id -un"], &env);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");

    // The same host with the agent emptied: unreachable, and the error says what was offered.
    agent.add(&["-D".as_ref()]);
    let session = netrun_in(
        &scratch.path,
        &["command", "id -un", "--output", "json"],
        &env,
    );
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "unreachable", "{session}");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("agent (0 keys)"), "{error}");
    assert!(error.contains("server accepts: publickey"), "{error}");
}

#[test]
fn an_old_device_needs_legacy_algorithms_and_works_with_them() {
    // Only SHA-1 Diffie-Hellman, CBC and HMAC-SHA1, like an old IOS image.
    let sshd = Sshd::start(SshdOptions {
        extra_config: "KexAlgorithms diffie-hellman-group14-sha1\nCiphers aes128-cbc\nMACs hmac-sha1\n",
        ..SshdOptions::default()
    });
    let scratch = Scratch::new();
    let auth = format!("  password: {PASSWORD}\n");
    inventory(&scratch, &sshd, &auth, "");
    let session = scratch.netrun(&["command", "id -un", "--output", "json"]);
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "unreachable", "{session}");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("try legacy_algorithms: true"), "{error}");

    inventory(&scratch, &sshd, &auth, "        legacy_algorithms: true\n");
    let session = scratch.netrun(&["command", "id -un"]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");
}

#[test]
fn shell_mode_output_full_of_prompt_like_lines_comes_back_whole() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let auth = format!("  password: {PASSWORD}\n");
    inventory(&scratch, &sshd, &auth, "        mode: shell\n");
    let session = scratch.netrun(&[
        "command",
        "seq -f 'cpu %g%%' 1 300000",
        "printf 'edge12#\\nadmin@other:~$ \\nR1>\\n'",
        "echo after",
        "false",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 1, "{session}\nsshd log:\n{}", sshd.log());
    let doc = json(&session);
    let out = results(&doc);
    let seq: Vec<&str> = out[0].lines().collect();
    assert_eq!(seq.len(), 300_000, "cut short: ends with {:?}", seq.last());
    assert_eq!(seq.last(), Some(&"cpu 300000%"));
    assert_eq!(out[1], "edge12#\nadmin@other:~$ \nR1>");
    assert_eq!(out[2], "after", "each command gets its own output");
    let last = &doc["hosts"][0]["results"][3];
    assert_eq!(last["status"], "failed", "{last:#}");
    assert!(
        last["error"]
            .as_str()
            .unwrap_or_default()
            .contains("'false' exited with status 1"),
        "{last:#}"
    );
}

#[test]
fn exec_mode_cleans_output_and_keeps_stderr_on_success() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let auth = format!("  password: {PASSWORD}\n");
    inventory(&scratch, &sshd, &auth, "");
    let session = scratch.netrun(&[
        "command",
        "printf 'a\\033[1mb\\033[0m\\r\\nprogress 10%%\\rprogress 100%%\\n'; echo warn >&2",
        "--output",
        "json",
    ]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    let step = &json(&session)["hosts"][0]["results"][0];
    assert_eq!(step["result"], "ab\nprogress 100%\n", "{step:#}");
    assert_eq!(step["stderr"], "warn\n", "{step:#}");
}
