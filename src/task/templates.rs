//! The templates of a task run: what a step's templates see (`host`, `params`, earlier steps by
//! name), and rendering them off the async runtime under the renderer's limits.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, Value};

use crate::result::{Node, Status};
use crate::template::{RenderError, Renderer};

/// An earlier step as later templates see it: `result`, `status`, `changed`, `failed`. The
/// result is converted to a template value only when a template reads it, and then once: a
/// device's output can be large, and most steps are never looked at again.
#[derive(Debug)]
pub(super) struct StepView {
    result: Option<Arc<serde_json::Value>>,
    converted: OnceLock<Value>,
    status: Status,
    changed: bool,
}

impl StepView {
    /// The view of a finished step's node (its result shared, not copied).
    pub(super) fn of(node: &Node) -> Value {
        Value::from_object(StepView {
            result: node.result.clone(),
            converted: OnceLock::new(),
            status: node.status,
            changed: node.changed,
        })
    }
}

impl Object for StepView {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        Some(match key.as_str()? {
            "result" => self
                .converted
                .get_or_init(|| {
                    self.result
                        .as_deref()
                        .map(crate::template::to_value)
                        .unwrap_or_default()
                })
                .clone(),
            "status" => Value::from(self.status.as_str()),
            "changed" => Value::from(self.changed),
            "failed" => Value::from(self.status == Status::Failed),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["result", "status", "changed", "failed"])
    }
}

/// What a template renders: inline text (named for messages) or a file of the templates
/// directory.
pub(super) enum Source {
    /// Text from the task file; `what` says whose (`step \`x\``).
    Inline { text: String, what: String },
    /// A template file.
    File(String),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Inline { what, .. } => format!("template of {what}"),
            Source::File(name) => format!("template {name}"),
        }
    }
}

/// Runs CPU-bound template work on the blocking pool: on a runtime thread a slow render would
/// hold up every host's timers, deadlines and the run's cancellation.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(format!("template rendering failed: {e}")))
}

/// Whether `text` renders to itself, so that rendering it can be skipped.
fn is_plain(text: &str) -> bool {
    // minijinja drops one trailing newline; text without braces has nothing else to render.
    !text.contains('{') && !text.ends_with('\n')
}

/// Renders `source` with `ctx`; the error says which template failed and how.
pub(super) async fn render(
    renderer: &Arc<Renderer>,
    source: Source,
    ctx: &Value,
) -> Result<String, String> {
    if let Source::Inline { text, .. } = &source
        && is_plain(text)
    {
        return Ok(text.clone());
    }
    let renderer = renderer.clone();
    let ctx = ctx.clone();
    off_runtime(move || {
        let rendered = match &source {
            Source::Inline { text, .. } => renderer.render_str(text, ctx),
            Source::File(name) => renderer.render_file(name, ctx),
        };
        rendered.map_err(|err| format!("{}: {err}", source.describe()))
    })
    .await
}

/// Evaluates `expr` (a `when:`, `changed_when:` or `failed_when:`) to its truth.
pub(super) async fn is_true(
    renderer: &Arc<Renderer>,
    expr: &str,
    ctx: &Value,
) -> Result<bool, String> {
    let renderer = renderer.clone();
    let ctx = ctx.clone();
    let expr = expr.to_string();
    off_runtime(move || {
        renderer
            .is_true(&expr, ctx)
            .map_err(|err| format!("expression `{expr}`: {err}"))
    })
    .await
}

/// Renders every string inside a YAML value (call args, subtask params) into JSON; `what`
/// names the step for messages.
pub(super) async fn render_value(
    renderer: &Arc<Renderer>,
    value: &serde_yaml::Value,
    what: &str,
    ctx: &Value,
) -> Result<serde_json::Value, String> {
    let renderer = renderer.clone();
    let value = value.clone();
    let ctx = ctx.clone();
    let what = what.to_string();
    off_runtime(move || {
        render_yaml(&renderer, &value, &ctx).map_err(|err| format!("template of {what}: {err}"))
    })
    .await
}

fn render_yaml(
    renderer: &Renderer,
    value: &serde_yaml::Value,
    ctx: &Value,
) -> Result<serde_json::Value, RenderError> {
    Ok(match value {
        serde_yaml::Value::String(text) if is_plain(text) => text.clone().into(),
        serde_yaml::Value::String(text) => renderer.render_str(text, ctx.clone())?.into(),
        serde_yaml::Value::Sequence(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| render_yaml(renderer, i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        serde_yaml::Value::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = k
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{k:?}"));
                out.insert(key, render_yaml(renderer, v, ctx)?);
            }
            serde_json::Value::Object(out)
        }
        other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
    })
}
