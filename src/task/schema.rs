//! The shape of a task file and the checks that run while it is read, so that every error
//! points at its line: template and expression syntax, unknown subtasks, step kinds.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::load::with_context;
use crate::yaml;

/// A declared parameter.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Must be given with `--arg`.
    #[serde(default)]
    pub required: bool,
    /// Value when not given.
    #[serde(default)]
    pub default: Option<serde_yaml::Value>,
    /// What it means.
    #[serde(default)]
    pub description: String,
}

/// A string that is a minijinja template; its syntax is checked as it is read.
#[derive(Clone, Debug, PartialEq)]
pub struct Template(pub String);

/// A string that is a minijinja expression (`when`, `changed_when`, `failed_when`).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr(pub String);

fn visit_text<E: de::Error>(
    text: &str,
    check: fn(&str) -> Result<(), minijinja::Error>,
    what: &str,
) -> Result<String, E> {
    check(text).map(|()| text.to_string()).map_err(|err| {
        let noun = what.trim_start_matches("an ").trim_start_matches("a ");
        E::custom(format!(
            "invalid {noun}: {}",
            crate::template::describe(&err)
        ))
    })
}

macro_rules! checked_string {
    ($type:ident, $check:path, $what:literal) => {
        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $type;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$type, E> {
                        visit_text(v, $check, $what).map($type)
                    }
                    fn visit_bool<E: de::Error>(self, v: bool) -> Result<$type, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$type, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$type, E> {
                        self.visit_str(&v.to_string())
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$type, E> {
                        self.visit_str(&v.to_string())
                    }
                }
                deserializer.deserialize_any(V)
            }
        }
    };
}

checked_string!(Template, crate::template::check_template, "a template");
checked_string!(Expr, crate::template::check_expression, "an expression");

/// A `command:` — one template, or one per platform with an optional `default`.
#[derive(Clone, Debug)]
pub enum CommandSpec {
    /// The same command everywhere.
    One(Template),
    /// A command sent exactly as written, never rendered (`netrun command`).
    Literal(String),
    /// By platform name (`default` for the rest).
    ByPlatform(IndexMap<String, Template>),
}

/// A `config:` — lines, or a template file from the templates directory.
#[derive(Clone, Debug)]
pub enum ConfigSpec {
    /// Configuration lines.
    Lines(Vec<Template>),
    /// `{template: ntp.j2}`.
    File {
        /// File name in the templates directory.
        template: String,
    },
}

/// A `render:` — inline template text, or a template file.
#[derive(Clone, Debug)]
pub enum RenderSpec {
    /// Inline template.
    Inline(Template),
    /// `{template: config.j2}`.
    File {
        /// File name in the templates directory.
        template: String,
    },
}

// Hand-written visitors instead of `#[serde(untagged)]`: an untagged enum replaces the precise
// error of the variant that failed (a template syntax error, say) with "did not match any variant".

/// Reads `{template: NAME}`, the file form of `config:` and `render:`.
fn template_file<'de, A: de::MapAccess<'de>>(mut map: A, what: &str) -> Result<String, A::Error> {
    let mut file = None;
    while let Some(key) = map.next_key::<String>()? {
        if key != "template" || file.is_some() {
            return Err(de::Error::custom(format!(
                "{what} takes lines or `{{template: FILE}}`, found key `{key}`"
            )));
        }
        file = Some(map.next_value::<String>()?);
    }
    file.ok_or_else(|| de::Error::custom(format!("{what}: `{{template: FILE}}` needs a file name")))
}

impl<'de> Deserialize<'de> for CommandSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CommandSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command, or a map of platform names (and `default`) to commands")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CommandSpec, E> {
                visit_text(v, crate::template::check_template, "a template")
                    .map(|t| CommandSpec::One(Template(t)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<CommandSpec, A::Error> {
                let mut by_platform = IndexMap::new();
                while let Some(platform) = map.next_key::<String>()? {
                    let command: Template = map.next_value()?;
                    by_platform.insert(platform, command);
                }
                Ok(CommandSpec::ByPlatform(by_platform))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ConfigSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of configuration lines, or {template: FILE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConfigSpec, E> {
                visit_text(v, crate::template::check_template, "a template")
                    .map(|t| ConfigSpec::Lines(vec![Template(t)]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ConfigSpec, A::Error> {
                let mut lines = Vec::new();
                while let Some(line) = seq.next_element::<Template>()? {
                    lines.push(line);
                }
                Ok(ConfigSpec::Lines(lines))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ConfigSpec, A::Error> {
                template_file(map, "config").map(|template| ConfigSpec::File { template })
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RenderSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RenderSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("template text, or {template: FILE}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RenderSpec, E> {
                visit_text(v, crate::template::check_template, "a template")
                    .map(|t| RenderSpec::Inline(Template(t)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RenderSpec, A::Error> {
                template_file(map, "render").map(|template| RenderSpec::File { template })
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A `task:` reference; checked against the known tasks (and cycles) as it is read.
#[derive(Clone, Debug, PartialEq)]
pub struct SubtaskRef(pub String);

impl<'de> Deserialize<'de> for SubtaskRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SubtaskRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a task name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<SubtaskRef, E> {
                with_context(|context| {
                    if let Some(context) = context {
                        if !context.known.contains(name) {
                            let mut known: Vec<&String> = context.known.iter().collect();
                            known.sort();
                            let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
                            return Err(E::custom(format!(
                                "unknown subtask `{name}` (tasks: {})",
                                known.join(", ")
                            )));
                        }
                        if let Some(cycle) = context.cycles.closed_by(&context.owner, name) {
                            return Err(E::custom(format!("subtask cycle: {cycle}")));
                        }
                    }
                    Ok(SubtaskRef(name.to_string()))
                })
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A step as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    name: Option<String>,
    when: Option<Expr>,
    connection: Option<String>,
    changed_when: Option<Expr>,
    failed_when: Option<Expr>,
    #[serde(default)]
    ignore_errors: bool,
    changed: Option<bool>,
    command: Option<CommandSpec>,
    config: Option<ConfigSpec>,
    call: Option<String>,
    args: Option<yaml::StrictValue<false>>,
    render: Option<RenderSpec>,
    task: Option<SubtaskRef>,
    params: Option<yaml::StrictMap<false>>,
    #[serde(rename = "match")]
    match_mode: Option<super::MatchMode>,
    parse: Option<super::ParseSpec>,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum StepKind {
    /// One CLI command.
    Command(CommandSpec),
    /// Configuration lines, sent in config mode.
    Config(ConfigSpec),
    /// A plugin operation with JSON arguments.
    Call {
        /// Operation name.
        name: String,
        /// Arguments (strings are templates).
        args: serde_yaml::Value,
    },
    /// A template rendered to text.
    Render(RenderSpec),
    /// A subtask with its own params (values are templates).
    Task {
        /// The subtask's name.
        name: String,
        /// Its params.
        params: IndexMap<String, serde_yaml::Value>,
    },
}

impl StepKind {
    /// The key the step was written with.
    pub fn keyword(&self) -> &'static str {
        match self {
            StepKind::Command(_) => "command",
            StepKind::Config(_) => "config",
            StepKind::Call { .. } => "call",
            StepKind::Render(_) => "render",
            StepKind::Task { .. } => "task",
        }
    }
}

/// A checked step.
#[derive(Clone, Debug)]
pub struct Step {
    /// Its name (results of later steps refer to it).
    pub name: String,
    /// What it does.
    pub kind: StepKind,
    /// Run only when this is true.
    pub when: Option<Expr>,
    /// The connection plugin (default: the task's).
    pub connection: Option<String>,
    /// Marks the step changed when true (`result` is the step's result).
    pub changed_when: Option<Expr>,
    /// Marks the step failed when true.
    pub failed_when: Option<Expr>,
    /// A failure does not stop the task.
    pub ignore_errors: bool,
    /// `changed: true|false` written literally.
    pub changed: Option<bool>,
    /// How a config step compares its lines with the running configuration (`match:`).
    pub match_mode: super::MatchMode,
    /// `parse:` on a command step: its result becomes records.
    pub parse: Option<super::ParseSpec>,
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The whole-step checks run inside the step mapping's visitor: serde_yaml positions an
        // error by the value being visited when it is raised, so an error raised after the
        // mapping was read would point at the enclosing `steps:` list instead of this step.
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Step;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a step (a mapping with one of `command`, `config`, `call`, `render` or `task`)")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Step, A::Error> {
                let file = StepFile::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Step::from_file(file).map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Step {
    /// Checks a step as written: one kind, modifiers that fit it, the plugin and templates it needs.
    fn from_file(file: StepFile) -> Result<Step, String> {
        let mut kinds = Vec::new();
        if let Some(command) = file.command {
            kinds.push(StepKind::Command(command));
        }
        if let Some(config) = file.config {
            kinds.push(StepKind::Config(config));
        }
        if let Some(name) = file.call {
            kinds.push(StepKind::Call {
                name,
                args: file
                    .args
                    .map(|a| a.value)
                    .unwrap_or(serde_yaml::Value::Null),
            });
        } else if file.args.is_some() {
            return Err("`args` belongs to a `call` step".to_string());
        }
        if let Some(render) = file.render {
            kinds.push(StepKind::Render(render));
        }
        if let Some(SubtaskRef(name)) = file.task {
            let params = file
                .params
                .map(|p| p.entries.into_iter().map(|(k, v)| (k, v.value)).collect())
                .unwrap_or_default();
            kinds.push(StepKind::Task { name, params });
        } else if file.params.is_some() {
            return Err("`params` belongs to a `task` step".to_string());
        }
        let kind = match kinds.len() {
            1 => kinds.remove(0),
            0 => {
                return Err(
                    "a step needs one of `command`, `config`, `call`, `render` or `task`"
                        .to_string(),
                );
            }
            _ => {
                let names: Vec<&str> = kinds.iter().map(StepKind::keyword).collect();
                return Err(format!(
                    "a step does one thing; this one has {}: split it into several steps",
                    names.join(" and ")
                ));
            }
        };
        if file.match_mode.is_some() && !matches!(kind, StepKind::Config(_)) {
            return Err("`match` belongs to a `config` step".to_string());
        }
        if file.parse.is_some() && !matches!(kind, StepKind::Command(_)) {
            return Err(format!(
                "`parse` belongs to a `command` step, not a `{}` step",
                kind.keyword()
            ));
        }
        with_context(|context| match context {
            Some(context) => {
                super::check::check_step(context, file.connection.as_deref(), &kind)?;
                super::check::check_parse(context, file.parse.as_ref())
            }
            None => Ok(()),
        })?;
        let name = file.name.unwrap_or_else(|| match &kind {
            StepKind::Command(CommandSpec::One(t)) => t.0.clone(),
            StepKind::Call { name, .. } | StepKind::Task { name, .. } => name.clone(),
            other => other.keyword().to_string(),
        });
        Ok(Step {
            name,
            kind,
            when: file.when,
            connection: file.connection,
            changed_when: file.changed_when,
            failed_when: file.failed_when,
            ignore_errors: file.ignore_errors,
            changed: file.changed,
            match_mode: file.match_mode.unwrap_or_default(),
            parse: file.parse,
        })
    }
}

/// A task file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TaskFile {
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) connection: Option<String>,
    #[serde(default)]
    pub(super) params: IndexMap<String, Param>,
    pub(super) steps: Vec<Step>,
}
