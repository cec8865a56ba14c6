//! Template compilation errors.

use crate::textfsm::pyre::RegexError;

/// A template that cannot be compiled: which template, which line, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("template {template}{}: {kind}", line.map(|l| format!(":{l}")).unwrap_or_default())]
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
