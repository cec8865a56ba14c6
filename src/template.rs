//! The one minijinja environment of netrun: `--where` expressions, task files and lab outputs all
//! render through [`environment`], so filters and strictness are the same everywhere. What users
//! write renders through a [`Renderer`], which bounds each render's work and output.

use std::path::{Component, Path, PathBuf};

use minijinja::{Environment, ErrorKind, UndefinedBehavior, Value};

/// Bounds on one render of a user's template or expression: runaway loops and huge outputs
/// end as that host's failure instead of stalling or exhausting the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// minijinja fuel: about one unit per instruction and per 64 bytes of data created.
    pub fuel: u64,
    /// Most bytes one render may produce.
    pub output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 2_000_000,
            output: 16 << 20,
        }
    }
}

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The render used up its fuel.
    #[error(
        "did more work than its budget of {fuel} steps allows (raise `limits.template_fuel` in netrun.yaml)"
    )]
    OutOfFuel {
        /// The budget.
        fuel: u64,
    },
    /// The render produced too much text.
    #[error("output exceeded {limit} bytes (raise `limits.template_output` in netrun.yaml)")]
    OutputTooLong {
        /// The cap.
        limit: usize,
    },
    /// Anything else minijinja reports (syntax, undefined variable, filter error).
    #[error("{}", describe(.0))]
    Template(minijinja::Error),
}

/// The template environment with the limits of user templates: fuel per render, and output
/// capped by rendering into a bounded writer.
pub struct Renderer {
    env: Environment<'static>,
    limits: Limits,
}

impl Renderer {
    /// A renderer over the templates directory `templates_dir`.
    pub fn new(templates_dir: Option<PathBuf>, limits: Limits) -> Renderer {
        let mut env = environment(templates_dir);
        env.set_fuel(Some(limits.fuel));
        Renderer { env, limits }
    }

    /// The environment (fuel applies; the output cap only through this type's methods).
    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }

    /// The limits every render has.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn error(&self, err: minijinja::Error) -> RenderError {
        if err.kind() == ErrorKind::OutOfFuel {
            RenderError::OutOfFuel {
                fuel: self.limits.fuel,
            }
        } else {
            RenderError::Template(err)
        }
    }

    fn render(
        &self,
        template: &minijinja::Template<'_, '_>,
        ctx: Value,
    ) -> Result<String, RenderError> {
        let mut out = Bounded {
            text: Vec::new(),
            limit: self.limits.output,
            exceeded: false,
        };
        let rendered = template.render_captured_to(ctx, &mut out).map(|_| ());
        if out.exceeded {
            return Err(RenderError::OutputTooLong {
                limit: self.limits.output,
            });
        }
        rendered.map_err(|e| self.error(e))?;
        // Templates render text; their bytes are UTF-8 by construction.
        String::from_utf8(out.text).map_err(|e| {
            RenderError::Template(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("rendered text is not UTF-8: {e}"),
            ))
        })
    }

    /// Renders template text written inline (a task file's string).
    pub fn render_str(&self, source: &str, ctx: Value) -> Result<String, RenderError> {
        let template = self
            .env
            .template_from_str(source)
            .map_err(|e| self.error(e))?;
        self.render(&template, ctx)
    }

    /// Renders the template file `name` of the templates directory.
    pub fn render_file(&self, name: &str, ctx: Value) -> Result<String, RenderError> {
        let template = self.env.get_template(name).map_err(|e| self.error(e))?;
        self.render(&template, ctx)
    }

    /// Evaluates an expression (`when:`, `--where`) to its truth.
    pub fn is_true(&self, expr: &str, ctx: Value) -> Result<bool, RenderError> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| self.error(e))?;
        compiled
            .eval(ctx)
            .map(|v| v.is_true())
            .map_err(|e| self.error(e))
    }
}

/// A writer that stops accepting bytes past `limit`.
struct Bounded {
    text: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("template output limit"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Builds the program's template environment; `templates_dir` backs `{% include %}` and task templates.
pub fn environment(templates_dir: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    // A typo in a variable name must be an error, never an empty string sent to a device.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_replace", regex_replace);
    env.add_test("match", regex_test);
    if let Some(dir) = templates_dir {
        env.set_loader(move |name| {
            // Template names come from task files; never let them escape the templates directory.
            let path = template_path(&dir, name).map_err(|why| {
                minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, why)
            })?;
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read template {}: {err}", path.display()),
                )),
            }
        });
    }
    env
}

/// The file of template `name` in `dir`, or why it is refused: absolute paths, `..`, and
/// anything that resolves (through a symlink, say) outside `dir`.
pub fn template_path(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let outside = || format!("template `{name}` must be a path inside the templates directory");
    // `Path::is_absolute` alone misses `/x` on Windows and `C:x`; any root or prefix is refused.
    let relative = !name.starts_with(['/', '\\'])
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !relative || name.split(['/', '\\']).any(|part| part == "..") {
        return Err(outside());
    }
    let path = dir.join(name);
    // A missing file is reported by whoever reads it; an existing one must really be inside.
    if let (Ok(real), Ok(real_dir)) = (path.canonicalize(), dir.canonicalize())
        && !real.starts_with(&real_dir)
    {
        return Err(outside());
    }
    Ok(path)
}

thread_local! {
    /// The environment used to check template syntax while files are read (no loader needed).
    static CHECKER: Environment<'static> = environment(None);
}

/// Checks that `source` is a valid template (syntax only; variables are checked when rendered)
/// whose literal `include`/`import`/`extends` names stay inside the templates directory.
pub fn check_template(source: &str) -> Result<(), minijinja::Error> {
    CHECKER.with(|env| env.template_from_str(source).map(|_| ()))?;
    // The loader refuses these when rendering too; a literal name is refused here already, so
    // that `check` reports it with the file and line. Computed names are left to the loader.
    static LITERAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\{%[-+]?\s*(?:include|import|extends|from)\s+(?:"([^"]*)"|'([^']*)')"#)
            .expect("a valid regular expression")
    });
    for caps in LITERAL.captures_iter(source) {
        let Some(name) = caps.get(1).or_else(|| caps.get(2)) else {
            continue;
        };
        // Only the shape of the name is checked: there is no directory to resolve against here.
        template_path(Path::new(""), name.as_str())
            .map_err(|why| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, why))?;
    }
    Ok(())
}

/// Checks that `source` is a valid expression (`when:`, `--where`).
pub fn check_expression(source: &str) -> Result<(), minijinja::Error> {
    CHECKER.with(|env| env.compile_expression(source).map(|_| ()))
}

/// One line describing a template error, without minijinja's multi-line debug output.
pub fn describe(err: &minijinja::Error) -> String {
    let mut text = err.kind().to_string();
    if let Some(detail) = err.detail() {
        text = format!("{text}: {detail}");
    }
    if let Some(line) = err.line() {
        text = format!("{text} (template line {line})");
    }
    text
}

/// Converts any serializable value into a template value.
pub fn to_value<T: serde::Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

fn compile(pattern: &str) -> Result<regex::Regex, minijinja::Error> {
    regex::Regex::new(pattern).map_err(|err| {
        // Neither the pattern nor the regex crate's message (which quotes it) is shown: a
        // pattern may be computed from a secret.
        let text = err.to_string();
        let reason = text
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or("it does not compile");
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("invalid regular expression (pattern not shown): {reason}"),
        )
    })
}

/// `text | regex_search(pattern)`: the first match (or its first group), or none.
fn regex_search(text: &str, pattern: &str) -> Result<Option<String>, minijinja::Error> {
    let re = compile(pattern)?;
    Ok(re.captures(text).map(|caps| {
        caps.get(1)
            .or_else(|| caps.get(0))
            .map(|m| m.as_str().to_string())
            .unwrap_or_default()
    }))
}

/// `text | regex_replace(pattern, replacement)`.
fn regex_replace(text: &str, pattern: &str, replacement: &str) -> Result<String, minijinja::Error> {
    Ok(compile(pattern)?
        .replace_all(text, replacement)
        .into_owned())
}

/// `value is match(pattern)`: whether the pattern matches anywhere in the text.
fn regex_test(text: &str, pattern: &str) -> Result<bool, minijinja::Error> {
    Ok(compile(pattern)?.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_undefined_is_an_error() {
        let env = environment(None);
        assert!(env.render_str("{{ nope }}", ()).is_err());
    }

    #[test]
    fn template_paths_stay_inside_the_directory() {
        let dir = std::env::temp_dir().join(format!("netrun-tpl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/ok.j2"), "ok").unwrap();
        assert_eq!(template_path(&dir, "sub/ok.j2"), Ok(dir.join("sub/ok.j2")));
        for bad in ["/etc/hostname", "../x.j2", "sub/../../x.j2", "\\x.j2"] {
            assert!(template_path(&dir, bad).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(dir.join("escape.j2"));
            std::os::unix::fs::symlink("/etc/hostname", dir.join("escape.j2")).unwrap();
            assert!(template_path(&dir, "escape.j2").is_err());
        }
        let env = environment(Some(dir.clone()));
        assert_eq!(
            env.render_str("{% include 'sub/ok.j2' %}", ()).unwrap(),
            "ok"
        );
        let err = env
            .render_str("{% include '/etc/hostname' %}", ())
            .unwrap_err();
        assert!(
            describe(&err).contains("inside the templates directory"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn literal_includes_outside_the_directory_are_refused() {
        assert!(check_template("{% include 'sub/ok.j2' %}").is_ok());
        for bad in [
            "{% include '/etc/os-release' %}",
            "{%- include \"../x\" %}",
            "{% import '/x' as m %}",
            "{% extends '/x' %}",
        ] {
            let err = check_template(bad).unwrap_err();
            assert!(
                describe(&err).contains("inside the templates directory"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn runaway_templates_end_with_a_budget_error() {
        let renderer = Renderer::new(
            None,
            Limits {
                fuel: 100_000,
                output: 1_000,
            },
        );
        let loops =
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
        let err = renderer.render_str(loops, Value::UNDEFINED).unwrap_err();
        assert!(
            matches!(err, RenderError::OutOfFuel { fuel: 100_000 }),
            "{err}"
        );
        assert!(err.to_string().contains("limits.template_fuel"), "{err}");
        let err = renderer
            .render_str(
                "{% for i in range(500) %}{{ i }}{% endfor %}",
                Value::UNDEFINED,
            )
            .unwrap_err();
        assert!(
            matches!(err, RenderError::OutputTooLong { limit: 1_000 }),
            "{err}"
        );
        assert_eq!(
            renderer
                .render_str("{{ 1 + 1 }}", Value::UNDEFINED)
                .unwrap(),
            "2"
        );
        let err = renderer
            .is_true(
                "range(100000) | map('string') | join | length > 0",
                Value::UNDEFINED,
            )
            .unwrap_err();
        assert!(matches!(err, RenderError::OutOfFuel { .. }), "{err}");
    }

    #[test]
    fn a_bad_computed_regex_is_not_quoted() {
        let env = environment(None);
        let err = env
            .render_str("{{ 'x' | regex_search('(s3cr3t') }}", ())
            .unwrap_err();
        let text = describe(&err);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("unclosed group"), "{text}");
    }

    #[test]
    fn regex_helpers() {
        let env = environment(None);
        let out = env
            .render_str(
                "{{ 'Version 15.2(4)' | regex_search('Version (\\\\S+)') }} {{ 'abc' is match('b') }}",
                (),
            )
            .unwrap();
        assert_eq!(out, "15.2(4) True");
    }
}
