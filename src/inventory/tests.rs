//! Resolution-order tests on small inventories written to a temporary directory.

use std::path::PathBuf;

use super::chunks::CHUNK_BYTES;
use super::*;

#[derive(Debug)]
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn inventory(
    hosts: &str,
    groups: &str,
    defaults: &str,
) -> Result<(Inventory, Dir), InventoryError> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("netrun-inv-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hosts.yaml"), hosts).unwrap();
    if !groups.is_empty() {
        std::fs::write(dir.join("groups.yaml"), groups).unwrap();
    }
    if !defaults.is_empty() {
        std::fs::write(dir.join("defaults.yaml"), defaults).unwrap();
    }
    let inv = Inventory::load(&dir)?;
    Ok((inv, Dir(dir)))
}

const DIAMOND_GROUPS: &str = "
a: {groups: ['1', '2'], data: {from_a: a}}
b: {groups: ['2', '3']}
'1': {groups: [X], data: {level: one}}
'2': {data: {level: two, only2: yes}}
'3': {data: {only3: three}}
X: {platform: junos, data: {level: x}}
";

#[test]
fn diamond_group_order_is_depth_first_left_to_right() {
    let (inv, _dir) = inventory("h: {groups: [a, b]}", DIAMOND_GROUPS, "").unwrap();
    let host = inv.host(0);
    assert_eq!(
        host.groups().collect::<Vec<_>>(),
        ["a", "1", "X", "2", "b", "3"]
    );
    // '1' comes before X and '2': its `level` wins.
    let (level, source) = host.data("level").unwrap();
    assert_eq!(level.as_str(), Some("one"));
    assert_eq!(source, Source::Group("1"));
    assert_eq!(host.data("only3").unwrap().1, Source::Group("3"));
    assert_eq!(
        host.platform().unwrap().value.map(String::as_str),
        Some("junos")
    );
    assert!(host.in_group("X"));
    assert!(!host.in_group("nope"));
}

#[test]
fn host_beats_groups_beat_defaults() {
    let (inv, _dir) = inventory(
        "h: {groups: [g], username: hostuser}",
        "g: {username: groupuser, port: 2222}",
        "username: defuser\nport: 22\nplatform: ios\n",
    )
    .unwrap();
    let host = inv.host(0);
    assert_eq!(host.username().unwrap().value.unwrap().value, "hostuser");
    let port = host.port().unwrap();
    assert_eq!(port.value.unwrap().value, 2222);
    assert_eq!(port.source, Source::Group("g"));
    let platform = host.platform().unwrap();
    assert_eq!(platform.source, Source::Defaults);
}

#[test]
fn null_means_inherit_for_attributes_and_is_a_value_for_data() {
    let (inv, _dir) = inventory(
        "h: {groups: [g], platform: null, username: , data: {site: null}, connection_options: {ssh: {port: null}}}",
        "g: {platform: ios, username: null, data: {site: earth}}",
        "data: {role: null}\nport: 2222\nusername: ops\n",
    )
    .unwrap();
    let host = inv.host(0);
    // As in nornir: null (or blank) means "not set here": the group's value is inherited.
    let platform = host.platform().unwrap();
    assert_eq!(platform.value.map(String::as_str), Some("ios"));
    assert_eq!(platform.source, Source::Group("g"));
    assert_eq!(platform.origin(), "null here, inherited from group g");
    let username = host.username().unwrap();
    assert_eq!(username.value.map(|v| v.value.as_str()), Some("ops"));
    assert_eq!(username.origin(), "null here, inherited from defaults");
    // A null connection option falls back to the host attribute (here from defaults).
    let port = host.connection("ssh").port().unwrap();
    assert_eq!(port.value.map(|p| p.value), Some(2222));
    assert_eq!(
        port.origin(),
        "null here, inherited from host attribute, from defaults"
    );
    // Data keeps nornir's rule: a null data value is a value.
    assert!(host.data("site").unwrap().0.is_null());
    let (role, source) = host.data("role").unwrap();
    assert!(role.is_null());
    assert_eq!(source, Source::Defaults);
}

#[test]
fn nornir_plugin_options_fill_what_ssh_leaves_unset() {
    let (inv, _dir) = inventory(
        "h: {groups: [g], connection_options: {ssh: {username: admin}}}",
        "g: {connection_options: {netmiko: {port: 8022, platform: cisco_ios, extras: {secret: en1}}, scrapli: {username: nope, extras: {auth_secondary: en2, timeout_ops: 45}}, napalm: {extras: {optional_args: {key_file: /k}}}}}",
        "",
    )
    .unwrap();
    let ssh = inv.host(0).connection("ssh");
    assert_eq!(ssh.username().unwrap().value.unwrap().value, "admin");
    let port = ssh.port().unwrap();
    assert_eq!(port.value.unwrap().value, 8022);
    assert_eq!(port.origin(), "connection_options.netmiko of group g");
    assert_eq!(ssh.platform().map(|p| p.0), Some(Some("cisco_ios")));
    let extras = ssh.extras();
    let secret = &extras["secret"];
    assert_eq!(
        secret.0.as_str(),
        Some("en1"),
        "netmiko comes before scrapli"
    );
    assert_eq!(
        secret.1.origin(),
        "connection_options.netmiko.extras.secret of group g"
    );
    assert_eq!(extras["command_timeout"].0.as_u64(), Some(45));
    assert_eq!(extras["private_key"].0.as_str(), Some("/k"));
    let target = inv.host(0).target("ssh");
    assert_eq!(target.extra_str("secret"), Some("en1"));
}

#[test]
fn defaults_connection_options_never_beat_a_later_group() {
    // nornir quirk fixed: nornir merges defaults into each group first, so defaults' port
    // would beat the second group's port.
    let (inv, _dir) = inventory(
        "h: {groups: [first, second]}",
        "first: {}\nsecond: {connection_options: {ssh: {port: 2022}}}\n",
        "connection_options: {ssh: {port: 22}}\n",
    )
    .unwrap();
    let ssh = inv.host(0).connection("ssh");
    let port = ssh.port().unwrap();
    assert_eq!(port.value.unwrap().value, 2022);
    assert_eq!(port.source, Source::Group("second"));
}

#[test]
fn extras_merge_key_by_key() {
    let (inv, _dir) = inventory(
        "h: {groups: [g], connection_options: {ssh: {extras: {known_hosts: off}}}}",
        "g: {connection_options: {ssh: {extras: {known_hosts: strict, mode: exec}}}}",
        "connection_options: {ssh: {extras: {legacy: true, mode: shell}}}\n",
    )
    .unwrap();
    let extras = inv.host(0).connection("ssh").extras();
    let shown: Vec<(&str, String, Source)> = extras
        .iter()
        .map(|(k, (v, r))| {
            (
                *k,
                serde_yaml::to_string(v).unwrap().trim().to_string(),
                r.source,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("known_hosts", "off".to_string(), Source::Host),
            ("mode", "exec".to_string(), Source::Group("g")),
            ("legacy", "true".to_string(), Source::Defaults),
        ]
    );
}

#[test]
fn connection_options_fall_back_to_host_attributes() {
    let (inv, _dir) = inventory(
        "h: {hostname: 10.0.0.1, username: ops, connection_options: {ssh: {port: 830}}}",
        "",
        "",
    )
    .unwrap();
    let ssh = inv.host(0).connection("ssh");
    let hostname = ssh.hostname().unwrap();
    assert_eq!(hostname.value.unwrap().value, "10.0.0.1");
    assert!(hostname.from_attribute);
    assert!(!ssh.port().unwrap().from_attribute);
}

#[test]
fn undefined_group_is_reported_at_its_position() {
    let err = inventory(
        "h1: {}\nh2:\n  groups:\n    - core\n    - nope\n",
        "core: {}\n",
        "",
    )
    .unwrap_err();
    let InventoryError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.position, Some((5, 7)));
    assert!(
        err.message
            .starts_with("host `h2`: groups[1]: group `nope` is not defined in ")
            && err.message.ends_with("/groups.yaml"),
        "{}",
        err.message
    );
}

#[test]
fn group_cycle_is_reported() {
    let err = inventory(
        "h: {groups: [a]}",
        "a: {groups: [b]}\nb:\n  groups: [c]\nc: {groups: [a]}\n",
        "",
    )
    .unwrap_err();
    let InventoryError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    // libyaml places the first item of a flow sequence at its `[`.
    assert_eq!(err.position, Some((4, 14)));
    assert_eq!(
        err.message,
        "group `c`: groups[0]: group cycle: a → b → c → a"
    );
}

#[test]
fn defaults_cannot_have_groups() {
    let err = inventory("h: {}", "", "groups: [x]\n").unwrap_err();
    let InventoryError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.position, Some((1, 1)));
    assert!(
        err.message.starts_with("unknown field `groups`"),
        "{}",
        err.message
    );
}

#[test]
fn missing_hosts_file() {
    let err = Inventory::load(std::path::Path::new("/nonexistent/netrun")).unwrap_err();
    assert!(matches!(err, InventoryError::MissingHosts { .. }));
}

#[test]
fn data_paths_and_secrets() {
    let (inv, _dir) = inventory(
        "h: {password: hunter2, data: {facts: {os: ios, ifaces: [a, b]}, api_token: t0k}}",
        "",
        "",
    )
    .unwrap();
    let host = inv.host(0);
    assert_eq!(
        host.data_path("facts.os").and_then(|v| v.as_str()),
        Some("ios")
    );
    assert_eq!(
        host.data_path("facts.ifaces.1").and_then(|v| v.as_str()),
        Some("b")
    );
    assert!(host.data_path("facts.nope").is_none());
    let json = serde_json::to_string(&host.to_serializable()).unwrap();
    assert!(!json.contains("hunter2") && !json.contains("t0k"), "{json}");
    assert!(json.contains(r#""password":"***""#), "{json}");
}

fn big_hosts(count: usize) -> String {
    let mut text = String::from("# generated\n");
    for i in 0..count {
        text.push_str(&format!(
            "h{i:05}:\n  hostname: 10.0.{}.{}\n  groups: [g{}]\n  data:\n    serial: SN{i:08}\n    padding: {}\n",
            i / 256,
            i % 256,
            i % 3,
            "x".repeat(40)
        ));
    }
    text
}

const BIG_GROUPS: &str = "g0: {platform: ios}\ng1: {platform: eos}\ng2: {platform: junos}\n";

#[test]
fn large_files_are_parsed_in_chunks_with_the_same_result() {
    let text = big_hosts(8000);
    assert!(
        text.len() > 2 * CHUNK_BYTES,
        "the test must exercise chunking"
    );
    let (inv, _dir) = inventory(&text, BIG_GROUPS, "").unwrap();
    assert_eq!(inv.len(), 8000);
    let names: Vec<&str> = inv.names().collect();
    assert_eq!(names[0], "h00000");
    assert_eq!(names[7999], "h07999");
    let host = inv.host(3001);
    assert_eq!(host.name(), "h03001");
    assert_eq!(host.platform().unwrap().value.unwrap(), "eos");
    assert_eq!(host.hostname().unwrap().value.unwrap().value, "10.0.11.185");
}

#[test]
fn errors_in_late_chunks_keep_their_file_line() {
    let mut text = big_hosts(8000);
    // Line numbers: 1 comment line, then 6 lines per host.
    text.push_str("h99999:\n  prot: 22\n");
    let err = inventory(&text, BIG_GROUPS, "").unwrap_err();
    let InventoryError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.position, Some((1 + 6 * 8000 + 2, 3)));
    assert!(
        err.message
            .starts_with("host `h99999`: unknown field `prot`"),
        "{}",
        err.message
    );

    let mut text = big_hosts(8000);
    text.push_str("h00001:\n  hostname: again\n");
    let err = inventory(&text, BIG_GROUPS, "").unwrap_err();
    let InventoryError::Yaml(err) = err else {
        panic!("{err:?}")
    };
    assert_eq!(err.position, Some((1 + 6 * 8000 + 1, 1)));
    assert_eq!(err.message, "duplicate host `h00001`");
}

/// `big_hosts` where every host ends with a double-quoted description whose second line is at
/// column 0 and looks like a plain key (`second: line 7`), so the line scan takes it for a host:
/// valid YAML (PyYAML and libyaml accept it), parsed through the whole-file fallback.
fn big_hosts_with_quoted_continuations(count: usize) -> String {
    let mut text = String::from("# generated\n");
    for i in 0..count {
        text.push_str(&format!(
            "h{i:05}:\n  hostname: 10.0.{}.{}\n  data:\n    padding: {}\n    description: \"first line\nsecond: line {i}\n  end\"\n",
            i / 256,
            i % 256,
            "x".repeat(60)
        ));
    }
    text
}

#[test]
fn a_column_0_line_inside_a_quoted_scalar_is_not_a_new_host() {
    let text = big_hosts_with_quoted_continuations(6000);
    assert!(
        text.len() > 2 * CHUNK_BYTES,
        "the test must exercise chunking"
    );
    let (inv, _dir) = inventory(&text, "", "").unwrap();
    assert_eq!(inv.len(), 6000);
    let host = inv.host(4321);
    assert_eq!(host.name(), "h04321");
    assert_eq!(
        host.data_path("description").and_then(|v| v.as_str()),
        Some("first line second: line 4321 end")
    );
}

#[test]
fn a_large_file_indented_as_a_whole_is_parsed() {
    // No line starts at column 0, so there is nothing to cut at: one piece.
    let text: String = big_hosts(8000)
        .lines()
        .map(|l| format!("  {l}\n"))
        .collect();
    let (inv, _dir) = inventory(&text, BIG_GROUPS, "").unwrap();
    assert_eq!(inv.len(), 8000);
}

#[test]
fn plain_key_lines_are_the_only_cut_points() {
    for line in [
        "r1:\n",
        "r1: {}\n",
        "core-sw.example.com: {a: 1}\n",
        "r1:",
        "r1: {hostname: \"10.0.0.1\", data: {note: 'it''s'}}\r\n",
    ] {
        assert!(chunks::plain_key(line).is_some(), "{line:?}");
    }
    for line in [
        "  r1:\n",
        "# r1:\n",
        "\"r1\": {}\n",
        "'r1': {}\n",
        "second: line 1\"\n",
        "a, b: c\n",
        "r1 # c: d\n",
        "http://x\n",
        "-r1:\n",
        "b: 2}\n",
    ] {
        assert!(chunks::plain_key(line).is_none(), "{line:?}");
    }
}

#[test]
fn a_chunked_parse_fails_exactly_as_a_sequential_one() {
    let check = Arc::new(group_check(&IndexMap::new(), "groups.yaml".into()));
    let path = std::path::Path::new("hosts.yaml");
    let sequential = |text: &str| {
        with_group_check(check.clone(), || {
            yaml::parse::<yaml::Entries<HostFile>>(path, text).map(|h| h.entries.len())
        })
    };
    let base = big_hosts_with_quoted_continuations(6000);
    for tail in [
        // A quote left open to the end of the file.
        "h99999:\n  data:\n    note: \"never closed\nnext: line\n",
        // A bad field after hosts whose column-0 lines misled the cut.
        "h99999:\n  prot: 22\n",
        // A duplicate of a host two chunks earlier.
        "h00001: {}\n",
        // A key line that closes a flow mapping opened on the line before.
        "h99999: {data: {a: 1,\nb: 2}}\n",
    ] {
        let text = format!("{base}{tail}");
        let expected = sequential(&text);
        let got = parse_hosts(path, &text, &check).map(|h| h.len());
        match (&expected, &got) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{tail:?}"),
            (Err(a), Err(b)) => {
                assert_eq!(
                    (a.position, &a.message),
                    (b.position, &b.message),
                    "{tail:?}"
                )
            }
            _ => panic!("{tail:?}: sequential {expected:?}, chunked {got:?}"),
        }
    }
}

/// The message and position of a load that must fail.
fn failure(hosts: &str, groups: &str) -> (Option<(usize, usize)>, String) {
    match inventory(hosts, groups, "") {
        Err(InventoryError::Yaml(err)) => (err.position, err.message),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("loaded"),
    }
}

/// `g0: {groups: [g1]}` … `g{n-1}: LAST`.
fn group_chain(n: usize, last: &str) -> String {
    let mut text = String::new();
    for i in 0..n - 1 {
        text.push_str(&format!("g{i}: {{groups: [g{}]}}\n", i + 1));
    }
    text.push_str(&format!("g{}: {last}\n", n - 1));
    text
}

#[test]
fn a_chain_of_100_000_nested_groups_loads_in_order() {
    // Test threads have small stacks: a recursive walk overflowed here.
    let (inv, _dir) = inventory("h: {groups: [g0]}\n", &group_chain(100_000, "{}"), "").unwrap();
    let host = inv.host(0);
    let order: Vec<&str> = host.groups().collect();
    assert_eq!(order.len(), 100_000);
    assert_eq!((order[0], order[99_999]), ("g0", "g99999"));
    assert!(host.in_group("g77777"));
}

#[test]
fn a_cycle_at_the_end_of_a_long_chain_is_a_cycle() {
    // 20,000 groups keep this quick in a debug build; tests/cli/input.rs runs 100,000.
    let (position, message) = failure(
        "h: {groups: [g0]}\n",
        &group_chain(20_000, "{groups: [g19990]}"),
    );
    assert_eq!(position, Some((20_000, 19)));
    let ring: Vec<String> = (19_990..20_000).map(|i| format!("g{i}")).collect();
    assert_eq!(
        message,
        format!(
            "group `g19999`: groups[0]: group cycle: {} → g19990",
            ring.join(" → ")
        )
    );
    // A cycle through the whole chain is spelled with its middle left out.
    let (position, message) = failure("h: {}\n", &group_chain(20_000, "{groups: [g0]}"));
    assert_eq!(position, Some((20_000, 19)));
    assert_eq!(
        message,
        "group `g19999`: groups[0]: group cycle: g0 → g1 → g2 → g3 → g4 → g5 → g6 → g7 → g8 → g9 → … 19981 more … → g19991 → g19992 → g19993 → g19994 → g19995 → g19996 → g19997 → g19998 → g19999 → g0"
    );
}

#[test]
fn nesting_beyond_the_parser_limit_is_a_positioned_error() {
    let depth = 100_000;
    let hosts = format!(
        "h:\n  data:\n    deep: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    // libyaml's cost grows with the square of the depth: this took 40 s before the check.
    let started = std::time::Instant::now();
    let (position, message) = failure(&hosts, "");
    assert_eq!(position, Some((3, 11 + 128)));
    assert_eq!(
        message,
        "collections nested deeper than 128 levels (the most netrun reads)"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // Less deep, serde_yaml's own limit (which counts every level) stops it.
    let hosts = format!(
        "h:\n  data:\n    deep: {}{}\n",
        "[".repeat(128),
        "]".repeat(128)
    );
    let (position, message) = failure(&hosts, "");
    assert_eq!(position, Some((3, 136)));
    assert_eq!(message, "host `h`: recursion limit exceeded");
}

/// Nine levels of ten aliases each: a billion strings from a few hundred bytes.
fn alias_bomb() -> String {
    let mut text = String::from("    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..9 {
        let prev = format!("*l{}", level - 1);
        text.push_str(&format!(
            "    l{level}: &l{level} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    text
}

#[test]
fn an_alias_bomb_is_a_positioned_error_at_once() {
    let started = std::time::Instant::now();
    let (position, message) = failure(&format!("h:\n  data:\n{}", alias_bomb()), "");
    assert!(position.is_some(), "{message}");
    assert!(message.contains("alias bomb"), "{message}");
    // After half a megabyte of padding, serde_yaml's own limit (100 alias jumps per event of the
    // document) would allow millions of values; the budget stops it as early.
    let padding = big_hosts(5_000);
    let (position, message) = failure(
        &format!("{padding}bomb:\n  data:\n{}", alias_bomb()),
        BIG_GROUPS,
    );
    assert!(
        position.is_some_and(|(line, _)| line > 30_000),
        "{position:?}"
    );
    assert!(message.starts_with("host `bomb`: data."), "{message}");
    assert!(message.contains("alias bomb"), "{message}");
    // Generous for a debug build on a loaded machine: unbounded, this runs for hours.
    assert!(started.elapsed() < std::time::Duration::from_secs(90));
}

#[test]
fn an_alias_may_repeat_data_without_limit_but_its_size() {
    let mut hosts = String::from("h0: {data: {common: &common {ntp: [192.0.2.1], syslog: x}}}\n");
    for i in 1..2000 {
        hosts.push_str(&format!("h{i}: {{data: {{common: *common, n: {i}}}}}\n"));
    }
    let (inv, _dir) = inventory(&hosts, "", "").unwrap();
    assert_eq!(
        inv.host(1999)
            .data_path("common.syslog")
            .and_then(|v| v.as_str()),
        Some("x")
    );
}

#[test]
fn bytes_that_are_not_text_are_reported_where_they_are() {
    let dir = std::env::temp_dir().join(format!("netrun-inv-bytes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _guard = Dir(dir.clone());
    for (bytes, position, message) in [
        (
            &b"r1: {}\nr2:\n  data: {site: caf\xe9}\n"[..],
            (3, 19),
            "not valid UTF-8: byte 0xe9 at byte offset 29; inventory files are UTF-8 text",
        ),
        (
            &b"r1: {}\nr2:\n  hostname: a\x00b\n"[..],
            (3, 14),
            "control character NUL at byte offset 24; YAML allows none but tab and line breaks",
        ),
        (
            "r1: {}\nr2:\n  data: {é: \u{1b}[0m}\n".as_bytes(),
            (3, 13),
            "control character U+001B at byte offset 24; YAML allows none but tab and line breaks",
        ),
    ] {
        std::fs::write(dir.join("hosts.yaml"), bytes).unwrap();
        let Err(InventoryError::Yaml(err)) = Inventory::load(&dir) else {
            panic!("loaded");
        };
        assert_eq!(err.path, dir.join("hosts.yaml"));
        assert_eq!(
            (err.position, err.message.as_str()),
            (Some(position), message)
        );
    }
}
