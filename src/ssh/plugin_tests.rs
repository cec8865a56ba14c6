//! Unit tests of the ssh plugin's target preparation.

use super::*;
use std::time::Duration;

/// A plugin with the built-in settings and no ssh_config (also for the sibling modules' tests).
pub(in crate::ssh) fn plugin() -> SshPlugin {
    let settings = SshSettings {
        connect_timeout: Duration::from_secs(10),
        auth_timeout: Duration::from_secs(15),
        command_timeout: Duration::from_secs(30),
        keepalive: None,
        known_hosts: KnownHostsPolicy::AcceptNew,
        known_hosts_file: PathBuf::from("known_hosts"),
        max_output: crate::ssh::DEFAULT_MAX_OUTPUT,
        ssh_config: crate::ssh::SshConfigChoice::Off,
    };
    SshPlugin::new(settings, Arc::new(Platforms::builtin().clone()))
}

fn prepare(extras: serde_json::Value) -> Result<SshTarget, String> {
    let target = Target {
        host: "r1".into(),
        hostname: "127.0.0.1".into(),
        hostname_set: true,
        port: None,
        username: Some("admin".into()),
        password: None,
        platform: Some("ios".into()),
        extras: extras.as_object().cloned().unwrap_or_default(),
        data_secrets: Vec::new(),
    };
    plugin().prepare(&target)
}

#[test]
fn a_mistyped_secret_is_described_not_shown() {
    for extras in [
        serde_json::json!({"secret": ["s3cr3t-in-a-list"]}),
        serde_json::json!({"passphrase": {"pp": "s3cr3t-in-a-map"}}),
        serde_json::json!({"secret": true}),
    ] {
        let err = prepare(extras.clone()).err().unwrap_or_default();
        assert!(err.contains("expected a string, found a"), "{err}");
        assert!(err.contains("(value not shown)"), "{err}");
        assert!(!err.contains("s3cr3t") && !err.contains("true"), "{err}");
    }
    // Numbers are accepted as their digits, like `password: 1234`.
    let ssh = prepare(serde_json::json!({"secret": 987654})).expect("numeric secret");
    assert_eq!(ssh.secret.as_deref(), Some("987654"));
}

#[test]
fn timeouts_are_bounded() {
    let err = prepare(serde_json::json!({"command_timeout": 1.0e19})).err();
    assert_eq!(
        err.as_deref(),
        Some(
            "connection_options.ssh.extras.command_timeout: 10000000000000000000 is not a number of seconds from 0 to 604800"
        )
    );
    let err = prepare(serde_json::json!({"connect_timeout": 0})).err();
    assert_eq!(
        err.as_deref(),
        Some("connection_options.ssh.extras.connect_timeout: must be more than 0 seconds")
    );
    let ssh = prepare(serde_json::json!({"keepalive": 0, "auth_timeout": 2.5})).expect("ok");
    assert_eq!(ssh.keepalive, None, "0 turns keepalive off");
    assert_eq!(ssh.timeouts.auth, Duration::from_millis(2500));
    let err = prepare(serde_json::json!({"auth_timeout": "soon"})).err();
    assert_eq!(
        err.as_deref(),
        Some(
            "connection_options.ssh.extras.auth_timeout: expected a number of seconds, found \"soon\""
        )
    );
}
