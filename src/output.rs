//! Rendering for people (tables) and for scripts (JSON, YAML).

use std::io::{IsTerminal, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};

use comfy_table::{ContentArrangement, LineStyle, Table, TableStyle};

use crate::inventory::resolve::{Resolved, display_value};
use crate::inventory::{HostView, Inventory};

mod results;

pub use results::{TableLayout, first_line, results_table};

/// netrun's table look: a rule under the header and nothing else, like `ps` or `kubectl get`.
const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

/// A table in netrun's style; it wraps to the terminal only when stdout is one.
pub fn new_table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(STYLE);
    if std::io::stdout().is_terminal() {
        table.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        // Scripts and snapshot tests get lines that never depend on a terminal width.
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table.set_header(headers.iter().copied());
    table
}

/// `netrun inventory` as a table: name, hostname, port, platform, groups.
pub fn inventory_table(inv: &Inventory, indices: &[usize]) -> String {
    let mut table = new_table(&["name", "hostname", "port", "platform", "groups"]);
    for &index in indices {
        let host = inv.host(index);
        table.add_row(cells([
            host.name().to_string(),
            text_or_dash(
                host.hostname()
                    .and_then(|r| r.value)
                    .map(|v| v.value.clone()),
            ),
            text_or_dash(
                host.port()
                    .and_then(|r| r.value)
                    .map(|v| v.value.to_string()),
            ),
            text_or_dash(host.platform().and_then(|r| r.value).cloned()),
            host.direct_groups().join(", "),
        ]));
    }
    format!(
        "{}\n{} host{}\n",
        table.trim_fmt(),
        indices.len(),
        plural(indices.len())
    )
}

/// Table cells from untrusted text (inventory values, device answers, plugin metadata), each on
/// one line with its control characters made visible: a row stays a row.
pub fn cells<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| crate::escape::one_line(v.as_ref()).into_owned())
        .collect()
}

fn text_or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

/// "s" when `n` is not one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes the selected hosts, fully resolved, as one JSON document.
pub fn inventory_json(
    out: &mut dyn Write,
    inv: &Inventory,
    indices: &[usize],
) -> std::io::Result<()> {
    write_serialized(&mut *out, |w| {
        serde_json::to_writer_pretty(w, &HostsDocument { inv, indices })
    })?;
    writeln!(out)
}

/// Runs a serde writer over `out`, and when it fails because writing failed, returns that
/// write error itself: serializer errors hide the `io::ErrorKind`, and a closed pipe
/// (`netrun inventory --format yaml | head`) must be told apart from a real failure.
pub fn write_serialized<W: Write, E>(
    out: W,
    serialize: impl FnOnce(&mut KeepWriteError<W>) -> Result<(), E>,
) -> std::io::Result<()>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut keep = KeepWriteError { out, error: None };
    serialize(&mut keep).map_err(|e| {
        keep.error
            .take()
            .unwrap_or_else(|| std::io::Error::other(e))
    })
}

/// A writer that remembers the first write error it passed on (see [`write_serialized`]).
pub struct KeepWriteError<W> {
    out: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Write for KeepWriteError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf).map_err(|e| self.keep(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush().map_err(|e| self.keep(e))
    }
}

impl<W> KeepWriteError<W> {
    fn keep(&mut self, e: std::io::Error) -> std::io::Error {
        let copy = std::io::Error::new(e.kind(), e.to_string());
        self.error.get_or_insert(e);
        copy
    }
}

/// Writes the selected hosts, fully resolved, as YAML.
pub fn inventory_yaml(
    out: &mut dyn Write,
    inv: &Inventory,
    indices: &[usize],
) -> std::io::Result<()> {
    write_serialized(out, |w| {
        serde_yaml::to_writer(w, &HostsDocument { inv, indices })
    })
}

/// `{"hosts": [...]}`, written host by host: never the whole document in memory.
struct HostsDocument<'a> {
    inv: &'a Inventory,
    indices: &'a [usize],
}

impl Serialize for HostsDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("hosts", &HostList(self))?;
        map.end()
    }
}

struct HostList<'a>(&'a HostsDocument<'a>);

impl Serialize for HostList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let doc = self.0;
        serializer.collect_seq(
            doc.indices
                .iter()
                .map(|&i| doc.inv.host(i).to_serializable()),
        )
    }
}

fn shown<T>(resolved: Option<Resolved<'_, T>>, show: impl Fn(&T) -> String) -> (String, String) {
    match resolved {
        None => ("-".to_string(), "not set".to_string()),
        Some(r) => (
            r.value.map(show).unwrap_or_else(|| "null".to_string()),
            r.origin(),
        ),
    }
}

/// `netrun inventory show HOST --explain`: every resolved value with where it came from, then
/// `extra` rows (`[key, value, source]`, e.g. the effective ssh settings).
pub fn explain(host: HostView<'_>, extra: &[[String; 3]]) -> String {
    let mut table = new_table(&["key", "value", "source"]);
    for (key, value, source) in explain_rows(host) {
        table.add_row(cells([key, value, source]));
    }
    for row in extra {
        table.add_row(cells(row.clone()));
    }
    format!("{}\n", table.trim_fmt())
}

/// `--explain` for scripts: a list of `{key, value, source}`, values as the table shows them
/// (secrets as `***`).
pub fn explain_document(host: HostView<'_>) -> serde_json::Value {
    explain_rows(host)
        .into_iter()
        .map(|(key, value, source)| serde_json::json!({"key": key, "value": value, "source": source}))
        .collect()
}

/// Each resolved value of a host, shown, and where it came from.
fn explain_rows(host: HostView<'_>) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut row = |key: String, (value, source): (String, String)| rows.push((key, value, source));
    row("name".into(), (host.name().to_string(), "host".into()));
    row(
        "groups".into(),
        (host.direct_groups().join(", "), "host".into()),
    );
    row(
        "group order".into(),
        (
            host.groups().collect::<Vec<_>>().join(", "),
            "depth-first, left to right".into(),
        ),
    );
    row(
        "hostname".into(),
        shown(host.hostname(), |v| v.value.clone()),
    );
    row("port".into(), shown(host.port(), |v| v.value.to_string()));
    row(
        "username".into(),
        shown(host.username(), |v| v.value.clone()),
    );
    row("password".into(), shown(host.password(), |_| "***".into()));
    row("platform".into(), shown(host.platform(), |v| v.clone()));
    for key in host.data_keys() {
        if let Some((value, source)) = host.data(key) {
            row(
                format!("data.{key}"),
                (display_value(key, value), source.to_string()),
            );
        }
    }
    let mut plugins = host.connection_plugins();
    // ssh reads the options of nornir's plugins: show what it ends up with.
    let nornir = crate::inventory::resolve::NORNIR_SSH_PLUGINS;
    if !plugins.contains(&"ssh") && plugins.iter().any(|p| nornir.contains(p)) {
        plugins.insert(0, "ssh");
    }
    for plugin in plugins {
        let conn = host.connection(plugin);
        let prefix = format!("connection_options.{plugin}");
        row(
            format!("{prefix}.hostname"),
            shown(conn.hostname(), |v| v.value.clone()),
        );
        row(
            format!("{prefix}.port"),
            shown(conn.port(), |v| v.value.to_string()),
        );
        row(
            format!("{prefix}.username"),
            shown(conn.username(), |v| v.value.clone()),
        );
        row(
            format!("{prefix}.password"),
            shown(conn.password(), |_| "***".into()),
        );
        let platform = match conn.platform() {
            None => ("-".to_string(), "not set".to_string()),
            Some((value, origin)) => (value.unwrap_or("null").to_string(), origin),
        };
        row(format!("{prefix}.platform"), platform);
        for (key, (value, origin)) in conn.extras() {
            row(
                format!("{prefix}.extras.{key}"),
                (display_value(key, value), origin.origin()),
            );
        }
    }
    rows
}

/// What config steps changed or would change, for the table: `would change: N lines (first
/// line …)` under `--dry-run`, `+N -M` with `--diff`; `None` when no config step says.
pub fn change_summary(host: &crate::result::HostResult) -> Option<String> {
    let nodes: Vec<&crate::result::Node> = host.results.iter().flat_map(|n| n.walk()).collect();
    let would: Vec<&String> = nodes
        .iter()
        .filter(|n| n.dry_run)
        .flat_map(|n| n.would_send.iter().flatten())
        .collect();
    if let Some(first) = would.first() {
        let first = crate::escape::one_line(&shorten(first.trim(), 60)).into_owned();
        return Some(format!(
            "would change: {} line{} ({first} …)",
            would.len(),
            plural(would.len())
        ));
    }
    let diffs: Vec<&String> = nodes.iter().filter_map(|n| n.diff.as_ref()).collect();
    if diffs.is_empty() {
        // Config steps that found every line on the device say so, rather than a later step.
        let config: Vec<&Vec<String>> = nodes
            .iter()
            .filter_map(|n| n.sent.as_ref().or(n.would_send.as_ref()))
            .collect();
        let unchanged = !config.is_empty() && config.iter().all(|lines| lines.is_empty());
        return unchanged.then(|| "no change: the device has every line".to_string());
    }
    let (added, removed) = diffs
        .iter()
        .map(|d| diff_counts(d))
        .fold((0, 0), |(a, r), (x, y)| (a + x, r + y));
    Some(format!("+{added} -{removed}"))
}

/// Lines added and removed by a unified diff (its `---`/`+++` header left out).
pub fn diff_counts(diff: &str) -> (usize, usize) {
    let body = diff
        .lines()
        .filter(|l| !l.starts_with("+++ ") && !l.starts_with("--- "));
    body.fold((0, 0), |(a, r), l| match l.as_bytes().first() {
        Some(b'+') => (a + 1, r),
        Some(b'-') => (a, r + 1),
        _ => (a, r),
    })
}

/// The records of a parsed step (`parse:`) and their columns in template order.
pub fn parsed_records(node: &crate::result::Node) -> Option<(&[serde_json::Value], &[String])> {
    match (node.parsed.as_deref(), node.result.as_deref()) {
        (Some(parsed), Some(serde_json::Value::Array(records))) => {
            Some((records.as_slice(), parsed.columns.as_slice()))
        }
        _ => None,
    }
}

/// A record's field as text: a string as is, a list's items joined by ", ".
fn field_text(value: Option<&serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| field_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// One line for parsed records: the only record's non-empty fields (`version=15.2(4)M7, ...`),
/// else how many there are.
pub fn records_summary(records: &[serde_json::Value], columns: &[String]) -> String {
    match records {
        [record] => columns
            .iter()
            .map(|c| (c, field_text(record.get(c))))
            .filter(|(_, v)| !v.is_empty())
            .map(|(c, v)| format!("{c}={v}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => format!("{} record{}", records.len(), plural(records.len())),
    }
}

/// Records as a table: one row per record, one column per field, in `columns` order.
pub fn records_table(records: &[serde_json::Value], columns: &[String]) -> String {
    let headers: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut table = new_table(&headers);
    for record in records {
        table.add_row(cells(columns.iter().map(|c| field_text(record.get(c)))));
    }
    format!("{}\n", table.trim_fmt())
}

/// `line` cut to `max` characters, ending in `…` when cut.
pub fn shorten(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let cut: String = line.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// Writes each host's full text output under a header. Names, errors and notes always have
/// their control characters made visible; the device's text too when `escape_text` (the
/// output is a terminal), and is otherwise written as the device sent it.
pub fn write_results_raw(
    out: &mut dyn Write,
    hosts: &[crate::result::HostResult],
    escape_text: bool,
    color: bool,
) -> std::io::Result<()> {
    use crate::escape;
    for host in hosts {
        writeln!(
            out,
            "==== {} ({}) ====",
            escape::one_line(&host.host),
            host.status.as_str()
        )?;
        for node in &host.results {
            writeln!(
                out,
                "---- {} [{}]",
                escape::one_line(&node.name),
                node.status.as_str()
            )?;
            match parsed_records(node) {
                Some((records, columns)) => {
                    out.write_all(records_table(records, columns).as_bytes())?
                }
                None => write_node_text(out, node, |text| {
                    if escape_text {
                        escape::lines(text)
                    } else {
                        std::borrow::Cow::Borrowed(text)
                    }
                })?,
            }
            if let Some(stderr) = &node.stderr {
                writeln!(out, "stderr: {}", escape::lines(stderr.trim_end()))?;
            }
            if let Some(error) = &node.error {
                writeln!(out, "error: {}", escape::lines(error))?;
            }
            for inner in node.walk() {
                if let Some(note) = &inner.note {
                    writeln!(out, "note: {}", escape::lines(note))?;
                }
                if let Some(diff) = &inner.diff {
                    write_diff(out, diff, color)?;
                }
            }
        }
        for event in &host.events {
            writeln!(out, "note: {}", escape::lines(event))?;
        }
    }
    Ok(())
}

/// Writes a unified diff, added lines green and removed ones red when `color`.
fn write_diff(out: &mut dyn Write, diff: &str, color: bool) -> std::io::Result<()> {
    for line in diff.lines() {
        let line = crate::escape::one_line(line);
        let paint = match line.as_bytes().first() {
            _ if !color || line.starts_with("+++ ") || line.starts_with("--- ") => None,
            Some(b'+') => Some("32"),
            Some(b'-') => Some("31"),
            Some(b'@') => Some("36"),
            _ => None,
        };
        match paint {
            Some(code) => writeln!(out, "\x1b[{code}m{line}\x1b[0m")?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// Writes a step's result as text ending in a newline (device text as is after `filter`, JSON
/// pretty-printed, a parsed step's text rather than its records); nothing when it has none.
pub fn write_node_text(
    out: &mut dyn Write,
    node: &crate::result::Node,
    filter: impl Fn(&str) -> std::borrow::Cow<'_, str>,
) -> std::io::Result<()> {
    let pretty;
    let text: &str = match node.result.as_deref() {
        // A parsed step: what the device sent, which `netrun parse` can read again.
        _ if node.parsed.is_some() => node.parsed.as_deref().map_or("", |p| p.text.as_str()),
        None => return Ok(()),
        Some(serde_json::Value::String(text)) => text,
        Some(value) => {
            pretty = format!("{value:#}");
            &pretty
        }
    };
    out.write_all(filter(text).as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The JSON document of a run (README "Output").
#[derive(serde::Serialize)]
pub struct RunDocument<'a> {
    /// Task name (or the ad-hoc command).
    pub task: &'a str,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// When it ended, RFC 3339 UTC.
    pub ended_at: String,
    /// Counts by status.
    pub summary: crate::result::Summary,
    /// One entry per host, inventory order.
    pub hosts: &'a [crate::result::HostResult],
}
