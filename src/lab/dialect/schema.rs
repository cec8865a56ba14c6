//! The serde shape of a dialect file (`dialects/<platform>.yaml`); see the module above for what
//! each key means. Unknown keys are errors, so a typo in a data file fails the load test.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

/// One dialect file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub(super) name: String,
    pub(super) about: String,
    /// Resolved by the catalog before deserialising (kept so the key is allowed).
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) extends: Option<String>,
    pub(super) lookalike: String,
    #[serde(default)]
    pub(super) banner: String,
    #[serde(default)]
    pub(super) start: Mode,
    pub(super) prompt: PromptFile,
    #[serde(default)]
    pub(super) enable: Option<EnableFile>,
    #[serde(default)]
    pub(super) paging: PagingFile,
    pub(super) errors: ErrorsFile,
    #[serde(default)]
    pub(super) filters: Filters,
    #[serde(default)]
    pub(super) shell: bool,
    #[serde(default = "yes")]
    pub(super) abbreviate: bool,
    #[serde(default)]
    pub(super) user_options: bool,
    #[serde(default)]
    pub(super) config: ConfigFile,
    #[serde(default)]
    pub(super) login: Vec<LoginFile>,
    #[serde(default)]
    pub(super) defaults: Map<String, Value>,
    #[serde(default)]
    pub(super) base_config: String,
    pub(super) commands: IndexMap<String, CommandFile>,
}

fn yes() -> bool {
    true
}

/// A CLI mode, as named in data files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    /// Unprivileged exec (`R1>`).
    User,
    /// Privileged exec (`R1#`).
    #[default]
    Privileged,
    /// Configuration mode, at any depth.
    Config,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PromptFile {
    pub(super) user: String,
    #[serde(default)]
    pub(super) privileged: Option<String>,
    #[serde(default)]
    pub(super) config: Option<String>,
    #[serde(default)]
    pub(super) submode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EnableFile {
    #[serde(default = "password_prompt")]
    pub(super) password: String,
    #[serde(default = "one")]
    pub(super) tries: u8,
    #[serde(default)]
    pub(super) retry: String,
    pub(super) failed: String,
}

fn password_prompt() -> String {
    "Password: ".into()
}

fn one() -> u8 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PagingFile {
    #[serde(default = "page")]
    pub(super) length: usize,
    #[serde(default = "more")]
    pub(super) marker: String,
    #[serde(default)]
    pub(super) off_when: Option<String>,
}

impl Default for PagingFile {
    fn default() -> Self {
        PagingFile {
            length: page(),
            marker: more(),
            off_when: None,
        }
    }
}

fn page() -> usize {
    24
}

fn more() -> String {
    " --More-- ".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ErrorsFile {
    pub(super) invalid: String,
    #[serde(default)]
    pub(super) first_word: Option<String>,
    #[serde(default)]
    pub(super) incomplete: Option<String>,
    #[serde(default)]
    pub(super) config: Option<String>,
    #[serde(default)]
    pub(super) not_found: Option<String>,
    #[serde(default = "status")]
    pub(super) status: u32,
    #[serde(default)]
    pub(super) stderr: bool,
}

fn status() -> u32 {
    1
}

/// Which output filters (`| include ...`) the CLI has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Filters {
    /// `include`, `exclude`, `begin`, `section`, `count`.
    #[default]
    Cisco,
    /// `match`, `except`, `count`, `no-more`, `display set`.
    Junos,
    /// `|` is an ordinary character.
    None,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub(super) style: Style,
    #[serde(default = "one_usize")]
    pub(super) indent: usize,
    #[serde(default)]
    pub(super) leaf_indent: usize,
    #[serde(default)]
    pub(super) block_end: Option<String>,
    #[serde(default)]
    pub(super) section: Option<String>,
    #[serde(default)]
    pub(super) closers: IndexMap<String, String>,
    #[serde(default)]
    pub(super) header_prefix: Option<String>,
    #[serde(default)]
    pub(super) negate: IndexMap<String, String>,
    #[serde(default)]
    pub(super) keep_negated: Vec<String>,
    #[serde(default)]
    pub(super) key_words: IndexMap<String, usize>,
    #[serde(default)]
    pub(super) single: Vec<String>,
    #[serde(default)]
    pub(super) submodes: Vec<SubmodeFile>,
    #[serde(default)]
    pub(super) exec_verbs: Vec<String>,
    #[serde(default)]
    pub(super) verbs: Vec<String>,
    #[serde(default)]
    pub(super) verb_modes: Option<Vec<Mode>>,
    #[serde(default)]
    pub(super) set: Option<String>,
    #[serde(default)]
    pub(super) delete: Option<String>,
    #[serde(default)]
    pub(super) display_prefix: String,
    #[serde(default)]
    pub(super) braces: Braces,
    #[serde(default)]
    pub(super) pairs: Vec<String>,
    #[serde(default)]
    pub(super) flags: Vec<String>,
    #[serde(default)]
    pub(super) hostname: Option<String>,
    #[serde(default)]
    pub(super) candidate: Candidate,
    #[serde(default)]
    pub(super) uncommitted: Uncommitted,
    #[serde(default)]
    pub(super) commit_on_leave: bool,
    #[serde(default)]
    pub(super) diff: DiffStyle,
    #[serde(default)]
    pub(super) line_prefix: Option<String>,
    #[serde(default)]
    pub(super) menu: Vec<String>,
}

fn one_usize() -> usize {
    1
}

/// How the running configuration is kept and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Style {
    /// No configuration.
    #[default]
    None,
    /// A tree of lines: indented blocks, flat lines, `/menu` sections, `config`/`edit` blocks.
    Indent,
    /// Full-path statements (`set system host-name x`), shown as braces or as set lines.
    Set,
}

/// How set-style configuration is drawn as a hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Braces {
    /// `name {` ... `}` with `leaf;` (Junos, PAN-OS).
    #[default]
    Junos,
    /// The same without semicolons (VyOS, SR OS).
    Plain,
    /// Only set lines.
    None,
}

/// Whether configuration lines wait for a commit, and whose candidate they edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Candidate {
    /// Lines apply at once.
    #[default]
    None,
    /// One candidate per device, shared by every session (Junos `configure`, PAN-OS, NVUE).
    Shared,
    /// One candidate per session (IOS-XR, SR OS `edit-config private`, VyOS).
    Private,
}

/// How a candidate's changes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DiffStyle {
    /// `[edit path]` headers, `+`/`-` lines (Junos `show | compare`).
    #[default]
    Junos,
    /// The changed lines in their context, with a `+`/`-` gutter (IOS-XR, SR OS, PAN-OS).
    Tree,
    /// Added statements as set lines, removed ones as delete lines (NVUE commands).
    Lines,
    /// The lines typed since the transaction began (OcNOS).
    Typed,
}

/// What leaving configuration mode does with uncommitted changes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Uncommitted {
    #[serde(default)]
    pub(crate) then: Then,
    #[serde(default)]
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) yes: Outcome,
    #[serde(default)]
    pub(crate) no: Outcome,
    #[serde(default)]
    pub(crate) other: Outcome,
}

impl Default for Uncommitted {
    fn default() -> Self {
        Uncommitted {
            then: Then::Discard,
            text: String::new(),
            yes: Outcome::Stay,
            no: Outcome::Stay,
            other: Outcome::Stay,
        }
    }
}

/// The first reaction to leaving with uncommitted changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Then {
    /// Print `text` and stay in configuration mode.
    Refuse,
    /// Print `text`, drop the changes and leave.
    #[default]
    Discard,
    /// Print `text` and leave; the (shared) candidate keeps the changes.
    Keep,
    /// Commit, print `text` and leave.
    Commit,
    /// Print `text` (a question) and act on the answer: `yes`, `no`, anything else.
    Ask,
}

/// What an answer to the uncommitted-changes question does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Commit and leave.
    Commit,
    /// Drop the changes and leave.
    Discard,
    /// Leave; the candidate keeps the changes.
    Keep,
    /// Stay in configuration mode.
    #[default]
    Stay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubmodeFile {
    #[serde(rename = "match")]
    pub(super) pattern: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) parent: Option<String>,
    #[serde(default)]
    pub(super) from_exec: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginFile {
    pub(super) text: String,
    pub(super) expect: Expect,
}

/// What a login question waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Expect {
    /// Any key, not echoed.
    AnyKey,
    /// Ctrl-Y (Avaya/Extreme "Enter Ctrl-Y to begin").
    CtrlY,
    /// A line that must be the login user name (echoed).
    Username,
    /// A line that must be the login password (not echoed).
    Password,
}

/// A command entry: a template, or an action with options.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum CommandFile {
    Output(String),
    Full(FullCommand),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FullCommand {
    #[serde(default)]
    pub(super) action: Option<Action>,
    #[serde(default)]
    pub(super) output: Option<String>,
    #[serde(default)]
    pub(super) modes: Option<Vec<Mode>>,
    #[serde(default)]
    pub(super) block: Option<String>,
}

/// What a command does to the session besides printing its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    /// Raise privileges (asks the enable secret when there is one).
    Enable,
    /// Back to user mode.
    Disable,
    /// The argument is the page length; 0 turns paging off.
    PageLength,
    /// Turn paging off.
    PagingOff,
    /// Turn paging back on.
    PagingOn,
    /// Enter configuration mode.
    Configure,
    /// Up one level; from the top of configuration mode out of it; from exec, log out.
    Exit,
    /// Leave configuration mode from any depth (or one `block`).
    End,
    /// Close the session from anywhere.
    Logout,
    /// Apply the candidate.
    Commit,
    /// Apply the candidate and leave configuration mode.
    CommitAndQuit,
    /// Drop the candidate's changes and stay.
    Rollback,
    /// Drop the candidate's changes and leave configuration mode.
    Abort,
    /// Print the candidate's changes (`{{ diff }}` in the output).
    Compare,
    /// Print the candidate configuration.
    ShowCandidate,
    /// Save the running configuration (stamps `saved`).
    Save,
    /// Run the rest of the line as an exec command.
    Do,
    /// Set-style: back to the top of the hierarchy.
    Top,
    /// Set-style: up one level.
    Up,
    /// Set-style: move into a level of the hierarchy.
    Edit,
    /// Linux `seq`.
    Seq,
    /// Accepted; nothing happens besides the output.
    Noop,
}
