//! Running a compiled template over text: the state machine and the record semantics of the
//! reference implementation (Filldown, Fillup, Required, List, Clear/Clearall, implicit EOF record).

use super::pyre::Scratch;
use super::pystr;
use super::record::{Field, Item, Records};
use super::template::{LineOp, RecordOp, Template, Transition, ValueOption};

/// A failure while parsing text with a valid template.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// A rule with the `Error` action matched.
    #[error(
        "template {template}:{rule_line}: Error action{} on input line {line:?}",
        message.as_ref().map(|m| format!(" \"{m}\"")).unwrap_or_default()
    )]
    Action {
        /// The template's name.
        template: String,
        /// Line of the rule in the template.
        rule_line: usize,
        /// The message written after `Error`, without its quotes.
        message: Option<String>,
        /// The input line the rule matched.
        line: String,
    },
    /// A List Value with nested groups whose group took no part in a match: the reference
    /// fails here too (with a Python TypeError).
    #[error(
        "template {template}: List value '{value}' has nested groups but its group did not match (input line {line:?})"
    )]
    NestedListWithoutText {
        /// The template's name.
        template: String,
        /// The List Value.
        value: String,
        /// The input line the rule matched.
        line: String,
    },
}

/// A Value's state while text is parsed: what the reference keeps in `TextFSMValue.value`,
/// Filldown's saved copy and List's accumulated items.
#[derive(Debug, Clone)]
enum Current<'t> {
    None,
    Text(&'t str),
    List(Vec<Item>),
}

impl Current<'_> {
    fn is_truthy(&self) -> bool {
        match self {
            Current::None => false,
            Current::Text(s) => !s.is_empty(),
            Current::List(l) => !l.is_empty(),
        }
    }
}

struct Slot<'t> {
    value: Current<'t>,
    filldown: Option<&'t str>,
    list: Vec<Item>,
}

struct Run<'a, 't> {
    template: &'a Template,
    slots: Vec<Slot<'t>>,
    result: Vec<Vec<Field>>,
    nested_scratch: Scratch,
}

impl Template {
    /// Parses `text` into records (the reference's `ParseText`, with the implicit EOF record).
    pub fn parse(&self, text: &str) -> Result<Records, ParseError> {
        let mut scratch = Scratch::default();
        self.parse_with(text, &mut scratch)
    }

    /// [`Template::parse`] reusing a caller's matcher memory.
    pub fn parse_with(&self, text: &str, scratch: &mut Scratch) -> Result<Records, ParseError> {
        let mut run = Run {
            template: self,
            slots: self
                .values
                .iter()
                .map(|_| Slot {
                    value: Current::None,
                    filldown: None,
                    list: Vec::new(),
                })
                .collect(),
            result: Vec::new(),
            nested_scratch: Scratch::default(),
        };
        let mut state = self.start;
        let mut ended_in_end = false;
        'lines: for line in pystr::splitlines(text) {
            for rule in &self.states[state].rules {
                if !rule.regex.match_start(line, scratch) {
                    continue;
                }
                for &(group, value) in rule.assigns.iter() {
                    let captured = rule.regex.group(line, scratch, group);
                    run.assign(value, captured, line)?;
                }
                match rule.record_op {
                    RecordOp::NoRecord => {}
                    RecordOp::Record => run.append_record(),
                    RecordOp::Clear => run.clear(),
                    RecordOp::Clearall => run.clear_all(),
                }
                match rule.line_op {
                    LineOp::Error => {
                        return Err(ParseError::Action {
                            template: self.name.clone(),
                            rule_line: rule.line,
                            message: rule.message.as_deref().map(unquote),
                            line: line.to_string(),
                        });
                    }
                    LineOp::Continue => continue,
                    LineOp::Next => {}
                }
                match rule.transition {
                    Transition::Stay => {}
                    Transition::To(next) => state = next,
                    Transition::End => {
                        ended_in_end = true;
                        break 'lines;
                    }
                    Transition::Eof => break 'lines,
                }
                break;
            }
        }
        if !ended_in_end && !self.eof_declared {
            run.append_record();
        }
        let header = self.values.iter().map(|v| v.name.clone()).collect();
        Ok(Records::new(header, run.result))
    }
}

fn unquote(message: &str) -> String {
    message
        .strip_prefix('"')
        .and_then(|m| m.strip_suffix('"'))
        .unwrap_or(message)
        .to_string()
}

impl<'t> Run<'_, 't> {
    fn assign(
        &mut self,
        index: usize,
        captured: Option<&'t str>,
        line: &str,
    ) -> Result<(), ParseError> {
        let template = self.template;
        let def = &template.values[index];
        self.slots[index].value = captured.map_or(Current::None, Current::Text);
        for option in &def.options {
            match option {
                ValueOption::Filldown => self.slots[index].filldown = captured,
                ValueOption::Fillup => {
                    if let Some(text) = captured.filter(|t| !t.is_empty()) {
                        for row in self.result.iter_mut().rev() {
                            if row[index].is_truthy() {
                                break;
                            }
                            row[index] = Field::Text(text.to_string());
                        }
                    }
                }
                ValueOption::List => {
                    let item = match (&def.nested, captured) {
                        (Some(_), None) => {
                            return Err(ParseError::NestedListWithoutText {
                                template: template.name.clone(),
                                value: def.name.clone(),
                                line: line.to_string(),
                            });
                        }
                        (Some(nested), Some(text)) => {
                            if !nested.names().is_empty()
                                && nested.match_start(text, &mut self.nested_scratch)
                            {
                                let groups = nested
                                    .names()
                                    .iter()
                                    .map(|(name, g)| {
                                        let value = nested
                                            .group(text, &self.nested_scratch, *g)
                                            .map(str::to_string);
                                        (name.clone(), value)
                                    })
                                    .collect();
                                Item::Groups(groups)
                            } else {
                                Item::Text(text.to_string())
                            }
                        }
                        (None, Some(text)) => Item::Text(text.to_string()),
                        (None, None) => Item::Missing,
                    };
                    self.slots[index].list.push(item);
                }
                ValueOption::Key | ValueOption::Required => {}
            }
        }
        Ok(())
    }

    /// `Clear`: every Value back to empty, except Filldown ones (and their lists).
    fn clear(&mut self) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.value = Current::None;
            for option in &self.template.values[i].options {
                match option {
                    ValueOption::Filldown => {
                        slot.value = slot.filldown.map_or(Current::None, Current::Text)
                    }
                    ValueOption::List if !self.template.values[i].has(ValueOption::Filldown) => {
                        slot.list.clear()
                    }
                    _ => {}
                }
            }
        }
    }

    /// `Clearall`: every Value back to empty, Filldown ones included.
    fn clear_all(&mut self) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            slot.value = Current::None;
            for option in &self.template.values[i].options {
                match option {
                    ValueOption::Filldown => slot.filldown = None,
                    ValueOption::List => slot.list.clear(),
                    _ => {}
                }
            }
        }
    }

    /// `Record`: saves the current record unless a Required Value is empty or every Value is.
    fn append_record(&mut self) {
        if self.slots.is_empty() {
            return;
        }
        let template = self.template;
        for i in 0..self.slots.len() {
            for option in &template.values[i].options {
                match option {
                    ValueOption::Required if !self.slots[i].value.is_truthy() => {
                        self.clear();
                        return;
                    }
                    ValueOption::List => {
                        let items = self.slots[i].list.clone();
                        self.slots[i].value = Current::List(items);
                    }
                    _ => {}
                }
            }
        }
        let all_empty = self.slots.iter().all(|s| match &s.value {
            Current::None => true,
            Current::List(l) => l.is_empty(),
            Current::Text(_) => false,
        });
        if all_empty {
            return;
        }
        let row = self
            .slots
            .iter()
            .map(|s| match &s.value {
                Current::None => Field::Text(String::new()),
                Current::Text(t) => Field::Text((*t).to_string()),
                Current::List(l) => Field::List(l.clone()),
            })
            .collect();
        self.result.push(row);
        self.clear();
    }
}
