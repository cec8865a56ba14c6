//! Reading a TextFSM template: `Value` lines, then states of `^regex -> Action` rules.
//!
//! The accepted language and its error checks follow Google's reference implementation
//! (textfsm 2.1.0, `parser.py`), including its quirks: values are split on single spaces, a
//! rule's action is whatever follows the last ` ->`, `$$` is a literal `$` in rules.

mod error;
mod line;

pub use error::{TemplateError, TemplateErrorKind};

use super::pyre::Regex;
use super::pystr;
use line::{RawRule, is_comment, parse_rule, parse_value};

/// Longest Value or state name the reference accepts.
const MAX_NAME_LEN: usize = 48;

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
            compiled.push(State { rules });
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
