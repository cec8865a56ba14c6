use super::*;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netrun-config-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("netrun.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn flags_beat_file_beat_defaults() {
    let path = write(
        "prec",
        "inventory: inv\nrunner: {workers: 7, timeout: 60}\nssh: {known_hosts: strict}\n",
    );
    let base = path.parent().unwrap().to_path_buf();
    let settings = Settings::load(&Overrides {
        config: Some(path.clone()),
        workers: Some(3),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(settings.workers, 3);
    assert_eq!(settings.timeout, Some(Duration::from_secs(60)));
    assert_eq!(settings.inventory_dir, base.join("inv"));
    assert_eq!(settings.tasks_dir, PathBuf::from("tasks"));
    assert_eq!(
        settings.ssh.known_hosts,
        crate::ssh::KnownHostsPolicy::Strict
    );
    assert_eq!(settings.ssh.command_timeout, Duration::from_secs(30));
    let settings = Settings::load(&Overrides {
        config: Some(path),
        inventory: Some("elsewhere".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(settings.workers, 7);
    assert_eq!(settings.inventory_dir, PathBuf::from("elsewhere"));
}

#[test]
fn unknown_keys_are_errors_with_position() {
    let path = write("unknown", "runner:\n  wokers: 5\n");
    let err = Settings::load(&Overrides {
        config: Some(path.clone()),
        ..Default::default()
    })
    .unwrap_err();
    let ConfigError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.position, Some((2, 3)));
    assert!(
        err.message.starts_with("runner: unknown field `wokers`"),
        "{}",
        err.message
    );
}

#[test]
fn plugin_entries_are_paths_or_mappings_with_an_isolation() {
    let path = write(
        "plugins",
        "plugin_isolation: in-process\nplugins:\n  - a.so\n  - {path: /abs/b.so, isolation: process}\n  - path: c.so\n",
    );
    let base = path.parent().unwrap().to_path_buf();
    let settings = Settings::load(&Overrides {
        config: Some(path),
        plugins: vec!["d.so".into()],
        ..Default::default()
    })
    .unwrap();
    let source = |path: PathBuf, isolation| PluginSource { path, isolation };
    assert_eq!(
        settings.plugins,
        [
            source(base.join("a.so"), Isolation::InProcess),
            source("/abs/b.so".into(), Isolation::Process),
            source(base.join("c.so"), Isolation::InProcess),
            source("d.so".into(), Isolation::InProcess),
        ]
    );
    let settings = Settings::load(&Overrides {
        plugins: vec!["d.so".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(settings.plugin_isolation, Isolation::Process);
    assert_eq!(
        settings.plugins,
        [source("d.so".into(), Isolation::Process)]
    );
}

#[test]
fn bad_plugin_entries_are_errors_with_position() {
    for (name, text, position, message) in [
        (
            "iso",
            "plugins:\n  - a.so\n  - {path: b.so, isolation: sandbox}\n",
            (3, 29),
            "plugins[1].isolation: unknown variant `sandbox`, expected `process` or `in-process`",
        ),
        (
            "key",
            "plugins:\n  - path: b.so\n    isolaton: process\n",
            (3, 5),
            "plugins[0]: unknown field `isolaton`, expected `path` or `isolation`",
        ),
        (
            "nopath",
            "plugins:\n  - isolation: process\n",
            (2, 5),
            "plugins[0]: missing field `path`",
        ),
        (
            "default",
            "plugin_isolation: none\n",
            (1, 19),
            "plugin_isolation: unknown variant `none`, expected `process` or `in-process`",
        ),
    ] {
        let path = write(name, text);
        let err = Settings::load(&Overrides {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        let ConfigError::Yaml(err) = err else {
            panic!("{err:?}")
        };
        assert_eq!(err.message, message, "{name}");
        assert_eq!(err.position, Some(position), "{name}: {}", err.message);
    }
}

#[test]
fn zero_workers_is_rejected() {
    let path = write("zero", "runner: {workers: 0}\n");
    let err = Settings::load(&Overrides {
        config: Some(path.clone()),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: runner.workers: 0 is not from 1 to 100000",
            path.display()
        )
    );
}

#[test]
fn out_of_range_numbers_name_their_origin() {
    let path = write(
        "range",
        "runner: {workers: 18446744073709551615}\nssh: {connect_timeout: -5}\n",
    );
    let load = |overrides: Overrides| {
        Settings::load(&Overrides {
            config: Some(path.clone()),
            ..overrides
        })
        .map(|_| ())
        .unwrap_err()
        .to_string()
    };
    let file = path.display();
    assert_eq!(
        load(Overrides::default()),
        format!("{file}: runner.workers: 18446744073709551615 is not from 1 to 100000")
    );
    assert_eq!(
        load(Overrides {
            workers: Some(5),
            ..Default::default()
        }),
        format!("{file}: ssh.connect_timeout: -5 is not a number of seconds from 0 to 604800")
    );
    assert_eq!(
        load(Overrides {
            workers: Some(5),
            timeout: Some(0.0),
            ..Default::default()
        }),
        "--timeout: must be more than 0 seconds"
    );
    assert_eq!(
        load(Overrides {
            workers: Some(usize::MAX),
            ..Default::default()
        }),
        format!("--workers: {} is not from 1 to 100000", usize::MAX)
    );
    assert_eq!(
        load(Overrides {
            workers: Some(5),
            timeout: Some(1.0e19),
            ..Default::default()
        }),
        "--timeout: 10000000000000000000 is not a number of seconds from 0 to 604800"
    );
}
