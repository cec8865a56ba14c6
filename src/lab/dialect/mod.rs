//! Dialects: one YAML file per simulated platform, `src/lab/dialects/<canonical>.yaml`, that
//! says how the platform's CLI looks and behaves. The state machine in `device/` has no
//! platform names in it; everything platform-specific is here, as data.
//!
//! # Format
//!
//! ```yaml
//! name: ios                      # the canonical platform name = the file name
//! about: Cisco IOS and IOS-XE    # one line
//! extends: cisco_s300            # optional: start from another dialect; maps merge key by key,
//!                                # `commands` entry by entry (`null` removes one)
//! lookalike: show cdp neighbors  # a command whose output has lines shaped like this CLI's prompts
//! banner: "\n"                   # template printed before the first prompt
//! start: privileged              # where a login without enable secret lands: user | privileged
//! prompt:                        # {hostname} {username} {submode} {path} {dirty} {n} {ctx} {ctx_line}
//!   user: "{hostname}>"
//!   privileged: "{hostname}#"    # default: the user prompt
//!   config: "{hostname}(config)#"
//!   submode: "{hostname}({submode})#"   # default: the config prompt
//! enable:                        # omitted: no privilege step; a secret is ignored
//!   password: "Password: "       # the question
//!   tries: 3                     # questions before giving up
//!   retry: ""                    # printed after each wrong answer but the last
//!   failed: "% Bad secrets\n\n"  # printed after the last
//! paging: {length: 24, marker: " --More-- "}   # length 0: never pages
//!                                # off_when: regex; no paging while a configuration line matches
//! errors:                        # {caret} {carets} {word} {line} {column} {hostname} {username}
//!   invalid: "{caret}\n% Invalid input detected at '^' marker.\n\n"
//!   first_word: ...              # when the first word is unknown (default: invalid)
//!   incomplete: "% Incomplete command.\n\n"
//!   config: ...                  # a configuration line rejected (fault `config_error`)
//!   not_found: ...               # printed when `no`/`delete` finds nothing to remove
//!   status: 1                    # exit status of a failed exec-channel command
//!   stderr: false                # exec channel: errors on stderr
//! filters: cisco                 # cisco (include/exclude/begin/section/count) | junos | none
//! shell: false                   # true: words split like a shell's (quotes), no abbreviations
//! abbreviate: true               # words may be abbreviated (`sh ip int br`)
//! user_options: false            # the SSH user may carry `+options` (RouterOS `admin+ct511w4098h`)
//! login: [{text: "User: ", expect: username}]   # questions before the first prompt:
//!                                # any_key | ctrl_y | username | password
//! config: ...                    # the running configuration; see below
//! defaults: {os_version: ...}    # host vars used when the inventory has none
//! base_config: |                 # template: the configuration a device boots with
//! commands:                      # pattern → output template, or {action, output, modes, block}
//!   show version: |              # a trailing `*` takes free arguments (`{{ args }}`)
//!     ...
//!   enable: {action: enable}
//!   terminal length *: {action: page_length}
//!   show running-config: {modes: [privileged], output: "..."}
//! ```
//!
//! Actions (see [`schema::Action`]): `enable`, `disable`, `page_length`, `paging_off`,
//! `paging_on`, `configure`, `exit`, `end` (with `block: config`, only up to and out of the
//! innermost level that starts with that word), `logout`, `commit`, `commit_and_quit`,
//! `rollback`, `abort`, `compare`, `show_candidate`, `save`, `do`, `top`, `up`, `edit`, `seq`,
//! `noop`. Without `modes`, a command is valid where its action makes sense (plain outputs: user
//! and privileged). Patterns containing `|` (`show | compare`) match the whole line; other
//! patterns match the part before the first `|`, whose rest is an output filter.
//!
//! Output templates render with the host vars over `defaults` plus `name`, `hostname`,
//! `username`, `platform`, `args`, `running_config` (as the platform shows it; `| display set`
//! gives set lines), `running_set` (set-style: the set lines), `diff` (compare), `now`,
//! `changed` and `saved` (time stamps with `by`, or none), `boot`. A time stamp has `year`,
//! `month`, `month_name`, `day`, `weekday`, `hour`, `minute`, `second`, `millis`, and ready-made
//! `hms` (`10:11:12`), `ymd` (`2024-03-04`), `iso` (`2024-03-04 10:11:12`), `cisco`
//! (`10:11:12 UTC Mon Mar 4 2024`), `unix` (seconds).
//!
//! # Configuration
//!
//! ```yaml
//! config:
//!   style: indent          # none | indent (a tree of lines) | set (full-path statements)
//!   hostname: '^hostname (\S+)$'   # regex over flattened lines (ancestors + line): the prompt's name
//!   candidate: none        # none (lines apply at once) | shared (one per device) | private (per session)
//!   diff: junos            # compare output: junos | tree | lines | typed
//!   uncommitted: {then: ask, text: "...", yes: commit, no: discard, other: stay}
//!                          # leaving with changes: refuse | discard | keep | commit | ask
//!   commit_on_leave: false # leaving configuration mode commits (FortiOS blocks)
//!   verbs: [configure]     # exec-mode lines starting with these are configuration (no config mode)
//!   verb_modes: [privileged]
//!   exec_verbs: [show]     # configuration-mode lines starting with these run as exec commands
//!   line_prefix: "config " # stored before each line typed in configuration mode (AireOS)
//!   # indent style
//!   indent: 1              # spaces per level when shown
//!   leaf_indent: 0         # spaces before top-level lines without children (VRP: 1)
//!   block_end: "!"         # line after each top-level block
//!   section: "#"           # line before each block and each run of top-level lines (VRP)
//!   closers: {config: end, edit: next}   # line closing a block, by its first word (FortiOS)
//!   header_prefix: "/"     # lines starting with it are block headers, children unindented
//!   menu: [add, set, remove]   # RouterOS: `/path verb args` edits block `/path`
//!   negate: {no: ""}       # "no X" removes X; {unset: set} makes "unset k" remove "set k ..."
//!   keep_negated: [shutdown]   # "no X" stays in the configuration for these X
//!   key_words: {ip: 2}     # words that name a statement inside a block (default 1; 0: whole line)
//!   single: [hostname]     # top-level statements with one value
//!   submodes: [{match: "interface *", name: "config-if", parent: null, from_exec: false}]
//!                          # name: {args} {args_nospace} {args_dash} {last} {short}
//!   # set style
//!   set: set               # the verb that adds a statement (omitted: bare `configure ...` lines)
//!   delete: delete         # the verb that removes one and everything below it
//!   display_prefix: "set " # shown before each set line
//!   braces: junos          # junos (`leaf;`) | plain | none
//!   pairs: [unit]          # words that take a name: `unit 0 {`
//!   flags: [disable]       # leaves always shown inside braces: `ge-0/0/2 { disable; }`
//!   single: [host-name]    # leaves with one value
//! ```

mod schema;
mod text;

use indexmap::IndexMap;
use minijinja::Environment;
use regex::Regex;
use serde_json::{Map, Value};

pub(crate) use schema::{
    Action, Braces, Candidate, DiffStyle, Expect, Filters, Mode, Outcome, Style, Then, Uncommitted,
};
pub(crate) use text::{Text, Var, fill_name};

use schema::{CommandFile, File};

/// A set of modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Modes(u8);

impl Modes {
    const USER: u8 = 1;
    const PRIVILEGED: u8 = 2;
    const CONFIG: u8 = 4;
    /// User and privileged exec.
    pub(crate) const EXEC: Modes = Modes(Self::USER | Self::PRIVILEGED);

    fn bit(mode: Mode) -> u8 {
        match mode {
            Mode::User => Self::USER,
            Mode::Privileged => Self::PRIVILEGED,
            Mode::Config => Self::CONFIG,
        }
    }

    fn of(modes: &[Mode]) -> Modes {
        Modes(modes.iter().fold(0, |acc, m| acc | Self::bit(*m)))
    }

    /// Whether `mode` is in the set.
    pub(crate) fn has(self, mode: Mode) -> bool {
        self.0 & Self::bit(mode) != 0
    }
}

/// A canned output: fixed text, or a template of the catalog's environment.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// Printed as it is.
    Static(String),
    /// Rendered over the session's context.
    Template {
        /// Name in the environment.
        name: String,
        /// Uses `running_config` (rendering it is the expensive part of a context).
        running: bool,
        /// Uses `running_set`.
        set_lines: bool,
    },
}

/// One command a dialect knows.
#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) words: Vec<String>,
    pub(crate) wildcard: bool,
    /// The pattern contains `|`: matched against the whole line.
    pub(crate) pipe: bool,
    pub(crate) action: Option<Action>,
    pub(crate) block: Option<String>,
    pub(crate) output: Option<Output>,
    pub(crate) modes: Modes,
}

/// The prompts of each mode.
#[derive(Debug)]
pub(crate) struct Prompts {
    pub(crate) user: Text,
    pub(crate) privileged: Text,
    pub(crate) config: Text,
    pub(crate) submode: Text,
}

/// The privilege step.
#[derive(Debug)]
pub(crate) struct Enable {
    pub(crate) password: Text,
    pub(crate) tries: u8,
    pub(crate) retry: Text,
    pub(crate) failed: Text,
}

/// Error texts.
#[derive(Debug)]
pub(crate) struct Errors {
    pub(crate) invalid: Text,
    pub(crate) first_word: Option<Text>,
    pub(crate) incomplete: Text,
    pub(crate) config: Option<Text>,
    /// Printed when a removal finds nothing (Junos `warning: statement not found`).
    pub(crate) not_found: Option<String>,
    pub(crate) status: u32,
    pub(crate) stderr: bool,
}

/// A question before the first prompt.
#[derive(Debug)]
pub(crate) struct LoginStep {
    pub(crate) text: String,
    pub(crate) expect: Expect,
}

/// A configuration command that opens a sub-mode.
#[derive(Debug)]
pub(crate) struct Submode {
    pub(crate) words: Vec<String>,
    pub(crate) wildcard: bool,
    pub(crate) name: Text,
    pub(crate) parent: Option<String>,
    pub(crate) from_exec: bool,
}

/// How the running configuration is kept, edited and shown.
#[derive(Debug)]
pub(crate) struct ConfigSpec {
    pub(crate) style: Style,
    pub(crate) indent: usize,
    pub(crate) leaf_indent: usize,
    pub(crate) block_end: Option<String>,
    pub(crate) section: Option<String>,
    pub(crate) closers: Vec<(String, String)>,
    pub(crate) header_prefix: Option<String>,
    pub(crate) negate: Vec<(String, String)>,
    pub(crate) keep_negated: Vec<String>,
    pub(crate) key_words: Vec<(String, usize)>,
    pub(crate) single: Vec<String>,
    pub(crate) submodes: Vec<Submode>,
    pub(crate) exec_verbs: Vec<String>,
    pub(crate) verbs: Vec<Vec<String>>,
    pub(crate) verb_modes: Modes,
    pub(crate) set: Option<Vec<String>>,
    pub(crate) delete: Option<Vec<String>>,
    pub(crate) display_prefix: String,
    pub(crate) braces: Braces,
    pub(crate) pairs: Vec<String>,
    pub(crate) flags: Vec<String>,
    pub(crate) hostname: Option<Regex>,
    pub(crate) candidate: Candidate,
    pub(crate) uncommitted: Uncommitted,
    pub(crate) commit_on_leave: bool,
    pub(crate) diff: DiffStyle,
    pub(crate) line_prefix: Option<String>,
    pub(crate) menu: Vec<String>,
}

/// Everything the lab knows about one platform.
#[derive(Debug)]
pub(crate) struct Dialect {
    pub(crate) name: String,
    pub(crate) about: String,
    pub(crate) lookalike: String,
    pub(crate) banner: Option<Output>,
    pub(crate) start: Mode,
    pub(crate) prompts: Prompts,
    pub(crate) enable: Option<Enable>,
    pub(crate) page_length: usize,
    pub(crate) pager: String,
    /// Paging is off while a line of the running configuration matches (FortiOS
    /// `config system console` / `set output standard`).
    pub(crate) paging_off_when: Option<Regex>,
    pub(crate) errors: Errors,
    pub(crate) filters: Filters,
    pub(crate) shell: bool,
    pub(crate) abbreviate: bool,
    /// The SSH user name may carry `+options` (RouterOS `admin+ct511w4098h`).
    pub(crate) user_options: bool,
    pub(crate) config: ConfigSpec,
    pub(crate) login: Vec<LoginStep>,
    pub(crate) defaults: Map<String, Value>,
    pub(crate) base: Option<Output>,
    pub(crate) commands: Vec<Command>,
}

/// Merges an `extends` child over its parent: maps key by key, anything else replaced; a
/// `null` command removes the parent's.
pub(crate) fn merge(parent: &mut serde_yaml::Value, child: serde_yaml::Value) {
    use serde_yaml::Value as Y;
    match (parent, child) {
        (Y::Mapping(p), Y::Mapping(c)) => {
            for (key, value) in c {
                if value.is_null() && key.as_str().is_some() && p.contains_key(&key) {
                    p.remove(&key);
                    continue;
                }
                match p.get_mut(&key) {
                    Some(slot) if slot.is_mapping() && value.is_mapping() => merge(slot, value),
                    _ => {
                        p.insert(key, value);
                    }
                }
            }
        }
        (p, c) => *p = c,
    }
}

/// Checks a parsed dialect file and compiles its texts, patterns and templates.
pub(crate) fn compile(
    yaml: serde_yaml::Value,
    env: &mut Environment<'static>,
) -> Result<Dialect, String> {
    let file: File = serde_yaml::from_value(yaml).map_err(|e| e.to_string())?;
    let name = file.name.clone();
    let prompt = |s: &str| Text::parse(s, text::PROMPT_VARS, true);
    let error = |s: &str| Text::parse(s, text::ERROR_VARS, false);
    let user = prompt(&file.prompt.user)?;
    let privileged = match &file.prompt.privileged {
        Some(p) => prompt(p)?,
        None => user.clone(),
    };
    let config_prompt = match &file.prompt.config {
        Some(p) => prompt(p)?,
        None => privileged.clone(),
    };
    let submode = match &file.prompt.submode {
        Some(p) => prompt(p)?,
        None => config_prompt.clone(),
    };
    // `verbatim`: keep the text's trailing newline (banners print exactly what they say).
    let mut compile_output =
        |key: &str, source: String, verbatim: bool| -> Result<Output, String> {
            if !source.contains("{{") && !source.contains("{%") {
                // minijinja drops one trailing newline; fixed texts behave the same.
                let text = match source.strip_suffix('\n') {
                    Some(text) if !verbatim => text.to_string(),
                    _ => source,
                };
                return Ok(Output::Static(text));
            }
            let source = if verbatim && source.ends_with('\n') {
                source + "\n"
            } else {
                source
            };
            let running = source.contains("running_config");
            let set_lines = source.contains("running_set");
            let template = format!("{name}/{key}");
            env.add_template_owned(template.clone(), source)
                .map_err(|e| format!("{key:?}: {e}"))?;
            Ok(Output::Template {
                name: template,
                running,
                set_lines,
            })
        };
    let banner = if file.banner.is_empty() {
        None
    } else {
        Some(compile_output("banner", file.banner.clone(), true)?)
    };
    let base = if file.base_config.is_empty() {
        None
    } else {
        Some(compile_output(
            "base_config",
            file.base_config.clone(),
            false,
        )?)
    };
    let mut commands = Vec::new();
    for (key, entry) in file.commands {
        let (action, output, modes, block) = match entry {
            CommandFile::Output(text) => (None, Some(text), None, None),
            CommandFile::Full(full) => (full.action, full.output, full.modes, full.block),
        };
        let output = output
            .map(|text| compile_output(&key, text, false))
            .transpose()?;
        let (words, wildcard) = pattern(&key);
        commands.push(Command {
            pipe: words.iter().any(|w| w == "|"),
            words,
            wildcard,
            modes: modes
                .map(|m| Modes::of(&m))
                .unwrap_or_else(|| default_modes(action)),
            action,
            block,
            output,
        });
    }
    let enable = match file.enable {
        Some(e) => Some(Enable {
            password: prompt(&e.password)?,
            tries: e.tries.max(1),
            retry: prompt(&e.retry)?,
            failed: prompt(&e.failed)?,
        }),
        None => None,
    };
    let errors = Errors {
        invalid: error(&file.errors.invalid)?,
        first_word: file.errors.first_word.as_deref().map(error).transpose()?,
        incomplete: match &file.errors.incomplete {
            Some(t) => error(t)?,
            None => error(&file.errors.invalid)?,
        },
        config: file.errors.config.as_deref().map(error).transpose()?,
        not_found: file.errors.not_found,
        status: file.errors.status,
        stderr: file.errors.stderr,
    };
    let login = file
        .login
        .into_iter()
        .map(|l| LoginStep {
            text: l.text.replace('\n', "\r\n"),
            expect: l.expect,
        })
        .collect();
    Ok(Dialect {
        about: file.about,
        lookalike: file.lookalike,
        banner,
        start: file.start,
        prompts: Prompts {
            user,
            privileged,
            config: config_prompt,
            submode,
        },
        enable,
        page_length: file.paging.length,
        pager: file.paging.marker,
        paging_off_when: file
            .paging
            .off_when
            .as_deref()
            .map(|re| Regex::new(re).map_err(|e| format!("paging.off_when: {e}")))
            .transpose()?,
        errors,
        filters: file.filters,
        shell: file.shell,
        abbreviate: file.abbreviate && !file.shell,
        user_options: file.user_options,
        config: config_spec(file.config)?,
        login,
        defaults: file.defaults,
        base,
        commands,
        name,
    })
}

/// Where a command is valid when its entry does not say.
fn default_modes(action: Option<Action>) -> Modes {
    let of = Modes::of;
    match action {
        None | Some(Action::Enable | Action::PageLength | Action::PagingOff | Action::PagingOn) => {
            Modes::EXEC
        }
        Some(Action::Seq | Action::Noop) => Modes::EXEC,
        Some(Action::Disable | Action::Configure | Action::Save) => of(&[Mode::Privileged]),
        Some(Action::Exit | Action::Logout) => of(&[Mode::User, Mode::Privileged, Mode::Config]),
        Some(
            Action::End
            | Action::Commit
            | Action::CommitAndQuit
            | Action::Rollback
            | Action::Abort
            | Action::Compare
            | Action::ShowCandidate
            | Action::Do
            | Action::Top
            | Action::Up
            | Action::Edit,
        ) => of(&[Mode::Config]),
    }
}

/// A pattern's words and whether it ends in `*` (free arguments).
fn pattern(key: &str) -> (Vec<String>, bool) {
    let mut words: Vec<String> = key.split_whitespace().map(str::to_string).collect();
    let wildcard = words.last().is_some_and(|w| w == "*");
    if wildcard {
        words.pop();
    }
    (words, wildcard)
}

fn config_spec(file: schema::ConfigFile) -> Result<ConfigSpec, String> {
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let submodes = file
        .submodes
        .into_iter()
        .map(|s| {
            let (words, wildcard) = pattern(&s.pattern);
            Ok(Submode {
                words,
                wildcard,
                name: Text::parse(&s.name, text::NAME_VARS, false)?,
                parent: s.parent,
                from_exec: s.from_exec,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let hostname = file
        .hostname
        .as_deref()
        .map(|re| Regex::new(re).map_err(|e| format!("config.hostname: {e}")))
        .transpose()?;
    let pairs = |map: IndexMap<String, String>| map.into_iter().collect::<Vec<_>>();
    Ok(ConfigSpec {
        style: file.style,
        indent: file.indent,
        leaf_indent: file.leaf_indent,
        block_end: file.block_end,
        section: file.section,
        closers: pairs(file.closers),
        header_prefix: file.header_prefix,
        negate: pairs(file.negate),
        keep_negated: file.keep_negated,
        key_words: file.key_words.into_iter().collect(),
        single: file.single,
        submodes,
        exec_verbs: file.exec_verbs,
        verbs: file.verbs.iter().map(|v| words(v)).collect(),
        verb_modes: file
            .verb_modes
            .map(|m| Modes::of(&m))
            .unwrap_or(Modes::of(&[Mode::Privileged])),
        set: file.set.as_deref().map(words),
        delete: file.delete.as_deref().map(words),
        display_prefix: file.display_prefix,
        braces: file.braces,
        pairs: file.pairs,
        flags: file.flags,
        hostname,
        candidate: file.candidate,
        uncommitted: file.uncommitted,
        commit_on_leave: file.commit_on_leave,
        diff: file.diff,
        line_prefix: file.line_prefix,
        menu: file.menu,
    })
}
