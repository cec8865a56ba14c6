//! Running a task on one host: steps in order over the host's connections, templates rendered
//! with `host`, `params` and earlier results, subtasks nested in the result tree.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use minijinja::Environment;
use minijinja::value::Value;

use super::{CommandSpec, ConfigSpec, RenderSpec, Step, StepKind, Task, Tasks};
use crate::connection::{BoxFuture, HostConnections, Operation, Output, PluginInfo};
use crate::inventory::Inventory;
use crate::inventory::object::HostObject;
use crate::platform::Platforms;
use crate::result::{Node, Status};
use crate::runner::Work;

/// Everything a task run shares across hosts.
pub struct TaskRun {
    /// The loaded tasks.
    pub tasks: Arc<Tasks>,
    /// The inventory.
    pub inventory: Arc<Inventory>,
    /// Data keys defined anywhere (so a key another host has reads as none).
    pub known_keys: Arc<HashSet<String>>,
    /// The program's template environment.
    pub env: Arc<Environment<'static>>,
    /// Platform definitions, for `command:` maps by platform.
    pub platforms: Arc<Platforms>,
    /// The plugins, for read-only flags under `--dry-run`.
    pub plugins: Vec<PluginInfo>,
    /// `--dry-run`.
    pub dry_run: bool,
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

#[derive(Clone, Copy)]
struct HostRef {
    index: usize,
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

    fn render(&self, source: &str, ctx: &Value) -> Result<String, String> {
        self.env
            .render_str(source, ctx.clone())
            .map_err(|e| format!("template error: {}", crate::template::describe(&e)))
    }

    fn render_file(&self, name: &str, ctx: &Value) -> Result<String, String> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| format!("template {name}: {}", crate::template::describe(&e)))?;
        template
            .render(ctx.clone())
            .map_err(|e| format!("template {name}: {}", crate::template::describe(&e)))
    }

    fn eval(&self, expr: &str, ctx: &Value) -> Result<bool, String> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| format!("expression `{expr}`: {}", crate::template::describe(&e)))?;
        compiled
            .eval(ctx.clone())
            .map(|v| v.is_true())
            .map_err(|e| format!("expression `{expr}`: {}", crate::template::describe(&e)))
    }

    /// Renders every string inside a YAML value (call args, subtask params) into JSON.
    fn render_value(
        &self,
        value: &serde_yaml::Value,
        ctx: &Value,
    ) -> Result<serde_json::Value, String> {
        Ok(match value {
            serde_yaml::Value::String(text) => serde_json::Value::String(self.render(text, ctx)?),
            serde_yaml::Value::Sequence(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|i| self.render_value(i, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            serde_yaml::Value::Mapping(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let key = k
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{k:?}"));
                    out.insert(key, self.render_value(v, ctx)?);
                }
                serde_json::Value::Object(out)
            }
            other => serde_json::to_value(other).map_err(|e| e.to_string())?,
        })
    }

    fn platform_of(&self, host: HostRef) -> Option<String> {
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

    fn pick_command<'s>(&self, spec: &'s CommandSpec, host: HostRef) -> Result<&'s str, String> {
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
                        format!(
                            "no command for platform `{}` and no `default`",
                            platform.unwrap_or_else(|| "(none)".into())
                        )
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
                results.insert(
                    step.name.clone(),
                    Value::from_pairs([
                        (
                            "result",
                            node.result
                                .as_ref()
                                .map(crate::template::to_value)
                                .unwrap_or_default(),
                        ),
                        ("status", Value::from(node.status.as_str())),
                        ("changed", Value::from(node.changed)),
                        ("failed", Value::from(node.status == Status::Failed)),
                    ]),
                );
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
        let plugin = step.connection.as_deref().unwrap_or(&task.connection);
        if let Some(when) = &step.when {
            match self.eval(&when.0, ctx) {
                Ok(true) => {}
                Ok(false) => {
                    let mut node = Node::new(&step.name, Status::Skipped, started.elapsed());
                    node.result = Some(format!("skipped: when `{}` is false", when.0).into());
                    return (node, Flow::Continue);
                }
                Err(message) => return self.failed(step, started, message, None),
            }
        }
        let outcome: StepOutcome = match &step.kind {
            StepKind::Command(spec) => {
                let command = match spec {
                    CommandSpec::Literal(command) => Ok(command.clone()),
                    _ => self
                        .pick_command(spec, host)
                        .and_then(|c| self.render(c, ctx)),
                };
                match command {
                    Err(message) => Err((message, None, false)),
                    Ok(command) => run_op(connections, plugin, Operation::Command(&command))
                        .await
                        .map(|v| (Some(v), false)),
                }
            }
            StepKind::Config(spec) => {
                let lines = match spec {
                    ConfigSpec::Lines(lines) => lines
                        .iter()
                        .map(|l| self.render(&l.0, ctx))
                        .collect::<Result<Vec<_>, _>>(),
                    ConfigSpec::File { template } => self.render_file(template, ctx).map(|text| {
                        text.lines()
                            .map(str::trim_end)
                            .filter(|l| !l.trim().is_empty())
                            .map(str::to_string)
                            .collect()
                    }),
                };
                match lines {
                    Err(message) => Err((message, None, false)),
                    Ok(lines) if self.dry_run => {
                        let mut node = Node::new(&step.name, Status::Skipped, started.elapsed());
                        node.result =
                            Some(format!("dry run: not sent:\n{}", lines.join("\n")).into());
                        return (node, Flow::Continue);
                    }
                    Ok(lines) => run_op(connections, plugin, Operation::Config(&lines))
                        .await
                        .map(|v| (Some(v), true)),
                }
            }
            StepKind::Call { name, args } => match self.render_value(args, ctx) {
                Err(message) => Err((message, None, false)),
                Ok(args) => {
                    let read_only = self.read_only(plugin, name);
                    if self.dry_run && !read_only {
                        let mut node = Node::new(&step.name, Status::Skipped, started.elapsed());
                        node.result = Some(
                            format!("dry run: `{name}` changes the device; not called").into(),
                        );
                        return (node, Flow::Continue);
                    }
                    run_op(connections, plugin, Operation::Call { name, args: &args })
                        .await
                        .map(|v| (Some(v), !read_only))
                }
            },
            StepKind::Render(spec) => {
                let text = match spec {
                    RenderSpec::Inline(t) => self.render(&t.0, ctx),
                    RenderSpec::File { template } => self.render_file(template, ctx),
                };
                text.map(|t| (Some(t.into()), false))
                    .map_err(|m| (m, None, false))
            }
            StepKind::Task { name, params } => {
                return self
                    .subtask(host, step, name, params, ctx, connections, started)
                    .await;
            }
        };
        match outcome {
            Err((message, partial, unreachable)) => {
                let (mut node, flow) = self.failed(step, started, message, partial);
                if unreachable {
                    node.status = Status::Unreachable;
                    // Nothing more can run on a host that cannot be reached.
                    return (node, Flow::Stop);
                }
                (node, flow)
            }
            Ok((result, changes)) => self.finish(step, started, result, changes, ctx),
        }
    }

    /// Applies `changed`, `changed_when` and `failed_when` to a step that ran.
    fn finish(
        &self,
        step: &Step,
        started: Instant,
        result: Option<serde_json::Value>,
        changes: bool,
        ctx: &Value,
    ) -> (Node, Flow) {
        let mut node = Node::new(&step.name, Status::Ok, started.elapsed());
        // The step's own result is `result` in changed_when/failed_when.
        let own = Value::from_pairs([(
            "result",
            result
                .as_ref()
                .map(crate::template::to_value)
                .unwrap_or_default(),
        )]);
        // Earlier maps win in merge_maps: the step's own `result` shadows nothing else.
        let step_ctx = minijinja::value::merge_maps([own, ctx.clone()]);
        node.result = result;
        let mut changed = step.changed.unwrap_or(changes);
        if let Some(expr) = &step.changed_when {
            match self.eval(&expr.0, &step_ctx) {
                Ok(value) => changed = value,
                Err(message) => return self.failed(step, started, message, None),
            }
        }
        if let Some(expr) = &step.failed_when {
            match self.eval(&expr.0, &step_ctx) {
                Ok(true) => {
                    let partial = node
                        .result
                        .take()
                        .and_then(|r| r.as_str().map(str::to_string));
                    return self.failed(
                        step,
                        started,
                        format!("failed_when `{}` is true", expr.0),
                        partial,
                    );
                }
                Ok(false) => {}
                Err(message) => return self.failed(step, started, message, None),
            }
        }
        if changed {
            node.status = Status::Changed;
            node.changed = true;
        }
        (node, Flow::Continue)
    }

    fn failed(
        &self,
        step: &Step,
        started: Instant,
        message: String,
        partial: Option<String>,
    ) -> (Node, Flow) {
        let mut node = Node::new(&step.name, Status::Failed, started.elapsed());
        node.error = Some(message);
        node.result = partial.filter(|p| !p.is_empty()).map(Into::into);
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
            return self.failed(step, started, format!("unknown subtask `{name}`"), None);
        };
        let mut given = Vec::new();
        for (key, value) in params {
            match self.render_value(value, ctx) {
                // Values arrive as written (a string stays a string), never re-read as YAML.
                Ok(v) => given.push((key.clone(), v)),
                Err(message) => return self.failed(step, started, message, None),
            }
        }
        let params = match super::bind_params(task, given) {
            Ok(params) => params,
            Err(err) => return self.failed(step, started, err.to_string(), None),
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

/// What a step that ran produced, `(result, whether it changes the device)`, or why it failed,
/// `(message, partial output, unreachable)`.
type StepOutcome = Result<(Option<serde_json::Value>, bool), StepFailure>;

/// Why a step failed: message, partial output, whether the host is unreachable.
type StepFailure = (String, Option<String>, bool);

/// Runs an operation; errors carry (message, partial output, unreachable).
async fn run_op(
    connections: &mut HostConnections,
    plugin: &str,
    op: Operation<'_>,
) -> Result<serde_json::Value, StepFailure> {
    match connections.run(plugin, op).await {
        Ok(Output::Text(text)) => Ok(text.into()),
        Ok(Output::Json(value)) => Ok(value),
        Err(err) => Err((
            err.to_string(),
            err.partial().map(str::to_string),
            err.is_unreachable(),
        )),
    }
}
