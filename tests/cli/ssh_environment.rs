//! The user's OpenSSH environment, against OpenSSH's sshd on 127.0.0.1: `~/.ssh/config` read
//! by default (and `--ssh-config`), its values under the inventory's, `--explain` naming the
//! config line, default identities and the agent tried without any netrun setting. `HOME` is
//! always a scratch directory: the real user's `~/.ssh` is never read.

use std::path::{Path, PathBuf};

use insta::assert_snapshot;

use crate::sshd::Agent;
use crate::support::sshd::{Sshd, SshdOptions, USER};
use crate::support::{Scratch, Session, netrun_in};

/// A scratch home with `.ssh/` in it.
fn home(scratch: &Scratch) -> PathBuf {
    let home = scratch.path.join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("home/.ssh");
    home
}

/// Runs netrun in `scratch` with `HOME` at `home` and more `env`.
fn run_with_home(scratch: &Scratch, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Session {
    let home = home.to_string_lossy().into_owned();
    let mut all = vec![("HOME", home.as_str())];
    all.extend_from_slice(env);
    netrun_in(&scratch.path, args, &all)
}

fn json(session: &Session) -> serde_json::Value {
    serde_json::from_str(&session.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {session}"))
}

/// Copies the sshd's authorised client key to `to` (ssh refuses keys others can read).
fn copy_key(sshd: &Sshd, to: &Path) {
    std::fs::copy(&sshd.key, to).expect("copy key");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).expect("chmod key");
}

#[test]
fn a_host_known_only_to_ssh_config_is_reached_with_no_netrun_setting() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        ..SshdOptions::default()
    });
    let scratch = Scratch::new();
    let home = home(&scratch);
    copy_key(&sshd, &home.join(".ssh/lab_key"));
    // What `ssh lab-router` needs, in the user's ssh_config: an Include with a glob, a Match,
    // tokens in IdentityFile.
    scratch.file(
        "home/.ssh/config",
        &format!(
            "Include ~/.ssh/config.d/*.conf\n\
             Match host 127.0.0.1 user {USER}\n  IdentityFile ~/.ssh/%r_key_does_not_exist\n\
             Host *\n  UserKnownHostsFile ~/.ssh/known_hosts_lab\n  StrictHostKeyChecking accept-new\n"
        ),
    );
    scratch.file(
        "home/.ssh/config.d/lab.conf",
        &format!(
            "Host lab-*\n  HostName 127.0.0.1\n  Port {}\n  User {USER}\n  IdentityFile ~/.ssh/lab_key\n",
            sshd.port
        ),
    );
    scratch.file("inventory/hosts.yaml", "lab-router:\n  platform: linux\n");
    let session = run_with_home(&scratch, &home, &["command", "id -un"], &[]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");
    let learned = std::fs::read_to_string(home.join(".ssh/known_hosts_lab")).unwrap_or_default();
    assert!(
        learned.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", sshd.port)),
        "accept-new learned into UserKnownHostsFile: {learned:?}"
    );

    // `--ssh-config none`: the host has no username any more, nothing is contacted.
    let session = run_with_home(
        &scratch,
        &home,
        &["--ssh-config", "none", "command", "id -un"],
        &[],
    );
    assert_eq!(session.code, 2, "{session}");
    assert!(session.stderr.contains("no username set"), "{session}");

    // The same file named with --ssh-config from elsewhere works the same.
    let elsewhere = scratch.path.join("other_config");
    std::fs::copy(home.join(".ssh/config"), &elsewhere).expect("copy config");
    let other_home = scratch.path.join("other_home");
    std::fs::create_dir_all(&other_home).expect("other home");
    let session = netrun_in(
        &scratch.path,
        &["--ssh-config", "other_config", "command", "id -un"],
        &[("HOME", home.to_str().unwrap_or_default())],
    );
    assert_eq!(session.code, 0, "{session}");
}

#[test]
fn inventory_values_win_over_ssh_config_and_explain_names_the_config_line() {
    let scratch = Scratch::new();
    let home = home(&scratch);
    scratch.file(
        "home/.ssh/config",
        "# the user's own settings\n\
         Host core-*\n  HostName %h.net.example\n  User from-config\n  Port 2201\n\
         Host 10.9.*\n  ProxyJump none\n  ConnectTimeout 4\n\
         Host *\n  StrictHostKeyChecking yes\n  ServerAliveInterval 7\n  ServerAliveCountMax 2\n\
         \x20 KexAlgorithms -diffie-hellman-group14-sha256\n",
    );
    scratch.file(
        "inventory/hosts.yaml",
        "core-1:\n  platform: ios\n  username: from-inventory\n\
         edge-1:\n  hostname: 10.9.0.1\n  platform: ios\n  username: admin\n  connection_options:\n    ssh:\n      extras:\n        known_hosts: accept-new\n",
    );
    scratch.file(
        "inventory/defaults.yaml",
        "connection_options:\n  ssh:\n    extras:\n      known_hosts_file: known_hosts\n",
    );
    let session = run_with_home(
        &scratch,
        &home,
        &["inventory", "show", "core-1", "--explain"],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!("explain_core_from_ssh_config", session);
    let session = run_with_home(
        &scratch,
        &home,
        &["inventory", "show", "edge-1", "--explain"],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
    assert_snapshot!("explain_edge_matched_by_hostname", session);
}

#[test]
fn a_missing_ssh_config_named_on_the_command_line_is_an_error() {
    let scratch = Scratch::new();
    let home = home(&scratch);
    scratch.file(
        "inventory/hosts.yaml",
        "r1:\n  platform: ios\n  username: a\n",
    );
    let session = run_with_home(
        &scratch,
        &home,
        &["--ssh-config", "no-such-file", "command", "true"],
        &[],
    );
    assert_eq!(session.code, 2, "{session}");
    assert_snapshot!(
        session
            .to_string()
            .replace(&scratch.path.display().to_string(), "[DIR]")
    );
    // `netrun inventory` needs no ssh settings at all.
    let session = run_with_home(
        &scratch,
        &home,
        &["--ssh-config", "no-such-file", "inventory"],
        &[],
    );
    assert_eq!(session.code, 0, "{session}");
}

#[test]
fn strict_host_key_checking_from_ssh_config_refuses_an_unknown_host() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let home = home(&scratch);
    copy_key(&sshd, &home.join(".ssh/id_ed25519"));
    scratch.file("home/.ssh/config", "Host *\n  StrictHostKeyChecking yes\n");
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "server1:\n  hostname: 127.0.0.1\n  port: {}\n  username: {USER}\n  platform: linux\n",
            sshd.port
        ),
    );
    let session = run_with_home(
        &scratch,
        &home,
        &["command", "true", "--output", "json"],
        &[],
    );
    assert_eq!(session.code, 1, "{session}");
    let doc = json(&session);
    assert_eq!(doc["hosts"][0]["status"], "unreachable", "{session}");
    let error = doc["hosts"][0]["error"].as_str().unwrap_or_default();
    assert!(error.to_lowercase().contains("unknown"), "{error}");
    assert!(
        !home.join(".ssh/known_hosts").exists(),
        "strict never writes known_hosts"
    );
}

#[test]
fn default_identities_and_a_running_agent_are_tried_like_openssh() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        ..SshdOptions::default()
    });
    let scratch = Scratch::new();
    let home = home(&scratch);
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "server1:\n  hostname: 127.0.0.1\n  port: {}\n  username: {USER}\n  platform: linux\n",
            sshd.port
        ),
    );
    // Nothing configured and nothing to offer: the error says so.
    let session = run_with_home(
        &scratch,
        &home,
        &["command", "id -un", "--output", "json"],
        &[],
    );
    assert_eq!(session.code, 1, "{session}");
    let error = json(&session)["hosts"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("tried: nothing: no password, no key file"),
        "{error}"
    );

    // A running agent holding the key: used without `use_agent: true`.
    let agent = Agent::start(&scratch.path);
    agent.add(&[sshd.key.as_os_str()]);
    let sock = agent.socket.to_string_lossy().into_owned();
    let env = [("SSH_AUTH_SOCK", sock.as_str())];
    let session = run_with_home(&scratch, &home, &["command", "id -un"], &env);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");

    // IdentitiesOnly turns the agent off.
    scratch.file("home/.ssh/config", "Host server1\n  IdentitiesOnly yes\n");
    let session = run_with_home(
        &scratch,
        &home,
        &["command", "id -un", "--output", "json"],
        &env,
    );
    assert_eq!(session.code, 1, "{session}");

    // An empty agent is named as such.
    std::fs::remove_file(home.join(".ssh/config")).expect("rm config");
    agent.add(&["-D".as_ref()]);
    let session = run_with_home(
        &scratch,
        &home,
        &["command", "id -un", "--output", "json"],
        &env,
    );
    assert_eq!(session.code, 1, "{session}");
    let error = json(&session)["hosts"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("an agent is running but holds no key"),
        "{error}"
    );

    // The default identity file, with no agent: tried and accepted.
    copy_key(&sshd, &home.join(".ssh/id_ed25519"));
    let session = run_with_home(&scratch, &home, &["command", "id -un"], &[]);
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());
    assert!(session.stdout.contains(USER), "{session}");
}

/// A one-host inventory for `sshd` with its key, host keys checked against `known_hosts` in
/// the scratch directory under `policy`.
fn keyed_inventory(scratch: &Scratch, sshd: &Sshd, policy: &str) {
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "server1:\n  hostname: 127.0.0.1\n  port: {port}\n  username: {USER}\n  platform: linux\n  connection_options:\n    ssh:\n      extras:\n        private_key: {key}\n        known_hosts: {policy}\n        known_hosts_file: known_hosts\n",
            port = sshd.port,
            key = sshd.key.display(),
        ),
    );
}

/// The host's status and error of a JSON run.
fn outcome(session: &Session) -> (String, String) {
    let doc = json(session);
    let host = &doc["hosts"][0];
    (
        host["status"].as_str().unwrap_or_default().to_string(),
        host["error"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn known_hosts_is_read_as_openssh_reads_it() {
    let sshd = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let home = home(&scratch);
    let host_key = sshd
        .host_pub
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let other = std::fs::read_to_string(sshd.key.with_extension("pub")).expect("pub");
    let other_key = other
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let run = |policy: &str| {
        keyed_inventory(&scratch, &sshd, policy);
        run_with_home(
            &scratch,
            &home,
            &["command", "true", "--output", "json"],
            &[],
        )
    };

    // `@revoked` is fatal under every policy, and the key is not learned.
    scratch.file("known_hosts", &format!("@revoked * {host_key}\n"));
    for policy in ["accept-new", "strict"] {
        let session = run(policy);
        let (status, error) = outcome(&session);
        assert_eq!(status, "unreachable", "{session}");
        assert!(
            error.contains("REVOKED") && error.contains("known_hosts:1"),
            "{error}"
        );
    }
    let kh = std::fs::read_to_string(scratch.path.join("known_hosts")).expect("read");
    assert_eq!(kh.lines().count(), 1, "nothing appended: {kh}");

    // A wildcard line recording another key covers the host: a change, not a new host, so
    // accept-new refuses instead of learning the impostor's key.
    scratch.file("known_hosts", &format!("[127.0.0.*]:* {other_key}\n"));
    let session = run("accept-new");
    let (status, error) = outcome(&session);
    assert_eq!(status, "unreachable", "{session}");
    assert!(error.contains("HOST KEY MISMATCH"), "{error}");

    // A hashed entry (`ssh-keygen -H`) is recognised under strict, after a malformed line and
    // a line that is not UTF-8 (each skipped, not fatal).
    let line = format!("[127.0.0.1]:{} {host_key}\n", sshd.port);
    scratch.file("known_hosts", &line);
    let hashed = std::process::Command::new("ssh-keygen")
        .args(["-H", "-f"])
        .arg(scratch.path.join("known_hosts"))
        .output()
        .expect("run ssh-keygen -H");
    assert!(hashed.status.success(), "{hashed:?}");
    let kh = std::fs::read_to_string(scratch.path.join("known_hosts")).unwrap_or_default();
    assert!(
        kh.starts_with("|1|") && !kh.contains("127.0.0.1"),
        "hashed: {kh}"
    );
    let mut text = b"garbage line\n\xff\xfe not utf-8\n".to_vec();
    text.extend(kh.bytes());
    std::fs::write(scratch.path.join("known_hosts"), &text).expect("write");
    let session = run("strict");
    assert_eq!(session.code, 0, "{session}\nsshd log:\n{}", sshd.log());

    // accept-new appends exactly one line, with no blank line before it.
    scratch.file("known_hosts", "# my hosts\n");
    let session = run("accept-new");
    assert_eq!(session.code, 0, "{session}");
    let kh = std::fs::read_to_string(scratch.path.join("known_hosts")).expect("read");
    assert_eq!(
        kh,
        format!("# my hosts\n[127.0.0.1]:{} {host_key}\n", sshd.port)
    );

    // A known_hosts that exists but cannot be read fails closed, even for accept-new.
    std::fs::remove_file(scratch.path.join("known_hosts")).expect("rm");
    std::fs::create_dir(scratch.path.join("known_hosts")).expect("a directory in its place");
    let session = run("accept-new");
    let (status, error) = outcome(&session);
    assert_eq!(status, "unreachable", "{session}");
    assert!(error.contains("known_hosts"), "{error}");
}

/// How many logins `sshd` accepted so far.
fn logins(sshd: &Sshd) -> usize {
    sshd.log().matches("Accepted publickey").count()
}

#[test]
fn devices_behind_a_bastion_share_one_connection_to_it() {
    let bastion = Sshd::start(SshdOptions::default());
    let second = Sshd::start(SshdOptions::default());
    let device = Sshd::start(SshdOptions::default());
    let scratch = Scratch::new();
    let home = home(&scratch);
    let mut identities = String::new();
    for (i, sshd) in [&bastion, &second, &device].into_iter().enumerate() {
        let key = home.join(format!(".ssh/key{i}"));
        copy_key(sshd, &key);
        identities.push_str(&format!("  IdentityFile {}\n", key.display()));
    }
    scratch.file(
        "home/.ssh/config",
        &format!(
            "Host bastion\n  HostName 127.0.0.1\n  Port {b}\n\
             Host dev-*\n  HostName 127.0.0.1\n  Port {d}\n  ProxyJump bastion\n\
             Host *\n  User {USER}\n  UserKnownHostsFile ~/.ssh/known_hosts_lab\n{identities}",
            b = bastion.port,
            d = device.port,
        ),
    );
    // Three devices through the bastion, and one through a two-hop chain given in the
    // inventory (`user@host:port`).
    scratch.file(
        "inventory/hosts.yaml",
        &format!(
            "dev-1: {{platform: linux}}\ndev-2: {{platform: linux}}\ndev-3: {{platform: linux}}\n\
             deep:\n  hostname: 127.0.0.1\n  port: {d}\n  platform: linux\n  connection_options:\n    ssh:\n      extras:\n        jump_host: {USER}@127.0.0.1:{b},{USER}@127.0.0.1:{s}\n",
            b = bastion.port,
            s = second.port,
            d = device.port,
        ),
    );
    let session = run_with_home(
        &scratch,
        &home,
        &[
            "command",
            "id -un",
            "--output",
            "json",
            "--hosts",
            "dev-1,dev-2,dev-3",
        ],
        &[],
    );
    assert_eq!(
        session.code,
        0,
        "{session}\nbastion log:\n{}",
        bastion.log()
    );
    let doc = json(&session);
    for host in doc["hosts"].as_array().into_iter().flatten() {
        assert_eq!(host["status"], "ok", "{host:#}");
    }
    assert_eq!(logins(&bastion), 1, "one bastion login for three devices");
    assert_eq!(logins(&device), 3, "each device logged into through it");

    let session = run_with_home(
        &scratch,
        &home,
        &["command", "id -un", "--hosts", "deep"],
        &[],
    );
    assert_eq!(session.code, 0, "{session}\nsecond log:\n{}", second.log());
    assert!(session.stdout.contains(USER), "{session}");
    assert_eq!(logins(&second), 1, "the second hop was used");

    // A bastion that cannot be reached makes its devices unreachable, saying so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let config = std::fs::read_to_string(home.join(".ssh/config")).expect("config");
    scratch.file(
        "home/.ssh/config",
        &config.replace(
            &format!("Port {}\n", bastion.port),
            &format!("Port {closed}\n"),
        ),
    );
    let session = run_with_home(
        &scratch,
        &home,
        &[
            "command",
            "true",
            "--output",
            "json",
            "--hosts",
            "dev-1,dev-2,dev-3",
        ],
        &[],
    );
    assert_eq!(session.code, 1, "{session}");
    for host in json(&session)["hosts"].as_array().into_iter().flatten() {
        assert_eq!(host["status"], "unreachable", "{host:#}");
        let error = host["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!("via jump host {USER}@127.0.0.1:{closed}")),
            "{error}"
        );
    }
}
