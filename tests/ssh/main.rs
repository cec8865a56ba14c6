//! The library's SSH client against a real OpenSSH sshd on 127.0.0.1: auth methods, host keys,
//! exec and shells.

#[path = "../cli/support/sshd.rs"]
mod sshd;

use netrun::platform::Platforms;
use netrun::ssh::{KnownHostsPolicy, MemoryTranscript, SshConnection, SshError, SshTarget};
use sshd::{KEY_PASSPHRASE, PASSWORD, Sshd, SshdOptions, USER};
use std::sync::Arc;
use std::time::Duration;

fn target(sshd: &Sshd, platform: &str) -> SshTarget {
    let platforms = Platforms::builtin();
    let p = platforms.get(platform).expect("platform").clone();
    let mut t = SshTarget::new("lab1", "127.0.0.1", USER, Arc::new(p));
    t.port = sshd.port;
    t.known_hosts_file = sshd.dir.join("known_hosts");
    t.timeouts.connect = Duration::from_secs(10);
    t
}

async fn connect(t: SshTarget, sshd: &Sshd) -> SshConnection {
    match SshConnection::connect(t).await {
        Ok(c) => c,
        Err(e) => panic!("connect failed: {e}\nsshd log:\n{}", sshd.log()),
    }
}

#[tokio::test]
async fn exec_with_key_auth_and_several_channels() {
    let sshd = Sshd::start(SshdOptions::default());
    let mut t = target(&sshd, "linux");
    t.private_key = Some(sshd.key.clone());
    let conn = connect(t, &sshd).await;
    assert!(conn.is_alive());

    let out = conn
        .exec("echo hello; echo oops >&2", None)
        .await
        .expect("exec");
    assert_eq!(out, "hello\n");
    let full = conn
        .exec_output("echo out; echo err >&2; exit 3", None)
        .await
        .expect("exec");
    assert_eq!(full.exit_status, Some(3));
    assert_eq!(full.stdout, "out\n");
    assert_eq!(full.stderr, "err\n");
    match conn.exec("echo nope >&2; exit 2", None).await {
        Err(SshError::ExitStatus { status, stderr, .. }) => {
            assert_eq!(status, 2);
            assert_eq!(stderr, "nope\n");
        }
        other => panic!("expected exit status error, got {other:?}"),
    }
    // One authenticated connection serves concurrent exec channels.
    let (a, b) = tokio::join!(conn.exec("echo a", None), conn.exec("echo b", None));
    assert_eq!(
        (a.expect("a"), b.expect("b")),
        ("a\n".to_string(), "b\n".to_string())
    );
    // Exec timeout carries partial output.
    match conn
        .exec("echo started; sleep 5", Some(Duration::from_millis(800)))
        .await
    {
        Err(SshError::CommandTimeout { partial, .. }) => assert_eq!(partial, "started\n"),
        other => panic!("expected timeout, got {other:?}"),
    }
    conn.close().await.expect("close");
}

#[tokio::test]
async fn passphrase_protected_key() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        ..Default::default()
    });
    let mut t = target(&sshd, "linux");
    t.private_key = Some(sshd.enc_key.clone());
    t.passphrase = Some(KEY_PASSPHRASE.into());
    let conn = connect(t.clone(), &sshd).await;
    assert_eq!(
        conn.exec("whoami", None).await.expect("exec"),
        format!("{USER}\n")
    );

    t.passphrase = None;
    match SshConnection::connect(t.clone()).await {
        Err(e @ SshError::Key { .. }) => {
            assert!(e.is_unreachable());
            assert!(e.to_string().contains("passphrase"), "{e}");
        }
        other => panic!("expected key error, got {other:?}"),
    }
    t.passphrase = Some("wrong".into());
    assert!(matches!(
        SshConnection::connect(t).await,
        Err(SshError::Key { .. })
    ));
}

#[tokio::test]
async fn password_auth_and_wrong_password() {
    let sshd = Sshd::start(SshdOptions::default());
    let mut t = target(&sshd, "linux");
    t.password = Some(PASSWORD.into());
    let conn = connect(t.clone(), &sshd).await;
    assert_eq!(conn.exec("echo ok", None).await.expect("exec"), "ok\n");

    t.password = Some("not-the-password".into());
    match SshConnection::connect(t).await {
        Err(e @ SshError::AuthRejected { .. }) => {
            assert!(e.is_unreachable());
            let msg = e.to_string();
            assert!(msg.contains("tried: password"), "{msg}");
            assert!(msg.contains(USER), "{msg}");
        }
        other => panic!("expected auth rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn keyboard_interactive_only() {
    let sshd = Sshd::start(SshdOptions {
        password: false,
        kbdint: true,
        ..SshdOptions::default()
    });
    let mut t = target(&sshd, "linux");
    t.password = Some(PASSWORD.into());
    let conn = connect(t.clone(), &sshd).await;
    assert_eq!(conn.exec("echo kbd", None).await.expect("exec"), "kbd\n");

    t.password = Some("bad".into());
    match SshConnection::connect(t).await {
        Err(SshError::AuthRejected { tried, .. }) => {
            assert!(
                tried.iter().any(|m| m == "keyboard-interactive"),
                "{tried:?}"
            );
            // The server does not offer plain password auth, so it must not be tried.
            assert!(!tried.iter().any(|m| m == "password"), "{tried:?}");
        }
        other => panic!("expected auth rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn known_hosts_accept_new_then_strict() {
    let sshd = Sshd::start(SshdOptions::default());
    let mut t = target(&sshd, "linux");
    t.private_key = Some(sshd.key.clone());

    t.known_hosts = KnownHostsPolicy::Strict;
    match SshConnection::connect(t.clone()).await {
        Err(e @ SshError::HostKeyUnknown { .. }) => assert!(e.is_unreachable()),
        other => panic!("expected unknown host key, got {other:?}"),
    }

    t.known_hosts = KnownHostsPolicy::AcceptNew;
    connect(t.clone(), &sshd).await;
    let kh = std::fs::read_to_string(&t.known_hosts_file).expect("known_hosts written");
    let host_key_b64 = sshd.host_pub.split_whitespace().nth(1).expect("b64");
    let expected_prefix = format!("[127.0.0.1]:{} ssh-ed25519 {host_key_b64}", sshd.port);
    assert!(kh.lines().any(|l| l.starts_with(&expected_prefix)), "{kh}");

    // Now known: strict accepts it.
    t.known_hosts = KnownHostsPolicy::Strict;
    connect(t, &sshd).await;
}

#[tokio::test]
async fn known_hosts_changed_key_is_rejected() {
    let sshd = Sshd::start(SshdOptions::default());
    let mut t = target(&sshd, "linux");
    t.private_key = Some(sshd.key.clone());
    // Record a different ed25519 key for this host:port, after a comment line.
    let other = std::fs::read_to_string(sshd.key.with_extension("pub")).expect("pub");
    let b64 = other.split_whitespace().nth(1).expect("b64");
    std::fs::write(
        &t.known_hosts_file,
        format!("# lab hosts\n[127.0.0.1]:{} ssh-ed25519 {b64}\n", sshd.port),
    )
    .expect("write");
    for policy in [KnownHostsPolicy::Strict, KnownHostsPolicy::AcceptNew] {
        t.known_hosts = policy;
        match SshConnection::connect(t.clone()).await {
            Err(e @ SshError::HostKeyMismatch { .. }) => {
                let SshError::HostKeyMismatch { line, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(*line, Some(2));
                assert!(e.to_string().contains("known_hosts"), "{e}");
                assert!(e.is_unreachable());
            }
            other => panic!("{policy:?}: expected mismatch, got {other:?}"),
        }
    }
    // The bad key was not overwritten or duplicated.
    let kh = std::fs::read_to_string(&t.known_hosts_file).expect("read");
    assert_eq!(kh.lines().count(), 2);
    // Off skips checking entirely.
    t.known_hosts = KnownHostsPolicy::Off;
    connect(t, &sshd).await;
}

#[tokio::test]
async fn closed_port_is_refused_and_bad_name_is_dns() {
    let platforms = Platforms::builtin();
    let p = Arc::new(platforms.get("linux").expect("linux").clone());
    // Bind then drop to find a loopback port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut t = SshTarget::new("closed", "127.0.0.1", USER, p.clone());
    t.port = port;
    t.password = Some("x".into());
    match SshConnection::connect(t).await {
        Err(e @ SshError::Refused { .. }) => {
            assert!(e.is_unreachable());
            assert!(e.to_string().contains("refused"), "{e}");
        }
        other => panic!("expected refused, got {other:?}"),
    }

    // `.invalid` never resolves (RFC 6761).
    let mut t = SshTarget::new("ghost", "nonexistent.invalid", USER, p);
    t.password = Some("x".into());
    match SshConnection::connect(t).await {
        Err(e @ SshError::Dns { .. }) => {
            assert!(e.is_unreachable());
            assert!(e.to_string().contains("nonexistent.invalid"), "{e}");
        }
        other => panic!("expected DNS error, got {other:?}"),
    }
}

#[tokio::test]
async fn linux_shell_session() {
    let sshd = Sshd::start(SshdOptions::default());
    let mut t = target(&sshd, "linux");
    t.password = Some(PASSWORD.into());
    t.timeouts.command = Duration::from_secs(10);
    let mut conn = connect(t, &sshd).await;
    let transcript = MemoryTranscript::new();
    conn.set_transcript(Some(Arc::new(transcript.clone())));
    let mut cli = conn.open_shell().await.expect("shell");
    // A POSIX shell gets netrun's own prompt, `TAG:STATUS>`: it ends each command exactly.
    let marker = regex::Regex::new(r"^nr[0-9a-f]+:0>$").expect("regex");
    assert!(marker.is_match(cli.prompt()), "prompt {:?}", cli.prompt());

    assert_eq!(
        cli.send_command("echo hello", None).await.expect("echo"),
        "hello"
    );
    assert_eq!(
        cli.send_command("printf 'a\\nb\\n'; echo c", None)
            .await
            .expect("multi"),
        "a\nb\nc"
    );
    assert_eq!(
        cli.send_command("printf '\\033[1mbold\\033[0m\\n'", None)
            .await
            .expect("ansi"),
        "bold"
    );
    assert_eq!(
        cli.send_command("pwd", None).await.expect("pwd"),
        format!("/home/{USER}")
    );
    match cli
        .send_command("echo begin; sleep 5", Some(Duration::from_millis(800)))
        .await
    {
        Err(SshError::CommandTimeout { partial, .. }) => {
            assert!(partial.contains("begin"), "{partial:?}")
        }
        other => panic!("expected timeout, got {other:?}"),
    }
    // The shell may still answer the timed-out command: the session refuses to go on.
    assert!(!cli.is_usable());
    match cli.send_command("exit", None).await {
        Err(e @ SshError::OutOfStep { .. }) => assert!(!e.is_unreachable()),
        other => panic!("expected the session to be out of step, got {other:?}"),
    }
    // A fresh shell on the same connection works; a channel closing before the prompt is an
    // error, not an empty result.
    let mut cli = conn.open_shell().await.expect("second shell");
    match cli.send_command("exit", None).await {
        Err(e @ SshError::ChannelClosed { .. }) => assert!(!e.is_unreachable()),
        other => panic!("expected channel closed, got {other:?}"),
    }
    assert!(!transcript.received_text().contains(PASSWORD));
    assert!(transcript.received_text().contains("hello"));
    assert!(conn.is_alive());
    conn.close().await.expect("close");
}

#[tokio::test]
async fn ios_like_cli_enable_pager_errors_config() {
    let sshd = Sshd::start(SshdOptions {
        fake_ios: true,
        ..Default::default()
    });
    let mut t = target(&sshd, "cisco_ios");
    t.private_key = Some(sshd.key.clone());
    t.secret = Some("en-secret".into());
    t.timeouts.command = Duration::from_secs(10);

    // First session without on-open commands, so the device pages and the pager is exercised.
    t.platform = Arc::new(t.platform.changed(|def| def.on_open.clear()));
    let mut conn = connect(t.clone(), &sshd).await;
    let transcript = MemoryTranscript::new();
    conn.set_transcript(Some(Arc::new(transcript.clone())));
    let mut cli = conn.open_shell().await.expect("shell");
    assert_eq!(cli.prompt(), "R1>");
    let out = cli
        .send_command("show version", None)
        .await
        .expect("show version");
    assert_eq!(
        out,
        "Cisco IOS Software, fake\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6"
    );
    assert_eq!(
        cli.send_command("show color", None).await.expect("ansi"),
        "bold text"
    );

    match cli.send_command("show bogus", None).await {
        Err(e @ SshError::Device { .. }) => {
            let SshError::Device { message, .. } = &e else {
                unreachable!()
            };
            assert_eq!(message, "% Invalid input detected at '^' marker.");
            assert!(!e.is_unreachable());
        }
        other => panic!("expected device error, got {other:?}"),
    }

    cli.enable().await.expect("enable");
    assert_eq!(cli.prompt(), "R1#");
    assert!(cli.is_privileged());
    let out = cli.send_config(&["hostname R2"]).await.expect("config");
    assert!(out.contains("Enter configuration commands"), "{out:?}");
    assert_eq!(cli.prompt(), "R2#");
    match cli.send_config(&["hostname R3", "bogus line"]).await {
        Err(SshError::Device { command, .. }) => assert_eq!(command, "bogus line"),
        other => panic!("expected config error, got {other:?}"),
    }
    // Left config mode after the error.
    assert_eq!(cli.prompt(), "R3#");
    assert!(!transcript.sent_text().contains("en-secret"));
    assert!(!transcript.received_text().contains("en-secret"));
    cli.close().await.expect("close");

    // Second session on the same connection with the real on-open commands; wrong secret.
    let mut cli = conn.open_shell().await.expect("shell 2");
    cli.send_command("terminal length 0", None)
        .await
        .expect("term len");
    let out = cli
        .send_command("show version", None)
        .await
        .expect("no pager");
    assert!(out.ends_with("line 6"), "{out:?}");
    conn.close().await.expect("close conn");

    let mut t2 = target(&sshd, "ios");
    t2.private_key = Some(sshd.key.clone());
    t2.secret = Some("wrong".into());
    let conn = connect(t2, &sshd).await;
    let mut cli = conn.open_shell().await.expect("shell 3");
    match cli.enable().await {
        Err(SshError::Enable { detail, .. }) => assert!(detail.contains("rejected"), "{detail}"),
        other => panic!("expected enable failure, got {other:?}"),
    }
    assert_eq!(cli.prompt(), "R1>");
}
