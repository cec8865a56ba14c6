//! A `config:` step: the running configuration is read (once per host and run, again after a
//! change), only the missing lines are sent, and what was sent — or, under `--dry-run`, what
//! would be — is reported with the diff when `--diff` asks.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Step;
use super::config_lines::{self, MatchMode, Plan, Unmatchable};
use super::run::{Done, HostRef, Returned, StepError, TaskRun, run_op};
use crate::connection::{HostConnections, Operation};
use crate::platform::{ConfigStyle, Platform};

/// The running configurations read during a run, by host and connection: read before a host's
/// first config step, forgotten when a step changes the device.
#[derive(Default)]
pub struct RunningConfigs(Mutex<HashMap<(usize, String), String>>);

impl RunningConfigs {
    fn get(&self, key: &(usize, String)) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn set(&self, key: (usize, String), text: Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match text {
            Some(text) => map.insert(key, text),
            None => map.remove(&key),
        };
    }
}

/// How a config step ended, for its result node.
pub(super) struct ConfigDone {
    pub(super) result: Returned,
    pub(super) changes: bool,
    pub(super) lines: Vec<String>,
    pub(super) dry_run: bool,
    pub(super) diff: Option<String>,
    pub(super) note: Option<String>,
}

/// How to read a host's running configuration.
struct Reader<'p> {
    platform: &'p Platform,
    command: String,
    style: ConfigStyle,
}

impl TaskRun {
    /// The host's platform and how it shows its running configuration, or why it cannot.
    fn reader(&self, host: HostRef, plugin: &str) -> Result<Reader<'_>, Unmatchable> {
        let name = self
            .platform_of(host)
            .unwrap_or_else(|| crate::platform::GENERIC.to_string());
        if plugin != "ssh" {
            return Err(Unmatchable::Connection(plugin.to_string()));
        }
        let platform = self
            .platforms
            .get(&name)
            .ok_or_else(|| Unmatchable::Style(name.clone()))?;
        let running = platform
            .running_config
            .as_ref()
            .ok_or_else(|| Unmatchable::Style(name.clone()))?;
        Ok(Reader {
            platform,
            command: running.command.clone(),
            style: running.style,
        })
    }

    /// The running configuration, from this run's cache or read now.
    async fn running(
        &self,
        host: HostRef,
        plugin: &str,
        reader: &Reader<'_>,
        connections: &mut HostConnections,
    ) -> Result<String, StepError> {
        let key = (host.index, plugin.to_string());
        if let Some(text) = self.running.get(&key) {
            return Ok(text);
        }
        let read = run_op(connections, plugin, Operation::Command(&reader.command)).await?;
        let text = match read.result {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        self.running.set(key, Some(text.clone()));
        Ok(text)
    }

    /// Sends what `lines` add to the running configuration (everything with `match: none`, or
    /// where lines cannot be compared), or under `--dry-run` works out what it would send.
    pub(super) async fn config(
        &self,
        host: HostRef,
        step: &Step,
        plugin: &str,
        lines: Vec<String>,
        connections: &mut HostConnections,
    ) -> Result<Done, StepError> {
        let name = self.inventory.host(host.index).name().to_string();
        let reader = self.reader(host, plugin);
        let compare = step.match_mode == MatchMode::Line;
        let mut note = None;
        let before = match &reader {
            Ok(reader) if compare || self.diff => {
                Some(self.running(host, plugin, reader, connections).await?)
            }
            Ok(_) => None,
            Err(why) => {
                if compare {
                    note = Some(format!("every line sent: {why}"));
                }
                None
            }
        };
        let plan = match (&reader, &before) {
            (Ok(reader), Some(running)) if compare => {
                let volatile = |l: &str| reader.platform.is_volatile(l);
                config_lines::plan(
                    running,
                    &lines,
                    Some(reader.style),
                    &reader.platform.name,
                    &volatile,
                )
                .unwrap_or_else(|why| {
                    note = Some(format!("every line sent: {why}"));
                    Plan::everything(&lines)
                })
            }
            _ => Plan::everything(&lines),
        };
        let texts = plan.texts();
        if plan.is_empty() {
            return Ok(Done::Config(Box::new(ConfigDone {
                result: text_result(format!(
                    "no change: the device has all {} line{}",
                    lines.len(),
                    crate::output::plural(lines.len())
                )),
                changes: false,
                lines: Vec::new(),
                dry_run: self.dry_run,
                diff: None,
                note,
            })));
        }
        if self.dry_run {
            let diff = self.diff.then(|| plan.as_diff(&name));
            return Ok(Done::Config(Box::new(ConfigDone {
                result: text_result(format!("{}\n", texts.join("\n"))),
                changes: true,
                lines: texts,
                dry_run: true,
                diff,
                note,
            })));
        }
        let key = (host.index, plugin.to_string());
        // Whatever happens next, the device may have changed: the copy is stale.
        self.running.set(key, None);
        let result = run_op(connections, plugin, Operation::Config(&texts)).await?;
        let diff = match (&reader, before) {
            (Ok(reader), Some(before)) if self.diff => {
                let after = self.running(host, plugin, reader, connections).await?;
                let volatile = |l: &str| reader.platform.is_volatile(l);
                Some(config_lines::diff(&name, &before, &after, &volatile).0)
            }
            _ => None,
        };
        Ok(Done::Config(Box::new(ConfigDone {
            result,
            changes: true,
            lines: texts,
            dry_run: false,
            diff,
            note,
        })))
    }
}

fn text_result(text: String) -> Returned {
    Returned {
        result: serde_json::Value::String(text),
        stderr: None,
    }
}
