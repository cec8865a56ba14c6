//! The context a canned output renders over: host vars, live session state, the running
//! configuration (only when the template uses it: it is the expensive part), time stamps.

use serde_json::{Map, Value};

use super::super::dialect::Output;
use super::Device;
use super::clock::{stamp_value, time_value};

impl Device {
    /// Renders an output without extra variables.
    pub(super) fn render_output(
        &self,
        output: &Output,
        args: &str,
        extra: Option<(&str, Value)>,
    ) -> Result<String, minijinja::Error> {
        self.render_with(output, args, extra, false)
    }

    /// Renders an output; `set_form` shows set-style configuration as set lines.
    pub(super) fn render_with(
        &self,
        output: &Output,
        args: &str,
        extra: Option<(&str, Value)>,
        set_form: bool,
    ) -> Result<String, minijinja::Error> {
        let (name, running, set_lines) = match output {
            Output::Static(text) => return Ok(text.clone()),
            Output::Template {
                name,
                running,
                set_lines,
            } => (name, *running, *set_lines),
        };
        let spec = &self.shared.dialect.config;
        let mut ctx = Map::new();
        {
            let store = self.shared.store();
            ctx.insert("hostname".into(), Value::from(store.hostname.clone()));
            if running {
                ctx.insert(
                    "running_config".into(),
                    Value::from(store.running.render(spec, set_form)),
                );
            }
            if set_lines {
                ctx.insert(
                    "running_set".into(),
                    Value::from(store.running.set_lines(spec)),
                );
            }
            ctx.insert("changed".into(), stamp_value(store.changed.as_ref()));
            ctx.insert("saved".into(), stamp_value(store.saved.as_ref()));
        }
        let (now, millis) = self.shared.clock.now();
        ctx.insert("now".into(), time_value(now, millis, None));
        ctx.insert("boot".into(), time_value(self.shared.boot, 0, None));
        ctx.insert("name".into(), Value::from(self.shared.name.clone()));
        ctx.insert("username".into(), Value::from(self.shared.username.clone()));
        ctx.insert(
            "platform".into(),
            Value::from(self.shared.dialect.name.clone()),
        );
        ctx.insert("args".into(), Value::from(args));
        if let Some((key, value)) = extra {
            ctx.insert(key.into(), value);
        }
        let session = minijinja::Value::from(minijinja::value::Serde(&ctx));
        let merged = minijinja::value::merge_maps([session, self.shared.vars.clone()]);
        self.shared.catalog.render(name, merged)
    }
}
