//! What a device does with a command line: the dialect's commands and their actions, output
//! filters, configuration lines, and the platform's errors.

use std::sync::Arc;

use serde_json::Value;

use super::super::dialect::{Action, Command, Filters, Mode, Text, Var};
use super::matching::{Match, match_words, shell_words, words};
use super::{Device, Reply, seq};

/// A matched command's arguments.
struct Call<'a> {
    /// The free arguments as typed (shell dialects: unquoted and re-joined).
    args: String,
    /// The free arguments as words (shell dialects: unquoted).
    arg_words: Vec<String>,
    /// Byte offset of the arguments in the line.
    args_at: usize,
    /// The output filter after `|`, and its byte offset.
    filters: Option<(&'a str, usize)>,
}

impl Device {
    /// Runs one non-empty line in the current mode; `prompt_len` aligns error carets.
    pub(super) fn run(&mut self, line: &str, prompt_len: usize) -> Reply {
        let dialect = Arc::clone(&self.shared.dialect);
        // Inside a RouterOS menu, commands are relative to it.
        let relative;
        let line = match self.levels.last() {
            Some(level)
                if self.mode == Mode::Config
                    && !dialect.config.menu.is_empty()
                    && !line.trim_start().starts_with('/')
                    && line.trim() != ".." =>
            {
                relative = format!("{} {}", level.header, line.trim());
                relative.as_str()
            }
            _ => line,
        };
        let shell = dialect.shell.then(|| shell_words(line));
        let all: Vec<(usize, &str)> = match &shell {
            Some(ws) => ws.iter().map(|(at, w)| (*at, w.as_str())).collect(),
            None => words(line),
        };
        let (command, filters) = match (dialect.filters, line.find('|')) {
            (Filters::Cisco | Filters::Junos, Some(at)) => {
                (&line[..at], Some((&line[at + 1..], at + 1)))
            }
            _ => (line, None),
        };
        let before_pipe: Vec<(usize, &str)> = if filters.is_some() {
            words(command)
        } else {
            all.clone()
        };
        let mut best = 0;
        for cmd in &dialect.commands {
            if !cmd.modes.has(self.mode) {
                continue;
            }
            let input = if cmd.pipe { &all } else { &before_pipe };
            match match_words(&cmd.words, cmd.wildcard, input, dialect.abbreviate) {
                Match::Full(args_at) => {
                    let at = args_at.unwrap_or(line.len());
                    let index = input
                        .iter()
                        .position(|(w, _)| *w >= at)
                        .unwrap_or(input.len());
                    let arg_words: Vec<String> = input[index..]
                        .iter()
                        .map(|(_, w)| (*w).to_string())
                        .collect();
                    let args = if shell.is_some() {
                        arg_words.join(" ")
                    } else {
                        let end = if cmd.pipe { line.len() } else { command.len() };
                        line[at.min(end)..end].trim().to_string()
                    };
                    let call = Call {
                        args,
                        arg_words,
                        args_at: at,
                        filters: if cmd.pipe { None } else { filters },
                    };
                    return self.run_command(cmd, call, line, prompt_len);
                }
                Match::Partial(depth) => best = best.max(depth),
            }
        }
        if self.mode == Mode::Config {
            let first = before_pipe.first().map(|(_, w)| *w).unwrap_or("");
            let exec_verb = dialect
                .config
                .exec_verbs
                .iter()
                .any(|v| first.len() >= 2 && super::matching::stands_for(v, first, true));
            if exec_verb {
                return self.as_exec(line, prompt_len);
            }
            return self.statement(line, prompt_len);
        }
        if self.is_exec_statement(line) {
            return self.statement(line, prompt_len);
        }
        let depth = if dialect.shell { 0 } else { best };
        self.invalid(command, &before_pipe, depth, prompt_len)
    }

    /// Runs a line as if in privileged exec mode (`do show run`, Junos `run`).
    fn as_exec(&mut self, line: &str, prompt_len: usize) -> Reply {
        let saved = self.mode;
        let levels = std::mem::take(&mut self.levels);
        self.mode = Mode::Privileged;
        let reply = self.run(line, prompt_len);
        if self.mode == Mode::Privileged {
            self.mode = saved;
            self.levels = levels;
        }
        reply
    }

    fn run_command(
        &mut self,
        cmd: &Command,
        call: Call<'_>,
        line: &str,
        prompt_len: usize,
    ) -> Reply {
        let dialect = Arc::clone(&self.shared.dialect);
        let mut diff = None;
        let mut reply = None;
        match cmd.action {
            None | Some(Action::Noop) => {}
            Some(Action::Enable) => {
                let guarded =
                    self.shared.enable_secret.is_some() || self.shared.faults.refuse_enable;
                if dialect.enable.is_some() && self.mode == Mode::User && guarded {
                    return Reply::AskSecret;
                }
                self.mode = Mode::Privileged;
            }
            Some(Action::Disable) => {
                if dialect.enable.is_some() {
                    self.mode = Mode::User;
                }
            }
            Some(Action::PageLength) => match call.args.parse::<usize>() {
                Ok(n) => self.page_len = n,
                Err(_) => return self.error_at(line, call.args_at, prompt_len, false),
            },
            Some(Action::PagingOff) => self.page_len = 0,
            Some(Action::PagingOn) => self.page_len = dialect.page_length,
            Some(Action::Configure) => {
                // Where it is valid is the command's `modes` (privileged unless it says).
                self.mode = Mode::Config;
                self.levels.clear();
                self.edit.clear();
            }
            Some(Action::Exit) => {
                // Out of a raised shell (`sudo -s`, Gaia expert mode) back to the login shell.
                if self.mode == Mode::Privileged
                    && dialect.start == Mode::User
                    && dialect.enable.is_some()
                {
                    self.mode = Mode::User;
                    return Reply::Nothing;
                }
                if self.mode != Mode::Config {
                    return Reply::Close;
                }
                reply = Some(if !self.edit.is_empty() {
                    self.edit.pop();
                    Reply::Nothing
                } else if self.levels.is_empty() {
                    self.leave_config()
                } else {
                    self.pop_levels(cmd.block.as_deref(), true)
                });
            }
            Some(Action::End) => {
                reply = Some(match cmd.block.as_deref() {
                    Some(block) if !self.levels.is_empty() => self.pop_levels(Some(block), false),
                    _ => self.leave_config(),
                });
            }
            Some(Action::Logout) => return Reply::Close,
            Some(Action::Commit) => self.commit(),
            Some(Action::CommitAndQuit) => {
                self.commit();
                self.leave_config_now();
            }
            Some(Action::Rollback) => self.rollback(),
            Some(Action::Abort) => {
                self.rollback();
                self.leave_config_now();
            }
            Some(Action::Compare) => diff = Some(self.diff()),
            Some(Action::ShowCandidate) => {
                let set_form = call.filters.is_some_and(|(f, _)| f.contains("display set"));
                let text = self.candidate_config().render(&dialect.config, set_form);
                return self.filtered(text, call.filters, line, prompt_len);
            }
            Some(Action::Save) => self.save(),
            Some(Action::Do) => {
                if call.args.is_empty() {
                    let ws = words(line);
                    return self.invalid(line, &ws, 1, prompt_len);
                }
                let rest = line[call.args_at..].to_string();
                return self.as_exec(&rest, prompt_len + call.args_at);
            }
            Some(Action::Top) => {
                self.edit.clear();
                self.levels.clear();
            }
            Some(Action::Up) => {
                let last_is_empty = match self.edit.last_mut() {
                    Some(step) => {
                        step.pop();
                        step.is_empty()
                    }
                    None => {
                        self.levels.pop();
                        false
                    }
                };
                if last_is_empty {
                    self.edit.pop();
                }
            }
            Some(Action::Edit) => {
                if call.arg_words.is_empty() {
                    let ws = words(line);
                    return self.invalid(line, &ws, 1, prompt_len);
                }
                self.edit.push(super::paths::words(&call.args));
            }
            Some(Action::Seq) => {
                return match seq::run(&call.arg_words) {
                    Ok(text) => Reply::Text {
                        text,
                        pageable: true,
                    },
                    Err(text) => Reply::Fail(text, 1),
                };
            }
        }
        let Some(output) = &cmd.output else {
            return match (reply, diff) {
                (Some(reply), _) => reply,
                (None, Some(diff)) if !diff.is_empty() => Reply::Text {
                    text: diff,
                    pageable: true,
                },
                _ => Reply::Nothing,
            };
        };
        let set_form = call.filters.is_some_and(|(f, _)| f.contains("display set"));
        let extra = diff.map(|d| ("diff", Value::from(d)));
        let text = match self.render_with(output, &call.args, extra, set_form) {
            Ok(text) => text,
            Err(err) => return Reply::Error(format!("% lab template error: {err:#}")),
        };
        match reply {
            // A state change that printed its own text keeps it; the command's output follows.
            Some(Reply::Nothing) | None => self.filtered(text, call.filters, line, prompt_len),
            Some(Reply::Text { text: first, .. }) => Reply::Text {
                text: format!("{first}\n{text}"),
                pageable: false,
            },
            Some(other) => other,
        }
    }

    /// Applies output filters to a command's output.
    fn filtered(
        &self,
        text: String,
        filters: Option<(&str, usize)>,
        line: &str,
        prompt_len: usize,
    ) -> Reply {
        match filters {
            None => Reply::Text {
                text,
                pageable: true,
            },
            Some((f, at)) => self.filter(text, f, at, line, prompt_len),
        }
    }

    /// The platform's "unknown command" answer, caret under word `depth`.
    pub(super) fn invalid(
        &self,
        line: &str,
        words: &[(usize, &str)],
        depth: usize,
        prompt_len: usize,
    ) -> Reply {
        let errors = &self.shared.dialect.errors;
        match words.get(depth) {
            Some((at, _)) => self.error_at(line, *at, prompt_len, depth == 0),
            None => {
                let at = line.trim_end().len() + 1;
                Reply::Error(self.error_text(&errors.incomplete, line, at, "", prompt_len))
            }
        }
    }

    /// An error pointing at byte `at` of the typed line.
    pub(super) fn error_at(
        &self,
        line: &str,
        at: usize,
        prompt_len: usize,
        first_word: bool,
    ) -> Reply {
        let errors = &self.shared.dialect.errors;
        let template = match (&errors.first_word, first_word) {
            (Some(t), true) => t,
            _ => &errors.invalid,
        };
        let word = line
            .get(at..)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("");
        Reply::Error(self.error_text(template, line, at, word, prompt_len))
    }

    /// A configuration line refused (fault `config_error`).
    pub(super) fn config_error(&self, line: &str, at: usize, prompt_len: usize) -> Reply {
        let errors = &self.shared.dialect.errors;
        let word = line[at..].split_whitespace().next().unwrap_or("");
        let template = errors.config.as_ref().unwrap_or(&errors.invalid);
        Reply::Error(self.error_text(template, line, at, word, prompt_len))
    }

    fn error_text(
        &self,
        template: &Text,
        line: &str,
        at: usize,
        word: &str,
        prompt_len: usize,
    ) -> String {
        let column = line.get(..at).map_or(at, |s| s.chars().count());
        template.render(|var, out| match var {
            Var::Caret | Var::Carets => {
                out.extend(std::iter::repeat_n(' ', prompt_len + column));
                let n = if var == Var::Carets {
                    word.chars().count().max(1)
                } else {
                    1
                };
                out.extend(std::iter::repeat_n('^', n));
            }
            Var::Word => out.push_str(word),
            Var::Line => out.push_str(line.trim()),
            Var::Column => out.push_str(&(column + 1).to_string()),
            Var::Hostname => out.push_str(&self.shared.store().hostname),
            Var::Username => out.push_str(&self.shared.username),
            _ => {}
        })
    }
}
