//! A large inventory made up for the test: hosts in nested groups (sites → regions → global,
//! roles and platforms beside them), with attributes, data and connection options — set,
//! blank or null — spread over every level by a fixed pseudo-random sequence.

use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A scratch directory, removed when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("netrun-nornir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A small linear congruential generator: the same inventory on every run.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len() as u64) as usize]
    }
}

const SITES: u64 = 20;
const REGIONS: u64 = 4;
const ROLES: [&str; 3] = ["core", "edge", "access"];
const PLATFORMS: [&str; 3] = ["ios", "eos", "junos"];
const DATA_KEYS: [&str; 6] = ["role", "tier", "owner", "rack", "vlan", "contact"];
const PLUGINS: [&str; 3] = ["netmiko", "scrapli", "ssh"];
const EXTRAS: [&str; 5] = ["secret", "conn_timeout", "fast_cli", "timeout_ops", "mode"];

/// A value for `key` written by `who`, or null or blank now and then.
fn data_value(seq: &mut Sequence, key: &str, who: &str) -> String {
    match seq.next(10) {
        0 => "null".into(),
        1 => String::new(),
        2 => format!("{{from: {who}, n: {}}}", seq.next(100)),
        3 => seq.next(5000).to_string(),
        _ => format!("{key}-{who}"),
    }
}

/// `key: value` for an attribute, blank or null now and then; nothing most of the time.
fn attribute(seq: &mut Sequence, out: &mut String, indent: &str, who: &str, percent: u64) {
    for attr in ["hostname", "port", "username", "password", "platform"] {
        if !seq.chance(percent) {
            continue;
        }
        let value = match seq.next(8) {
            0 => String::new(),
            1 => "null".into(),
            _ if attr == "port" => (1000 + seq.next(60_000)).to_string(),
            _ => format!("{attr}-{who}"),
        };
        writeln!(out, "{indent}{attr}: {value}").unwrap();
    }
}

fn data(seq: &mut Sequence, out: &mut String, indent: &str, who: &str, percent: u64) {
    let keys: Vec<&str> = DATA_KEYS
        .iter()
        .copied()
        .filter(|_| seq.chance(percent))
        .collect();
    if keys.is_empty() {
        return;
    }
    writeln!(out, "{indent}data:").unwrap();
    for key in keys {
        let value = data_value(seq, key, who);
        writeln!(out, "{indent}  {key}: {value}").unwrap();
    }
}

fn connection_options(seq: &mut Sequence, out: &mut String, indent: &str, who: &str, percent: u64) {
    let plugins: Vec<&str> = PLUGINS
        .iter()
        .copied()
        .filter(|_| seq.chance(percent))
        .collect();
    if plugins.is_empty() {
        return;
    }
    writeln!(out, "{indent}connection_options:").unwrap();
    for plugin in plugins {
        writeln!(out, "{indent}  {plugin}:").unwrap();
        let start = out.len();
        let inner = format!("{indent}    ");
        attribute(seq, out, &inner, &format!("{plugin}-{who}"), 30);
        match seq.next(6) {
            0 => writeln!(out, "{inner}extras:").unwrap(),
            1 => writeln!(out, "{inner}extras: {{}}").unwrap(),
            2 | 3 => {
                writeln!(out, "{inner}extras:").unwrap();
                for key in EXTRAS {
                    if seq.chance(40) {
                        let value = match key {
                            "fast_cli" => ["true", "false"][seq.next(2) as usize].to_string(),
                            "mode" => seq.pick(&["shell", "exec"]).to_string(),
                            "secret" => format!("enable-{who}"),
                            _ => (5 + seq.next(100)).to_string(),
                        };
                        writeln!(out, "{inner}  {key}: {value}").unwrap();
                    }
                }
            }
            _ => {}
        }
        // A plugin with nothing under it is `null`, which nornir's loader cannot read.
        if out.len() == start {
            writeln!(out, "{inner}extras: {{}}").unwrap();
        }
    }
}

/// Writes hosts.yaml, groups.yaml and defaults.yaml for `hosts` hosts into `dir`.
pub fn inventory(dir: &Path, hosts: usize) {
    let mut seq = Sequence(0x6e6f_726e_6972);
    let mut groups = String::from("---\n");
    let mut group = |name: &str, parents: &[String], seq: &mut Sequence, percent: u64| {
        writeln!(groups, "{name}:").unwrap();
        if !parents.is_empty() {
            writeln!(groups, "  groups: [{}]", parents.join(", ")).unwrap();
        }
        attribute(seq, &mut groups, "  ", name, percent);
        data(seq, &mut groups, "  ", name, percent + 10);
        connection_options(seq, &mut groups, "  ", name, percent);
    };
    group("global", &[], &mut seq, 50);
    group("mgmt", &["global".into()], &mut seq, 40);
    for r in 0..REGIONS {
        group(&format!("region{r}"), &["global".into()], &mut seq, 30);
    }
    for s in 0..SITES {
        let mut parents = vec![format!("region{}", s % REGIONS)];
        if s % 3 == 0 {
            parents.push("mgmt".into());
        }
        group(&format!("site{s:02}"), &parents, &mut seq, 25);
    }
    for role in ROLES {
        group(&format!("role_{role}"), &["global".into()], &mut seq, 30);
    }
    for platform in PLATFORMS {
        group(&format!("platform_{platform}"), &[], &mut seq, 40);
    }

    let mut defaults = String::from("---\nusername: automation\npassword: default-pw\nport: 22\n");
    data(&mut seq, &mut defaults, "", "defaults", 70);
    connection_options(&mut seq, &mut defaults, "", "defaults", 60);

    let mut text = String::from("---\n");
    for i in 0..hosts {
        let name = format!("dev{i:03}.site{:02}", i as u64 % SITES);
        writeln!(text, "{name}:").unwrap();
        let mut host_groups = vec![
            format!("site{:02}", i as u64 % SITES),
            format!("role_{}", seq.pick(&ROLES)),
        ];
        if seq.chance(80) {
            host_groups.push(format!("platform_{}", seq.pick(&PLATFORMS)));
        }
        if seq.chance(30) {
            let last = host_groups.pop().expect("a group");
            host_groups.insert(0, last);
        }
        writeln!(text, "  groups: [{}]", host_groups.join(", ")).unwrap();
        attribute(&mut seq, &mut text, "  ", &name, 20);
        data(&mut seq, &mut text, "  ", &name, 20);
        connection_options(&mut seq, &mut text, "  ", &name, 15);
    }
    std::fs::write(dir.join("groups.yaml"), groups).expect("write groups.yaml");
    std::fs::write(dir.join("defaults.yaml"), defaults).expect("write defaults.yaml");
    std::fs::write(dir.join("hosts.yaml"), text).expect("write hosts.yaml");
}
