//! What a session prints around answers: the banner, the prompt of each mode with the
//! session's values filled in, and the ordered output steps.

use super::super::dialect::{Mode, Text, Var};
use super::{Device, Step};

impl Device {
    pub(super) fn prompt(&self, out: &mut Out) {
        out.text(&self.prompt_text());
    }

    pub(super) fn banner(&self) -> String {
        let Some(banner) = &self.shared.dialect.banner else {
            return String::new();
        };
        let text = match banner {
            super::super::dialect::Output::Static(text) => text.clone(),
            super::super::dialect::Output::Template { .. } => self
                .render_output(banner, "", None)
                .unwrap_or_else(|err| format!("% lab template error: {err:#}\n")),
        };
        crlf(&text)
    }

    /// The full prompt, context lines (`[edit]`) included.
    pub(super) fn prompt_text(&self) -> String {
        let dialect = &self.shared.dialect;
        let prompts = &dialect.prompts;
        let template = match self.mode {
            Mode::User => &prompts.user,
            Mode::Privileged => &prompts.privileged,
            Mode::Config if self.levels.is_empty() => &prompts.config,
            Mode::Config => &prompts.submode,
        };
        self.fill(template)
    }

    /// A prompt-like text with the session's values filled in.
    pub(super) fn fill(&self, template: &Text) -> String {
        let hostname = self.shared.store().hostname.clone();
        template.render(|var, out| match var {
            Var::Hostname => out.push_str(&hostname),
            Var::Username => out.push_str(&self.shared.username),
            Var::Submode => out.push_str(self.levels.last().map_or("", |l| l.name.as_str())),
            Var::Path => {
                for word in self.edit.iter().flatten() {
                    out.push(' ');
                    out.push_str(word);
                }
            }
            Var::Dirty if self.dirty() => out.push('*'),
            Var::Dirty => {}
            Var::Counter => out.push_str(&(self.count + 1).to_string()),
            Var::Star | Var::StarSpace if self.unsaved() => {
                out.push_str(if var == Var::Star { "*" } else { "* " });
            }
            Var::Star | Var::StarSpace => {}
            Var::Ctx | Var::CtxLine => {
                if let Some(ctx) = &self.shared.prompt_context {
                    out.push('{');
                    out.push_str(ctx);
                    out.push('}');
                    if var == Var::CtxLine {
                        out.push_str("\r\n");
                    }
                }
            }
            _ => {}
        })
    }

    /// Columns of the prompt's last line (what the caret of an error message is aligned with).
    pub(super) fn prompt_line_len(&self) -> usize {
        let prompt = self.prompt_text();
        prompt
            .rsplit('\n')
            .next()
            .unwrap_or(&prompt)
            .chars()
            .count()
    }
}

/// Line breaks as a terminal needs them.
pub(super) fn crlf(text: &str) -> String {
    if text.contains('\n') {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text.to_string()
    }
}

/// Collects output bytes, keeping them in order with the other steps.
#[derive(Default)]
pub(super) struct Out {
    steps: Vec<Step>,
    buf: Vec<u8>,
}

impl Out {
    pub(super) fn text(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub(super) fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.steps.push(Step::Output(std::mem::take(&mut self.buf)));
        }
    }

    pub(super) fn command(&mut self) {
        self.flush();
        self.steps.push(Step::Command);
    }

    pub(super) fn close(&mut self) {
        self.flush();
        self.steps.push(Step::Close);
    }

    pub(super) fn finish(mut self) -> Vec<Step> {
        self.flush();
        self.steps
    }
}
