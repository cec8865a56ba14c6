//! Parsing a large `hosts.yaml` in pieces.
//!
//! serde_yaml holds a whole document's events in memory before it deserializes (about 33 times
//! the size of the text), so a large file is cut at its top-level entries into chunks that are
//! parsed in parallel: peak memory stays near the size of the result, and both cores work.
//!
//! The cuts are found by a line scan, not a YAML parser, so they are only a guess: when any
//! chunk fails (or two chunks hold one name), the whole file is parsed again in one piece, and
//! its result or error is the one returned, exactly as a sequential parse would give it.
//!
//! Anchors and aliases cross cuts: a chunk that uses `*x` gets the text of the earlier entry
//! that defines `&x` (and of the entries that one needs in turn) put in front of it, and the
//! results of those copies are dropped. The scan for `&x` and `*x` is a guess too: a `*x`
//! inside a quoted string only costs a copy; an alias the scan misses makes its chunk fail and
//! brings the whole-file parse.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;

use super::file::HostFile;
use super::groups::GroupCheck;
use crate::yaml::{self, YamlError};

/// Below this size `hosts.yaml` is parsed in one piece.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// One top-level entry as the line scan sees it: from its key line (or the start of the file,
/// for the first) to the next entry's key line.
#[derive(Debug, Default)]
struct Region<'a> {
    start: usize,
    /// The key as written (`r1` of `r1: {...}`).
    key: &'a str,
    /// Names after an `&` that looks like an anchor.
    anchors: Vec<&'a str>,
    /// Names after a `*` that looks like an alias.
    aliases: Vec<&'a str>,
}

/// Parses `hosts.yaml`, in chunks when it is large (see the module documentation).
pub fn parse_hosts(
    path: &Path,
    text: &str,
    check: &Arc<GroupCheck>,
) -> Result<IndexMap<String, HostFile>, YamlError> {
    parse_hosts_in(path, text, check, CHUNK_BYTES)
}

/// [`parse_hosts`] with chunks of at least `chunk_bytes` (tests cut small texts).
fn parse_hosts_in(
    path: &Path,
    text: &str,
    check: &Arc<GroupCheck>,
    chunk_bytes: usize,
) -> Result<IndexMap<String, HostFile>, YamlError> {
    let whole = || -> Result<IndexMap<String, HostFile>, YamlError> {
        let hosts: yaml::Entries<HostFile> =
            super::file::with_group_check(check.clone(), || yaml::parse(path, text))?;
        Ok(hosts.entries)
    };
    if text.len() < chunk_bytes {
        return whole();
    }
    let Some(regions) = top_level_entries(text) else {
        return whole();
    };
    let Some(plan) = plan_chunks(text, &regions, chunk_bytes) else {
        return whole();
    };
    if plan.len() == 1 {
        return whole();
    }
    let parsed: Vec<Option<IndexMap<String, HostFile>>> = plan
        .par_iter()
        .map(|chunk| {
            let source = chunk.text(text, &regions);
            let result: Result<yaml::Entries<HostFile>, YamlError> =
                super::file::with_group_check(check.clone(), || yaml::parse(path, &source));
            // The error is dropped: it may come from a wrong cut (a chunk ending inside a
            // quoted scalar), and the whole-file parse below finds the real one.
            let mut entries = result.ok()?.entries;
            // The copies of earlier entries come first; they must be exactly those entries.
            let copies = chunk.copies.len();
            let names_match = entries
                .keys()
                .take(copies)
                .eq(chunk.copies.iter().map(|&r| regions[r].key));
            if entries.len() < copies || !names_match {
                return None;
            }
            Some(entries.split_off(copies))
        })
        .collect();
    let mut hosts = IndexMap::with_capacity(regions.len());
    for result in parsed {
        let Some(chunk) = result else {
            drop(hosts);
            return whole();
        };
        for (name, host) in chunk {
            if hosts.contains_key(&name) {
                // The sequential parse reports the duplicate at the position it would.
                drop(hosts);
                return whole();
            }
            hosts.insert(name, host);
        }
    }
    Ok(hosts)
}

/// One chunk: a run of regions, and the earlier regions whose text goes in front of it.
#[derive(Debug)]
struct Chunk {
    regions: std::ops::Range<usize>,
    copies: Vec<usize>,
}

impl Chunk {
    fn text<'a>(&self, text: &'a str, regions: &[Region<'_>]) -> std::borrow::Cow<'a, str> {
        let span = |range: std::ops::Range<usize>| {
            let start = regions[range.start].start;
            let end = regions.get(range.end).map_or(text.len(), |r| r.start);
            &text[start..end]
        };
        let own = span(self.regions.clone());
        if self.copies.is_empty() {
            return own.into();
        }
        let mut source = String::new();
        for &r in &self.copies {
            source.push_str(span(r..r + 1));
        }
        source.push_str(own);
        source.into()
    }
}

/// Groups regions into chunks of at least `chunk_bytes`, each with the earlier regions that
/// define the anchors it uses; `None` when an anchor name is defined twice (which definition
/// an alias means depends on order, so the whole file is parsed) or when the copies would add
/// up to more than the file itself.
fn plan_chunks(text: &str, regions: &[Region<'_>], chunk_bytes: usize) -> Option<Vec<Chunk>> {
    let mut defined: HashMap<&str, usize> = HashMap::new();
    for (index, region) in regions.iter().enumerate() {
        for &anchor in &region.anchors {
            if defined.insert(anchor, index).is_some() {
                return None;
            }
        }
    }
    let mut bounds = vec![0];
    for (index, region) in regions.iter().enumerate().skip(1) {
        if region.start - regions[bounds[bounds.len() - 1]].start >= chunk_bytes {
            bounds.push(index);
        }
    }
    let size = |r: usize| regions.get(r + 1).map_or(text.len(), |n| n.start) - regions[r].start;
    let mut copied = 0usize;
    let mut chunks = Vec::with_capacity(bounds.len());
    for (i, &first) in bounds.iter().enumerate() {
        let end = bounds.get(i + 1).copied().unwrap_or(regions.len());
        // Earlier regions that define what this chunk uses, and what those use in turn.
        let mut copies = BTreeSet::new();
        let mut pending: Vec<usize> = (first..end).collect();
        while let Some(r) = pending.pop() {
            for alias in &regions[r].aliases {
                if let Some(&at) = defined.get(alias)
                    && at < first
                    && copies.insert(at)
                {
                    copied += size(at);
                    pending.push(at);
                }
            }
        }
        if copied > text.len() {
            return None;
        }
        chunks.push(Chunk {
            regions: first..end,
            copies: copies.into_iter().collect(),
        });
    }
    Some(chunks)
}

/// The top-level entries of a plain block mapping (a plain `name:` key at column 0 starts
/// one), with the anchors and aliases each seems to hold; `None` when the file uses anything
/// that makes cutting it unsafe (a second document, directives, a top-level sequence) or has
/// no entry at all. A `---` before the first entry and a `...` after the last are fine.
///
/// A line inside a multi-line quoted scalar or flow collection can still look like a key; a cut
/// there leaves the chunk before it unterminated, so it fails and [`parse_hosts`] falls back.
fn top_level_entries(text: &str) -> Option<Vec<Region<'_>>> {
    let markers = text.contains('&') || text.contains('*');
    let mut regions: Vec<Region<'_>> = Vec::new();
    // Anchors and aliases before the first entry (in comments) count as the first entry's.
    let mut preamble = Region::default();
    let (mut started, mut ended) = (false, false);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        if ended {
            // After `...` only comments may follow: anything else is another document.
            if is_blank_or_comment(line) {
                continue;
            }
            return None;
        }
        match line.as_bytes().first() {
            Some(b'-' | b'.') if is_document_marker(line) => {
                if !is_blank_or_comment(&line[3..]) {
                    return None;
                }
                if line.starts_with('.') {
                    ended = true;
                } else if started || !regions.is_empty() {
                    return None;
                } else {
                    started = true;
                }
                continue;
            }
            Some(b'%') => return None,
            Some(b'-') if line.as_bytes().get(1).is_none_or(u8::is_ascii_whitespace) => {
                return None;
            }
            _ => {
                if let Some(key) = plain_key(line) {
                    let start = if regions.is_empty() { 0 } else { at };
                    let region = match regions.is_empty() {
                        true => std::mem::take(&mut preamble),
                        false => Region::default(),
                    };
                    regions.push(Region {
                        start,
                        key,
                        ..region
                    });
                }
            }
        }
        if markers {
            let region = regions.last_mut().unwrap_or(&mut preamble);
            anchors_and_aliases(line, region);
        }
    }
    if regions.is_empty() {
        return None;
    }
    Some(regions)
}

/// Adds the names after `&` and `*` that start a token of `line` (at the start of the line,
/// after whitespace or a flow indicator) to `region`, up to a comment.
fn anchors_and_aliases<'a>(line: &'a str, region: &mut Region<'a>) {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let token_start = i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',');
        match b {
            b'#' if token_start => return,
            b'&' | b'*' if token_start => {
                let rest = &line[i + 1..];
                let len = rest
                    .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                    .unwrap_or(rest.len());
                if len > 0 {
                    let list = match b {
                        b'&' => &mut region.anchors,
                        _ => &mut region.aliases,
                    };
                    list.push(&rest[..len]);
                }
            }
            _ => {}
        }
    }
}

/// Whether `line` holds nothing but whitespace and perhaps a comment.
fn is_blank_or_comment(line: &str) -> bool {
    let rest = line.trim_start();
    rest.is_empty() || rest.starts_with('#')
}

/// Whether the value part of a `key: value` line ends a quoted scalar or flow collection that
/// began on an earlier line (`second: line of a quote"`, `b: 2}`): an unbalanced quote or a
/// closing bracket without its opener. An approximation; a wrong answer only moves a cut.
fn closes_earlier_line(rest: &[u8]) -> bool {
    let (mut double, mut single, mut depth) = (false, false, 0i32);
    let mut escaped = false;
    for &b in rest {
        match b {
            _ if escaped => escaped = false,
            b'\\' if double => escaped = true,
            b'"' if !single => double = !double,
            b'\'' if !double => single = !single,
            b'{' | b'[' if !double && !single => depth += 1,
            b'}' | b']' if !double && !single => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    double || single
}

/// Whether `line` is `---` or `...`, alone or followed by whitespace.
fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line
            .as_bytes()
            .get(3)
            .is_none_or(|b| b.is_ascii_whitespace())
}

/// The key of `line` when it starts at column 0 with a plain scalar key followed by `:` and a
/// space or the end of the line: `r1:`, `r1: {}`, `core-sw.example.com: {hostname: 10.0.0.1}`.
pub(super) fn plain_key(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    // A plain scalar cannot start with whitespace or an indicator; quoted keys are not cut at,
    // since a quote at column 0 may as well continue a multi-line quoted scalar.
    let first = bytes.first()?;
    if first.is_ascii_whitespace() || b"#'\"{}[]|>!&*?:,-%@`.".contains(first) {
        return None;
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // A quote or flow indicator in the key is legal YAML but rare in host names; not
            // cutting there keeps the scan simple and safe.
            b'"' | b'\'' | b'{' | b'}' | b'[' | b']' | b',' | b'\n' | b'\r' => return None,
            b'#' if i > 0 && bytes[i - 1].is_ascii_whitespace() => return None,
            b':' => {
                let rest = &bytes[i + 1..];
                let ends = rest.first().is_none_or(|next| next.is_ascii_whitespace());
                return (ends && !closes_earlier_line(rest)).then(|| line[..i].trim_end());
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
