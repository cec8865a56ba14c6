//! The connections of a loaded plugin: each call on a thread of its own, with the life of the
//! plugin's handle (busy, abandoned, closed) ordered by one lock.
#![allow(unsafe_code)]

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
/// returns (also when the caller stopped waiting).
async fn on_thread<T: Send + 'static>(
    permits: &Arc<tokio::sync::Semaphore>,
    f: impl FnOnce() -> Result<T, ConnectionError> + Send + 'static,
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
            let _ = tx.send(result);
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

impl ConnectionPlugin for LoadedPlugin {
    fn info(&self) -> &PluginInfo {
        &self.info
    }

    fn open<'a>(
        &'a self,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<Box<dyn Connection>, ConnectionError>> {
        Box::pin(async move {
            let table = self.table;
            let plugin = self.info.name.clone();
            let hostname = target.hostname.clone();
            let port = target.port.map(|p| p.to_string());
            let username = target.username.clone();
            let password = target.password.clone();
            let platform = target.platform.clone();
            let extras = serde_json::Value::Object(target.extras.clone()).to_string();
            let name = plugin.clone();
            let handle = on_thread(&self.permits, move || {
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
            })
            .await?;
            Ok(Box::new(LoadedConnection {
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
            }) as Box<dyn Connection>)
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

/// An open connection of a loaded plugin.
struct LoadedConnection {
    table: Table,
    name: String,
    /// The plugin accepts `command:`/`config:` steps as CLI operations.
    cli: bool,
    permits: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
}

impl LoadedConnection {
    /// Calls operation `op` with JSON `args` on a plugin thread.
    async fn call(&self, op: String, args: String) -> Result<serde_json::Value, ConnectionError> {
        let table = self.table;
        let plugin = self.name.clone();
        let shared = self.shared.clone();
        on_thread(&self.permits, move || {
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
            // Copied out, then handed back to the plugin's allocator. The length is checked
            // before any slice is built from it.
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
        })
        .await
    }

    fn unsupported(&self, op: &Operation<'_>) -> ConnectionError {
        ConnectionError::Unsupported {
            plugin: self.name.clone(),
            what: op.describe(),
        }
    }
}

/// A CLI operation's result: the device's text, as the header asks for.
fn cli_output(value: serde_json::Value) -> Output {
    match value {
        serde_json::Value::String(text) => Output::Text(text),
        other => Output::Json(other),
    }
}

impl Connection for LoadedConnection {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            match op {
                Operation::Call { name, args } => self
                    .call(name.to_string(), args.to_string())
                    .await
                    .map(Output::Json),
                Operation::Command(command) if self.cli => {
                    let args = serde_json::json!({ "command": command }).to_string();
                    self.call(CLI_COMMAND.to_string(), args)
                        .await
                        .map(cli_output)
                }
                Operation::Config(lines) if self.cli => {
                    let args = serde_json::json!({ "lines": lines }).to_string();
                    self.call(CLI_CONFIG.to_string(), args)
                        .await
                        .map(cli_output)
                }
                other => Err(self.unsupported(&other)),
            }
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let table = self.table;
            let shared = self.shared.clone();
            on_thread(&self.permits, move || {
                let alive = shared.with_handle(&table, |conn| match table.0.is_alive {
                    // SAFETY: the handle is live and this thread has it to itself.
                    Some(is_alive) => unsafe { is_alive(conn) != 0 },
                    None => false,
                });
                Ok(alive.unwrap_or(false))
            })
            .await
            .unwrap_or(false)
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let table = self.table;
            let shared = self.shared.clone();
            let _ = on_thread(&self.permits, move || {
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
            })
            .await;
        })
    }

    fn abandon(self: Box<Self>) {
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
