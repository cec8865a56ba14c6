use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Thing {
    #[serde(default)]
    port: Setting<Port>,
    #[serde(default)]
    data: StrictMap<false>,
    #[serde(default)]
    user: Setting<EnvString>,
}
impl EntryKind for Thing {
    const KIND: &'static str = "thing";
}

fn parse_things(text: &str) -> Result<Entries<Thing>, YamlError> {
    parse(Path::new("t.yaml"), text)
}

#[test]
fn duplicate_entry_points_at_the_repeat() {
    let err = parse_things("a: {}\nb: {}\na: {}\n").unwrap_err();
    assert_eq!(err.position, Some((3, 1)));
    assert_eq!(err.message, "duplicate thing `a`");
}

#[test]
fn duplicate_data_key_names_the_entry() {
    let err = parse_things("a:\n  data:\n    k: 1\n    k: 2\n").unwrap_err();
    assert_eq!(err.position, Some((4, 5)));
    assert_eq!(err.message, "thing `a`: data: duplicate key `k`");
    let things = parse_things("a:\n  data:\n    k: 1\n").unwrap();
    assert_eq!(
        things.entries["a"].data.entries["k"].value,
        serde_yaml::Value::from(1)
    );
}

#[test]
fn duplicate_field_points_at_the_repeat() {
    let err = parse_things("a:\n  data: {k: 1}\n  port: 1\n  data: {k: 2}\n").unwrap_err();
    assert_eq!(err.message, "thing `a`: duplicate field `data`");
    assert_eq!(err.position, Some((4, 3)));
}

#[test]
fn unknown_field_names_the_entry() {
    let err = parse_things("a:\n  prot: 22\n").unwrap_err();
    assert_eq!(err.position, Some((2, 3)));
    assert!(
        err.message.starts_with("thing `a`: unknown field `prot`"),
        "{}",
        err.message
    );
    assert_eq!(err.to_string().split(": ").next(), Some("t.yaml:2:3"));
}

#[test]
fn null_is_distinct_from_unset() {
    let things = parse_things("a:\n  port: null\nb: {}\nc:\n").unwrap();
    assert_eq!(things.entries["a"].port, Setting::Null);
    assert_eq!(things.entries["b"].port, Setting::Unset);
    assert_eq!(things.entries["c"].port, Setting::Unset);
}

#[test]
fn ports_are_checked() {
    let err = parse_things("a:\n  port: 70000\n").unwrap_err();
    assert_eq!(
        err.message,
        "thing `a`: port: port 70000 is out of range (expected 1-65535)"
    );
    let err = parse_things("a:\n  port: ssh\n").unwrap_err();
    assert_eq!(err.position, Some((2, 9)));
}

#[test]
fn env_expansion() {
    // PATH is set in every environment tests run in; setting a variable would need `unsafe`.
    let path = std::env::var("PATH").expect("PATH is set");
    let things = parse_things("a:\n  user: ${PATH}-x\n").unwrap();
    let user = things.entries["a"].user.value().unwrap();
    assert_eq!(user.value, format!("{path}-x"));
    assert_eq!(user.vars, ["PATH"]);
    let err = parse_things("a:\n  user: ${NETRUN_YAML_TEST_UNSET}\n").unwrap_err();
    assert_eq!(err.position, Some((2, 9)));
    assert_eq!(
        err.message,
        "thing `a`: user: environment variable `NETRUN_YAML_TEST_UNSET` is not set"
    );
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_without_opening_them() {
    let dir = std::env::temp_dir().join(format!("netrun-yaml-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("hosts.yaml");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Opening a FIFO with no writer blocks: a hang here would be the bug.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ =
            tx.send(read_text(&path, "inventory files are UTF-8 text").map_err(|e| e.to_string()));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("read_text returned at once");
    assert_eq!(
        result,
        Err(
            "it is a named pipe (FIFO), not a regular file; netrun reads only regular files".into()
        )
    );
    let result = read_text(&dir, "x").map_err(|e| e.to_string());
    assert_eq!(
        result,
        Err("it is a directory, not a regular file; netrun reads only regular files".into())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn expansion_is_bounded_by_the_size_of_the_text() {
    // One anchor aliased many times: each alias repeats 10 kB of text.
    let mut text = format!("big: &big \"{}\"\nuses: [", "x".repeat(10_000));
    text.push_str(&vec!["*big"; 100].join(", "));
    text.push_str("]\n");
    let err = parse::<serde_yaml::Value>(Path::new("t.yaml"), &text).unwrap_err();
    // At the anchored value the alias repeats.
    assert_eq!(err.position, Some((1, 6)));
    assert_eq!(
        err.message,
        format!("uses[1]: {}", budget::EXPANSION_MESSAGE)
    );
    // The same repeated twice is fine: it is no larger than the text.
    let mut text = format!("big: &big \"{}\"\nuses: [*big]\n", "x".repeat(10_000));
    assert!(parse::<serde_yaml::Value>(Path::new("t.yaml"), &text).is_ok());
    // Values that are skipped (an unknown field's) are charged too.
    text = format!("l0: &l0 [{}]\n", ["x"; 10].join(", "));
    for level in 1..8 {
        let alias = format!("*l{}", level - 1);
        text.push_str(&format!(
            "l{level}: &l{level} [{}]\n",
            [alias.as_str(); 10].join(", ")
        ));
    }
    #[derive(Debug, Deserialize)]
    struct Nothing {}
    let err = parse::<Nothing>(Path::new("t.yaml"), &text).unwrap_err();
    assert!(err.position.is_some(), "{err:?}");
    assert!(err.message.ends_with(budget::EXPANSION_MESSAGE), "{err:?}");
}

#[test]
fn an_error_at_the_end_of_the_text_is_placed_at_its_end() {
    // Found by tests/fuzz: libyaml put this at 4:1, a line the file does not have.
    let err = parse::<serde_yaml::Value>(Path::new("t.yaml"), "description: fuzz\nsteps:\n.")
        .unwrap_err();
    assert_eq!(err.position, Some((3, 2)));
    let err = parse::<serde_yaml::Value>(Path::new("t.yaml"), "a: [\n").unwrap_err();
    assert_eq!(err.position, Some((2, 1)));
}
