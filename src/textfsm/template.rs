//! Reading a TextFSM template: `Value` lines, then states of `^regex -> Action` rules.
//!
//! The accepted language and its error checks follow Google's reference implementation
//! (textfsm 2.1.0, `parser.py`), including its quirks: values are split on single spaces, a
//! rule's action is whatever follows the last ` ->`, `$$` is a literal `$` in rules.

use super::pyre::{Regex, RegexError};
use super::pystr;

/// Longest Value or state name the reference accepts.
const MAX_NAME_LEN: usize = 48;

/// A template that cannot be compiled: which template, which line, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("template {template}{}: {kind}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct TemplateError {
    /// The template's name (usually its file path).
    pub template: String,
    /// 1-based line of the offending text, when there is one.
    pub line: Option<usize>,
    /// The problem.
    pub kind: TemplateErrorKind,
}

/// What is wrong with a template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateErrorKind {
    /// A `Value` line with fewer than three space-separated tokens.
    #[error("a Value line needs at least a name and a regex")]
    ValueTooShort,
    /// A Value option other than Filldown, Key, Required, List, Fillup.
    #[error("unknown Value option \"{0}\"")]
    UnknownOption(String),
    /// The same option twice on one Value.
    #[error("duplicate Value option \"{0}\"")]
    DuplicateOption(String),
    /// A Value name longer than 48 characters.
    #[error("Value name '{0}' is too long")]
    NameTooLong(String),
    /// A Value regex not wrapped in one pair of parentheses.
    #[error("Value regex '{0}' must be contained within a '()' pair")]
    NotParenthesised(String),
    /// Two Values with the same name.
    #[error("duplicate declarations for Value '{0}'")]
    DuplicateValue(String),
    /// Text that is not a Value line before any Value.
    #[error("no Value definitions found")]
    NoValues,
    /// Text that is not a Value line after the Values, before the blank line.
    #[error("expected a blank line after the last Value")]
    ExpectedBlank,
    /// A state name that is not a word, is too long or is a reserved action name.
    #[error("invalid state name '{0}'")]
    InvalidStateName(String),
    /// Two states with the same name.
    #[error("duplicate state name '{0}'")]
    DuplicateState(String),
    /// A rule line not starting with one or two spaces or a tab, then `^`.
    #[error("missing white space or caret ('^') before rule")]
    RuleIndent,
    /// A bad `$` in a rule (not `$$`, `$Name` or `${Name}`) or an unknown Value name.
    #[error("bad variable substitution in '{text}': {problem}")]
    Substitution {
        /// The rule's regex as written.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A regex Python's `re` would reject.
    #[error("invalid regular expression '{regex}': {source}")]
    Regex {
        /// The regex after `${Value}` substitution.
        regex: String,
        /// Python's complaint.
        source: RegexError,
    },
    /// An action after `->` that is not `[LineOp][.RecordOp] [NewState]`.
    #[error("badly formatted rule '{0}'")]
    BadAction(String),
    /// `Continue` combined with a state change.
    #[error("action '{0}' cannot change state ({1})")]
    ContinueWithState(String, String),
    /// A new state that is not made of word characters.
    #[error("state names must be alphanumeric: {0}")]
    BadNewState(String),
    /// No `Start` state.
    #[error("missing state 'Start'")]
    NoStart,
    /// An `End` or `EOF` state with rules.
    #[error("the '{0}' state must be empty")]
    NonEmptyReserved(&'static str),
    /// A rule moves to a state the template does not define.
    #[error("state '{target}' not found, referenced in state '{from}'")]
    UnknownState {
        /// The missing state.
        target: String,
        /// The state holding the rule.
        from: String,
    },
}

/// A Value option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOption {
    /// Keeps its value for following records until set again or `Clearall`.
    Filldown,
    /// Part of the record's key (used to join several templates).
    Key,
    /// A record is only kept when this value is non-empty.
    Required,
    /// Collects every match of the record into a list.
    List,
    /// Fills the same column of earlier records upwards until one already has a value.
    Fillup,
}

impl ValueOption {
    fn parse(word: &str) -> Option<ValueOption> {
        Some(match word {
            "Filldown" => ValueOption::Filldown,
            "Key" => ValueOption::Key,
            "Required" => ValueOption::Required,
            "List" => ValueOption::List,
            "Fillup" => ValueOption::Fillup,
            _ => return None,
        })
    }
}

/// A `Value` declaration.
#[derive(Debug)]
pub(crate) struct ValueDef {
    pub name: String,
    /// Options in the order written: the order matters when a record is saved.
    pub options: Vec<ValueOption>,
    /// For a List value whose regex has more than one group: the regex to re-match the captured
    /// text with, so that named groups become a dict per item (as the reference does).
    pub nested: Option<Regex>,
}

impl ValueDef {
    pub(crate) fn has(&self, option: ValueOption) -> bool {
        self.options.contains(&option)
    }
}

/// What happens to the input line after a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineOp {
    Next,
    Continue,
    Error,
}

/// What happens to the record after a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordOp {
    NoRecord,
    Record,
    Clear,
    Clearall,
}

/// Where the machine goes after a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Stay,
    To(usize),
    End,
    Eof,
}

/// A rule of a state.
#[derive(Debug)]
pub(crate) struct Rule {
    pub regex: Regex,
    pub line: usize,
    pub line_op: LineOp,
    pub record_op: RecordOp,
    pub transition: Transition,
    /// The text after `Error`, quotes included, as the reference reports it.
    pub message: Option<String>,
    /// (group number, Value index) for each named group that is a Value.
    pub assigns: Box<[(usize, usize)]>,
}

/// A state and its rules.
#[derive(Debug)]
pub(crate) struct State {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// A compiled TextFSM template, ready to parse any number of texts (and shareable across threads).
#[derive(Debug)]
pub struct Template {
    pub(crate) name: String,
    pub(crate) values: Vec<ValueDef>,
    pub(crate) states: Vec<State>,
    pub(crate) start: usize,
    /// An (empty) `EOF` state was declared: no implicit record at the end of the text.
    pub(crate) eof_declared: bool,
}

/// A rule as written, before its target state is resolved.
struct RawRule {
    rule: Rule,
    new_state: Option<String>,
}

impl Template {
    /// Compiles template `text`; `name` identifies it in errors (a file path, say).
    pub fn compile(name: &str, text: &str) -> Result<Template, TemplateError> {
        let err = |line: Option<usize>, kind| TemplateError {
            template: name.to_string(),
            line,
            kind,
        };
        let mut lines = pystr::file_lines(text)
            .enumerate()
            .map(|(i, l)| (i + 1, pystr::rstrip(l)));
        let mut values: Vec<ValueDef> = Vec::new();
        let mut substitutions: Vec<(String, String)> = Vec::new();
        for (n, line) in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            if is_comment(line) {
                continue;
            }
            if line.starts_with("Value ") {
                let (def, template) = parse_value(line).map_err(|k| err(Some(n), k))?;
                if values.iter().any(|v| v.name == def.name) {
                    return Err(err(Some(n), TemplateErrorKind::DuplicateValue(def.name)));
                }
                substitutions.push((def.name.clone(), template));
                values.push(def);
            } else if values.is_empty() {
                return Err(err(Some(n), TemplateErrorKind::NoValues));
            } else {
                return Err(err(Some(n), TemplateErrorKind::ExpectedBlank));
            }
        }

        let mut states: Vec<(String, Vec<RawRule>)> = Vec::new();
        'states: loop {
            let mut current = None;
            for (n, line) in lines.by_ref() {
                if line.is_empty() || is_comment(line) {
                    continue;
                }
                let reserved = [
                    "Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord",
                ];
                if !line.chars().all(super::pyre::is_word)
                    || line.chars().count() > MAX_NAME_LEN
                    || reserved.contains(&line)
                {
                    return Err(err(
                        Some(n),
                        TemplateErrorKind::InvalidStateName(line.to_string()),
                    ));
                }
                if states.iter().any(|(s, _)| s == line) {
                    return Err(err(
                        Some(n),
                        TemplateErrorKind::DuplicateState(line.to_string()),
                    ));
                }
                states.push((line.to_string(), Vec::new()));
                current = Some(states.len() - 1);
                break;
            }
            let Some(index) = current else { break 'states };
            for (n, line) in lines.by_ref() {
                if line.is_empty() {
                    break;
                }
                if is_comment(line) {
                    continue;
                }
                if !(line.starts_with(" ^") || line.starts_with("  ^") || line.starts_with("\t^")) {
                    return Err(err(Some(n), TemplateErrorKind::RuleIndent));
                }
                let rule =
                    parse_rule(line, n, &substitutions, &values).map_err(|k| err(Some(n), k))?;
                states[index].1.push(rule);
            }
        }

        let Some(start) = states.iter().position(|(s, _)| s == "Start") else {
            return Err(err(None, TemplateErrorKind::NoStart));
        };
        for reserved in ["End", "EOF"] {
            if states
                .iter()
                .any(|(s, rules)| s == reserved && !rules.is_empty())
            {
                return Err(err(None, TemplateErrorKind::NonEmptyReserved(reserved)));
            }
        }
        states.retain(|(s, _)| s != "End");
        let eof_declared = states.iter().any(|(s, _)| s == "EOF");
        let start = states
            .iter()
            .position(|(s, _)| s == "Start")
            .unwrap_or(start);
        let names: Vec<String> = states.iter().map(|(s, _)| s.clone()).collect();
        let mut compiled = Vec::with_capacity(states.len());
        for (state_name, raw_rules) in states {
            let mut rules = Vec::with_capacity(raw_rules.len());
            for RawRule {
                mut rule,
                new_state,
            } in raw_rules
            {
                if let Some(target) = new_state.filter(|_| rule.line_op != LineOp::Error) {
                    rule.transition = match target.as_str() {
                        "End" => Transition::End,
                        "EOF" => Transition::Eof,
                        t => match names.iter().position(|s| s == t) {
                            Some(i) => Transition::To(i),
                            None => {
                                return Err(err(
                                    Some(rule.line),
                                    TemplateErrorKind::UnknownState {
                                        target,
                                        from: state_name,
                                    },
                                ));
                            }
                        },
                    };
                }
                rules.push(rule);
            }
            compiled.push(State {
                name: state_name,
                rules,
            });
        }
        Ok(Template {
            name: name.to_string(),
            values,
            states: compiled,
            start,
            eof_declared,
        })
    }

    /// The template's name as given to [`Template::compile`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Value names in declaration order (the record columns, before lowercasing).
    pub fn header(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|v| v.name.as_str())
    }

    /// Names of the Values with the `Key` option, in declaration order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(|v| v.has(ValueOption::Key))
            .map(|v| v.name.as_str())
    }

    /// The options of each Value, in declaration order.
    pub fn options(&self) -> impl Iterator<Item = (&str, &[ValueOption])> {
        self.values
            .iter()
            .map(|v| (v.name.as_str(), v.options.as_slice()))
    }
}

/// The reference's comment test, `^\s*#`.
fn is_comment(line: &str) -> bool {
    line.trim_start_matches(pystr::is_space).starts_with('#')
}

/// Parses a `Value [Options] Name (regex)` line (already right-stripped); returns the Value and
/// the text `${Name}` expands to: its regex with the first `(` turned into `(?P<Name>`.
fn parse_value(line: &str) -> Result<(ValueDef, String), TemplateErrorKind> {
    let tokens: Vec<&str> = line.split(' ').collect();
    if tokens.len() < 3 {
        return Err(TemplateErrorKind::ValueTooShort);
    }
    let mut options = Vec::new();
    let (name, regex) = if tokens[2].starts_with('(') {
        (tokens[1], tokens[2..].join(" "))
    } else {
        for word in tokens[1].split(',') {
            let option = ValueOption::parse(word)
                .ok_or_else(|| TemplateErrorKind::UnknownOption(word.to_string()))?;
            if options.contains(&option) {
                return Err(TemplateErrorKind::DuplicateOption(word.to_string()));
            }
            options.push(option);
        }
        (tokens[2], tokens[3..].join(" "))
    };
    if name.chars().count() > MAX_NAME_LEN {
        return Err(TemplateErrorKind::NameTooLong(name.to_string()));
    }
    let chars: Vec<char> = regex.chars().collect();
    if chars.len() < 2
        || chars[0] != '('
        || chars[chars.len() - 1] != ')'
        || chars[chars.len() - 2] == '\\'
    {
        return Err(TemplateErrorKind::NotParenthesised(regex));
    }
    let compiled = Regex::new(&regex).map_err(|source| TemplateErrorKind::Regex {
        regex: regex.clone(),
        source,
    })?;
    let nested =
        (options.contains(&ValueOption::List) && compiled.groups() > 1).then_some(compiled);
    let template = format!("(?P<{name}>{}", &regex[1..]);
    Ok((
        ValueDef {
            name: name.to_string(),
            options,
            nested,
        },
        template,
    ))
}

/// Parses a rule line (already right-stripped, indentation checked).
fn parse_rule(
    line: &str,
    line_no: usize,
    substitutions: &[(String, String)],
    values: &[ValueDef],
) -> Result<RawRule, TemplateErrorKind> {
    let line = pystr::strip(line);
    // The action follows the last whitespace-then-`->` (the reference's greedy match).
    let split = line
        .char_indices()
        .filter(|&(i, c)| pystr::is_space(c) && line[i + c.len_utf8()..].starts_with("->"))
        .last()
        .map(|(i, c)| (&line[..i], &line[i + c.len_utf8() + 2..]));
    let written = split.map_or(line, |(m, _)| m);
    let regex_text = if substitutions.is_empty() {
        written.to_string()
    } else {
        let lookup = |name: &str| {
            substitutions
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        };
        pystr::substitute(written, lookup).map_err(|e| TemplateErrorKind::Substitution {
            text: written.to_string(),
            problem: e.to_string(),
        })?
    };
    let regex = Regex::new(&regex_text).map_err(|source| TemplateErrorKind::Regex {
        regex: regex_text.clone(),
        source,
    })?;
    let assigns = regex
        .names()
        .iter()
        .filter_map(|(name, group)| {
            values
                .iter()
                .position(|v| v.name == *name)
                .map(|v| (*group, v))
        })
        .collect();
    let mut rule = Rule {
        regex,
        line: line_no,
        line_op: LineOp::Next,
        record_op: RecordOp::NoRecord,
        transition: Transition::Stay,
        message: None,
        assigns,
    };
    let Some((_, action)) = split else {
        return Ok(RawRule {
            rule,
            new_state: None,
        });
    };
    let Some((line_op, record_op, new_state)) = parse_action(action) else {
        return Err(TemplateErrorKind::BadAction(line.to_string()));
    };
    if line_op == Some(LineOp::Continue)
        && let Some(state) = new_state
    {
        return Err(TemplateErrorKind::ContinueWithState(
            "Continue".into(),
            state.to_string(),
        ));
    }
    if line_op != Some(LineOp::Error)
        && let Some(state) = new_state
        && !state.starts_with(super::pyre::is_word)
    {
        return Err(TemplateErrorKind::BadNewState(state.to_string()));
    }
    rule.line_op = line_op.unwrap_or(LineOp::Next);
    rule.record_op = record_op.unwrap_or(RecordOp::NoRecord);
    if rule.line_op == LineOp::Error {
        rule.message = new_state.map(str::to_string);
    }
    Ok(RawRule {
        rule,
        new_state: new_state.map(str::to_string),
    })
}

type Action<'a> = (Option<LineOp>, Option<RecordOp>, Option<&'a str>);

/// Reads the text after `->` the way the reference's three action regexes do, in order:
/// `\s+LineOp(.RecordOp)?(\s+State)?$`, then `\s+RecordOp(\s+State)?$`, then `(\s+State)?$`.
fn parse_action(action: &str) -> Option<Action<'_>> {
    const LINE_OPS: [(&str, LineOp); 3] = [
        ("Continue", LineOp::Continue),
        ("Next", LineOp::Next),
        ("Error", LineOp::Error),
    ];
    const RECORD_OPS: [(&str, RecordOp); 4] = [
        ("Clear", RecordOp::Clear),
        ("Clearall", RecordOp::Clearall),
        ("Record", RecordOp::Record),
        ("NoRecord", RecordOp::NoRecord),
    ];
    let trimmed = action.trim_start_matches(pystr::is_space);
    let spaced = trimmed.len() < action.len();
    if spaced {
        for (word, op) in LINE_OPS {
            let Some(rest) = trimmed.strip_prefix(word) else {
                continue;
            };
            if let Some(after_dot) = rest.strip_prefix('.') {
                for (rword, rop) in RECORD_OPS {
                    if let Some(tail) = after_dot.strip_prefix(rword)
                        && let Some(state) = state_tail(tail)
                    {
                        return Some((Some(op), Some(rop), state));
                    }
                }
            }
            if let Some(state) = state_tail(rest) {
                return Some((Some(op), None, state));
            }
        }
        for (rword, rop) in RECORD_OPS {
            if let Some(tail) = trimmed.strip_prefix(rword)
                && let Some(state) = state_tail(tail)
            {
                return Some((None, Some(rop), state));
            }
        }
    }
    state_tail(action).map(|state| (None, None, state))
}

/// `(\s+(\w+|".*"))?$`: `Some(None)` for the empty tail, `Some(Some(state))` for a state.
fn state_tail(tail: &str) -> Option<Option<&str>> {
    if tail.is_empty() {
        return Some(None);
    }
    let state = tail.trim_start_matches(pystr::is_space);
    if state.len() == tail.len() || state.is_empty() {
        return None;
    }
    let word = state.chars().all(super::pyre::is_word);
    let quoted = state.len() >= 2 && state.starts_with('"') && state.ends_with('"');
    (word || quoted).then_some(Some(state))
}
