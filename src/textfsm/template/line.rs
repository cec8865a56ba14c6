//! Reading single template lines: comments, `Value` declarations and rules with their actions.

use super::TemplateErrorKind;
use super::{LineOp, MAX_NAME_LEN, RecordOp, Rule, Transition, ValueDef, ValueOption};
use crate::textfsm::pyre::{self, Regex};
use crate::textfsm::pystr;

/// A rule as written, before its target state is resolved.
pub(super) struct RawRule {
    pub rule: Rule,
    pub new_state: Option<String>,
}

/// The reference's comment test, `^\s*#`.
pub(super) fn is_comment(line: &str) -> bool {
    line.trim_start_matches(pystr::is_space).starts_with('#')
}

/// Parses a `Value [Options] Name (regex)` line (already right-stripped); returns the Value and
/// the text `${Name}` expands to: its regex with the first `(` turned into `(?P<Name>`.
pub(super) fn parse_value(line: &str) -> Result<(ValueDef, String), TemplateErrorKind> {
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
    let bad = |source| TemplateErrorKind::Regex {
        regex: regex.clone(),
        source,
    };
    // Python compiles every Value regex (so a bad one fails the template), but only a List
    // value with nested groups ever matches with it.
    let groups = Regex::check(&regex).map_err(bad)?;
    let nested = if options.contains(&ValueOption::List) && groups > 1 {
        Some(Regex::new(&regex).map_err(bad)?)
    } else {
        None
    };
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
pub(super) fn parse_rule(
    line: &str,
    line_no: usize,
    substitutions: &[(String, String)],
    values: &[ValueDef],
) -> Result<RawRule, TemplateErrorKind> {
    let line = pystr::strip(line);
    // The action follows the last whitespace-then-`->` (the reference's greedy match).
    let split = line
        .char_indices()
        .rfind(|&(i, c)| pystr::is_space(c) && line[i + c.len_utf8()..].starts_with("->"))
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
        && !state.starts_with(pyre::is_word)
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
    let word = state.chars().all(pyre::is_word);
    let quoted = state.len() >= 2 && state.starts_with('"') && state.ends_with('"');
    (word || quoted).then_some(Some(state))
}
