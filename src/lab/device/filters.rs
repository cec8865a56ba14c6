//! Output filters after `|`: Cisco-style (`include`, `exclude`, `begin`, `section`, `count`)
//! and Junos-style (`match`, `except`, `count`, `no-more`, `display ...`).

use super::super::dialect::Filters;
use super::matching::words;
use super::{Device, Reply};

impl Device {
    /// Applies `filters` (the text after the first `|`, at byte `offset` of `line`) to `text`.
    pub(super) fn filter(
        &self,
        mut text: String,
        filters: &str,
        offset: usize,
        line: &str,
        prompt_len: usize,
    ) -> Reply {
        let junos = self.shared.dialect.filters == Filters::Junos;
        let mut pageable = true;
        let mut base = offset;
        for stage in filters.split('|') {
            let ws = words(stage);
            let Some((at, verb)) = ws.first().copied() else {
                return self.error_at(line, base, prompt_len, false);
            };
            let arg = stage[at + verb.len()..].trim();
            let verb = verb.to_ascii_lowercase();
            let is = |full: &str| full.starts_with(verb.as_str());
            let pattern = regex::Regex::new(arg);
            let matches = |l: &str| match &pattern {
                Ok(re) => re.is_match(l),
                Err(_) => l.contains(arg),
            };
            text = if is("include") || (junos && is("match")) {
                keep(&text, matches)
            } else if is("exclude") || (junos && is("except")) {
                keep(&text, |l| !matches(l))
            } else if is("begin") {
                let mut started = false;
                keep(&text, |l| {
                    started = started || matches(l);
                    started
                })
            } else if is("section") {
                let mut inside = false;
                keep(&text, |l| {
                    if !l.starts_with(' ') {
                        inside = matches(l);
                    }
                    inside
                })
            } else if is("count") && junos {
                format!("Count: {} lines", text.lines().count())
            } else if is("count") {
                let n = text.lines().filter(|l| matches(l)).count();
                format!("Number of lines which match regexp = {n}")
            } else if junos && is("no-more") {
                pageable = false;
                text
            } else if junos && is("display") {
                // `display set` was applied when the output was rendered.
                text
            } else {
                return self.error_at(line, base + at, prompt_len, false);
            };
            base += stage.len() + 1;
        }
        Reply::Text { text, pageable }
    }
}

/// The lines of `text` that `f` keeps.
fn keep(text: &str, mut f: impl FnMut(&str) -> bool) -> String {
    text.lines().filter(|l| f(l)).collect::<Vec<_>>().join("\n")
}
