//! Reading a tasks directory: every file parsed and checked, subtask cycles found on the whole
//! graph, and one bad file kept apart from the good ones.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use super::schema::{Param, Step, StepKind, TaskFile};
use super::{Task, TaskError, Tasks};
use crate::connection::PluginInfo;
use crate::yaml::{self, YamlError};

/// What the loader knows while reading one task file.
#[derive(Clone, Default)]
pub(super) struct LoadContext {
    /// The task being read.
    pub(super) owner: String,
    /// All task names in the directory.
    pub(super) known: HashSet<String>,
    /// (task, subtask) edges that close a cycle, with the cycle spelled out.
    pub(super) cycles: HashMap<(String, String), String>,
    /// The connection plugins available.
    pub(super) plugins: Vec<PluginInfo>,
    /// The task's `connection:` (read ahead of its steps).
    pub(super) default_connection: String,
    /// The templates directory.
    pub(super) templates: PathBuf,
    /// Declared params of every task that parsed, known in the second pass so that subtask
    /// calls can be checked against them.
    pub(super) declared: HashMap<String, IndexMap<String, Param>>,
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
