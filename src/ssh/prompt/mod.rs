//! Prompt engine: turns the raw byte stream of a device CLI into clean command output.
//!
//! Pure logic, no I/O: the SSH layer feeds whatever chunks the channel delivers and acts on
//! the [`Event`]s. Pieces:
//! - [`Normalizer`]: streaming byte → text cleanup (UTF-8 and ANSI sequences may be split
//!   across chunks; `\r` dropped; backspaces applied).
//! - [`PromptMatcher`]: is the complete last line of the buffer a prompt?
//! - [`strip_echo`]: remove the echoed command from the start of the output.
//! - [`Collector`]: the per-session state machine combining the above plus pager handling.

mod normalizer;

use regex::Regex;
use std::sync::Arc;

pub use normalizer::Normalizer;

/// How far back from the end of the buffer the prompt matcher looks.
pub const PROMPT_TAIL: usize = 1024;

/// Number of leading output lines searched for the echoed command.
const ECHO_SEARCH_LINES: usize = 5;

/// Start of the last line of `text` (the byte after the last `\n`, or 0).
fn last_line_start(text: &str) -> usize {
    text.rfind('\n').map(|i| i + 1).unwrap_or(0)
}

/// `Regex::new(pattern)`, compiled once per process: every SSH session of a platform uses the
/// same few patterns, and compiling them (Unicode `\w` classes) per session dominated a
/// fleet run's CPU and memory. Sessions share one `Regex` through an `Arc` rather than a
/// clone: a cloned `Regex` gets its own pool of match caches, sized by the Unicode program,
/// and with 100 concurrent sessions those caches were a third of the client's peak memory.
/// Shared, there is one cache per runtime thread.
fn compiled(pattern: &str) -> Result<Arc<Regex>, regex::Error> {
    type Cache = std::sync::Mutex<std::collections::HashMap<String, Arc<Regex>>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked mid-insert; the map is still usable.
    if let Some(re) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return Ok(Arc::clone(re));
    }
    let re = Arc::new(Regex::new(pattern)?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pattern.to_string(), Arc::clone(&re));
    Ok(re)
}

/// Recognises a prompt: the complete last line of the buffer, matched as a whole by one of a
/// platform's mode patterns, and, once the session's name is known, showing that name
/// ([`PromptMatcher::exact`]).
#[derive(Debug, Clone)]
pub struct PromptMatcher {
    res: Vec<Arc<Regex>>,
    base: Option<Arc<str>>,
    /// A second name accepted for one command: the name a command may give the device
    /// (`hostname R2`), whose prompt then shows it.
    renamed: Option<Arc<str>>,
}

impl PromptMatcher {
    /// Build from one prompt regex (not anchored; anchoring is added here).
    pub fn new(pattern: &str) -> Result<Self, regex::Error> {
        Self::any([pattern])
    }

    /// Build from several prompt regexes (one per CLI mode), tried in order.
    pub fn any<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Self, regex::Error> {
        let res = patterns
            .into_iter()
            .map(|p| compiled(&format!("^(?:{p})$")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PromptMatcher {
            res,
            base: None,
            renamed: None,
        })
    }

    /// This matcher, accepting only prompts whose `base` group captures `base` (or, for a
    /// long name, a cut-off of it): the session's exact prompt.
    pub fn exact(mut self, base: &str) -> Self {
        self.base = Some(Arc::from(base));
        self.renamed = None;
        self
    }

    /// This matcher, also accepting prompts that show `name` (the device may be renamed by
    /// the command about to run).
    pub fn or_renamed(mut self, name: &str) -> Self {
        self.renamed = Some(Arc::from(name));
        self
    }

    /// The name this matcher insists on, if any.
    pub fn base(&self) -> Option<&str> {
        self.base.as_deref()
    }

    /// Index of the first pattern that matches `line` as a prompt (of this session).
    pub fn which(&self, line: &str) -> Option<usize> {
        let line = line.trim_end();
        if line.is_empty() {
            return None;
        }
        self.res.iter().position(|re| match &self.base {
            None => re.is_match(line),
            Some(base) => re.captures(line).is_some_and(|c| {
                c.name("base").is_none_or(|b| {
                    same_base(b.as_str(), base) || self.renamed.as_deref() == Some(b.as_str())
                })
            }),
        })
    }

    /// Whether a single line (trailing whitespace ignored) is a prompt.
    pub fn is_prompt_line(&self, line: &str) -> bool {
        self.which(line).is_some()
    }

    /// The name a prompt line shows (the `base` group of the first pattern that matches).
    pub fn base_of(&self, line: &str) -> Option<String> {
        let line = line.trim_end();
        self.res.iter().find_map(|re| {
            re.captures(line)
                .and_then(|c| c.name("base"))
                .map(|b| b.as_str().to_string())
        })
    }

    /// If the last line of `text` is a prompt, the byte offset where that line starts.
    ///
    /// Only the last [`PROMPT_TAIL`] bytes are examined: a prompt is short, and scanning
    /// megabytes of `show tech` output on every packet would be quadratic.
    pub fn find(&self, text: &str) -> Option<usize> {
        let mut tail_start = text.len().saturating_sub(PROMPT_TAIL);
        while !text.is_char_boundary(tail_start) {
            tail_start += 1;
        }
        let tail = &text[tail_start..];
        let rel = last_line_start(tail);
        if rel == 0 && tail_start > 0 {
            // The last line is longer than the tail window: not a prompt.
            return None;
        }
        let start = tail_start + rel;
        self.is_prompt_line(&text[start..]).then_some(start)
    }
}

/// Whether a prompt's captured name is the session's: equal, or (for a long name) the cut-off
/// that some devices show in some modes.
fn same_base(seen: &str, base: &str) -> bool {
    use crate::platform::exact::TRUNCATE_AT;
    seen == base
        || (seen.chars().count() >= TRUNCATE_AT
            && base.chars().count() > TRUNCATE_AT
            && base.starts_with(seen))
}

/// Recognises a pager prompt (`--More--`) in the last line.
#[derive(Debug, Clone)]
pub struct PagerMatcher {
    res: Vec<Arc<Regex>>,
}

impl PagerMatcher {
    /// Build from the platform's pager regexes; `None` when there are none.
    pub fn new<'a>(
        patterns: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<Self>, regex::Error> {
        let res = patterns
            .into_iter()
            .map(compiled)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!res.is_empty()).then_some(PagerMatcher { res }))
    }

    /// Byte range of a pager prompt within the last line of `text`, if any.
    pub fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        let start = last_line_start(text);
        let line = &text[start..];
        self.res
            .iter()
            .find_map(|re| re.find(line))
            .map(|m| start + m.start()..start + m.end())
    }
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Remove the echoed `command` from the beginning of `body`.
///
/// The echo is compared ignoring case and whitespace, may be preceded by the prompt on the
/// same line (some devices redraw it), and may wrap over several lines. If no echo is found
/// in the first few lines, `body` is returned unchanged.
#[cfg(test)]
pub fn strip_echo<'a>(body: &'a str, command: &str) -> &'a str {
    strip_echo_with(body, command, |_| false)
}

/// Like [`strip_echo`], but lines for which `is_noise` holds (e.g. a stray prompt line) may
/// precede the echo, as may blank lines; they are removed together with it.
pub fn strip_echo_with<'a>(
    body: &'a str,
    command: &str,
    is_noise: impl Fn(&str) -> bool,
) -> &'a str {
    let wanted = squash(command);
    let mut skipped = 0;
    let mut skipped_lines = 0;
    // A long command wraps over several lines of the terminal.
    let search_lines = ECHO_SEARCH_LINES.max(command.len() / 64 + 2);
    let mut lines = body.split_inclusive('\n').peekable();
    // Skip leading blank/noise lines, but never past the point where the echo could be.
    while let Some(line) = lines.peek() {
        let blank = line.trim().is_empty();
        // A noise line that contains the command is the echo itself (command looks like a prompt).
        let noise =
            !blank && is_noise(line) && (wanted.is_empty() || !squash(line).contains(&wanted));
        if skipped_lines >= search_lines || !(blank || noise) {
            break;
        }
        // An empty command echoes as an empty line: that is the echo itself.
        if wanted.is_empty() {
            return &body[skipped + line.len()..];
        }
        skipped += line.len();
        skipped_lines += 1;
        lines.next();
    }
    if wanted.is_empty() {
        return body;
    }
    let rest = &body[skipped..];
    let mut acc = String::new();
    let mut first_line_len = None;
    let mut offset = 0;
    for line in rest.split_inclusive('\n').take(search_lines) {
        acc.push_str(&squash(line));
        offset += line.len();
        let first_len = *first_line_len.get_or_insert(acc.len());
        if let Some(pos) = acc.rfind(&wanted) {
            // The echo must start on the first line, otherwise this is output that happens
            // to contain the command text.
            if pos < first_len.max(1) && acc.len() == pos + wanted.len() {
                return &rest[offset..];
            }
            return body;
        }
        if acc.len() > wanted.len() + PROMPT_TAIL {
            break;
        }
    }
    body
}

/// What the caller should do after feeding a chunk to a [`Collector`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Keep reading.
    NeedMore,
    /// A pager prompt was seen and removed; write `pager.send` to the device.
    Pager,
    /// The prompt arrived; call [`Collector::take`].
    Prompt,
    /// The output grew past the collector's limit.
    Overflow,
}

/// Output of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// Clean output, without echo, context lines and prompt, without the final newline.
    pub output: String,
    /// The prompt line that ended the output (trailing whitespace trimmed).
    pub prompt: String,
    /// The context line printed just above the prompt (Junos `[edit]`), if any.
    pub context: Option<String>,
}

/// Per-session stream state: buffer, normaliser, pager and prompt detection.
#[derive(Debug)]
pub struct Collector {
    normalizer: Normalizer,
    buf: String,
    floor: usize,
    prompt: PromptMatcher,
    pager: Option<PagerMatcher>,
    command: Option<String>,
    prompt_at: Option<usize>,
    limit: usize,
    /// The platform whose context lines (just above the prompt) are not output.
    context: Option<Arc<crate::platform::Platform>>,
}

impl Collector {
    /// A collector that ends output on `prompt` and pages through `pager`.
    pub fn new(prompt: PromptMatcher, pager: Option<PagerMatcher>) -> Self {
        Collector {
            normalizer: Normalizer::new(),
            buf: String::new(),
            floor: 0,
            prompt,
            pager,
            command: None,
            prompt_at: None,
            limit: usize::MAX,
            context: None,
        }
    }

    /// Removes `platform`'s context lines (`{master:0}`, `[edit]`) from the end of outputs.
    pub fn set_context(&mut self, platform: Arc<crate::platform::Platform>) {
        self.context = Some(platform);
    }

    /// The prompt matcher in use.
    pub fn prompt(&self) -> &PromptMatcher {
        &self.prompt
    }

    /// Caps the text one command may produce: past it, [`Event::Overflow`].
    pub fn set_limit(&mut self, bytes: usize) {
        self.limit = bytes;
    }

    /// Replace the prompt matcher (e.g. to wait for a password question).
    pub fn set_prompt(&mut self, prompt: PromptMatcher) {
        self.prompt = prompt;
    }

    /// Announce that `command` was just sent: its echo will be stripped, and the prompt is
    /// only accepted on a line after the echo line (so a command ending in `#` or `>` is
    /// not mistaken for the prompt).
    pub fn start_command(&mut self, command: &str) {
        self.command = Some(command.to_string());
        self.prompt_at = None;
    }

    /// Expect output that is not the answer to a command (banner before the first prompt).
    pub fn start_passive(&mut self) {
        self.command = None;
        self.prompt_at = None;
    }

    /// Feed a raw chunk from the channel.
    pub fn feed(&mut self, chunk: &[u8]) -> Event {
        self.normalizer.feed(chunk, &mut self.buf, self.floor);
        if self.buf.len() > self.limit {
            return Event::Overflow;
        }
        if let Some(pager) = &self.pager
            && let Some(range) = pager.find(&self.buf)
        {
            self.buf.replace_range(range, "");
            // Whatever the device sends to erase its pager must not erase our output.
            self.floor = self.buf.len();
            return Event::Pager;
        }
        self.check_prompt()
    }

    /// Re-evaluate the buffer without new data (e.g. after switching the prompt matcher).
    pub fn check_prompt(&mut self) -> Event {
        let Some(start) = self.prompt.find(&self.buf) else {
            return Event::NeedMore;
        };
        if self.command.is_some() && !self.buf[..start].contains('\n') {
            return Event::NeedMore;
        }
        self.prompt_at = Some(start);
        Event::Prompt
    }

    /// Everything received since the last completed command (for timeout/EOF errors).
    pub fn partial(&self) -> String {
        match &self.command {
            Some(cmd) => {
                strip_echo_with(&self.buf, cmd, |l| self.prompt.is_prompt_line(l)).to_string()
            }
            None => self.buf.clone(),
        }
    }

    /// Take the completed output after [`Event::Prompt`]; text after the prompt (none in
    /// the usual case, since the prompt is the last line) stays buffered for the next read.
    /// The output is the buffer itself, trimmed in place: a large answer is never copied.
    pub fn take(&mut self) -> Completed {
        let start = self.prompt_at.take().unwrap_or(self.buf.len());
        let line_end = self.buf[start..]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(self.buf.len());
        let prompt = self.buf[start..line_end].trim_end().to_string();
        let mut output = std::mem::take(&mut self.buf);
        self.buf = output.split_off(line_end);
        output.truncate(start);
        let echo_end = match &self.command {
            Some(cmd) => {
                let body = strip_echo_with(&output, cmd, |l| self.prompt.is_prompt_line(l));
                output.len() - body.len()
            }
            None => 0,
        };
        output.drain(..echo_end);
        if output.ends_with('\n') {
            output.pop();
        }
        let mut context = None;
        if let Some(platform) = &self.context {
            // Context lines sit between the output and the prompt, nearest last.
            loop {
                let start = last_line_start(&output);
                if !platform.is_context_line(&output[start..]) {
                    break;
                }
                context.get_or_insert_with(|| output[start..].trim_end().to_string());
                output.truncate(start);
                if output.ends_with('\n') {
                    output.pop();
                } else {
                    break;
                }
            }
        }
        self.floor = 0;
        self.command = None;
        Completed {
            output,
            prompt,
            context,
        }
    }
}

#[cfg(test)]
mod tests;
