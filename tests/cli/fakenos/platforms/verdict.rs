//! How one platform's results compare with fakenos's, and the table they make.

use super::{
    Aspect, Case, EXPECTED, GENERIC_UNKNOWN, GENERIC_UNKNOWN_NOTE, LONG_COMMAND, NO_ENABLE_NOTE,
    NO_ENABLE_ON_THE_DEVICE, Replay, Served, expected,
};
use crate::support::repo;
use serde_json::Value;
use std::collections::BTreeMap;

/// The results of one host in a `--output json` document, by step name.
pub(super) fn steps_of(doc: &Value, host: &str) -> BTreeMap<String, Value> {
    let h = doc["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| h["host"] == host)
        .unwrap_or_else(|| panic!("no host {host} in {doc:#}"));
    let mut steps = BTreeMap::new();
    let mut stack: Vec<Value> = h["results"].as_array().cloned().unwrap_or_default();
    while let Some(node) = stack.pop() {
        if let Some(children) = node["children"].as_array() {
            stack.extend(children.iter().cloned());
        }
        if let Some(name) = node["name"].as_str() {
            steps.insert(name.to_string(), node.clone());
        }
    }
    steps
}

/// One row of the platform table.
#[derive(Default)]
pub(super) struct Row {
    pub(super) platform: String,
    pub(super) fakenos: String,
    pub(super) shows: String,
    pub(super) unknown: String,
    pub(super) enable: String,
    pub(super) config: String,
    pub(super) notes: Vec<String>,
}

/// The checks of one platform, building its row.
pub(super) struct Check<'a> {
    pub(super) case: &'a Case,
    pub(super) problems: &'a mut Vec<String>,
    pub(super) row: Row,
    /// Differences seen, each with the note that explains it.
    pub(super) observed: Vec<(Aspect, Option<&'static str>)>,
}

impl Check<'_> {
    fn differ(&mut self, aspect: Aspect, note: Option<&'static str>) {
        if !self.observed.iter().any(|(a, _)| *a == aspect) {
            self.observed.push((aspect, note));
        }
    }

    /// One device's command run: (commands equal, of which failed as error texts, usable).
    pub(super) fn commands(
        &mut self,
        served: &Served,
        steps: &BTreeMap<String, Value>,
        replay: &Replay,
    ) -> (usize, usize, bool) {
        let name = served.device.name.clone();
        let case = self.case;
        if replay.closed {
            self.problems.push(format!(
                "{name}: fakenos ended the session during {:?}",
                served.command_steps()
            ));
        }
        let offset = case.login.len();
        let want = |i: usize| replay.outputs.get(offset + i).cloned().unwrap_or_default();
        let got = |step: &str| steps.get(step).cloned().unwrap_or(Value::Null);
        let rejected_by_device = |node: &Value| {
            node["status"] == "failed"
                && node["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("device rejected"))
        };
        let probe = got("probe");
        if probe["status"] != "ok" && !rejected_by_device(&probe) {
            self.differ(Aspect::Login, None);
            let error = probe["error"].as_str().unwrap_or("?");
            self.row.shows = format!("— ({})", first_line(error));
            return (0, 0, false);
        }
        // Enable: the probe answers only at fakenos's privileged prompt.
        if probe["result"].as_str() != Some(want(0).as_str()) {
            self.problems.push(format!(
                "{name}: the privilege probe differs from fakenos's {:?}: {probe:#}",
                want(0)
            ));
        }
        if served.first {
            let privileged = want(0).starts_with("privileged at");
            let on_open = case.netrun.on_open.len();
            let landed = replay
                .prompts
                .get(on_open.wrapping_sub(1))
                .map_or(case.described["initial_prompt"] == "{base_prompt}#", |p| {
                    p.ends_with('#')
                });
            self.row.enable = match (&case.netrun.enable, privileged) {
                (_, true) if landed => "lands privileged".into(),
                (Some(e), true) => format!("entered (`{}`)", e.command),
                (Some(e), false) => {
                    self.differ(Aspect::Enable, None);
                    format!("not tried: fakenos has no `{}`", e.command)
                }
                (None, true) => "none".into(),
                (None, false) if case.fakenos_has("enable") => {
                    let known = NO_ENABLE_ON_THE_DEVICE.contains(&case.fakenos.as_str());
                    if !known {
                        self.differ(Aspect::Enable, None);
                    }
                    self.row.notes.push(NO_ENABLE_NOTE.into());
                    "none on the device".into()
                }
                (None, false) => "none".into(),
            };
        }
        let mut steps_checked: Vec<(String, &str)> = served
            .shows
            .iter()
            .enumerate()
            .map(|(k, c)| (format!("show{k}"), c.as_str()))
            .collect();
        if served.first {
            steps_checked.insert(0, ("long".into(), LONG_COMMAND));
        }
        let (mut equal, mut rejected) = (0, 0);
        for (k, (step, command)) in steps_checked.iter().enumerate() {
            let node = got(step);
            let text = node["result"].as_str().unwrap_or_default();
            // Some of fakenos's canned outputs are the device's own error messages: those
            // must fail, with the same text.
            let failed = rejected_by_device(&node);
            if (node["status"] == "ok" || failed) && text == want(1 + k) {
                if step != "long" {
                    equal += 1;
                    rejected += usize::from(failed);
                }
            } else {
                self.problems.push(format!(
                    "{name} `{command}`: status {} (error {}), result differs from fakenos: {}",
                    node["status"],
                    node["error"],
                    first_difference(text, &want(1 + k))
                ));
            }
        }
        if served.first {
            // Unknown command: failed, with the device's message.
            let message = want(1 + steps_checked.len());
            let node = got("unknown");
            let error = node["error"].as_str().unwrap_or_default();
            if node["status"] == "failed"
                && error.contains(&message)
                && node["result"] == message.as_str()
            {
                self.row.unknown = format!("failed: `{}`", first_line(&message));
            } else if message == GENERIC_UNKNOWN && node["status"] == "ok" {
                self.row.unknown = format!("ok: `{message}`");
                self.row.notes.push(GENERIC_UNKNOWN_NOTE.into());
            } else {
                self.differ(Aspect::Unknown, None);
                self.row.unknown = format!(
                    "{}: `{}`",
                    node["status"].as_str().unwrap_or("?"),
                    first_line(&message)
                );
            }
        }
        (equal, rejected, true)
    }

    /// The configuration step: changed only when fakenos's prompt entered and left
    /// configuration mode.
    pub(super) fn config(&mut self, steps: &BTreeMap<String, Value>, replay: &Replay) {
        let case = self.case;
        let node = steps.get("config").cloned().unwrap_or(Value::Null);
        let Some(spec) = case.netrun.config.as_ref() else {
            if node["status"] != "skipped" {
                self.problems.push(format!(
                    "{}: config step ran without a config mode: {node:#}",
                    case.fakenos
                ));
            }
            self.row.config = "—".into();
            return;
        };
        let login = case.login.len();
        let prompt = |i: usize| replay.prompts.get(i).cloned().unwrap_or_default();
        let before = match login.checked_sub(1) {
            Some(i) => prompt(i),
            None => case.described["initial_prompt"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let entered_at = login + spec.enter.len() - 1;
        let entered = !prompt(entered_at).is_empty() && prompt(entered_at) != before;
        let line_ok = replay
            .outputs
            .get(entered_at + 1)
            .is_some_and(String::is_empty);
        let left = !replay.closed && replay.prompts.last() == Some(&before);
        let want_changed = entered && line_ok && left;
        let failed = matches!(node["status"].as_str(), Some("failed" | "timeout"));
        let changed = node["changed"] == true && !failed;
        if changed != want_changed || (!want_changed && !failed) {
            self.problems.push(format!(
                "{}: config step {} but fakenos {} configuration mode (prompts {:?}): {node:#}",
                case.fakenos,
                node["status"],
                if want_changed {
                    "entered and left"
                } else {
                    "did not enter and leave"
                },
                replay.prompts
            ));
        }
        self.row.config = match (want_changed, entered) {
            (true, _) => "changed".into(),
            (false, true) => {
                self.differ(Aspect::Config, None);
                format!("{}: not left", node["status"].as_str().unwrap_or("?"))
            }
            (false, false) => format!(
                "{}: fakenos has no such mode (prompt stays `{}`)",
                node["status"].as_str().unwrap_or("?"),
                before.replace(&base_of(&before), "R")
            ),
        };
    }

    /// Every difference seen must be an expected one, and every expected one seen.
    pub(super) fn finish(&mut self) {
        let platform = self.case.fakenos.as_str();
        for (aspect, _) in self.observed.clone() {
            match expected(platform, aspect) {
                Some(why) => self.row.notes.push(why.into()),
                None => self
                    .problems
                    .push(format!("{platform}: unexpected {aspect:?} difference")),
            }
        }
        for (p, aspect, _) in EXPECTED {
            if *p == platform && !self.observed.iter().any(|(a, _)| a == aspect) {
                self.problems.push(format!(
                    "{platform}: the expected {aspect:?} difference no longer happens; \
                     remove it from EXPECTED"
                ));
            }
        }
        if self.row.enable == "none on the device" && !NO_ENABLE_ON_THE_DEVICE.contains(&platform) {
            self.problems
                .push(format!("{platform}: not in NO_ENABLE_ON_THE_DEVICE"));
        }
        if NO_ENABLE_ON_THE_DEVICE.contains(&platform) && self.row.enable != "none on the device" {
            self.problems.push(format!(
                "{platform}: listed in NO_ENABLE_ON_THE_DEVICE but its enable is {:?}",
                self.row.enable
            ));
        }
    }
}

/// The three slowest hosts of a run, for the log.
pub(super) fn slowest(doc: &Value) -> String {
    let mut hosts: Vec<(u64, String)> = doc["hosts"]
        .as_array()
        .map(|hosts| {
            hosts
                .iter()
                .map(|h| {
                    let steps = h["results"].as_array().cloned().unwrap_or_default();
                    let ms = steps.iter().filter_map(|s| s["duration_ms"].as_u64()).sum();
                    (ms, h["host"].as_str().unwrap_or("?").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    hosts.sort();
    hosts
        .iter()
        .rev()
        .take(3)
        .map(|(ms, h)| format!("{h} {ms} ms"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `R12` of `R12#`: the device names differ between runs of the table, not the prompts.
fn base_of(prompt: &str) -> String {
    prompt
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let line: String = line.chars().take(60).collect();
    line.replace('|', "\\|")
}

fn first_difference(got: &str, want: &str) -> String {
    let at = got
        .char_indices()
        .zip(want.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(got.len().min(want.len()));
    let from = at.saturating_sub(40);
    let slice = |s: &str| {
        s.get(from..(at + 40).min(s.len()))
            .unwrap_or_default()
            .to_string()
    };
    format!(
        "at byte {at} (lengths {} / {}): netrun {:?} / fakenos {:?}",
        got.len(),
        want.len(),
        slice(got),
        slice(want)
    )
}

pub(super) fn render_table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| platform | fakenos | show commands equal | unknown command | enable | config | notes |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.platform,
            r.fakenos,
            r.shows,
            r.unknown,
            r.enable,
            r.config,
            r.notes.join(" ")
        ));
    }
    text
}

const DOC: &str = "docs/platforms.md";
const START: &str = "<!-- fakenos table: generated by tests/cli/fakenos/platforms.rs -->\n";
const END: &str = "<!-- end of fakenos table -->\n";

/// The table in docs/platforms.md must be the one this run produced.
pub(super) fn check_doc(table: &str, problems: &mut Vec<String>) {
    let path = repo().join(DOC);
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        problems.push(format!("{DOC} lacks the markers {START:?} and {END:?}"));
        return;
    };
    let current = &doc[start + START.len()..end];
    if current == table {
        return;
    }
    if std::env::var_os("NETRUN_UPDATE_DOCS").is_some() {
        let updated = format!("{}{START}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).expect("write the doc");
        return;
    }
    problems.push(format!(
        "the table in {DOC} is stale; NETRUN_UPDATE_DOCS=1 rewrites it. This run's table:\n{table}"
    ));
}
