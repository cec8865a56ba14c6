//! Tests for ssh_config parsing and resolution; algorithm lists are in `tests_algorithms.rs`.

use super::*;
use std::time::Duration;

/// A scratch home directory holding config files.
pub(super) struct Home {
    pub(super) dir: tempfile::TempDir,
    pub(super) local: Local,
}

impl Home {
    /// Files relative to the home directory, e.g. `(".ssh/config", "...")`.
    pub(super) fn new(files: &[(&str, &str)]) -> Home {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        for (name, content) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
        }
        let local = Local {
            home: dir.path().to_path_buf(),
            user: "engineer".into(),
            env: HashMap::from([("LAB".to_string(), "lab1".to_string())]),
        };
        Home { dir, local }
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn try_load(&self) -> Result<SshConfig, SshConfigError> {
        SshConfig::load_with(&self.path(".ssh/config"), self.local.clone())
    }

    pub(super) fn load(&self) -> SshConfig {
        self.try_load().unwrap_or_else(|e| panic!("load: {e}"))
    }
}

/// The value and line of a sourced field.
fn vl<T: Clone>(s: &Option<Sourced<T>>) -> Option<(T, usize)> {
    s.as_ref().map(|s| (s.value.clone(), s.line))
}

fn config(text: &str) -> (Home, SshConfig) {
    let home = Home::new(&[(".ssh/config", text)]);
    let config = home.load();
    (home, config)
}

#[test]
fn first_value_wins_and_host_star_supplies_defaults() {
    let (home, c) = config(
        "# netrun lab\n\
         Host r1\n\
         \x20 User alice\n\
         \x20 Port 2201\n\
         Host r*\n\
         \x20 User bob\n\
         \x20 Port 2202\n\
         \x20 HostName %h.lab.example\n\
         Host *\n\
         \x20 User default\n\
         \x20 ConnectTimeout 7\n",
    );
    let r1 = c.resolve("r1", None);
    assert_eq!(vl(&r1.user), Some(("alice".into(), 3)));
    assert_eq!(vl(&r1.port), Some((2201, 4)));
    assert_eq!(vl(&r1.hostname), Some(("r1.lab.example".into(), 8)));
    assert_eq!(
        vl(&r1.connect_timeout),
        Some((Some(Duration::from_secs(7)), 11))
    );
    let user = r1.user.as_ref().map(Sourced::place).unwrap_or_default();
    assert_eq!(user, format!("{}:3", home.path(".ssh/config").display()));
    let r2 = c.resolve("r2", None);
    assert_eq!(vl(&r2.user), Some(("bob".into(), 6)));
    assert_eq!(r2.port_or_default(), 2202);
    let sw = c.resolve("sw1", None);
    assert_eq!(vl(&sw.user), Some(("default".into(), 10)));
    assert_eq!(sw.hostname, None);
    assert_eq!(sw.hostname_or_alias(), "sw1");
    assert_eq!(sw.port_or_default(), 22);
    // A `Host *` block first shadows everything after it: first value wins.
    let (_h, c) = config("Host *\n  User everyone\nHost r1\n  User alice\n");
    assert_eq!(
        vl(&c.resolve("r1", None).user),
        Some(("everyone".into(), 2))
    );
}

#[test]
fn lines_before_any_host_apply_to_all_hosts() {
    let (_h, c) = config("User top\nHost r1\n  User alice\n");
    assert_eq!(vl(&c.resolve("r1", None).user), Some(("top".into(), 1)));
}

#[test]
fn host_negation_and_wildcards() {
    let (_h, c) = config(
        "Host *.lab !bastion.lab\n  User lab\nHost !nowhere\n  Port 1\nHost sw?\n  Port 2\n",
    );
    assert_eq!(vl(&c.resolve("r1.lab", None).user), Some(("lab".into(), 2)));
    assert_eq!(c.resolve("bastion.lab", None).user, None);
    // A block with only negated patterns matches nothing.
    assert_eq!(c.resolve("anything", None).port, None);
    assert_eq!(vl(&c.resolve("sw1", None).port), Some((2, 6)));
    assert_eq!(c.resolve("sw12", None).port, None);
    // Host patterns are case-sensitive, as in OpenSSH.
    assert_eq!(c.resolve("R1.LAB", None).user, None);
}

#[test]
fn keywords_are_case_insensitive_with_equals_and_quotes() {
    let (h, c) = config(
        "HOST r1\n  HOSTNAME=r1.example\n  identityfile \"~/keys/my key\" # comment\n  port = 830\n",
    );
    let r1 = c.resolve("r1", None);
    assert_eq!(r1.hostname_or_alias(), "r1.example");
    assert_eq!(r1.port_or_default(), 830);
    assert_eq!(r1.identity_files[0].value, h.path("keys/my key"));
}

#[test]
fn match_host_originalhost_user_all_and_unsupported() {
    let (_h, c) = config(
        "Host r1\n\
         \x20 HostName 10.0.0.1\n\
         Match host 10.0.0.*,!10.0.0.9\n\
         \x20 User matched\n\
         Match originalhost r2 !host 10.9.*\n\
         \x20 Port 2022\n\
         Match user netops\n\
         \x20 IdentityFile ~/.ssh/netops\n\
         Match exec \"test -e /tmp\"\n\
         \x20 User never\n\
         Match all\n\
         \x20 ServerAliveInterval 1m30s\n",
    );
    // `Match host` sees the HostName set before it.
    assert_eq!(vl(&c.resolve("r1", None).user), Some(("matched".into(), 4)));
    assert_eq!(
        vl(&c.resolve("10.0.0.7", None).user),
        Some(("matched".into(), 4))
    );
    assert_eq!(c.resolve("10.0.0.9", None).user, None);
    assert_eq!(c.resolve("r2", None).port_or_default(), 2022);
    assert_eq!(c.resolve("r3", None).port, None);
    assert_eq!(c.resolve("x", Some("netops")).identity_files.len(), 1);
    assert!(c.resolve("x", None).identity_files.is_empty());
    assert_eq!(
        vl(&c.resolve("x", None).server_alive_interval),
        Some((Duration::from_secs(90), 12))
    );
    assert!(
        c.notes()
            .iter()
            .any(|n| n.contains(":9: Match exec is not supported")),
        "{:?}",
        c.notes()
    );
    // Negated `Match all` never applies; `Match user` also sees a `User` set earlier.
    let (_h, c) =
        config("Match !all\n  Port 1\nHost r1\n  User netops\nMatch user netops\n  Port 2\n");
    assert_eq!(vl(&c.resolve("r1", None).port), Some((2, 6)));
    assert_eq!(c.resolve("r2", None).port, None);
    // netrun never canonicalizes host names: `canonical` is false, `!canonical` true.
    let (_h, c) = config("Match canonical\n  Port 1\nMatch !canonical host r*\n  User plain\n");
    let r1 = c.resolve("r1", None);
    assert_eq!((r1.port, vl(&r1.user)), (None, Some(("plain".into(), 4))));
    assert!(c.notes().is_empty(), "{:?}", c.notes());
}

#[test]
fn include_with_globs_relative_paths_and_own_line_numbers() {
    let home = Home::new(&[
        (
            ".ssh/config",
            "Include conf.d/*.conf\nHost x\n  Include extra\n  User after\n",
        ),
        (".ssh/conf.d/10-a.conf", "Host a\n  User from-a\n"),
        (".ssh/conf.d/20-b.conf", "\n\nHost b\n  Port 2200\n"),
        (".ssh/conf.d/.hidden.conf", "Host a\n  Port 1\n"),
        (".ssh/conf.d/notes.txt", "Host a\n  Port 2\n"),
        (
            ".ssh/extra",
            "Port 3\nHost other\n  HostName other.example\n",
        ),
    ]);
    let c = home.load();
    let a = c.resolve("a", None);
    assert_eq!(vl(&a.user), Some(("from-a".into(), 2)));
    assert_eq!(
        a.user.as_ref().map(|u| u.file.to_path_buf()),
        Some(home.path(".ssh/conf.d/10-a.conf"))
    );
    assert_eq!(a.port, None);
    let b = c.resolve("b", None);
    assert_eq!(vl(&b.port), Some((2200, 4)));
    // Included while `Host x` is active: its top lines apply, its own Host block does not
    // leak out, and `User after` still belongs to `Host x`.
    let x = c.resolve("x", None);
    assert_eq!(vl(&x.port), Some((3, 1)));
    assert_eq!(vl(&x.user), Some(("after".into(), 4)));
    assert_eq!(x.hostname, None);
    // For other hosts the include under `Host x` contributes nothing.
    assert_eq!(c.resolve("other", None).hostname, None);
}

#[test]
fn include_absolute_path_with_env_and_missing_files() {
    let home = Home::new(&[
        ("elsewhere/lab1.conf", "Host z\n  User zed\n"),
        (".ssh/config", ""),
    ]);
    let main = format!(
        "Include {}/elsewhere/${{LAB}}.conf nothing-here/*.conf\n",
        home.dir.path().display()
    );
    std::fs::write(home.path(".ssh/config"), main).unwrap_or_else(|e| panic!("{e}"));
    let c = home.load();
    assert_eq!(vl(&c.resolve("z", None).user), Some(("zed".into(), 2)));
}

#[test]
fn include_loops_stop_at_the_depth_limit() {
    let home = Home::new(&[
        (".ssh/config", "Include loop\n"),
        (".ssh/loop", "\nInclude loop\n"),
    ]);
    match home.try_load() {
        Err(SshConfigError::Invalid {
            file,
            line,
            message,
        }) => {
            assert_eq!(file, home.path(".ssh/loop"));
            assert_eq!(line, 2);
            assert!(message.contains("nested more than 16"), "{message}");
        }
        other => panic!("expected a depth error, got {other:?}"),
    }
}

#[test]
fn tokens_and_tilde_are_expanded() {
    let (h, c) = config(
        "Host r1\n\
         \x20 HostName R1.Example\n\
         \x20 Port 2222\n\
         \x20 IdentityFile ~/.ssh/%h_%r_%p_%u_%n_%%\n\
         \x20 IdentityFile %d/keys/${LAB}\n\
         \x20 IdentityFile ~/.ssh/%Z\n\
         \x20 UserKnownHostsFile ~/.ssh/known_hosts.d/%h /etc/ssh/kh\n\
         \x20 GlobalKnownHostsFile /etc/ssh/ssh_known_hosts.%p\n\
         \x20 HostKeyAlias r1-key\n\
         \x20 ProxyCommand ssh -W %h:%p %r@jump # %n\n",
    );
    let r1 = c.resolve("r1", Some("netops"));
    let files: Vec<PathBuf> = r1.identity_files.iter().map(|f| f.value.clone()).collect();
    assert_eq!(
        files,
        vec![
            h.path(".ssh/r1.example_netops_2222_engineer_r1_%"),
            h.path("keys/lab1"),
            h.path(".ssh/%Z"),
        ]
    );
    assert!(r1.notes.iter().any(|n| n.contains("%Z")), "{:?}", r1.notes);
    assert_eq!(
        r1.user_known_hosts_files.map(|f| f.value),
        Some(vec![
            h.path(".ssh/known_hosts.d/r1.example"),
            PathBuf::from("/etc/ssh/kh")
        ])
    );
    assert_eq!(
        r1.proxy_command.map(|p| p.value),
        Some(ProxyCommand::Command(
            "ssh -W r1.example:2222 netops@jump # r1".into()
        ))
    );
    // Without a given user, %r is the config's User, else the local one.
    let r1 = c.resolve("r1", None);
    assert!(
        r1.identity_files[0]
            .value
            .ends_with("r1.example_engineer_2222_engineer_r1_%")
    );
}

#[test]
fn proxy_jump_chains_and_none() {
    let (_h, c) = config(
        "Host r1\n  ProxyJump admin@jump1:2222,ssh://ops@jump2,[fe80::1]:22\n\
         Host r2\n  ProxyJump none\n\
         Host r3\n  ProxyCommand nc %h %p\n\
         Host *\n  ProxyJump bastion\n  ProxyCommand none\n",
    );
    let hop = |user: Option<&str>, host: &str, port: Option<u16>| JumpHost {
        user: user.map(String::from),
        host: host.into(),
        port,
    };
    assert_eq!(
        vl(&c.resolve("r1", None).proxy_jump),
        Some((
            ProxyJump::Hops(vec![
                hop(Some("admin"), "jump1", Some(2222)),
                hop(Some("ops"), "jump2", None),
                hop(None, "fe80::1", Some(22)),
            ]),
            2
        ))
    );
    // `none` is a value: it beats the `Host *` default.
    let r2 = c.resolve("r2", None);
    assert_eq!(vl(&r2.proxy_jump), Some((ProxyJump::None, 4)));
    // ProxyCommand first: the later ProxyJump does not apply.
    let r3 = c.resolve("r3", None);
    assert_eq!(r3.proxy_jump, None);
    assert_eq!(
        r3.proxy_command.map(|p| p.value),
        Some(ProxyCommand::Command("nc r3 22".into()))
    );
    // ProxyJump first: the later ProxyCommand does not apply.
    let other = c.resolve("sw1", None);
    assert_eq!(
        other.proxy_jump.map(|p| p.value),
        Some(ProxyJump::Hops(vec![hop(None, "bastion", None)]))
    );
    assert_eq!(other.proxy_command, None);
    assert_eq!(JumpHost::parse("@host"), None);
    assert_eq!(JumpHost::parse("host:0"), None);
    assert_eq!(JumpHost::parse("host:99999"), None);
}

#[test]
fn host_key_policy_files_and_keepalive() {
    let (_h, c) = config(
        "Host a\n  StrictHostKeyChecking accept-new\nHost b\n  StrictHostKeyChecking ask\n\
         Host c\n  StrictHostKeyChecking no\nHost *\n  StrictHostKeyChecking yes\n\
         \x20 IdentitiesOnly yes\n  ServerAliveInterval 15\n  ServerAliveCountMax 4\n\
         \x20 ConnectTimeout none\n",
    );
    let policy = |h: &str| {
        c.resolve(h, None)
            .strict_host_key_checking
            .map(|s| (s.value, s.value.policy()))
    };
    use crate::ssh::KnownHostsPolicy as P;
    assert_eq!(
        policy("a"),
        Some((StrictHostKeyChecking::AcceptNew, P::AcceptNew))
    );
    assert_eq!(policy("b"), Some((StrictHostKeyChecking::Ask, P::Strict)));
    assert_eq!(policy("c"), Some((StrictHostKeyChecking::Off, P::Off)));
    assert_eq!(policy("d"), Some((StrictHostKeyChecking::Yes, P::Strict)));
    let d = c.resolve("d", None);
    assert_eq!(vl(&d.identities_only), Some((true, 9)));
    assert_eq!(
        vl(&d.server_alive_interval),
        Some((Duration::from_secs(15), 10))
    );
    assert_eq!(vl(&d.server_alive_count_max), Some((4, 11)));
    assert_eq!(vl(&d.connect_timeout), Some((None, 12)));
}

#[test]
fn unknown_keywords_are_noted_known_ones_skipped() {
    let (_h, c) = config("ForwardAgent yes\nControlMaster auto\nFrobnicate yes\n");
    assert_eq!(c.notes().len(), 1, "{:?}", c.notes());
    assert!(c.notes()[0].contains(":3: unknown keyword \"frobnicate\""));
}

#[test]
fn errors_name_the_file_and_line() {
    let bad = |text: &str| match Home::new(&[(".ssh/config", text)]).try_load() {
        Err(SshConfigError::Invalid { line, message, .. }) => (line, message),
        other => panic!("{text:?}: expected an error, got {other:?}"),
    };
    assert_eq!(bad("Host r1\n  Port 70000\n").0, 2);
    assert!(bad("Host r1\n  Port 70000\n").1.contains("bad port"));
    assert_eq!(bad("\n\nUser \"unterminated\n").0, 3);
    assert_eq!(bad("Port 22 23\n").0, 1);
    assert_eq!(bad("Port\n").0, 1);
    assert_eq!(bad("# c\nStrictHostKeyChecking maybe\n").0, 2);
    assert_eq!(bad("Match all host x\n").0, 1);
    assert_eq!(bad("Match host\n").0, 1);
    assert_eq!(bad("ConnectTimeout 5x\n").0, 1);
    assert_eq!(bad("IdentitiesOnly perhaps\n").0, 1);
    assert_eq!(bad("ProxyJump user@\n").0, 1);
    let home = Home::new(&[(".ssh/config", "User ok\n"), (".ssh/bad", "\n")]);
    std::fs::write(home.path(".ssh/config"), "Include bad\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(home.path(".ssh/bad"), b"# ok\nUser \xff\n").unwrap_or_else(|e| panic!("{e}"));
    match home.try_load() {
        Err(e @ SshConfigError::Invalid { .. }) => {
            assert_eq!(
                e.to_string(),
                format!("{}:2: not valid UTF-8", home.path(".ssh/bad").display())
            )
        }
        other => panic!("{other:?}"),
    }
    let missing = Home::new(&[]);
    assert!(matches!(
        missing.try_load(),
        Err(SshConfigError::Read { .. })
    ));
}

#[test]
fn no_config_resolves_to_nothing() {
    let r = SshConfig::none().resolve("r1", Some("netops"));
    assert_eq!(r.alias, "r1");
    assert_eq!(r.hostname_or_alias(), "r1");
    assert_eq!(r.user, None);
    assert!(r.identity_files.is_empty());
    assert_eq!(r.preferred().0.kex, russh::Preferred::default().kex);
}
