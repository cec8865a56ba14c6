//! Checks of a step against the plugin that runs it, the templates it needs and the params of
//! the subtask it calls.

use indexmap::IndexMap;

use super::ParseSpec;
use super::load::LoadContext;
use super::schema::{ConfigSpec, Param, RenderSpec, StepKind};
use crate::connection::CommandType;

/// Checks a step against the plugin that will run it and the templates it needs.
pub(super) fn check_step(
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
    let cli = plugin.declared.accepts(CommandType::Cli);
    match kind {
        StepKind::Command(_) | StepKind::Config(_) if !cli => {
            return Err(format!(
                "the `{plugin_name}` connection does not accept CLI steps (`{}`); use `call` with one of its operations, or `connection: ssh`",
                kind.keyword()
            ));
        }
        StepKind::Call { name, .. } if plugin.declared.operation(name).is_none() => {
            let ops: Vec<&str> = plugin
                .declared
                .operations
                .iter()
                .map(|o| o.name.as_str())
                .collect();
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
    let text =
        crate::yaml::read_text(&path, "templates are UTF-8 text").map_err(|err| match err {
            crate::yaml::ReadError::Io(err) => {
                format!("cannot read template {}: {err}", path.display())
            }
            crate::yaml::ReadError::Text(err) => format!("template {err}"),
        })?;
    crate::template::check_template(&text).map_err(|err| {
        format!(
            "template {}: {}",
            path.display(),
            crate::template::describe(&err)
        )
    })
}

/// Checks the TextFSM template files a `parse:` names: inside the templates directory, readable,
/// and compiling (a template's error names its file and line).
pub(super) fn check_parse(context: &LoadContext, parse: Option<&ParseSpec>) -> Result<(), String> {
    let files: Vec<&String> = match parse {
        Some(ParseSpec::File(file)) => vec![file],
        Some(ParseSpec::ByPlatform(map)) => map
            .values()
            .filter_map(|spec| match spec {
                ParseSpec::File(file) => Some(file),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for file in files {
        let path = crate::template::template_path(&context.templates, file)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|err| format!("cannot read TextFSM template {}: {err}", path.display()))?;
        crate::textfsm::Template::compile(&path.display().to_string(), &text)
            .map_err(|err| err.to_string())?;
    }
    Ok(())
}

/// Checks a subtask call's params against those the subtask declares (once they are known).
pub(super) fn check_subtask_params(
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
pub(super) fn declared_list(declared: &IndexMap<String, Param>) -> String {
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
