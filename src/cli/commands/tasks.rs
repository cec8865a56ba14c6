//! `netrun tasks [NAME]`: the task files, or one task's params and steps.

use netrun::inventory::resolve::display_value;
use netrun::output::{cells, new_table, shorten};
use netrun::task::{CommandSpec, ConfigSpec, RenderSpec, StepKind, Task};

use crate::cli::args::TasksArgs;
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun tasks`.
pub fn run(context: &Context, args: TasksArgs) -> Result<u8, AppError> {
    // Outside a project an empty list would read as "this project has no tasks".
    let dir = &context.settings.tasks_dir;
    if !context.settings.tasks_dir_named && !dir.is_dir() {
        return Err(AppError::NoTasksDir { dir: dir.clone() });
    }
    let tasks = context.tasks()?;
    if args.name.is_none()
        && let Some(err) = tasks.first_error()
    {
        return Err(err.into());
    }
    let text = match &args.name {
        None => {
            let mut table = new_table(&["task", "description"]);
            for task in tasks.tasks.values() {
                table.add_row(cells([task.name.as_str(), task.description.as_str()]));
            }
            format!("{}\n", table.trim_fmt())
        }
        Some(name) => describe(tasks.get(name)?),
    };
    crate::cli::print(&text)?;
    Ok(netrun::exit::OK)
}

/// A task's description, params and steps.
fn describe(task: &Task) -> String {
    let mut out = format!("{} ({})\n", task.name, task.path.display());
    if !task.description.is_empty() {
        out.push_str(&format!("{}\n", task.description));
    }
    out.push_str(&format!("connection: {}\n\n", task.connection));
    if task.params.is_empty() {
        out.push_str("params: none\n\n");
    } else {
        let mut table = new_table(&["param", "required", "default", "description"]);
        for (name, param) in &task.params {
            let default = param
                .default
                .as_ref()
                .map(|d| display_value(name, d))
                .unwrap_or_else(|| "-".into());
            table.add_row(cells([
                name.clone(),
                if param.required { "yes" } else { "no" }.into(),
                default,
                param.description.clone(),
            ]));
        }
        out.push_str(&format!("{}\n\n", table.trim_fmt()));
    }
    let mut table = new_table(&["#", "step", "kind", "what", "when"]);
    for (i, step) in task.steps.iter().enumerate() {
        let what = match &step.kind {
            StepKind::Command(CommandSpec::One(t)) => t.0.clone(),
            StepKind::Command(CommandSpec::Literal(command)) => command.clone(),
            StepKind::Command(CommandSpec::ByPlatform(map)) => map
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.0))
                .collect::<Vec<_>>()
                .join("; "),
            StepKind::Config(ConfigSpec::Lines(lines)) => format!("{} line(s)", lines.len()),
            StepKind::Config(ConfigSpec::File { template })
            | StepKind::Render(RenderSpec::File { template }) => format!("template {template}"),
            StepKind::Render(RenderSpec::Inline(_)) => "inline template".into(),
            StepKind::Call { name, .. } => name.clone(),
            StepKind::Task { name, .. } => format!("subtask {name}"),
        };
        table.add_row(cells([
            (i + 1).to_string(),
            step.name.clone(),
            step.kind.keyword().to_string(),
            shorten(&what, 70),
            step.when.as_ref().map(|w| w.0.clone()).unwrap_or_default(),
        ]));
    }
    out.push_str(&format!("{}\n", table.trim_fmt()));
    out
}
