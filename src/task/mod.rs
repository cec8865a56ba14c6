//! Task files (README "Tasks"): `tasks/NAME.yaml`, read and checked before any device is contacted.
//!
//! Every check that can point at a line does so while the file is read: template and expression
//! syntax, unknown subtasks, subtask cycles. Checks that concern a whole step (one step kind,
//! plugin support, read-only operations) point at the step.

mod adhoc;
mod check;
mod config_lines;
mod config_step;
mod load;
mod outcome;
mod params;
mod parse;
mod run;
mod schema;
mod templates;

use std::collections::HashSet;
use std::path::PathBuf;

use indexmap::IndexMap;

use crate::yaml::YamlError;

pub use config_lines::{MatchMode, Unmatchable};
pub use load::skim;
pub use params::{bind_params, resolve_params};
pub use parse::{ParseSpec, Parsers};
pub use run::{TaskRun, task_work};
pub use schema::{CommandSpec, ConfigSpec, Expr, Param, RenderSpec, Step, StepKind, Template};

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

impl Tasks {
    /// The task called `name`, if it and every subtask it calls are valid.
    pub fn get(&self, name: &str) -> Result<&Task, TaskError> {
        self.usable(name)?;
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

    /// The first invalid task among `name` and the subtasks it calls, depth-first in step
    /// order. A worklist, not recursion: a long chain of subtasks must not exhaust the stack.
    fn usable(&self, name: &str) -> Result<(), TaskError> {
        let mut seen = HashSet::new();
        let mut pending = vec![name];
        while let Some(name) = pending.pop() {
            if !seen.insert(name) {
                continue;
            }
            if let Some(err) = self.invalid.get(name) {
                return Err(TaskError::Invalid(err.clone()));
            }
            if let Some(task) = self.tasks.get(name) {
                // Reversed, so that the first subtask is looked at first.
                pending.extend(task.steps.iter().rev().filter_map(|step| match &step.kind {
                    StepKind::Task { name, .. } => Some(name.as_str()),
                    _ => None,
                }));
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

impl Tasks {
    /// Whether `task`, or a subtask it runs, has a step over connection `plugin`.
    pub fn uses_plugin(&self, task: &Task, plugin: &str) -> bool {
        self.any_step(task, |task, step| match &step.kind {
            StepKind::Task { .. } | StepKind::Render(_) => false,
            _ => step.connection.as_deref().unwrap_or(&task.connection) == plugin,
        })
    }

    /// Whether `task`, or a subtask it runs, has a step that parses with the ntc-templates index.
    pub fn uses_textfsm_index(&self, task: &Task) -> bool {
        self.any_step(task, |_, step| {
            step.parse.as_ref().is_some_and(ParseSpec::uses_index)
        })
    }

    /// Whether `test` holds for a step of `task` or of a subtask it runs (each task once).
    fn any_step(&self, task: &Task, test: impl Fn(&Task, &Step) -> bool) -> bool {
        // A worklist, not recursion: a long chain of subtasks must not exhaust the stack.
        let mut seen = HashSet::new();
        let mut pending = vec![task];
        while let Some(task) = pending.pop() {
            if !seen.insert(task.name.as_str()) {
                continue;
            }
            for step in &task.steps {
                if let StepKind::Task { name, .. } = &step.kind {
                    pending.extend(self.tasks.get(name));
                } else if test(task, step) {
                    return true;
                }
            }
        }
        false
    }
}
