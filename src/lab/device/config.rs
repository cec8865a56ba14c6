//! The running configuration a device keeps across connections, its candidate, and what a
//! configuration line does to them: sub-modes, statements, `edit` paths, commit and rollback.

use std::sync::Arc;

use super::super::dialect::{
    Candidate, ConfigSpec, DiffStyle, Mode, Outcome, Style, Then, fill_name,
};
use super::clock::Stamp;
use super::matching::{Match, match_words, words};
use super::tree::{self, Applied, Node};
use super::{Device, Level, Reply, diff, paths};

/// A configuration: a tree of lines (indent style) or full-path statements (set style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Config {
    Tree(Vec<Node>),
    Paths(Vec<String>),
}

impl Config {
    /// No configuration, in the dialect's style.
    pub(crate) fn empty(spec: &ConfigSpec) -> Config {
        match spec.style {
            Style::Set => Config::Paths(Vec::new()),
            Style::Indent | Style::None => Config::Tree(Vec::new()),
        }
    }

    /// Reads configuration text as the platform prints it (set lines with their prefix).
    pub(crate) fn parse(text: &str, spec: &ConfigSpec) -> Config {
        match spec.style {
            Style::Set => {
                let set = spec.set.as_ref().map(|s| s.join(" ") + " ");
                Config::Paths(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                        .map(|l| {
                            let l = l.strip_prefix(spec.display_prefix.as_str()).unwrap_or(l);
                            let l = set.as_deref().and_then(|s| l.strip_prefix(s)).unwrap_or(l);
                            paths::words(l).join(" ")
                        })
                        .collect(),
                )
            }
            Style::Indent | Style::None => Config::Tree(tree::parse(text, spec)),
        }
    }

    /// The configuration as the platform shows it; `set_form`: as set lines.
    pub(crate) fn render(&self, spec: &ConfigSpec, set_form: bool) -> String {
        match self {
            Config::Tree(nodes) => tree::render(nodes, spec),
            Config::Paths(lines)
                if set_form || spec.braces == super::super::dialect::Braces::None =>
            {
                paths::set_lines(lines, spec)
            }
            Config::Paths(lines) => paths::braces(&paths::tree(lines, spec), spec),
        }
    }

    /// Set lines (set style only; empty otherwise).
    pub(crate) fn set_lines(&self, spec: &ConfigSpec) -> String {
        match self {
            Config::Paths(lines) => paths::set_lines(lines, spec),
            Config::Tree(_) => String::new(),
        }
    }

    fn display_tree(&self, spec: &ConfigSpec) -> Vec<Node> {
        match self {
            Config::Tree(nodes) => nodes.clone(),
            Config::Paths(lines) => paths::tree(lines, spec),
        }
    }

    /// Every statement as one line (ancestors first).
    fn flat_lines(&self) -> Vec<String> {
        match self {
            Config::Tree(nodes) => {
                let mut out = Vec::new();
                tree::flatten(nodes, "", &mut out);
                out
            }
            Config::Paths(lines) => lines.clone(),
        }
    }

    /// Whether a statement matches `re`.
    pub(crate) fn any_line(&self, re: &regex::Regex) -> bool {
        self.flat_lines().iter().any(|l| re.is_match(l))
    }

    /// The host name the configuration sets, by the dialect's `hostname` regex.
    fn hostname(&self, spec: &ConfigSpec) -> Option<String> {
        let re = spec.hostname.as_ref()?;
        self.flat_lines().iter().rev().find_map(|l| {
            re.captures(l)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().trim_matches(['"', '\'']).to_string())
        })
    }
}

/// Running state that survives the connection.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) hostname: String,
    pub(crate) running: Config,
    /// The shared candidate, once someone edited it.
    pub(crate) candidate: Option<Config>,
    pub(crate) changed: Option<Stamp>,
    pub(crate) saved: Option<Stamp>,
    /// Changed since the last save.
    pub(crate) unsaved: bool,
}

impl Store {
    pub(crate) fn new(hostname: String, running: Config) -> Store {
        Store {
            hostname,
            running,
            candidate: None,
            changed: None,
            saved: None,
            unsaved: false,
        }
    }

    /// Records a change of the running configuration.
    fn changed(&mut self, spec: &ConfigSpec, by: &str, at: i64) {
        self.changed = Some(Stamp {
            at,
            by: by.to_string(),
        });
        self.unsaved = true;
        if let Some(name) = self.running.hostname(spec) {
            self.hostname = name;
        }
    }
}

impl Device {
    fn spec(&self) -> &ConfigSpec {
        &self.shared.dialect.config
    }

    /// Edits the configuration lines go to: the running one, or the candidate.
    fn edit_config(&mut self, f: impl FnOnce(&mut Config, &ConfigSpec) -> Applied) -> Applied {
        let shared = Arc::clone(&self.shared);
        let spec = &shared.dialect.config;
        match spec.candidate {
            Candidate::None => {
                let mut store = shared.store();
                let applied = f(&mut store.running, spec);
                if applied == Applied::Changed {
                    let now = shared.clock.now().0;
                    store.changed(spec, &shared.username, now);
                }
                applied
            }
            Candidate::Shared => {
                let mut store = shared.store();
                if store.candidate.is_none() {
                    store.candidate = Some(store.running.clone());
                }
                match store.candidate.as_mut() {
                    Some(candidate) => f(candidate, spec),
                    None => Applied::Unchanged,
                }
            }
            Candidate::Private => {
                if self.candidate.is_none() {
                    self.candidate = Some(shared.store().running.clone());
                }
                match self.candidate.as_mut() {
                    Some(candidate) => f(candidate, spec),
                    None => Applied::Unchanged,
                }
            }
        }
    }

    /// The candidate (or the running configuration when nothing is pending).
    pub(super) fn candidate_config(&self) -> Config {
        let store = self.shared.store();
        match self.spec().candidate {
            Candidate::Private => self.candidate.clone(),
            Candidate::Shared => store.candidate.clone(),
            Candidate::None => None,
        }
        .unwrap_or_else(|| store.running.clone())
    }

    /// Whether the candidate differs from the running configuration.
    pub(super) fn dirty(&self) -> bool {
        let store = self.shared.store();
        let candidate = match self.spec().candidate {
            Candidate::Private => self.candidate.as_ref(),
            Candidate::Shared => store.candidate.as_ref(),
            Candidate::None => None,
        };
        candidate.is_some_and(|c| *c != store.running)
    }

    /// Applies the candidate.
    pub(super) fn commit(&mut self) {
        let shared = Arc::clone(&self.shared);
        let spec = &shared.dialect.config;
        let mut store = shared.store();
        let candidate = match spec.candidate {
            Candidate::Private => self.candidate.take(),
            Candidate::Shared => store.candidate.take(),
            Candidate::None => None,
        };
        if let Some(candidate) = candidate {
            store.running = candidate;
        }
        let now = shared.clock.now().0;
        store.changed(spec, &shared.username, now);
        self.typed.clear();
    }

    /// Drops the candidate's changes.
    pub(super) fn rollback(&mut self) {
        match self.spec().candidate {
            Candidate::Private => self.candidate = None,
            Candidate::Shared => self.shared.store().candidate = None,
            Candidate::None => {}
        }
        self.typed.clear();
    }

    /// The pending changes, as the dialect prints them.
    pub(super) fn diff(&self) -> String {
        let spec = self.spec();
        let running = self.shared.store().running.clone();
        let candidate = self.candidate_config();
        match (spec.diff, &running, &candidate) {
            (DiffStyle::Typed, _, _) => self.typed.join("\n"),
            (DiffStyle::Lines, Config::Paths(old), Config::Paths(new)) => {
                paths::line_diff(old, new, spec)
            }
            (DiffStyle::Junos, _, _) => diff::junos(
                &running.display_tree(spec),
                &candidate.display_tree(spec),
                spec,
            ),
            (DiffStyle::Tree | DiffStyle::Lines, _, _) => diff::tree(
                &running.display_tree(spec),
                &candidate.display_tree(spec),
                spec,
            ),
        }
    }

    /// Whether the running configuration changed since it was last saved.
    pub(super) fn unsaved(&self) -> bool {
        self.shared.store().unsaved
    }

    /// Stamps the saved configuration (`write memory`).
    pub(super) fn save(&self) {
        let at = self.shared.clock.now().0;
        let mut store = self.shared.store();
        store.saved = Some(Stamp {
            at,
            by: self.shared.username.clone(),
        });
        store.unsaved = false;
    }

    /// Leaves configuration mode, minding uncommitted changes.
    pub(super) fn leave_config(&mut self) -> Reply {
        if self.spec().commit_on_leave {
            self.commit();
            self.leave_config_now();
            return Reply::Nothing;
        }
        let spec_candidate = self.spec().candidate;
        if spec_candidate != Candidate::None && self.dirty() {
            let uncommitted = self.spec().uncommitted.clone();
            let text = uncommitted.text.clone();
            match uncommitted.then {
                Then::Refuse => return Reply::Error(text),
                Then::Ask => return Reply::Ask(text),
                Then::Discard => self.rollback(),
                Then::Keep => {}
                Then::Commit => self.commit(),
            }
            self.leave_config_now();
            return text_reply(text);
        }
        self.leave_config_now();
        Reply::Nothing
    }

    /// Out of configuration mode, no questions asked.
    pub(super) fn leave_config_now(&mut self) {
        self.mode = Mode::Privileged;
        self.levels.clear();
        self.edit.clear();
    }

    /// The answer to the uncommitted-changes question.
    pub(super) fn answer(&mut self, line: &str) -> Reply {
        let uncommitted = self.spec().uncommitted.clone();
        let answer = line.trim().to_ascii_lowercase();
        let outcome = if !answer.is_empty() && "yes".starts_with(&answer) {
            uncommitted.yes
        } else if !answer.is_empty() && "no".starts_with(&answer) {
            uncommitted.no
        } else {
            uncommitted.other
        };
        match outcome {
            Outcome::Commit => {
                self.commit();
                self.leave_config_now();
            }
            Outcome::Discard => {
                self.rollback();
                self.leave_config_now();
            }
            Outcome::Keep => self.leave_config_now(),
            Outcome::Stay => {}
        }
        Reply::Nothing
    }

    /// Leaves sub-modes up to and out of the innermost one whose header starts with `block`
    /// (all of them without `block`); out of configuration mode when none is left and the
    /// configuration was entered through a sub-mode (FortiOS `config`, RouterOS menus).
    pub(super) fn pop_levels(&mut self, block: Option<&str>, one: bool) -> Reply {
        match block {
            Some(word) => {
                while let Some(level) = self.levels.pop() {
                    if level.header.split_whitespace().next() == Some(word) {
                        break;
                    }
                }
            }
            None if one => {
                self.levels.pop();
            }
            None => self.levels.clear(),
        }
        if self.levels.is_empty() && self.entered_by_submode() {
            return self.leave_config();
        }
        Reply::Nothing
    }

    fn entered_by_submode(&self) -> bool {
        self.spec().submodes.iter().any(|s| s.from_exec) || !self.spec().menu.is_empty()
    }

    /// The sub-mode a line opens: its depth, header and prompt name.
    fn submode_of(&self, line: &str) -> Option<(usize, String, String)> {
        let ws = words(line);
        for sub in &self.spec().submodes {
            if self.mode != Mode::Config && !sub.from_exec {
                continue;
            }
            let depth = match sub.parent.as_deref() {
                None => 0,
                Some("*") => self.levels.len(),
                Some(parent) => match self.levels.iter().rposition(|l| l.name == parent) {
                    Some(i) => i + 1,
                    None => continue,
                },
            };
            let Match::Full(args_at) = match_words(&sub.words, sub.wildcard, &ws, true) else {
                continue;
            };
            if sub.wildcard && args_at.is_none() {
                continue;
            }
            let args = args_at.map(|at| line[at..].trim()).unwrap_or("");
            let mut header = sub.words.join(" ");
            if !args.is_empty() {
                header.push(' ');
                header.push_str(args);
            }
            let name = sub.name.render(|var, out| fill_name(var, args, line, out));
            return Some((depth, header, name));
        }
        None
    }

    /// Whether a line typed at an exec prompt is configuration (a verb, a menu path, a block).
    pub(super) fn is_exec_statement(&self, line: &str) -> bool {
        let spec = self.spec();
        if spec.style == Style::None {
            return false;
        }
        if !spec.menu.is_empty() && line.trim_start().starts_with('/') {
            return true;
        }
        if self.mode == Mode::Privileged && self.submode_of(line).is_some() {
            return true;
        }
        let ws = words(line);
        spec.verb_modes.has(self.mode)
            && spec.verbs.iter().any(|verb| {
                verb.len() <= ws.len()
                    && verb
                        .iter()
                        .zip(&ws)
                        .all(|(v, (_, w))| v.eq_ignore_ascii_case(w))
            })
    }

    /// A configuration line: opens a sub-mode or changes the configuration.
    pub(super) fn statement(&mut self, line: &str, prompt_len: usize) -> Reply {
        let trimmed = line.trim();
        if self.shared.faults.config_error {
            let at = line.len() - line.trim_start().len();
            return self.config_error(line, at, prompt_len);
        }
        let spec_style = self.spec().style;
        let applied = match spec_style {
            Style::None => {
                let ws = words(line);
                return self.invalid(line, &ws, 0, prompt_len);
            }
            Style::Set => match self.set_statement(line, prompt_len) {
                Ok(applied) => applied,
                Err(reply) => return reply,
            },
            Style::Indent
                if !self.spec().menu.is_empty() && trimmed.starts_with('/') || trimmed == ".." =>
            {
                self.menu_statement(trimmed)
            }
            Style::Indent => {
                if let Some((depth, header, name)) = self.submode_of(trimmed) {
                    let path: Vec<String> = self.levels[..depth.min(self.levels.len())]
                        .iter()
                        .map(|l| l.header.clone())
                        .collect();
                    let applied = self.edit_config(|config, _| match config {
                        Config::Tree(nodes) => {
                            ensure_path(nodes, &path);
                            if tree::open(nodes, &path, &header) {
                                Applied::Changed
                            } else {
                                Applied::Unchanged
                            }
                        }
                        Config::Paths(_) => Applied::Unchanged,
                    });
                    self.levels.truncate(depth);
                    self.levels.push(Level { header, name });
                    self.mode = Mode::Config;
                    applied
                } else {
                    let stmt = match &self.spec().line_prefix {
                        Some(prefix) if self.mode == Mode::Config => format!("{prefix}{trimmed}"),
                        _ => trimmed.to_string(),
                    };
                    let path: Vec<String> = self.levels.iter().map(|l| l.header.clone()).collect();
                    self.edit_config(|config, spec| match config {
                        Config::Tree(nodes) => {
                            ensure_path(nodes, &path);
                            match tree::children_mut(nodes, &path) {
                                Some(list) => tree::apply(list, &stmt, path.is_empty(), spec),
                                None => Applied::Unchanged,
                            }
                        }
                        Config::Paths(_) => Applied::Unchanged,
                    })
                }
            }
        };
        if applied != Applied::Unchanged {
            self.typed.push(trimmed.to_string());
        }
        match (applied, &self.shared.dialect.errors.not_found) {
            (Applied::NotFound, Some(text)) => text_reply(text.clone()),
            _ => Reply::Nothing,
        }
    }

    /// RouterOS: `/ip address add ...` edits block `/ip address`; `/ip address` alone opens it.
    fn menu_statement(&mut self, line: &str) -> Applied {
        if line == "/" || line == ".." {
            self.levels.clear();
            self.mode = Mode::Privileged;
            return Applied::Unchanged;
        }
        let ws: Vec<&str> = line.split_whitespace().collect();
        let verbs = self.spec().menu.clone();
        let at = ws.iter().position(|w| verbs.iter().any(|v| v == w));
        let Some(at) = at else {
            let header = ws.join(" ");
            self.levels = vec![Level {
                name: header.clone(),
                header,
            }];
            self.mode = Mode::Config;
            return Applied::Unchanged;
        };
        let header = ws[..at].join(" ");
        let stmt = ws[at..].join(" ");
        let remove = ws[at] == "remove";
        self.edit_config(|config, spec| {
            let Config::Tree(nodes) = config else {
                return Applied::Unchanged;
            };
            let path = vec![header.clone()];
            ensure_path(nodes, &path);
            let Some(list) = tree::children_mut(nodes, &path) else {
                return Applied::Unchanged;
            };
            if remove {
                if tree::remove_matching(list, &stmt) {
                    Applied::Changed
                } else {
                    Applied::NotFound
                }
            } else {
                tree::apply(list, &stmt, false, spec)
            }
        })
    }

    /// `set ...` / `delete ...` (or a bare `configure ...` path when the dialect has no set verb).
    fn set_statement(&mut self, line: &str, prompt_len: usize) -> Result<Applied, Reply> {
        let ws = words(line);
        let spec = self.spec();
        let starts = |verb: &Option<Vec<String>>| -> Option<usize> {
            let verb = verb.as_ref()?;
            (verb.len() < ws.len()
                && verb
                    .iter()
                    .zip(&ws)
                    .all(|(v, (_, w))| v.eq_ignore_ascii_case(w)))
            .then_some(verb.len())
        };
        let relative = |n: usize| -> String {
            let mut path: Vec<String> = self.edit.iter().flatten().cloned().collect();
            path.push(line[ws[n].0..].trim().to_string());
            path.join(" ")
        };
        if let Some(n) = starts(&spec.delete) {
            let path = relative(n);
            return Ok(self.edit_config(|config, _| match config {
                Config::Paths(lines) => paths::delete(lines, &path),
                Config::Tree(_) => Applied::Unchanged,
            }));
        }
        let path = match (starts(&spec.set), &spec.set) {
            (Some(n), _) => relative(n),
            (None, None) if !ws.is_empty() => relative(0).trim_start_matches('/').to_string(),
            (None, _) => {
                let depth = if spec
                    .set
                    .as_ref()
                    .is_some_and(|s| s.len() == ws.len() && !ws.is_empty())
                {
                    ws.len()
                } else {
                    0
                };
                return Err(self.invalid(line, &ws, depth, prompt_len));
            }
        };
        Ok(self.edit_config(|config, spec| match config {
            Config::Paths(lines) => paths::set(lines, &path, spec),
            Config::Tree(_) => Applied::Unchanged,
        }))
    }
}

/// Creates the blocks of `path` that are missing (another session may have removed them).
fn ensure_path(nodes: &mut Vec<Node>, path: &[String]) {
    for depth in 0..path.len() {
        tree::open(nodes, &path[..depth], &path[depth]);
    }
}

fn text_reply(text: String) -> Reply {
    if text.is_empty() {
        Reply::Nothing
    } else {
        Reply::Text {
            text,
            pageable: false,
        }
    }
}
