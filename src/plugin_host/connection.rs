//! The connections of a plugin loaded into this process: each call on a thread of its own, with
//! the life of the plugin's handle (busy, abandoned, closed) ordered by one lock. The helper
//! process of an isolated plugin (`serve.rs`) runs the very same code.
#![allow(unsafe_code)]

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use netrun_plugin_sdk::abi::{
    NR_ERR_UNREACHABLE, NR_OK, NrConnection, NrError, NrOpenParams, NrOwnedStr, NrStr,
};

use super::{LoadedPlugin, Table};
use crate::connection::{
    BoxFuture, CLI_COMMAND, CLI_CONFIG, CommandType, Connection, ConnectionError, ConnectionPlugin,
    Operation, Output, PluginInfo, Target,
};

fn plugin_error(plugin: &str, code: i32, err: &NrError) -> ConnectionError {
    let message = err.message();
    let message = if message.is_empty() {
        format!("the `{plugin}` plugin failed (code {code})")
    } else {
        message
    };
    if code == NR_ERR_UNREACHABLE {
        ConnectionError::Unreachable { message }
    } else {
        ConnectionError::Failed {
            message,
            partial: None,
        }
    }
}

/// Runs blocking plugin code on a thread of its own, holding one of `permits` until the code
/// returns (also when the caller stopped waiting). A result nobody waits for any more is handed
/// to `undelivered`, so that an opened handle still gets closed.
async fn on_thread<T: Send + 'static>(
    permits: &Arc<tokio::sync::Semaphore>,
    f: impl FnOnce() -> Result<T, ConnectionError> + Send + 'static,
    undelivered: impl FnOnce(T) + Send + 'static,
) -> Result<T, ConnectionError> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ConnectionError::Broken {
            message: "plugin call pool closed".into(),
            partial: None,
        })?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("netrun-plugin".into())
        .spawn(move || {
            let result = f();
            drop(permit);
            if let Err(Ok(value)) = tx.send(result) {
                undelivered(value);
            }
        });
    if let Err(e) = spawned {
        return Err(ConnectionError::Failed {
            message: format!("cannot start a thread for the plugin call: {e}"),
            partial: None,
        });
    }
    rx.await.unwrap_or_else(|_| {
        Err(ConnectionError::Failed {
            message: "the plugin call ended without a result".into(),
            partial: None,
        })
    })
}

/// What a step asks of a plugin: an operation name and its JSON arguments, whichever mode runs
/// the plugin. `command:`/`config:` steps become the CLI operations of the header.
pub(super) struct PluginCall<'a> {
    /// The operation.
    pub name: &'a str,
    /// Its arguments.
    pub args: Cow<'a, serde_json::Value>,
    /// A CLI operation, whose result is the device's text.
    pub cli: bool,
}

/// Turns `op` into a plugin call, or says the plugin cannot run it.
pub(super) fn plugin_call<'a>(
    op: Operation<'a>,
    accepts_cli: bool,
    plugin: &str,
) -> Result<PluginCall<'a>, ConnectionError> {
    match op {
        Operation::Call { name, args } => Ok(PluginCall {
            name,
            args: Cow::Borrowed(args),
            cli: false,
        }),
        Operation::Command(command) if accepts_cli => Ok(PluginCall {
            name: CLI_COMMAND,
            args: Cow::Owned(serde_json::json!({ "command": command })),
            cli: true,
        }),
        Operation::Config(lines) if accepts_cli => Ok(PluginCall {
            name: CLI_CONFIG,
            args: Cow::Owned(serde_json::json!({ "lines": lines })),
            cli: true,
        }),
        other => Err(ConnectionError::Unsupported {
            plugin: plugin.to_string(),
            what: other.describe(),
        }),
    }
}

/// A call's result as a step sees it: a CLI operation's JSON string is the device's text.
pub(super) fn call_output(cli: bool, value: serde_json::Value) -> Output {
    match value {
        serde_json::Value::String(text) if cli => Output::Text(text),
        other => Output::Json(other),
    }
}

impl LoadedPlugin {
    /// The plugin's metadata.
    pub(super) fn plugin_info(&self) -> &PluginInfo {
        &self.info
    }

    /// Opens a connection on a plugin thread. A handle opened after the caller stopped waiting
    /// (a deadline passed) is closed at once.
    pub(super) async fn open_connection(
        &self,
        target: &Target,
    ) -> Result<LoadedConnection, ConnectionError> {
        let table = self.table;
        let plugin = self.info.name.clone();
        let hostname = target.hostname.clone();
        let port = target.port.map(|p| p.to_string());
        let username = target.username.clone();
        let password = target.password.clone();
        let platform = target.platform.clone();
        let extras = serde_json::Value::Object(target.extras.clone()).to_string();
        let name = plugin.clone();
        let opened = move || {
            let params = NrOpenParams {
                hostname: NrStr::borrowed(&hostname),
                port: NrStr::optional(port.as_deref()),
                username: NrStr::optional(username.as_deref()),
                password: NrStr::optional(password.as_deref()),
                platform: NrStr::optional(platform.as_deref()),
                extras_json: NrStr::borrowed(&extras),
            };
            let mut out: *mut NrConnection = std::ptr::null_mut();
            let mut err = NrError::new();
            let Some(open) = table.0.open else {
                return Err(plugin_error(&name, -1, &err));
            };
            // SAFETY: params' strings outlive the call; out and err are ours.
            let code = unsafe { open(&params, &mut out, &mut err) };
            if code != NR_OK {
                return Err(plugin_error(&name, code, &err));
            }
            if out.is_null() {
                return Err(ConnectionError::Failed {
                    message: format!("the `{name}` plugin opened no connection"),
                    partial: None,
                });
            }
            Ok(out as usize)
        };
        let unwanted = move |handle: usize| {
            if let Some(close) = table.0.close {
                // SAFETY: the handle was just opened, nobody else has it, and it is closed once.
                unsafe { close(handle as *mut NrConnection) };
            }
        };
        let handle = on_thread(&self.permits, opened, unwanted).await?;
        Ok(LoadedConnection {
            table,
            name: plugin,
            cli: self.info.declared.accepts(CommandType::Cli),
            permits: self.permits.clone(),
            shared: Arc::new(Shared {
                handle,
                life: Mutex::new(Life {
                    open: true,
                    busy: false,
                    abandoned: false,
                }),
            }),
        })
    }
}

impl ConnectionPlugin for LoadedPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn open<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnectionError>> {
        Box::pin(async move {
            let conn = self.open_connection(target).await?;
            Ok(Box::new(conn) as Box<dyn Connection>)
        })
    }
}

/// Where a plugin connection is in its life; the lock is what orders `cancel` before `close`.
struct Life {
    /// The handle is valid (not closed yet).
    open: bool,
    /// A thread is inside `call` or `is_alive` with the handle.
    busy: bool,
    /// The run gave up on the connection: the thread that finishes last closes it.
    abandoned: bool,
}

/// A plugin connection's handle and life, shared with the threads that use it.
struct Shared {
    /// The plugin's `nr_connection *`, as an address so that it can move between threads.
    handle: usize,
    life: Mutex<Life>,
}

impl Shared {
    fn life(&self) -> std::sync::MutexGuard<'_, Life> {
        // A poisoned lock only means a thread panicked while holding it; the flags stay valid.
        self.life.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the handle, marked busy, unless the connection is closed; closes it
    /// afterwards when it was abandoned meanwhile.
    fn with_handle<T>(&self, table: &Table, f: impl FnOnce(*mut NrConnection) -> T) -> Option<T> {
        {
            let mut life = self.life();
            if !life.open || life.abandoned {
                return None;
            }
            life.busy = true;
        }
        let result = f(self.handle as *mut NrConnection);
        let close_now = {
            let mut life = self.life();
            life.busy = false;
            let close = life.abandoned && life.open;
            if close {
                life.open = false;
            }
            close
        };
        if close_now && let Some(close) = table.0.close {
            // SAFETY: the handle is open, no other thread uses it, and it is closed once.
            unsafe { close(self.handle as *mut NrConnection) };
        }
        Some(result)
    }
}

/// An open connection of a plugin loaded into this process.
pub(super) struct LoadedConnection {
    table: Table,
    name: String,
    /// The plugin accepts `command:`/`config:` steps as CLI operations.
    cli: bool,
    permits: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
}

impl LoadedConnection {
    /// Calls operation `op` with JSON `args` on a plugin thread.
    pub(super) async fn call(
        &self,
        op: String,
        args: String,
    ) -> Result<serde_json::Value, ConnectionError> {
        let table = self.table;
        let plugin = self.name.clone();
        let shared = self.shared.clone();
        let work = move || {
            let closed = || ConnectionError::Broken {
                message: "connection already closed".into(),
                partial: None,
            };
            let (Some(call), Some(free)) = (table.0.call, table.0.free_string) else {
                return Err(plugin_error(&plugin, -1, &NrError::new()));
            };
            let outcome = shared.with_handle(&table, |conn| {
                let mut result = NrOwnedStr {
                    ptr: std::ptr::null_mut(),
                    len: 0,
                };
                let mut err = NrError::new();
                // SAFETY: the handle is live and this thread has it to itself; the strings
                // outlive the call.
                let code = unsafe {
                    call(
                        conn,
                        NrStr::borrowed(&op),
                        NrStr::borrowed(&args),
                        &mut result,
                        &mut err,
                    )
                };
                (code, result, err)
            });
            let (code, result, err) = outcome.ok_or_else(closed)?;
            if code != NR_OK {
                return Err(plugin_error(&plugin, code, &err));
            }
            let text = NrStr {
                ptr: result.ptr,
                len: result.len,
            };
            // Copied out, then handed back to the plugin's allocator. `as_opt_str` checks the
            // length against NR_MAX_STRING_LEN before any slice is built from it.
            // SAFETY: the plugin returned `len` bytes at `ptr`, valid until freed.
            let parsed = match unsafe { text.as_opt_str() } {
                Ok(Some(s)) => serde_json::from_str::<serde_json::Value>(s)
                    .map_err(|e| format!("result is not JSON: {e}")),
                Ok(None) => Err("result is missing".to_string()),
                Err(e) => Err(format!("result {e}")),
            };
            if !result.ptr.is_null() {
                // SAFETY: freed exactly once, by the allocator that made it.
                unsafe { free(result) };
            }
            parsed.map_err(|message| ConnectionError::Failed {
                message: format!("the `{plugin}` plugin returned a bad result: {message}"),
                partial: None,
            })
        };
        on_thread(&self.permits, work, drop).await
    }

    /// Whether the plugin says the connection still works, asked on a plugin thread.
    pub(super) async fn alive(&self) -> bool {
        let table = self.table;
        let shared = self.shared.clone();
        let work = move || {
            let alive = shared.with_handle(&table, |conn| match table.0.is_alive {
                // SAFETY: the handle is live and this thread has it to itself.
                Some(is_alive) => unsafe { is_alive(conn) != 0 },
                None => false,
            });
            Ok(alive.unwrap_or(false))
        };
        on_thread(&self.permits, work, drop).await.unwrap_or(false)
    }

    /// Closes the connection on a plugin thread, or leaves that to the thread still using it.
    pub(super) fn close_later(&self) -> BoxFuture<'static, ()> {
        let table = self.table;
        let shared = self.shared.clone();
        let permits = self.permits.clone();
        Box::pin(async move {
            let work = move || {
                let close_now = {
                    let mut life = shared.life();
                    let close = life.open && !life.busy;
                    if close {
                        life.open = false;
                    } else {
                        // In use after all: whoever finishes closes it.
                        life.abandoned = true;
                    }
                    close
                };
                if close_now && let Some(close) = table.0.close {
                    // SAFETY: the handle is open and idle, and it is closed once.
                    unsafe { close(shared.handle as *mut NrConnection) };
                }
                Ok(())
            };
            let _ = on_thread(&permits, work, drop).await;
        })
    }

    /// Gives up on the connection without waiting: cancels a running call, closes it when idle.
    pub(super) fn abandon_now(&self) {
        let table = self.table;
        let shared = self.shared.clone();
        // On a thread of its own: neither `cancel` nor `close` may hold up the run.
        let _ = std::thread::Builder::new()
            .name("netrun-plugin-abandon".into())
            .spawn(move || {
                let mut life = shared.life();
                life.abandoned = true;
                if !life.open {
                    return;
                }
                if life.busy {
                    // The lock is held while cancelling, so the call's thread cannot close the
                    // handle under `cancel`; it closes it once the call returns.
                    if let Some(cancel) = table.0.cancel {
                        // SAFETY: the handle is open (closing needs this lock); the ABI allows
                        // `cancel` from another thread while `call` runs.
                        unsafe { cancel(shared.handle as *mut NrConnection) };
                    }
                    return;
                }
                life.open = false;
                drop(life);
                if let Some(close) = table.0.close {
                    // SAFETY: the handle was open and idle, and it is closed once.
                    unsafe { close(shared.handle as *mut NrConnection) };
                }
            });
    }
}

impl Connection for LoadedConnection {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            let request = plugin_call(op, self.cli, &self.name)?;
            let value = self
                .call(request.name.to_string(), request.args.to_string())
                .await?;
            Ok(call_output(request.cli, value))
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(self.alive())
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        self.close_later()
    }

    fn abandon(self: Box<Self>) {
        self.abandon_now();
    }
}
