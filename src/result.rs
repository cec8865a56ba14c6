//! The result tree of a run (README "Results"): a node per task, step and subtask, rolled up per host.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// How a node or a host ended. Ordered from best to worst; a host is the worst of its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not run (a `when` was false, or a dry run).
    Skipped,
    /// Ran, changed nothing.
    Ok,
    /// Ran and changed the device.
    Changed,
    /// Ran and failed.
    Failed,
    /// A deadline passed.
    Timeout,
    /// The connection could not be opened or authenticated.
    Unreachable,
}

impl Status {
    /// Every status, in summary order.
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::Changed,
        Status::Failed,
        Status::Unreachable,
        Status::Timeout,
        Status::Skipped,
    ];

    /// The lowercase name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Skipped => "skipped",
            Status::Ok => "ok",
            Status::Changed => "changed",
            Status::Failed => "failed",
            Status::Timeout => "timeout",
            Status::Unreachable => "unreachable",
        }
    }

    /// Whether a host with this status counts as a success for the exit code.
    pub fn is_success(self) -> bool {
        matches!(self, Status::Ok | Status::Changed | Status::Skipped)
    }
}

/// One node of the tree: a task, a step or a subtask.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// Step or task name.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// Whether it changed the device.
    pub changed: bool,
    /// Text or JSON it produced; shared, not copied, with the templates of later steps (a
    /// device's output can be large).
    pub result: Option<Arc<serde_json::Value>>,
    /// A parsed step (`parse:`, whose `result` is records): the device's text and the columns
    /// in template order (a subtask: its last parsed step's); serialized as `text`.
    #[serde(
        rename = "text",
        skip_serializing_if = "Option::is_none",
        serialize_with = "parsed_text"
    )]
    pub parsed: Option<Arc<Parsed>>,
    /// What went wrong, with its causes.
    pub error: Option<String>,
    /// What a command run on its own (exec) wrote to stderr, when anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
    /// A failure that `ignore_errors` let the task get past; it does not fail the host.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
    /// Steps and subtasks under it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Node>,
    /// A config step under `--dry-run`: it computed its change and sent nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// The configuration lines a dry run would have sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_send: Option<Vec<String>>,
    /// The configuration lines a config step sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<Vec<String>>,
    /// `--diff`: the change to the running configuration, as a unified diff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Something the step wants the reader to know (why it sent every line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Node {
    /// A node that ended with `status`.
    pub fn new(name: impl Into<String>, status: Status, took: Duration) -> Node {
        Node {
            name: name.into(),
            status,
            changed: status == Status::Changed,
            result: None,
            parsed: None,
            error: None,
            stderr: None,
            duration_ms: millis(took),
            ignored: false,
            results: Vec::new(),
            dry_run: false,
            would_send: None,
            sent: None,
            diff: None,
            note: None,
        }
    }

    /// This node and every node below it, depth first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for child in &self.results {
            out.extend(child.walk());
        }
        out
    }

    /// The worst status in this node and below; an ignored failure counts as `ok`.
    pub fn worst(&self) -> Status {
        if self.ignored {
            return Status::Ok;
        }
        self.results
            .iter()
            .map(Node::worst)
            .fold(self.status, Status::max)
    }
}

/// What a parsed step keeps beside its records.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The text the records were parsed from.
    pub text: String,
    /// The records' keys in the template's order (JSON objects sort them).
    pub columns: Vec<String>,
}

fn parsed_text<S: Serializer>(parsed: &Option<Arc<Parsed>>, s: S) -> Result<S::Ok, S::Error> {
    match parsed {
        Some(p) => s.serialize_str(&p.text),
        None => s.serialize_none(),
    }
}

/// Milliseconds, saturating.
pub fn millis(took: Duration) -> u64 {
    u64::try_from(took.as_millis()).unwrap_or(u64::MAX)
}

/// Everything one host did in a run.
#[derive(Clone, Debug)]
pub struct HostResult {
    /// Inventory name.
    pub host: String,
    /// The worst status of its nodes.
    pub status: Status,
    /// Whether anything changed.
    pub changed: bool,
    /// Wall time for the host.
    pub duration_ms: u64,
    /// The first error, if any.
    pub error: Option<String>,
    /// One node per step or subtask.
    pub results: Vec<Node>,
    /// Connections opened for this host (a reconnect counts).
    pub connections: usize,
    /// Notable events, such as reconnects.
    pub events: Vec<String>,
    /// When the host's work ended (its start is this less `duration_ms`).
    pub ended_at: SystemTime,
}

impl HostResult {
    /// Rolls `results` up into a host result.
    pub fn from_nodes(host: String, results: Vec<Node>, took: Duration) -> HostResult {
        let status = results.iter().map(Node::worst).max().unwrap_or(Status::Ok);
        let changed = results.iter().any(|n| n.changed);
        let error = results
            .iter()
            .filter(|n| !n.ignored)
            .find_map(|n| n.error.clone());
        HostResult {
            host,
            status,
            changed,
            duration_ms: millis(took),
            error,
            results,
            connections: 0,
            events: Vec::new(),
            ended_at: SystemTime::now(),
        }
    }

    /// Replaces the host's secrets in everything it recorded: results, errors, events.
    pub fn redact(&mut self, redactor: &crate::secrets::Redactor) {
        if redactor.is_empty() {
            return;
        }
        if let Some(error) = &mut self.error {
            redactor.redact_in_place(error);
        }
        for event in &mut self.events {
            redactor.redact_in_place(event);
        }
        let mut pending: Vec<&mut Node> = self.results.iter_mut().collect();
        while let Some(node) = pending.pop() {
            if let Some(error) = &mut node.error {
                redactor.redact_in_place(error);
            }
            if let Some(stderr) = &mut node.stderr {
                redactor.redact_in_place(stderr);
            }
            if let Some(parsed) = &mut node.parsed {
                redactor.redact_in_place(&mut Arc::make_mut(parsed).text);
            }
            if let Some(result) = &mut node.result {
                // Unshared by now (the task's templates are done with it): no copy is made.
                redactor.redact_json(Arc::make_mut(result));
            }
            pending.extend(node.results.iter_mut());
        }
    }

    /// The last result (the host's answer, for one-line summaries and the `result` field of
    /// the JSON document): the last node that has one, not a copy of it.
    pub fn result(&self) -> Option<&serde_json::Value> {
        self.results.iter().rev().find_map(|n| n.result.as_deref())
    }
}

impl Serialize for HostResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("host", &self.host)?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("changed", &self.changed)?;
        map.serialize_entry("duration_ms", &self.duration_ms)?;
        let started = self
            .ended_at
            .checked_sub(Duration::from_millis(self.duration_ms))
            .unwrap_or(self.ended_at);
        map.serialize_entry("started_at", &rfc3339(started))?;
        map.serialize_entry("ended_at", &rfc3339(self.ended_at))?;
        map.serialize_entry("result", &self.result())?;
        map.serialize_entry("error", &self.error)?;
        map.serialize_entry("results", &self.results)?;
        map.serialize_entry("connections", &self.connections)?;
        if !self.events.is_empty() {
            map.serialize_entry("events", &self.events)?;
        }
        map.end()
    }
}

/// Counts of hosts by status.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// All hosts.
    pub hosts: usize,
    /// `ok`
    pub ok: usize,
    /// `changed`
    pub changed: usize,
    /// `failed`
    pub failed: usize,
    /// `unreachable`
    pub unreachable: usize,
    /// `timeout`
    pub timeout: usize,
    /// `skipped`
    pub skipped: usize,
}

impl Summary {
    /// Counts `hosts`.
    pub fn of(hosts: &[HostResult]) -> Summary {
        let mut s = Summary {
            hosts: hosts.len(),
            ..Summary::default()
        };
        for host in hosts {
            *s.count_mut(host.status) += 1;
        }
        s
    }

    fn count_mut(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Ok => &mut self.ok,
            Status::Changed => &mut self.changed,
            Status::Failed => &mut self.failed,
            Status::Unreachable => &mut self.unreachable,
            Status::Timeout => &mut self.timeout,
            Status::Skipped => &mut self.skipped,
        }
    }

    /// The count for `status`.
    pub fn count(&self, status: Status) -> usize {
        match status {
            Status::Ok => self.ok,
            Status::Changed => self.changed,
            Status::Failed => self.failed,
            Status::Unreachable => self.unreachable,
            Status::Timeout => self.timeout,
            Status::Skipped => self.skipped,
        }
    }

    /// `N hosts: a ok, b changed, c failed, d unreachable, e timeout, f skipped`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = Status::ALL
            .iter()
            .map(|&s| format!("{} {}", self.count(s), s.as_str()))
            .collect();
        format!(
            "{} host{}: {}",
            self.hosts,
            if self.hosts == 1 { "" } else { "s" },
            parts.join(", ")
        )
    }

    /// The exit code a script should see: 0 when every host succeeded, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.failed + self.unreachable + self.timeout > 0 {
            crate::exit::HOSTS_FAILED
        } else {
            crate::exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_status_is_the_worst_node() {
        let mut parent = Node::new("task", Status::Ok, Duration::ZERO);
        parent
            .results
            .push(Node::new("a", Status::Skipped, Duration::ZERO));
        parent
            .results
            .push(Node::new("b", Status::Failed, Duration::ZERO));
        let host = HostResult::from_nodes(
            "r1".into(),
            vec![Node::new("x", Status::Changed, Duration::ZERO), parent],
            Duration::from_millis(5),
        );
        assert_eq!(host.status, Status::Failed);
        assert!(host.changed);
        let only_skipped = HostResult::from_nodes(
            "r2".into(),
            vec![Node::new("x", Status::Skipped, Duration::ZERO)],
            Duration::ZERO,
        );
        assert_eq!(only_skipped.status, Status::Skipped);
    }

    #[test]
    fn summary_line_and_exit_code() {
        let hosts = vec![
            HostResult::from_nodes(
                "a".into(),
                vec![Node::new("x", Status::Ok, Duration::ZERO)],
                Duration::ZERO,
            ),
            HostResult::from_nodes(
                "b".into(),
                vec![Node::new("x", Status::Unreachable, Duration::ZERO)],
                Duration::ZERO,
            ),
        ];
        let summary = Summary::of(&hosts);
        assert_eq!(
            summary.line(),
            "2 hosts: 1 ok, 0 changed, 0 failed, 1 unreachable, 0 timeout, 0 skipped"
        );
        assert_eq!(summary.exit_code(), 1);
    }
}

/// `time` in RFC 3339, UTC, to the millisecond: `2026-11-29T19:49:13.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    // Days since 1970-01-01 to a proleptic Gregorian date, by 400-year eras (March-based years
    // put the leap day last).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn rfc3339_spells_utc_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let at = |secs: u64, ms: u64| UNIX_EPOCH + Duration::from_millis(secs * 1000 + ms);
        assert_eq!(rfc3339(at(951_782_400, 5)), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(at(1_798_487_353, 123)), "2026-12-28T19:49:13.123Z");
        assert_eq!(rfc3339(at(4_102_444_799, 999)), "2099-12-31T23:59:59.999Z");
    }
}
