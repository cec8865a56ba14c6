//! The library: discovery, platform names, lookup errors, joined templates and the cache.

use super::r;
use super::rows;
use crate::textfsm::{DiscoveryError, Library, LibraryError, ntc_platform, templates_dir_using};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A temporary templates directory, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(files: &[(&str, &str)]) -> Dir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("netrun-textfsm-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write file");
        }
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const INDEX: &str = "Template, Hostname, Platform, Command\n\nfirst.textfsm:second.textfsm, .*, os, show joined\nnokey.textfsm:second.textfsm, .*, os, show nokey\nnokey.textfsm:second_nokey.textfsm, .*, os, show position\nfirst.textfsm, .*, os, show first\n";
const FIRST: &str =
    "Value Key NAME (\\w+)\nValue STATE (\\w+)\n\nStart\n  ^${NAME} is ${STATE} -> Record\n";
const SECOND: &str = "Value Key NAME (\\w+)\nValue List ADDR (\\S+)\nValue STATE (\\w+)\n\nStart\n  ^${NAME} has ${ADDR}\n  ^${NAME} done -> Record\n";
const SECOND_NOKEY: &str = "Value NAME (\\w+)\nValue List ADDR (\\S+)\n\nStart\n  ^${NAME} has ${ADDR}\n  ^${NAME} done -> Record\n";
const NOKEY: &str =
    "Value NAME (\\w+)\nValue STATE (\\w+)\n\nStart\n  ^${NAME} is ${STATE} -> Record\n";

fn library() -> (Dir, Library) {
    let dir = Dir::new(&[
        ("index", INDEX),
        ("first.textfsm", FIRST),
        ("second.textfsm", SECOND),
        ("nokey.textfsm", NOKEY),
        ("second_nokey.textfsm", SECOND_NOKEY),
    ]);
    let lib = Library::open(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    (dir, lib)
}

#[test]
fn joined_templates_add_missing_columns_by_key() {
    let (_dir, lib) = library();
    let text = "a is up\nb is down\nb has 10.0.0.1\nb has 10.0.0.2\nb done\nc done";
    let records = lib.parse("os", "show joined", text).expect("parses");
    assert_eq!(records.header(), ["NAME", "STATE", "ADDR"]);
    assert_eq!(
        rows(&records),
        vec![
            r(&["a", "up", ""]),
            r(&["b", "down", "[10.0.0.1|10.0.0.2]"])
        ]
    );
}

#[test]
fn keys_come_from_a_later_template_when_the_first_has_none() {
    let (_dir, lib) = library();
    let records = lib
        .parse("os", "show nokey", "a is up\nb is down\nb done\na done")
        .expect("parses");
    assert_eq!(
        rows(&records),
        vec![r(&["a", "up", "[]"]), r(&["b", "down", "[]"])]
    );
}

#[test]
fn joined_templates_without_keys_join_by_position() {
    let (_dir, lib) = library();
    let records = lib
        .parse("os", "show position", "a is up\nb is down\nz has 1\nz done")
        .expect("parses");
    assert_eq!(
        rows(&records),
        vec![r(&["a", "up", "[1]"]), r(&["b", "down", ""])]
    );
}

#[test]
fn missing_template_names_platform_command_and_index() {
    let (dir, lib) = library();
    match lib.parse("os", "show nothing", "") {
        Err(LibraryError::NoTemplate {
            platform,
            command,
            index,
            ..
        }) => {
            assert_eq!(
                (platform.as_str(), command.as_str()),
                ("os", "show nothing")
            );
            assert_eq!(index, dir.0.join("index"));
        }
        other => panic!("expected NoTemplate, got {other:?}"),
    }
}

#[test]
fn templates_are_compiled_once_and_shared() {
    let (_dir, lib) = library();
    let a = lib.template("first.textfsm").expect("compiles");
    let b = lib.template("first.textfsm").expect("cached");
    assert!(Arc::ptr_eq(&a, &b));
    let lib = Arc::new(lib);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let lib = Arc::clone(&lib);
            std::thread::spawn(move || lib.parse("os", "show first", "x is up").map(|r| r.len()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread").expect("parses"), 1);
    }
    assert!(matches!(
        lib.parse_with_template("missing.textfsm", ""),
        Err(LibraryError::Io { .. })
    ));
}

#[test]
fn platform_names_map_to_ntc_templates_names() {
    let cases = [
        ("ios", "cisco_ios"),
        ("iosxe", "cisco_ios"),
        ("cisco_xe", "cisco_ios"),
        ("nxos", "cisco_nxos"),
        ("iosxr", "cisco_xr"),
        ("ios-xr", "cisco_xr"),
        ("eos", "arista_eos"),
        ("arista", "arista_eos"),
        ("junos", "juniper_junos"),
        ("juniper", "juniper_junos"),
        ("linux", "linux"),
        ("ubuntu", "linux"),
        ("cisco_ios", "cisco_ios"),
        ("huawei_vrp", "huawei_vrp"),
        ("fortinet", "fortinet"),
    ];
    for (netrun, ntc) in cases {
        assert_eq!(ntc_platform(netrun), ntc, "{netrun}");
    }
}

#[test]
fn discovery_order() {
    let a = Dir::new(&[("index", INDEX)]);
    let b = Dir::new(&[("index", INDEX)]);
    let c = Dir::new(&[("index", INDEX)]);
    let found = |e: Option<&Path>, cfg: Option<&Path>, env: Option<&Path>| {
        templates_dir_using(e, cfg, env.map(Path::as_os_str), "/nonexistent/python3")
            .expect("found")
    };
    assert_eq!(found(Some(&a.0), Some(&b.0), Some(&c.0)), a.0);
    assert_eq!(found(None, Some(&b.0), Some(&c.0)), b.0);
    assert_eq!(found(None, None, Some(&c.0)), c.0);
}

#[test]
fn discovery_errors_say_where_they_looked() {
    let empty = Dir::new(&[]);
    match templates_dir_using(Some(&empty.0), None, None, "python3") {
        Err(DiscoveryError::NoIndex { dir, from }) => {
            assert_eq!((dir, from), (empty.0.clone(), "--templates"))
        }
        other => panic!("expected NoIndex, got {other:?}"),
    }
    let err =
        templates_dir_using(None, None, None, "/nonexistent/python3").expect_err("nothing found");
    let text = err.to_string();
    assert!(
        text.contains("--templates: not set") && text.contains("NET_TEXTFSM: not set"),
        "{text}"
    );
    assert!(
        text.contains("pip install ntc-templates") && text.contains("/nonexistent/python3"),
        "{text}"
    );
}
