//! Task files (SPEC §5): `tasks/NAME.yaml`, read and checked before any device is contacted.
//!
//! Every check that can point at a line does so while the file is read: template and expression
//! syntax, unknown subtasks, subtask cycles. Checks that concern a whole step (one step kind,
//! plugin support, read-only operations) point at the step.

mod run;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::connection::{CommandType, PluginInfo};
use crate::yaml::{self, YamlError};

pub use run::{TaskRun, task_work};

/// Why tasks cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No `tasks/NAME.yaml`.
    #[error("no task named `{name}` in {}", dir.display())]
    NotFound {
        /// The name asked for.
        name: String,
        /// The tasks directory.
        dir: PathBuf,
        /// The tasks that exist.
        known: Vec<String>,
    },
    /// The tasks directory cannot be read.
    #[error("cannot read tasks directory {}", dir.display())]
    Dir {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A task file is invalid: position and what to change.
    #[error(transparent)]
    Invalid(#[from] YamlError),
    /// `--arg` problems.
    #[error("{0}")]
    Params(String),
}

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

/// What the loader knows while reading one task file.
#[derive(Clone, Default)]
struct LoadContext {
    /// The task being read.
    owner: String,
    /// All task names in the directory.
    known: HashSet<String>,
    /// (task, subtask) edges that close a cycle, with the cycle spelled out.
    cycles: HashMap<(String, String), String>,
    /// The connection plugins available.
    plugins: Vec<PluginInfo>,
    /// The task's `connection:` (read ahead of its steps).
    default_connection: String,
    /// The templates directory.
    templates: PathBuf,
    /// Declared params of every task that parsed, known in the second pass so that subtask
    /// calls can be checked against them.
    declared: HashMap<String, IndexMap<String, Param>>,
}

thread_local! {
    static CONTEXT: RefCell<Option<LoadContext>> = const { RefCell::new(None) };
}

impl<'de> Deserialize<'de> for SubtaskRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SubtaskRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a task name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<SubtaskRef, E> {
                CONTEXT.with(|cell| {
                    let context = cell.borrow();
                    if let Some(context) = context.as_ref() {
                        if !context.known.contains(name) {
                            let mut known: Vec<&String> = context.known.iter().collect();
                            known.sort();
                            let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
                            return Err(E::custom(format!(
                                "unknown subtask `{name}` (tasks: {})",
                                known.join(", ")
                            )));
                        }
                        if let Some(cycle) = context
                            .cycles
                            .get(&(context.owner.clone(), name.to_string()))
                        {
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
        CONTEXT.with(|cell| match cell.borrow().as_ref() {
            Some(context) => check_step(context, file.connection.as_deref(), &kind),
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
        })
    }
}

/// A task file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    #[serde(default)]
    description: String,
    #[serde(default)]
    connection: Option<String>,
    #[serde(default)]
    params: IndexMap<String, Param>,
    steps: Vec<Step>,
}

/// A loaded, checked task.
#[derive(Clone, Debug)]
pub struct Task {
    /// Its name (the file name without `.yaml`).
    pub name: String,
    /// Where it came from.
    pub path: PathBuf,
    /// One line saying what it does.
    pub description: String,
    /// The default connection plugin of its steps.
    pub connection: String,
    /// Declared params, in file order.
    pub params: IndexMap<String, Param>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Every task of a tasks directory, checked against each other and the available plugins.
#[derive(Clone, Debug, Default)]
pub struct Tasks {
    /// The tasks directory.
    pub dir: PathBuf,
    /// The templates directory.
    pub templates: PathBuf,
    /// Tasks by name, sorted.
    pub tasks: IndexMap<String, Task>,
    /// Task files that are invalid, with why: kept apart so that one bad file (say, one that
    /// needs a plugin that failed to load) does not stop runs of the others.
    pub invalid: IndexMap<String, YamlError>,
}

/// The names of the task files in `dir`, sorted.
fn task_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, TaskError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(TaskError::Dir {
                dir: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
        .collect();
    files.sort();
    Ok(files)
}

/// Only the task's `connection:`, read ahead so steps can be checked against its plugin.
#[derive(Deserialize)]
struct ConnectionAhead {
    #[serde(default)]
    connection: Option<String>,
}

/// The text of a task file; a file that is not UTF-8 is an invalid task file, positioned at
/// the first bad byte.
fn read_task_file(path: &Path) -> Result<String, YamlError> {
    let invalid = |position, message| YamlError {
        path: path.to_path_buf(),
        position,
        message,
    };
    let bytes = std::fs::read(path)
        .map_err(|err| invalid(None, format!("cannot read task file: {err}")))?;
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let offset = err.utf8_error().valid_up_to();
        let before = &bytes[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        // Columns count characters, like serde_yaml's; the line up to `offset` is valid UTF-8.
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        invalid(
            Some((line, column)),
            match bytes.get(offset) {
                Some(byte) => format!(
                    "not valid UTF-8: byte 0x{byte:02x} at byte offset {offset}; task files are UTF-8 text"
                ),
                None => format!("not valid UTF-8 at byte offset {offset}; task files are UTF-8 text"),
            },
        )
    })
}

fn parse_task(path: &Path, mut context: LoadContext) -> Result<TaskFile, TaskError> {
    let text = read_task_file(path)?;
    // Syntax errors surface from the full parse below, with their positions.
    context.default_connection = serde_yaml::from_str::<ConnectionAhead>(&text)
        .ok()
        .and_then(|ahead| ahead.connection)
        .unwrap_or_else(|| "ssh".to_string());
    CONTEXT.with(|cell| *cell.borrow_mut() = Some(context));
    let parsed = yaml::parse::<TaskFile>(path, &text);
    CONTEXT.with(|cell| cell.borrow_mut().take());
    Ok(parsed?)
}

impl Tasks {
    /// Reads and checks every task in `dir` against `plugins`.
    pub fn load(dir: &Path, templates: &Path, plugins: &[PluginInfo]) -> Result<Tasks, TaskError> {
        let files = task_files(dir)?;
        let known: HashSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
        let mut parsed = IndexMap::new();
        let base = LoadContext {
            known,
            plugins: plugins.to_vec(),
            templates: templates.to_path_buf(),
            ..LoadContext::default()
        };
        let mut invalid = IndexMap::new();
        for (name, path) in &files {
            let context = LoadContext {
                owner: name.clone(),
                ..base.clone()
            };
            match parse_task(path, context) {
                Ok(file) => {
                    parsed.insert(name.clone(), (path.clone(), file));
                }
                Err(err) => {
                    invalid.insert(name.clone(), as_yaml_error(path, err));
                }
            }
        }
        // Subtask cycles, found on the whole graph, are then reported at the step that closes them;
        // subtask calls are checked against the params their subtask declares. Both need every
        // file read first, so the tasks that call subtasks are read a second time.
        let declared: HashMap<String, IndexMap<String, Param>> = parsed
            .iter()
            .map(|(name, (_, file))| (name.clone(), file.params.clone()))
            .collect();
        let edges: HashMap<String, Vec<String>> = parsed
            .iter()
            .map(|(name, (_, file))| (name.clone(), subtasks(&file.steps)))
            .collect();
        let cycles = find_cycles(
            &files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
            &edges,
        );
        let owners: Vec<&String> = edges
            .iter()
            .filter(|(_, subs)| !subs.is_empty())
            .map(|(owner, _)| owner)
            .collect();
        for owner in owners {
            let Some((path, _)) = parsed.get(owner) else {
                continue;
            };
            let context = LoadContext {
                owner: owner.clone(),
                cycles: cycles.clone(),
                declared: declared.clone(),
                ..base.clone()
            };
            if let Err(err) = parse_task(path, context) {
                invalid.insert(owner.clone(), as_yaml_error(path, err));
            }
        }
        invalid.sort_keys();
        parsed.retain(|name, _| !invalid.contains_key(name));
        let mut tasks = IndexMap::new();
        for (name, (path, file)) in parsed {
            let task = Task {
                name: name.clone(),
                path: path.clone(),
                description: file.description,
                connection: file.connection.unwrap_or_else(|| "ssh".to_string()),
                params: file.params,
                steps: file.steps,
            };
            tasks.insert(name, task);
        }
        Ok(Tasks {
            dir: dir.to_path_buf(),
            templates: templates.to_path_buf(),
            tasks,
            invalid,
        })
    }

    /// The task called `name`, if it and every subtask it calls are valid.
    pub fn get(&self, name: &str) -> Result<&Task, TaskError> {
        self.usable(name, &mut Vec::new())?;
        self.tasks.get(name).ok_or_else(|| TaskError::NotFound {
            name: name.to_string(),
            dir: self.dir.clone(),
            known: self
                .tasks
                .keys()
                .chain(self.invalid.keys())
                .cloned()
                .collect(),
        })
    }

    fn usable(&self, name: &str, seen: &mut Vec<String>) -> Result<(), TaskError> {
        if seen.iter().any(|s| s == name) {
            return Ok(());
        }
        seen.push(name.to_string());
        if let Some(err) = self.invalid.get(name) {
            return Err(TaskError::Invalid(err.clone()));
        }
        if let Some(task) = self.tasks.get(name) {
            for sub in subtasks(&task.steps) {
                self.usable(&sub, seen)?;
            }
        }
        Ok(())
    }

    /// The first invalid task file, for `check` and listings.
    pub fn first_error(&self) -> Option<TaskError> {
        self.invalid
            .values()
            .next()
            .map(|err| TaskError::Invalid(err.clone()))
    }
}

/// A task file's problem as a positioned error (a read failure has no position).
fn as_yaml_error(path: &Path, err: TaskError) -> YamlError {
    match err {
        TaskError::Invalid(err) => err,
        other => YamlError {
            path: path.to_path_buf(),
            position: None,
            message: other.to_string(),
        },
    }
}

fn subtasks(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Task { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn find_cycles(
    names: &[String],
    edges: &HashMap<String, Vec<String>>,
) -> HashMap<(String, String), String> {
    fn visit(
        name: &str,
        edges: &HashMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut HashSet<String>,
        cycles: &mut HashMap<(String, String), String>,
    ) {
        path.push(name.to_string());
        for next in edges.get(name).into_iter().flatten() {
            if let Some(start) = path.iter().position(|p| p == next) {
                let mut ring: Vec<&str> = path[start..].iter().map(String::as_str).collect();
                ring.push(next);
                cycles.insert((name.to_string(), next.clone()), ring.join(" → "));
            } else if !done.contains(next) {
                visit(next, edges, path, done, cycles);
            }
        }
        path.pop();
        done.insert(name.to_string());
    }
    let mut cycles = HashMap::new();
    let mut done = HashSet::new();
    for name in names {
        if !done.contains(name) {
            visit(name, edges, &mut Vec::new(), &mut done, &mut cycles);
        }
    }
    cycles
}

/// Checks a step against the plugin that will run it and the templates it needs.
fn check_step(
    context: &LoadContext,
    connection: Option<&str>,
    kind: &StepKind,
) -> Result<(), String> {
    let plugin_name = connection.unwrap_or(&context.default_connection);
    let Some(plugin) = context.plugins.iter().find(|p| p.name == plugin_name) else {
        let names: Vec<&str> = context.plugins.iter().map(|p| p.name.as_str()).collect();
        return Err(format!(
            "connection plugin `{plugin_name}` is not available (loaded: {}); load it with --plugin PATH or `plugins:` in netrun.yaml",
            names.join(", ")
        ));
    };
    if let StepKind::Task { name, params } = kind {
        check_subtask_params(context, name, params)?;
    }
    let cli = plugin.command_types.contains(&CommandType::Cli);
    match kind {
        StepKind::Command(_) | StepKind::Config(_) if !cli => {
            return Err(format!(
                "the `{plugin_name}` connection does not accept CLI steps (`{}`); use `call` with one of its operations, or `connection: ssh`",
                kind.keyword()
            ));
        }
        StepKind::Call { name, .. } if !plugin.operations.iter().any(|o| &o.name == name) => {
            let ops: Vec<&str> = plugin.operations.iter().map(|o| o.name.as_str()).collect();
            return Err(if ops.is_empty() {
                format!(
                    "the `{plugin_name}` connection has no operations for `call: {name}`; use `command` or `config` steps"
                )
            } else {
                format!(
                    "the `{plugin_name}` connection has no operation `{name}` (it offers: {})",
                    ops.join(", ")
                )
            });
        }
        _ => {}
    }
    let file = match kind {
        StepKind::Config(ConfigSpec::File { template })
        | StepKind::Render(RenderSpec::File { template }) => template,
        _ => return Ok(()),
    };
    let path = crate::template::template_path(&context.templates, file)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read template {}: {err}", path.display()))?;
    crate::template::check_template(&text).map_err(|err| {
        format!(
            "template {}: {}",
            path.display(),
            crate::template::describe(&err)
        )
    })
}

/// Checks a subtask call's params against those the subtask declares (once they are known).
fn check_subtask_params(
    context: &LoadContext,
    name: &str,
    params: &IndexMap<String, serde_yaml::Value>,
) -> Result<(), String> {
    // Unknown in the first pass, and for a subtask that is itself invalid (its own error is
    // reported when it is used).
    let Some(declared) = context.declared.get(name) else {
        return Ok(());
    };
    if let Some(key) = params.keys().find(|key| !declared.contains_key(*key)) {
        return Err(format!(
            "params.{key}: task `{name}` has no param `{key}` (declared: {})",
            declared_list(declared)
        ));
    }
    let missing: Vec<&str> = declared
        .iter()
        .filter(|(key, param)| {
            param.required && param.default.is_none() && !params.contains_key(*key)
        })
        .map(|(key, _)| key.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "task `{name}` needs param{} {} in `params:`",
            if missing.len() == 1 { "" } else { "s" },
            missing
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// Declared param names for messages, or `none`.
fn declared_list(declared: &IndexMap<String, Param>) -> String {
    if declared.is_empty() {
        "none".to_string()
    } else {
        declared
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Parses `--arg K=V` values against a task's declared params (see [`arg_value`] for the rule).
pub fn resolve_params(
    task: &Task,
    args: &[String],
) -> Result<serde_json::Map<String, serde_json::Value>, TaskError> {
    let mut given = Vec::new();
    for arg in args {
        let (key, text) = arg
            .split_once('=')
            .ok_or_else(|| TaskError::Params(format!("--arg `{arg}`: expected KEY=VALUE")))?;
        let Some(param) = task.params.get(key) else {
            return Err(TaskError::Params(format!(
                "task `{}` has no param `{key}` (declared: {})",
                task.name,
                declared_list(&task.params)
            )));
        };
        let value = arg_value(param, text)
            .map_err(|why| TaskError::Params(format!("--arg `{arg}`: {why}")))?;
        given.push((key.to_string(), value));
    }
    bind_params(task, given)
}

/// The value of `--arg K=TEXT`.
///
/// Text typed on a command line is text: it is kept verbatim unless it is unambiguously a
/// boolean (`true`, `false`) or a decimal integer that reads back as written (`42`, not `007`
/// or `1_000`). A float never converts (`17.10` would become `17.1`). A param whose `default`
/// is a string always takes the text verbatim. A YAML-quoted value (`'a: b'`) is unquoted. A
/// value that YAML reads as a mapping or sequence is an error, since a param given on the
/// command line is a scalar: quote it, or give the param a string default.
fn arg_value(param: &Param, text: &str) -> Result<serde_json::Value, String> {
    let verbatim = serde_json::Value::String(text.to_string());
    if matches!(param.default, Some(serde_yaml::Value::String(_))) {
        return Ok(verbatim);
    }
    // Text that is not YAML at all (`@x`, `{a`) is just text.
    let Ok(parsed) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return Ok(verbatim);
    };
    Ok(match parsed {
        serde_yaml::Value::Bool(b) if text == "true" || text == "false" => b.into(),
        serde_yaml::Value::Number(n)
            if n.as_i64().is_some_and(|i| i.to_string() == text)
                || n.as_u64().is_some_and(|u| u.to_string() == text) =>
        {
            serde_json::to_value(n).map_err(|err| err.to_string())?
        }
        serde_yaml::Value::String(s) if text.starts_with(['\'', '"']) => s.into(),
        serde_yaml::Value::Mapping(_) | serde_yaml::Value::Sequence(_) => {
            let what = if parsed.is_mapping() {
                "a mapping"
            } else {
                "a sequence"
            };
            return Err(format!(
                "`{text}` reads as {what}, and a param given on the command line is a scalar; quote it (`'{text}'`) to pass it as text"
            ));
        }
        serde_yaml::Value::Tagged(_) => {
            return Err(format!(
                "`{text}` is a tagged YAML value; quote it (`'{text}'`) to pass it as text"
            ));
        }
        _ => verbatim,
    })
}

/// Binds given param values to a task's declared params: defaults for the rest, and an error for
/// an undeclared or missing required one.
pub fn bind_params(
    task: &Task,
    given: Vec<(String, serde_json::Value)>,
) -> Result<serde_json::Map<String, serde_json::Value>, TaskError> {
    let mut given: serde_json::Map<String, serde_json::Value> = given.into_iter().collect();
    if let Some(key) = given.keys().find(|key| !task.params.contains_key(*key)) {
        return Err(TaskError::Params(format!(
            "task `{}` has no param `{key}` (declared: {})",
            task.name,
            declared_list(&task.params)
        )));
    }
    let mut params = serde_json::Map::new();
    for (name, param) in &task.params {
        match (given.remove(name), &param.default) {
            (Some(value), _) => {
                params.insert(name.clone(), value);
            }
            (None, Some(default)) => {
                params.insert(
                    name.clone(),
                    serde_json::to_value(default).unwrap_or_default(),
                );
            }
            (None, None) if param.required => {
                return Err(TaskError::Params(format!(
                    "task `{}` needs --arg {name}=VALUE{}",
                    task.name,
                    if param.description.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", param.description)
                    }
                )));
            }
            (None, None) => {
                params.insert(name.clone(), serde_json::Value::Null);
            }
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arg_values_are_text_unless_unambiguous() {
        let plain = Param::default();
        let cases = [
            ("17.10", json!("17.10")),
            ("15.2(7)E4", json!("15.2(7)E4")),
            ("42", json!(42)),
            ("-3", json!(-3)),
            ("007", json!("007")),
            ("1_000", json!("1_000")),
            ("0x10", json!("0x10")),
            ("true", json!(true)),
            ("yes", json!("yes")),
            ("null", json!("null")),
            ("", json!("")),
            ("abc # not a comment", json!("abc # not a comment")),
            ("'a: b'", json!("a: b")),
            ("\"17.10\"", json!("17.10")),
            ("@x", json!("@x")),
        ];
        for (text, want) in cases {
            assert_eq!(arg_value(&plain, text), Ok(want), "{text}");
        }
        for text in ["a: b", "[1, 2]", "{a: 1}", "!tag x"] {
            let err = arg_value(&plain, text).unwrap_err();
            assert!(err.contains(&format!("`{text}`")), "{text}: {err}");
        }
        let string = Param {
            default: Some(serde_yaml::Value::String("15.2".into())),
            ..Param::default()
        };
        for text in ["42", "true", "a: b", "'q'"] {
            assert_eq!(arg_value(&string, text), Ok(json!(text)), "{text}");
        }
    }
}
