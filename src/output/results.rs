//! The results table of a run, fitted to its reader: to a file or pipe every row, nothing cut;
//! to a terminal one line per host with the result cut at a word, or one block per host when the
//! terminal is narrow; only the hosts that are not ok when the caller asks (many hosts, `-q`);
//! and, for runs of more than a screenful, a recap of those hosts grouped by cause.

use comfy_table::{Cell, ContentArrangement};

use super::{new_table, plural};
use crate::escape;
use crate::result::{HostResult, Status, Summary};

/// Below this many columns a row per host cannot hold a useful result: one block per host.
const NARROW: usize = 60;
/// Runs of more hosts than this end with a recap of the hosts that are not ok.
const RECAP_FROM: usize = 10;
/// How many host names a recap line lists before "and N more".
const RECAP_NAMES: usize = 5;
/// The narrowest result column worth a row layout.
const MIN_RESULT: usize = 12;

/// How the results table fits its reader.
#[derive(Clone, Copy, Debug)]
pub struct TableLayout {
    /// Paint the status column.
    pub color: bool,
    /// The terminal's width when stdout is one; `None` for a file or pipe, where nothing is cut.
    pub width: Option<usize>,
    /// List only the hosts that are not ok (failed, unreachable, timeout).
    pub only_problems: bool,
}

/// A host's outcome on one line: what its config steps changed or would change, its parsed
/// records, its first error line, or its result's first line, with control characters made
/// visible; never cut.
pub fn first_line(host: &HostResult) -> String {
    if host.error.is_none()
        && let Some(change) = super::change_summary(host)
    {
        return change;
    }
    if host.error.is_none()
        && let Some(node) = host.results.iter().rev().find(|n| n.result.is_some())
        && let Some((records, columns)) = super::parsed_records(node)
    {
        return escape::one_line(&super::records_summary(records, columns)).into_owned();
    }
    let json;
    let text: &str = match (&host.error, host.result()) {
        (Some(error), _) => error,
        (None, Some(serde_json::Value::String(text))) => text,
        (None, Some(value)) => {
            json = value.to_string();
            &json
        }
        (None, None) => "",
    };
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    escape::one_line(line).into_owned()
}

/// `text` in at most `max` characters, cut after the last whole word that fits and ending in
/// `…` when cut; a first word longer than `max` is cut inside.
pub fn shorten_words(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let room: String = text.chars().take(max - 1).collect();
    let at_word = match room.rfind(char::is_whitespace) {
        Some(end) if room[..end].trim_end().chars().count() > max / 3 => room[..end].trim_end(),
        _ => room.as_str(),
    };
    format!("{at_word}…")
}

fn seconds(ms: u64) -> String {
    format!("{:.2} s", ms as f64 / 1000.0)
}

/// The colour of a status in tables on a terminal.
fn status_color(status: Status) -> comfy_table::Color {
    match status {
        Status::Ok => comfy_table::Color::Green,
        Status::Changed => comfy_table::Color::Yellow,
        Status::Skipped => comfy_table::Color::Cyan,
        Status::Failed | Status::Unreachable | Status::Timeout => comfy_table::Color::Red,
    }
}

/// The results: the hosts' rows (or blocks), a note of the rows left out, the recap of the
/// hosts that are not ok (runs over ten hosts), then the summary line.
pub fn results_table(hosts: &[HostResult], layout: &TableLayout) -> String {
    let shown: Vec<&HostResult> = hosts
        .iter()
        .filter(|h| !layout.only_problems || !h.status.is_success())
        .collect();
    let mut out = String::new();
    if !shown.is_empty() {
        out.push_str(&match layout.width {
            Some(width) => match result_width(&shown, width) {
                Some(result) => rows(&shown, layout.color, Some(result)),
                None => blocks(&shown, width),
            },
            None => rows(&shown, layout.color, None),
        });
    }
    let hidden = hosts.len() - shown.len();
    if hidden > 0 {
        out.push_str(&format!(
            "({hidden} host{} ok, changed or skipped not listed; --all-rows lists every host)\n",
            plural(hidden)
        ));
    }
    if hosts.len() > RECAP_FROM {
        out.push_str(&recap(hosts, layout.width));
    }
    out.push_str(&Summary::of(hosts).line());
    out.push('\n');
    out
}

/// Room for the result column in a row layout `width` wide, or `None` when too narrow.
fn result_width(hosts: &[&HostResult], width: usize) -> Option<usize> {
    let widest = |texts: &mut dyn Iterator<Item = usize>, header: usize| {
        texts.max().unwrap_or(0).max(header)
    };
    let host = widest(
        &mut hosts
            .iter()
            .map(|h| escape::one_line(&h.host).chars().count()),
        4,
    );
    let status = widest(&mut hosts.iter().map(|h| h.status.as_str().len()), 6);
    let duration = widest(&mut hosts.iter().map(|h| seconds(h.duration_ms).len()), 8);
    // Five columns with one space of padding on each side, and a separator between two.
    let fixed = host + status + "changed".len() + duration + 5 * 2 + 4;
    let room = width.checked_sub(fixed)?;
    (width >= NARROW && room >= MIN_RESULT).then_some(room)
}

/// One row per host; the result cut at a word to `result_width` when given.
fn rows(hosts: &[&HostResult], color: bool, result_width: Option<usize>) -> String {
    let mut table = new_table(&["host", "status", "changed", "result", "duration"]);
    // The widths are fitted here; the table must not wrap (and split words) on its own.
    table.set_content_arrangement(ContentArrangement::Disabled);
    if color {
        table.enforce_styling();
    }
    for host in hosts {
        let mut status = Cell::new(host.status.as_str());
        if color {
            status = status.fg(status_color(host.status));
        }
        let result = first_line(host);
        let result = match result_width {
            Some(max) => shorten_words(&result, max),
            None => result,
        };
        table.add_row(vec![
            Cell::new(escape::one_line(&host.host)),
            status,
            Cell::new(if host.changed { "yes" } else { "no" }),
            Cell::new(result),
            Cell::new(seconds(host.duration_ms)),
        ]);
    }
    format!("{}\n", table.trim_fmt())
}

/// One block per host for a narrow terminal: name, status and time, then the result indented,
/// cut at a word. A host name is never split, even when wider than the terminal.
fn blocks(hosts: &[&HostResult], width: usize) -> String {
    let mut out = String::new();
    for host in hosts {
        let changed = if host.changed { ", changed" } else { "" };
        out.push_str(&format!(
            "{}  {}{changed}  {}\n",
            escape::one_line(&host.host),
            host.status.as_str(),
            seconds(host.duration_ms)
        ));
        let result = first_line(host);
        if !result.is_empty() {
            out.push_str(&format!(
                "  {}\n",
                shorten_words(&result, width.saturating_sub(2).max(MIN_RESULT))
            ));
        }
    }
    out
}

/// The hosts that are not ok, grouped by status and first error line, largest group first:
/// a count and the cause, then the first few host names.
fn recap(hosts: &[HostResult], width: Option<usize>) -> String {
    let mut groups: Vec<(Status, String, Vec<&str>)> = Vec::new();
    for host in hosts.iter().filter(|h| !h.status.is_success()) {
        let cause = first_line(host);
        match groups
            .iter_mut()
            .find(|(status, c, _)| *status == host.status && *c == cause)
        {
            Some((_, _, names)) => names.push(&host.host),
            None => groups.push((host.status, cause, vec![&host.host])),
        }
    }
    if groups.is_empty() {
        return String::new();
    }
    // Stable: groups of the same size stay in the order their first host came.
    groups.sort_by_key(|g| std::cmp::Reverse(g.2.len()));
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let mut out = format!("\nnot ok: {total} host{}, by cause\n", plural(total));
    for (status, cause, names) in groups {
        let head = format!("{:>6}  {:<11} ", names.len(), status.as_str());
        let cause = if cause.is_empty() {
            "(no message)".to_string()
        } else {
            match width {
                Some(width) => {
                    shorten_words(&cause, width.saturating_sub(head.len()).max(MIN_RESULT))
                }
                None => cause,
            }
        };
        let listed: Vec<String> = names
            .iter()
            .take(RECAP_NAMES)
            .map(|n| escape::one_line(n).into_owned())
            .collect();
        let more = names.len().saturating_sub(RECAP_NAMES);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        out.push_str(&format!("{head}{cause}\n"));
        out.push_str(&format!("        {}{more}\n", listed.join(", ")));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
