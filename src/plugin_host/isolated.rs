//! netrun's side of a plugin running in a helper process (`isolation: process`): the same
//! [`ConnectionPlugin`] and [`Connection`] traits as an in-process plugin, each operation a
//! request to the helper (`protocol.rs`). A helper that dies fails the requests it had, and the
//! next open starts a new one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::INIT_TIMEOUT;
use super::connection::{call_output, plugin_call};
use super::helper::{Ended, Helper, Waited, wait_until};
use super::protocol::{Body, Outcome, WireInfo, WireTarget};
use crate::connection::{
    BoxFuture, CommandType, Connection, ConnectionError, ConnectionPlugin, Operation, Output,
    PluginInfo, Target,
};

/// "init did not answer within 10 s".
fn init_timed_out() -> String {
    format!("init did not answer within {} s", INIT_TIMEOUT.as_secs())
}

/// The metadata in an answer to `info`, or why the library cannot be used.
fn info_of(answer: Waited, path: &Path) -> Result<PluginInfo, String> {
    match answer {
        Waited::Answer(Outcome::Ok(value)) => {
            let info: WireInfo = serde_json::from_value(value)
                .map_err(|e| format!("the plugin helper sent bad metadata: {e}"))?;
            Ok(PluginInfo {
                name: info.name,
                version: info.version,
                path: path.display().to_string(),
                declared: info.declared,
            })
        }
        Waited::Answer(Outcome::Error(err)) => Err(err.message),
        // The library's initialisers and `netrun_plugin_init` are what run before the answer.
        Waited::Ended(ended) => Err(format!("init {ended}")),
        Waited::TimedOut => Err(init_timed_out()),
    }
}

/// A helper started for a library and asked for its metadata, not answered yet: every library
/// a command needs is started first and waited for after, so that loading them takes one
/// [`INIT_TIMEOUT`] at most, not one each.
pub(super) struct Starting {
    path: PathBuf,
    concurrency: usize,
    helper: Arc<Helper>,
    answer: std::sync::mpsc::Receiver<Result<Outcome, Ended>>,
}

/// Starts a helper for the library at `path` (as [`super::load::library_path`] spelled it).
pub(super) fn start(path: &Path, concurrency: usize) -> Result<Starting, String> {
    let helper = Helper::spawn(path, concurrency)
        .map_err(|e| format!("cannot start a plugin helper process: {e}"))?;
    let answer = helper.request_sync(Body::Info);
    Ok(Starting {
        path: path.to_path_buf(),
        concurrency,
        helper,
        answer,
    })
}

impl Starting {
    /// Waits until `deadline` for the metadata: the plugin, or why the library is broken (its
    /// helper then told to exit, or killed if it hangs).
    pub fn finish(self, deadline: Instant) -> (Result<IsolatedPlugin, String>, Arc<Helper>) {
        let answer = wait_until(&self.answer, deadline);
        let timed_out = matches!(answer, Waited::TimedOut);
        let result = info_of(answer, &self.path);
        match &result {
            Err(_) if timed_out => self.helper.kill(),
            Err(_) => self.helper.exit(),
            Ok(_) => {}
        }
        let helper = self.helper.clone();
        let plugin = result.map(|info| IsolatedPlugin {
            cli: info.declared.accepts(CommandType::Cli),
            info,
            path: self.path,
            concurrency: self.concurrency,
            current: tokio::sync::Mutex::new(self.helper.clone()),
            helpers: Mutex::new(vec![self.helper]),
            next_conn: AtomicU64::new(1),
        });
        (plugin, helper)
    }
}

/// A plugin served by helper processes: one at a time, shared by every host of the run.
pub(super) struct IsolatedPlugin {
    info: PluginInfo,
    cli: bool,
    path: PathBuf,
    concurrency: usize,
    /// The helper new connections open on; replaced when it has ended.
    current: tokio::sync::Mutex<Arc<Helper>>,
    /// Every helper started, for the end of the run.
    helpers: Mutex<Vec<Arc<Helper>>>,
    /// Connection ids are netrun's: an open the run gives up on can still be cancelled by id.
    next_conn: AtomicU64,
}

/// The error of an operation whose helper died under it.
fn crashed(plugin: &str, ended: &str) -> ConnectionError {
    ConnectionError::Broken {
        message: format!("plugin `{plugin}` {ended}"),
        partial: None,
    }
}

impl IsolatedPlugin {
    /// The helper to open on: the current one, or a new one if it has ended.
    async fn helper(&self) -> Result<Arc<Helper>, ConnectionError> {
        let mut current = self.current.lock().await;
        let Some(ended) = current.ended() else {
            return Ok(current.clone());
        };
        crate::diag!(
            1,
            "plugin {} {ended} earlier; restarting it",
            self.info.name
        );
        let restart = |reason: String| ConnectionError::Broken {
            message: format!(
                "plugin `{}` {ended} and cannot be restarted: {reason}",
                self.info.name
            ),
            partial: None,
        };
        let helper = Helper::spawn(&self.path, self.concurrency)
            .map_err(|e| restart(format!("cannot start a plugin helper process: {e}")))?;
        self.all_helpers().push(helper.clone());
        let answer = match tokio::time::timeout(INIT_TIMEOUT, helper.request(Body::Info)).await {
            Ok(Ok(outcome)) => Waited::Answer(outcome),
            Ok(Err(ended)) => Waited::Ended(ended),
            Err(_) => Waited::TimedOut,
        };
        let info = info_of(answer, &self.path).map_err(|reason| {
            helper.kill();
            restart(reason)
        })?;
        if info.name != self.info.name {
            helper.exit();
            return Err(restart(format!(
                "the library now calls itself `{}`",
                info.name
            )));
        }
        *current = helper.clone();
        Ok(helper)
    }

    fn all_helpers(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Helper>>> {
        self.helpers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every helper this plugin started, for the end of the run.
    pub fn helpers(&self) -> Vec<Arc<Helper>> {
        self.all_helpers().clone()
    }
}

/// Cancels an open the run stopped waiting for, so that the helper closes the connection the
/// open makes (or made) instead of keeping it forever.
struct CancelOpen {
    helper: Option<Arc<Helper>>,
    conn: u64,
}

impl Drop for CancelOpen {
    fn drop(&mut self) {
        if let Some(helper) = self.helper.take() {
            helper.notify(Body::Cancel { conn: self.conn });
        }
    }
}

impl ConnectionPlugin for IsolatedPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn open<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnectionError>> {
        Box::pin(async move {
            let helper = self.helper().await?;
            let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
            let mut pending = CancelOpen {
                helper: Some(helper.clone()),
                conn,
            };
            let body = Body::Open {
                conn,
                target: WireTarget::from(target),
            };
            let outcome = helper.request(body).await;
            pending.helper = None;
            match outcome {
                Ok(Outcome::Ok(_)) => Ok(Box::new(IsolatedConnection {
                    helper,
                    conn,
                    plugin: self.info.name.clone(),
                    cli: self.cli,
                }) as Box<dyn Connection>),
                Ok(Outcome::Error(err)) => Err(err.into_connection_error()),
                Err(ended) => Err(crashed(&self.info.name, &ended)),
            }
        })
    }
}

/// A connection served by a helper process.
struct IsolatedConnection {
    helper: Arc<Helper>,
    conn: u64,
    plugin: String,
    /// The plugin accepts `command:`/`config:` steps as CLI operations.
    cli: bool,
}

impl Connection for IsolatedConnection {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            let call = plugin_call(op, self.cli, &self.plugin)?;
            let body = Body::Call {
                conn: self.conn,
                name: call.name.to_string(),
                args: call.args.into_owned(),
            };
            match self.helper.request(body).await {
                Ok(Outcome::Ok(value)) => Ok(call_output(call.cli, value)),
                Ok(Outcome::Error(err)) => Err(err.into_connection_error()),
                Err(ended) => Err(crashed(&self.plugin, &ended)),
            }
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            if self.helper.ended().is_some() {
                // Its helper died: the register opens a new connection, on a new helper.
                return false;
            }
            let answer = self.helper.request(Body::IsAlive { conn: self.conn }).await;
            matches!(answer, Ok(Outcome::Ok(serde_json::Value::Bool(true))))
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            if self.helper.ended().is_none() {
                let _ = self.helper.request(Body::Close { conn: self.conn }).await;
            }
        })
    }

    fn abandon(self: Box<Self>) {
        self.helper.notify(Body::Cancel { conn: self.conn });
    }
}
