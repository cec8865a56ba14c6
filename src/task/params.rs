//! Task params: `--arg K=V` from the command line and `params:` of subtask calls, bound to
//! what a task declares.

use super::check::declared_list;
use super::schema::Param;
use super::{Task, TaskError};

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
