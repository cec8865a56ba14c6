//! Which lines of a `config:` step a device's running configuration already has, and the diff
//! of a change: pure functions over text, so every rule is unit-tested without a device.

use std::collections::HashSet;

use crate::platform::ConfigStyle;

/// How a config step compares its lines with the running configuration (`match:`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// Send the lines the running configuration lacks, each under its parent sections.
    #[default]
    Line,
    /// Send every line, every time.
    None,
}

/// Why the lines cannot be compared, so the step sends them all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unmatchable {
    /// The platform's configuration is not line by line (braces, none, or not described).
    #[error("the running configuration of platform `{0}` cannot be compared line by line")]
    Style(String),
    /// The step's connection is a plugin, whose configuration netrun cannot read.
    #[error("the `{0}` connection has no running configuration netrun can read")]
    Connection(String),
    /// A section header is followed by lines that are not indented under it.
    #[error(
        "`{0}` opens a section on the device but the lines after it are not indented under it; indent them as `show running-config` does"
    )]
    NotIndented(String),
}

/// What a config step would send: the lines, in order, each with whether it is new (`false`
/// for a parent section repeated to give a new line its context).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Lines to send, as written in the step.
    pub lines: Vec<PlanLine>,
}

/// One line of a [`Plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLine {
    /// The line as the step wrote it (indentation kept).
    pub text: String,
    /// The running configuration does not have it.
    pub new: bool,
}

impl Plan {
    /// Every line of `wanted`, all new.
    pub fn everything(wanted: &[String]) -> Plan {
        Plan {
            lines: wanted
                .iter()
                .map(|l| PlanLine {
                    text: l.clone(),
                    new: true,
                })
                .collect(),
        }
    }

    /// The lines to send.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.text.clone()).collect()
    }

    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// How many lines are new (parents repeated for context are not).
    #[cfg(test)]
    pub fn new_lines(&self) -> usize {
        self.lines.iter().filter(|l| l.new).count()
    }

    /// A unified-diff-like view of a dry run: new lines with `+`, context lines with a space.
    pub fn as_diff(&self, host: &str) -> String {
        let mut out =
            format!("--- {host} running configuration\n+++ {host} after the change (dry run)\n");
        for line in &self.lines {
            out.push(if line.new { '+' } else { ' ' });
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }
}

/// Words collapsed to single spaces, so `ntp  server 1.1.1.1` and `ntp server 1.1.1.1` match.
fn normalized(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// A comment line (`!` on Cisco-like devices, `#` on Junos and shells): never compared.
fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('!') || t.starts_with('#')
}

/// Lines of configuration text that mean something: not blank, not a comment (`!`, `#`), not
/// volatile (timestamps).
fn meaningful<'a>(
    text: &'a str,
    volatile: &'a dyn Fn(&str) -> bool,
) -> impl Iterator<Item = &'a str> + 'a {
    text.lines().filter(move |l| {
        let t = l.trim();
        !t.is_empty() && !is_comment(t) && !volatile(l.trim_end())
    })
}

/// Each line with the (normalized) path of its sections, by indentation.
fn paths<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(Vec<String>, &'a str)> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut out = Vec::new();
    for line in lines {
        let indent = indent_of(line);
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, normalized(line)));
        out.push((stack.iter().map(|(_, t)| t.clone()).collect(), line));
    }
    out
}

/// The lines of `wanted` that `running` lacks, with their parents (platform style `style`,
/// `volatile` lines of the running configuration ignored).
pub fn plan(
    running: &str,
    wanted: &[String],
    style: Option<ConfigStyle>,
    platform: &str,
    volatile: &dyn Fn(&str) -> bool,
) -> Result<Plan, Unmatchable> {
    match style {
        Some(ConfigStyle::Indent) => plan_indented(running, wanted, volatile),
        Some(ConfigStyle::Flat) => Ok(plan_flat(running, wanted, volatile, "")),
        Some(ConfigStyle::Set) => Ok(plan_flat(running, wanted, volatile, "set ")),
        Some(ConfigStyle::Braces | ConfigStyle::None) | None => {
            Err(Unmatchable::Style(platform.to_string()))
        }
    }
}

/// Whether `line` (normalized) is present among `have`: itself, or for a negation (`no X`,
/// `delete X`) the absence of what it removes.
fn present(line: &str, have: &dyn Fn(&str) -> bool, has_prefix: &dyn Fn(&str) -> bool) -> bool {
    if have(line) {
        return true;
    }
    match line.strip_prefix("no ") {
        Some(removed) => !have(removed) && !has_prefix(&format!("{removed} ")),
        None => false,
    }
}

fn plan_flat(running: &str, wanted: &[String], volatile: &dyn Fn(&str) -> bool, set: &str) -> Plan {
    let have: HashSet<String> = meaningful(running, volatile).map(normalized).collect();
    let has = |l: &str| have.contains(l);
    let has_prefix = |p: &str| have.iter().any(|h| h.starts_with(p));
    let lines = wanted
        .iter()
        .filter(|line| {
            if is_comment(line) || volatile(line.trim_end()) {
                return false;
            }
            let line = normalized(line);
            // Junos: `delete X` is needed while any `set X...` is there.
            let missing = match line.strip_prefix("delete ").filter(|_| !set.is_empty()) {
                Some(path) => has(&format!("{set}{path}")) || has_prefix(&format!("{set}{path} ")),
                None => !present(&line, &has, &has_prefix),
            };
            missing && !line.is_empty()
        })
        .map(|l| PlanLine {
            text: l.clone(),
            new: true,
        })
        .collect();
    Plan { lines }
}

fn plan_indented(
    running: &str,
    wanted: &[String],
    volatile: &dyn Fn(&str) -> bool,
) -> Result<Plan, Unmatchable> {
    let running = paths(meaningful(running, volatile));
    let have: HashSet<&[String]> = running.iter().map(|(p, _)| p.as_slice()).collect();
    let wanted = paths(
        wanted
            .iter()
            .map(String::as_str)
            .filter(|l| !l.trim().is_empty() && !is_comment(l)),
    );
    if wanted.iter().all(|(p, _)| p.len() == 1) {
        // Flat lines cannot say which of them belong to a section the device already has.
        for (path, _) in wanted.iter().rev().skip(1) {
            let opens = running.iter().any(|(p, _)| p.len() > 1 && p[0] == path[0]);
            if opens {
                return Err(Unmatchable::NotIndented(path[0].clone()));
            }
        }
    }
    let mut plan = Plan::default();
    // The sections of the last line sent: its parents are not repeated.
    let mut context: Vec<String> = Vec::new();
    for (i, (path, text)) in wanted.iter().enumerate() {
        let (parent, line) = path.split_at(path.len() - 1);
        let has = |l: &str| {
            let mut p = parent.to_vec();
            p.push(l.to_string());
            have.contains(p.as_slice())
        };
        let has_prefix = |prefix: &str| {
            running.iter().any(|(p, _)| {
                p.len() == parent.len() + 1
                    && p.starts_with(parent)
                    && p[parent.len()].starts_with(prefix)
            })
        };
        if present(&line[0], &has, &has_prefix) {
            continue;
        }
        let shared = context
            .iter()
            .zip(parent)
            .take_while(|(a, b)| a == b)
            .count();
        for depth in shared..parent.len() {
            // The wanted line that opened this section, as the step wrote it.
            let opener = wanted[..i]
                .iter()
                .rev()
                .find(|(p, _)| p.as_slice() == &parent[..=depth])
                .map(|(_, t)| t.to_string())
                .unwrap_or_else(|| parent[depth].clone());
            let new = !have.contains(&parent[..=depth]);
            plan.lines.push(PlanLine { text: opener, new });
        }
        plan.lines.push(PlanLine {
            text: text.to_string(),
            new: true,
        });
        context = path.clone();
    }
    Ok(plan)
}

/// A unified diff of two configurations (volatile lines left out), and its `+` and `-` counts.
pub fn diff(
    host: &str,
    before: &str,
    after: &str,
    volatile: &dyn Fn(&str) -> bool,
) -> (String, usize, usize) {
    let keep = |text: &str| -> String {
        text.lines()
            .filter(|l| !volatile(l.trim_end()))
            .map(|l| format!("{}\n", l.trim_end()))
            .collect()
    };
    let (before, after) = (keep(before), keep(after));
    let diff = similar::TextDiff::from_lines(&before, &after);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{host} before"), &format!("{host} after"))
        .to_string();
    (text, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOS: &str = "\
Building configuration...
!
hostname r1
!
interface GigabitEthernet0/1
 description uplink
 ip address 10.0.0.1 255.255.255.0
!
interface GigabitEthernet0/2
 shutdown
!
router bgp 65000
 neighbor 10.0.0.2 remote-as 65001
 address-family ipv4
  network 10.0.0.0 mask 255.255.255.0
 exit-address-family
!
ntp server 192.0.2.1
end
";

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn never(_: &str) -> bool {
        false
    }

    fn ios(wanted: &str) -> Result<Plan, Unmatchable> {
        plan(
            IOS,
            &lines(wanted),
            Some(ConfigStyle::Indent),
            "ios",
            &never,
        )
    }

    fn sent(plan: &Plan) -> String {
        plan.lines
            .iter()
            .map(|l| format!("{}{}\n", if l.new { "+" } else { " " }, l.text))
            .collect()
    }

    #[test]
    fn lines_the_device_has_are_not_sent() {
        let plan = ios("ntp server 192.0.2.1\nhostname r1").unwrap_or_default();
        assert!(plan.is_empty(), "{plan:?}");
        // Spacing does not matter; case does (devices keep it).
        assert!(ios("ntp  server   192.0.2.1").is_ok_and(|p| p.is_empty()));
        assert_eq!(ios("NTP server 192.0.2.1").map(|p| p.new_lines()), Ok(1));
    }

    #[test]
    fn missing_lines_come_with_their_parent_sections() {
        let plan = ios(
            "interface GigabitEthernet0/1\n description uplink\n mtu 9000\n\
             interface GigabitEthernet0/3\n description new\n\
             ntp server 192.0.2.1\nntp server 192.0.2.2",
        )
        .unwrap_or_default();
        assert_eq!(
            sent(&plan),
            " interface GigabitEthernet0/1\n+ mtu 9000\n\
             +interface GigabitEthernet0/3\n+ description new\n\
             +ntp server 192.0.2.2\n"
        );
        assert_eq!(plan.new_lines(), 4);
        let nested = ios(
            "router bgp 65000\n address-family ipv4\n  network 10.0.0.0 mask 255.255.255.0\n  network 10.9.0.0 mask 255.255.0.0",
        )
        .unwrap_or_default();
        assert_eq!(
            sent(&nested),
            " router bgp 65000\n  address-family ipv4\n+  network 10.9.0.0 mask 255.255.0.0\n"
        );
    }

    #[test]
    fn a_negation_is_needed_only_while_its_line_is_there() {
        assert!(ios("interface GigabitEthernet0/1\n no shutdown").is_ok_and(|p| p.is_empty()));
        assert_eq!(
            ios("interface GigabitEthernet0/2\n no shutdown").map(|p| p.new_lines()),
            Ok(1)
        );
        assert!(ios("no ntp server 192.0.2.9").is_ok_and(|p| p.is_empty()));
        assert_eq!(ios("no ntp server 192.0.2.1").map(|p| p.new_lines()), Ok(1));
        assert_eq!(ios("no router bgp 65000").map(|p| p.new_lines()), Ok(1));
    }

    #[test]
    fn flat_lines_under_an_existing_section_are_refused_rather_than_misplaced() {
        assert_eq!(
            ios("interface GigabitEthernet0/1\ndescription changed"),
            Err(Unmatchable::NotIndented(
                "interface GigabitEthernet0/1".into()
            ))
        );
        // A new section is sent whole, whatever the indentation.
        assert_eq!(
            ios("interface Loopback9\ndescription new").map(|p| p.new_lines()),
            Ok(2)
        );
    }

    #[test]
    fn junos_set_lines_and_deletes() {
        let running = "set system host-name r1\nset system ntp server 192.0.2.1\nset interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\n";
        let junos = |wanted: &str| {
            plan(
                running,
                &lines(wanted),
                Some(ConfigStyle::Set),
                "junos",
                &never,
            )
            .map(|p| p.texts())
            .unwrap_or_default()
        };
        assert!(junos("set system ntp server 192.0.2.1").is_empty());
        assert_eq!(
            junos("set system ntp server 192.0.2.2"),
            ["set system ntp server 192.0.2.2"]
        );
        assert_eq!(
            junos("delete interfaces ge-0/0/0\ndelete system ntp server 192.0.2.9"),
            ["delete interfaces ge-0/0/0"]
        );
    }

    #[test]
    fn volatile_lines_and_unmatchable_platforms() {
        let volatile = |l: &str| l.starts_with("! Last configuration change");
        let running = "! Last configuration change at 10:00\nntp server 1.1.1.1\n";
        let wanted = lines("! Last configuration change at 10:00\nntp server 1.1.1.1");
        let p = plan(running, &wanted, Some(ConfigStyle::Flat), "x", &volatile);
        assert!(p.is_ok_and(|p| p.is_empty()));
        assert_eq!(
            plan(running, &wanted, Some(ConfigStyle::Braces), "vyos", &never),
            Err(Unmatchable::Style("vyos".into()))
        );
        assert!(plan(running, &wanted, None, "generic", &never).is_err());
    }

    #[test]
    fn diffs_count_what_changed_and_ignore_timestamps() {
        let volatile = |l: &str| l.starts_with("! Last");
        let (text, added, removed) = diff(
            "r1",
            "! Last change 1\nhostname r1\nntp server 1.1.1.1\n",
            "! Last change 2\nhostname r1\nntp server 2.2.2.2\n",
            &volatile,
        );
        assert_eq!((added, removed), (1, 1));
        assert_eq!(
            text,
            "--- r1 before\n+++ r1 after\n@@ -1,2 +1,2 @@\n hostname r1\n-ntp server 1.1.1.1\n+ntp server 2.2.2.2\n"
        );
        assert_eq!(diff("r1", "a\n", "a\n", &volatile).1, 0);
    }

    #[test]
    fn a_dry_run_diff_marks_new_lines() {
        let plan = ios("interface GigabitEthernet0/1\n mtu 9000").unwrap_or_default();
        assert_eq!(
            plan.as_diff("r1"),
            "--- r1 running configuration\n+++ r1 after the change (dry run)\n interface GigabitEthernet0/1\n+ mtu 9000\n"
        );
    }
}
