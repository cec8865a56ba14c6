//! Running a task on one host: steps in order over the host's connections, templates rendered
//! with `host`, `params` and earlier results, subtasks nested in the result tree.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use minijinja::value::Value;

use super::templates::{self, Source, StepView};
use super::{CommandSpec, ConfigSpec, RenderSpec, Step, StepKind, Task, Tasks};
use crate::connection::{
    BoxFuture, ConnectionError, HostConnections, Operation, Output, PluginInfo,
};
use crate::inventory::Inventory;
use crate::inventory::object::HostObject;
use crate::platform::Platforms;
use crate::result::{Node, Status};
use crate::runner::Work;
use crate::template::Renderer;

/// Everything a task run shares across hosts.
pub struct TaskRun {
    /// The loaded tasks.
    pub tasks: Arc<Tasks>,
    /// The inventory.
    pub inventory: Arc<Inventory>,
    /// Data keys defined anywhere (so a key another host has reads as none).
    pub known_keys: Arc<HashSet<String>>,
    /// The template environment, with the limits of user templates.
    pub renderer: Arc<Renderer>,
    /// Platform definitions, for `command:` maps by platform.
    pub platforms: Arc<Platforms>,
    /// The plugins, for read-only flags under `--dry-run`.
    pub plugins: Vec<PluginInfo>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--diff`: config steps report the change to the running configuration.
    pub diff: bool,
    /// Running configurations read so far (config steps).
    pub running: super::config_step::RunningConfigs,
}

/// The per-host work of running `task` (a task file's, or an ad-hoc one) with `params`; its
/// subtasks come from `run.tasks`.
pub fn task_work(
    run: Arc<TaskRun>,
    task: Arc<Task>,
    params: serde_json::Map<String, serde_json::Value>,
) -> Work {
    let params = Arc::new(params);
    Arc::new(move |host_run| {
        let run = run.clone();
        let task = task.clone();
        let params = params.clone();
        Box::pin(async move {
            let Some(index) = run.inventory.index_of(&host_run.host) else {
                return;
            };
            // Steps of the top task are the host's nodes, pushed as they finish so a deadline
            // keeps them.
            let host = HostRef { index };
            run.steps(
                host,
                &task,
                (*params).clone(),
                &mut host_run.connections,
                &mut host_run.nodes,
            )
            .await;
        })
    })
}

/// The host a task runs on, by inventory index.
#[derive(Clone, Copy)]
pub(super) struct HostRef {
    pub(super) index: usize,
}

enum Flow {
    Continue,
    Stop,
}

impl TaskRun {
    fn host_value(&self, host: HostRef) -> Value {
        Value::from_object(
            HostObject::new(self.inventory.clone(), host.index, self.known_keys.clone())
                .with_platforms(Some(self.platforms.clone())),
        )
    }

    fn context(
        &self,
        host: HostRef,
        params: &serde_json::Map<String, serde_json::Value>,
        results: &indexmap::IndexMap<String, Value>,
    ) -> Value {
        let mut ctx: indexmap::IndexMap<String, Value> = results.clone();
        ctx.insert("host".into(), self.host_value(host));
        ctx.insert("params".into(), crate::template::to_value(params));
        ctx.insert("dry_run".into(), Value::from(self.dry_run));
        Value::from_pairs(ctx)
    }

    async fn render(&self, step: &Step, text: &str, ctx: &Value) -> Result<String, StepError> {
        let source = Source::Inline {
            text: text.to_string(),
            what: format!("step `{}`", step.name),
        };
        templates::render(&self.renderer, source, ctx)
            .await
            .map_err(StepError::failed)
    }

    async fn render_file(&self, name: &str, ctx: &Value) -> Result<String, StepError> {
        templates::render(&self.renderer, Source::File(name.to_string()), ctx)
            .await
            .map_err(StepError::failed)
    }

    async fn eval(&self, expr: &str, ctx: &Value) -> Result<bool, StepError> {
        templates::is_true(&self.renderer, expr, ctx)
            .await
            .map_err(StepError::failed)
    }

    async fn render_value(
        &self,
        step: &Step,
        value: &serde_yaml::Value,
        ctx: &Value,
    ) -> Result<serde_json::Value, StepError> {
        let what = format!("step `{}`", step.name);
        templates::render_value(&self.renderer, value, &what, ctx)
            .await
            .map_err(StepError::failed)
    }

    pub(super) fn platform_of(&self, host: HostRef) -> Option<String> {
        let view = self.inventory.host(host.index);
        let name = view
            .connection("ssh")
            .platform()
            .and_then(|(v, _)| v)?
            .to_string();
        Some(
            self.platforms
                .get(&name)
                .map(|p| p.name.clone())
                .unwrap_or(name),
        )
    }

    fn pick_command<'s>(&self, spec: &'s CommandSpec, host: HostRef) -> Result<&'s str, StepError> {
        match spec {
            CommandSpec::One(t) => Ok(&t.0),
            CommandSpec::Literal(command) => Ok(command),
            CommandSpec::ByPlatform(map) => {
                let platform = self.platform_of(host);
                let chosen = map.iter().find(|(key, _)| {
                    platform.as_deref().is_some_and(|p| {
                        key.as_str() == p || self.platforms.get(key).is_some_and(|d| d.name == p)
                    })
                });
                chosen
                    .or_else(|| map.get_key_value("default"))
                    .map(|(_, t)| t.0.as_str())
                    .ok_or_else(|| {
                        StepError::failed(format!(
                            "no command for platform `{}` and no `default`",
                            platform.unwrap_or_else(|| "(none)".into())
                        ))
                    })
            }
        }
    }

    fn read_only(&self, plugin: &str, operation: &str) -> bool {
        self.plugins
            .iter()
            .find(|p| p.name == plugin)
            .and_then(|p| p.declared.operation(operation))
            .is_some_and(|o| o.read_only)
    }

    /// Runs `task`'s steps, pushing one node per step into `out`; false when a step failed.
    fn steps<'a>(
        &'a self,
        host: HostRef,
        task: &'a Task,
        params: serde_json::Map<String, serde_json::Value>,
        connections: &'a mut HostConnections,
        out: &'a mut Vec<Node>,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut results: indexmap::IndexMap<String, Value> = indexmap::IndexMap::new();
            for step in &task.steps {
                let ctx = self.context(host, &params, &results);
                let (node, flow) = self.step(host, task, step, &ctx, connections).await;
                results.insert(step.name.clone(), StepView::of(&node));
                out.push(node);
                if let Flow::Stop = flow {
                    return false;
                }
            }
            true
        })
    }

    async fn step(
        &self,
        host: HostRef,
        task: &Task,
        step: &Step,
        ctx: &Value,
        connections: &mut HostConnections,
    ) -> (Node, Flow) {
        let started = Instant::now();
        if let Some(when) = &step.when {
            match self.eval(&when.0, ctx).await {
                Ok(true) => {}
                Ok(false) => {
                    let mut node = Node::new(&step.name, Status::Skipped, started.elapsed());
                    node.result = Some(Arc::new(
                        format!("skipped: when `{}` is false", when.0).into(),
                    ));
                    return (node, Flow::Continue);
                }
                Err(err) => return self.failed(step, started, err),
            }
        }
        if let StepKind::Task { name, params } = &step.kind {
            return self
                .subtask(host, step, name, params, ctx, connections, started)
                .await;
        }
        match self.act(host, task, step, ctx, connections).await {
            Ok(Done::Ran { result, changes }) => {
                self.finish(step, started, result, changes, ctx).await
            }
            Ok(Done::Config(done)) => {
                let done = *done;
                let (mut node, flow) = self
                    .finish(step, started, Some(done.result), done.changes, ctx)
                    .await;
                node.dry_run = done.dry_run;
                if done.dry_run {
                    node.would_send = Some(done.lines);
                } else {
                    node.sent = Some(done.lines);
                }
                node.diff = done.diff;
                node.note = done.note;
                (node, flow)
            }
            Ok(Done::Skipped(why)) => {
                let mut node = Node::new(&step.name, Status::Skipped, started.elapsed());
                node.result = Some(Arc::new(why.into()));
                (node, Flow::Continue)
            }
            Err(err) => {
                let stop = matches!(err.status, Status::Unreachable);
                let (node, flow) = self.failed(step, started, err);
                // Nothing more can run on a host that cannot be reached.
                (node, if stop { Flow::Stop } else { flow })
            }
        }
    }

    /// Does what a (non-subtask) step says: renders its templates and runs its operation.
    async fn act(
        &self,
        host: HostRef,
        task: &Task,
        step: &Step,
        ctx: &Value,
        connections: &mut HostConnections,
    ) -> Result<Done, StepError> {
        let plugin = step.connection.as_deref().unwrap_or(&task.connection);
        match &step.kind {
            StepKind::Command(spec) => {
                let command = match spec {
                    CommandSpec::Literal(command) => command.clone(),
                    _ => {
                        let text = self.pick_command(spec, host)?;
                        self.render(step, text, ctx).await?
                    }
                };
                let result = run_op(connections, plugin, Operation::Command(&command)).await?;
                Ok(Done::Ran {
                    result: Some(result),
                    changes: false,
                })
            }
            StepKind::Config(spec) => {
                let lines = match spec {
                    ConfigSpec::Lines(lines) => {
                        let mut rendered = Vec::with_capacity(lines.len());
                        for line in lines {
                            rendered.push(self.render(step, &line.0, ctx).await?);
                        }
                        rendered
                    }
                    ConfigSpec::File { template } => self
                        .render_file(template, ctx)
                        .await?
                        .lines()
                        .map(str::trim_end)
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string)
                        .collect(),
                };
                self.config(host, step, plugin, lines, connections).await
            }
            StepKind::Call { name, args } => {
                let args = self.render_value(step, args, ctx).await?;
                let read_only = self.read_only(plugin, name);
                if self.dry_run && !read_only {
                    return Ok(Done::Skipped(format!(
                        "dry run: `{name}` changes the device; not called"
                    )));
                }
                let result =
                    run_op(connections, plugin, Operation::Call { name, args: &args }).await?;
                Ok(Done::Ran {
                    result: Some(result),
                    changes: !read_only,
                })
            }
            StepKind::Render(spec) => {
                let text = match spec {
                    RenderSpec::Inline(t) => self.render(step, &t.0, ctx).await?,
                    RenderSpec::File { template } => self.render_file(template, ctx).await?,
                };
                Ok(Done::Ran {
                    result: Some(Returned {
                        result: text.into(),
                        stderr: None,
                    }),
                    changes: false,
                })
            }
            StepKind::Task { .. } => Ok(Done::Skipped("subtask".into())),
        }
    }

    /// Applies `changed`, `changed_when` and `failed_when` to a step that ran.
    async fn finish(
        &self,
        step: &Step,
        started: Instant,
        result: Option<Returned>,
        changes: bool,
        ctx: &Value,
    ) -> (Node, Flow) {
        let mut node = Node::new(&step.name, Status::Ok, started.elapsed());
        if let Some(returned) = result {
            node.result = Some(Arc::new(returned.result));
            node.stderr = returned.stderr;
        }
        let mut changed = step.changed.unwrap_or(changes);
        if step.changed_when.is_some() || step.failed_when.is_some() {
            // The step's own result is `result` in changed_when/failed_when; earlier maps win
            // in merge_maps, so it shadows nothing else.
            let own = Value::from_pairs([(
                "result",
                node.result
                    .as_deref()
                    .map(crate::template::to_value)
                    .unwrap_or_default(),
            )]);
            let step_ctx = minijinja::value::merge_maps([own, ctx.clone()]);
            if let Some(expr) = &step.changed_when {
                match self.eval(&expr.0, &step_ctx).await {
                    Ok(value) => changed = value,
                    Err(err) => return self.failed(step, started, err),
                }
            }
            if let Some(expr) = &step.failed_when {
                match self.eval(&expr.0, &step_ctx).await {
                    Ok(true) => {
                        let partial = node
                            .result
                            .take()
                            .and_then(|r| r.as_str().map(str::to_string));
                        let mut err =
                            StepError::failed(format!("failed_when `{}` is true", expr.0));
                        err.partial = partial;
                        return self.failed(step, started, err);
                    }
                    Ok(false) => {}
                    Err(err) => return self.failed(step, started, err),
                }
            }
        }
        if changed {
            node.status = Status::Changed;
            node.changed = true;
        }
        (node, Flow::Continue)
    }

    fn failed(&self, step: &Step, started: Instant, err: StepError) -> (Node, Flow) {
        let mut node = Node::new(&step.name, err.status, started.elapsed());
        node.error = Some(err.message);
        node.result = err
            .partial
            .filter(|p| !p.is_empty())
            .map(|p| Arc::new(p.into()));
        if step.ignore_errors {
            node.ignored = true;
            (node, Flow::Continue)
        } else {
            (node, Flow::Stop)
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn subtask(
        &self,
        host: HostRef,
        step: &Step,
        name: &str,
        params: &indexmap::IndexMap<String, serde_yaml::Value>,
        ctx: &Value,
        connections: &mut HostConnections,
        started: Instant,
    ) -> (Node, Flow) {
        let Ok(task) = self.tasks.get(name) else {
            let err = StepError::failed(format!("unknown subtask `{name}`"));
            return self.failed(step, started, err);
        };
        let mut given = Vec::new();
        for (key, value) in params {
            match self.render_value(step, value, ctx).await {
                // Values arrive as written (a string stays a string), never re-read as YAML.
                Ok(v) => given.push((key.clone(), v)),
                Err(err) => return self.failed(step, started, err),
            }
        }
        let params = match super::bind_params(task, given) {
            Ok(params) => params,
            Err(err) => return self.failed(step, started, StepError::failed(err.to_string())),
        };
        let mut children = Vec::new();
        let ok = self
            .steps(host, task, params, connections, &mut children)
            .await;
        let mut node = Node::new(&step.name, Status::Ok, started.elapsed());
        node.result = children.iter().rev().find_map(|c| c.result.clone());
        node.changed = children.iter().any(|c| c.changed);
        let worst = children.iter().map(Node::worst).max().unwrap_or(Status::Ok);
        node.status = if worst == Status::Skipped
            && !children.is_empty()
            && children.iter().all(|c| c.status == Status::Skipped)
        {
            Status::Skipped
        } else if worst <= Status::Ok && node.changed {
            Status::Changed
        } else {
            worst.max(Status::Ok)
        };
        node.results = children;
        if ok {
            return (node, Flow::Continue);
        }
        node.error = Some(format!("subtask `{name}` failed"));
        if node.status == Status::Unreachable {
            return (node, Flow::Stop);
        }
        if step.ignore_errors {
            node.ignored = true;
            (node, Flow::Continue)
        } else {
            (node, Flow::Stop)
        }
    }
}

/// How a step that did not fail ended.
pub(super) enum Done {
    /// It ran: its result, and whether it changes the device.
    Ran {
        result: Option<Returned>,
        changes: bool,
    },
    /// It did not run (a dry run), and why.
    Skipped(String),
    /// A config step: what it sent or would send.
    Config(Box<super::config_step::ConfigDone>),
}

/// Why a step failed: the message, output received before the failure, and the status it
/// gives the step (`failed`, `timeout` when a deadline passed, `unreachable`).
pub(super) struct StepError {
    message: String,
    partial: Option<String>,
    status: Status,
}

impl StepError {
    fn failed(message: String) -> StepError {
        StepError {
            message,
            partial: None,
            status: Status::Failed,
        }
    }
}

impl From<ConnectionError> for StepError {
    fn from(err: ConnectionError) -> StepError {
        let status = match &err {
            ConnectionError::Unreachable { .. } => Status::Unreachable,
            ConnectionError::Timeout { .. } => Status::Timeout,
            _ => Status::Failed,
        };
        StepError {
            message: err.to_string(),
            partial: err.partial().map(str::to_string),
            status,
        }
    }
}

/// What an operation returned: its result, and stderr for commands run on their own.
pub(super) struct Returned {
    pub(super) result: serde_json::Value,
    pub(super) stderr: Option<String>,
}

/// Runs an operation; device text becomes a JSON string without a copy.
pub(super) async fn run_op(
    connections: &mut HostConnections,
    plugin: &str,
    op: Operation<'_>,
) -> Result<Returned, StepError> {
    let (result, stderr) = match connections.run(plugin, op).await? {
        Output::Text(text) => (serde_json::Value::String(text), None),
        Output::Exec { stdout, stderr } => (
            serde_json::Value::String(stdout),
            (!stderr.is_empty()).then_some(stderr),
        ),
        Output::Json(value) => (value, None),
    };
    Ok(Returned { result, stderr })
}
