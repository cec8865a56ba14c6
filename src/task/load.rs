//! Reading a tasks directory: every file parsed and checked, subtask cycles found on the whole
//! graph, and one bad file kept apart from the good ones.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::schema::{Param, Step, StepKind, TaskFile};
use super::{Task, TaskError, Tasks};
use crate::connection::PluginInfo;
use crate::graph::Cycles;
use crate::yaml::{self, ReadError, YamlError};

/// What the loader knows while reading one task file. What every file shares sits behind an
/// `Arc`: a context is made per file, and copying the whole directory's names, cycles and
/// params into each made loading quadratic in the number of tasks.
#[derive(Clone, Default)]
pub(super) struct LoadContext {
    /// The task being read.
    pub(super) owner: String,
    /// All task names in the directory.
    pub(super) known: Arc<HashSet<String>>,
    /// (task, subtask) edges that close a cycle.
    pub(super) cycles: Arc<Cycles>,
    /// The connection plugins available.
    pub(super) plugins: Arc<[PluginInfo]>,
    /// The task's `connection:` (read ahead of its steps).
    pub(super) default_connection: String,
    /// The templates directory.
    pub(super) templates: PathBuf,
    /// Declared params of every task that parsed, known in the second pass so that subtask
    /// calls can be checked against them.
    pub(super) declared: Arc<HashMap<String, IndexMap<String, Param>>>,
}

thread_local! {
    static CONTEXT: RefCell<Option<LoadContext>> = const { RefCell::new(None) };
}

/// Runs `f` with what the loader knows about the file being read on this thread (`None` when
/// a step is read outside a tasks directory, e.g. in unit tests).
pub(super) fn with_context<R>(f: impl FnOnce(Option<&LoadContext>) -> R) -> R {
    CONTEXT.with(|cell| f(cell.borrow().as_ref()))
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
/// the first bad byte, and one that is not a regular file (a FIFO) is refused unopened.
fn read_task_file(path: &Path) -> Result<String, YamlError> {
    yaml::read_text(path, "task files are UTF-8 text").map_err(|err| match err {
        ReadError::Text(err) => err,
        ReadError::Io(err) => YamlError {
            path: path.to_path_buf(),
            position: None,
            message: format!("cannot read task file: {err}"),
        },
    })
}

/// A task file as plain YAML, for skims ahead of loading (which plugins tasks name); `None`
/// when it cannot be read or parsed. Read and parsed like a task file, so a hostile file costs
/// no more here than in the loader.
pub fn skim(path: &Path) -> Option<serde_yaml::Value> {
    let text = read_task_file(path).ok()?;
    yaml::parse(path, &text).ok()
}

fn parse_task(path: &Path, mut context: LoadContext) -> Result<TaskFile, TaskError> {
    let text = read_task_file(path)?;
    // Syntax errors surface from the full parse below, with their positions.
    context.default_connection = yaml::parse::<ConnectionAhead>(path, &text)
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
            known: Arc::new(known),
            plugins: plugins.into(),
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
        // file read first; a task whose subtask calls fail either check is read a second time,
        // so that its error points at the step.
        let second = LoadContext {
            cycles: Arc::new(find_cycles(&files, &parsed)),
            declared: Arc::new(
                parsed
                    .iter()
                    .map(|(name, (_, file))| (name.clone(), file.params.clone()))
                    .collect(),
            ),
            ..base
        };
        for (owner, (path, file)) in &parsed {
            let context = LoadContext {
                owner: owner.clone(),
                ..second.clone()
            };
            let suspect = file.steps.iter().any(|step| match &step.kind {
                StepKind::Task { name, params } => {
                    context.cycles.closed_by(owner, name).is_some()
                        || super::check::check_subtask_params(&context, name, params).is_err()
                }
                _ => false,
            });
            if suspect && let Err(err) = parse_task(path, context) {
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

/// The subtasks `steps` call, in order.
pub(super) fn subtasks(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Task { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The subtask calls that close a cycle: a walk over every task in file order, its subtask
/// calls in step order (tasks that did not parse call nothing).
fn find_cycles(
    files: &[(String, PathBuf)],
    parsed: &IndexMap<String, (PathBuf, TaskFile)>,
) -> Cycles {
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = files
        .iter()
        .map(|(name, _)| match parsed.get(name) {
            Some((_, file)) => subtasks(&file.steps)
                .iter()
                .filter_map(|sub| index.get(sub.as_str()).copied())
                .collect(),
            None => Vec::new(),
        })
        .collect();
    Cycles::find(files.iter().map(|(name, _)| name.clone()).collect(), &edges)
}
