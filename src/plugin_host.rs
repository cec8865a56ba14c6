//! Connection plugins loaded from shared libraries (ABI v1, `plugins/include/netrun_plugin.h`):
//! the only module of `src/` that may use `unsafe`, each use with its `SAFETY:` argument.
//!
//! A library is loaded once and never unloaded: its function pointers and static strings must
//! stay valid for the whole process. A library that fails any check becomes a [`BrokenPlugin`]
//! with its path and reason: listed by `netrun plugins`, fatal only to tasks that need it.
//!
//! Plugin code blocks, so every call runs on a thread of its own, never on the async runtime:
//! a call that never returns costs that thread, not the run. When the run gives up on a
//! connection mid-call (a deadline, Ctrl-C), the connection is abandoned: the plugin's `cancel`
//! (ABI 1.1) is asked to end the call, and whichever thread finishes last closes it.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use netrun_plugin_sdk::abi::{
    NR_ABI_VERSION, NR_ERR_UNREACHABLE, NR_INIT_SYMBOL, NR_OK, NR_PLUGIN_SIZE_1_0,
    NR_PLUGIN_SIZE_1_1, NrConnection, NrError, NrInitFn, NrOpenParams, NrOwnedStr, NrPluginV1,
    NrStr,
};
use netrun_plugin_sdk::info::valid_name;

use crate::connection::{
    BoxFuture, CLI_COMMAND, CLI_CONFIG, CommandType, Connection, ConnectionError,
    ConnectionPlugin, Declared, Operation, Output, PluginInfo, Target,
};

/// A library that could not be used, and why.
#[derive(Clone, Debug)]
pub struct BrokenPlugin {
    /// Where it was loaded from.
    pub path: PathBuf,
    /// What was wrong with it.
    pub reason: String,
}

/// The function table of a loaded library, valid forever because the library is never unloaded.
#[derive(Clone, Copy)]
struct Table(NrPluginV1);

// SAFETY: the table holds function pointers and pointers to the plugin's static strings; the
// ABI requires a plugin's functions to be callable from any thread (one connection at a time).
unsafe impl Send for Table {}
// SAFETY: as above; the table itself is never mutated after loading.
unsafe impl Sync for Table {}

/// A plugin loaded from a shared library.
pub struct LoadedPlugin {
    info: PluginInfo,
    table: Table,
    /// Bounds the threads running plugin code at once.
    permits: Arc<tokio::sync::Semaphore>,
}

/// Everything plugin loading produced.
#[derive(Default)]
pub struct PluginSet {
    /// Plugins that passed every check.
    pub loaded: Vec<Arc<LoadedPlugin>>,
    /// Plugins that did not.
    pub broken: Vec<BrokenPlugin>,
}

impl PluginSet {
    /// Loads every library in `paths`, then every shared library in `dirs` (sorted by name);
    /// `reserved` are names already taken (the built-in plugins). `concurrency` bounds how many
    /// plugin calls run at once.
    pub fn load(
        paths: &[PathBuf],
        dirs: &[PathBuf],
        reserved: &[&str],
        concurrency: usize,
    ) -> PluginSet {
        let mut all: Vec<PathBuf> = paths.to_vec();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                // A configured but absent directory just holds no plugins.
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e == "so" || e == "dylib" || e == "dll")
                })
                .collect();
            found.sort();
            all.extend(found);
        }
        let mut set = PluginSet::default();
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        for path in all {
            let result = load_one(&path).and_then(|(info, table)| {
                if reserved.contains(&info.name.as_str()) {
                    return Err(format!(
                        "name `{}` is taken by a built-in plugin",
                        info.name
                    ));
                }
                if let Some(other) = set.loaded.iter().find(|p| p.info.name == info.name) {
                    return Err(format!(
                        "name `{}` is already used by {}",
                        info.name, other.info.path
                    ));
                }
                Ok(LoadedPlugin {
                    info,
                    table,
                    permits: permits.clone(),
                })
            });
            match result {
                Ok(plugin) => {
                    crate::diag!(
                        1,
                        "plugin {} loaded from {}",
                        plugin.info.name,
                        path.display()
                    );
                    set.loaded.push(Arc::new(plugin));
                }
                Err(reason) => {
                    crate::diag!(1, "plugin {} is broken: {reason}", path.display());
                    set.broken.push(BrokenPlugin { path, reason });
                }
            }
        }
        set
    }

    /// One line naming every broken library and why, if there are any.
    pub fn broken_summary(&self) -> Option<String> {
        if self.broken.is_empty() {
            return None;
        }
        let lines: Vec<String> = self
            .broken
            .iter()
            .map(|b| format!("{}: {}", b.path.display(), b.reason))
            .collect();
        Some(format!("broken plugins: {}", lines.join("; ")))
    }
}

/// Loads and checks one library.
fn load_one(path: &Path) -> Result<(PluginInfo, Table), String> {
    // dlopen searches the system library path for a bare file name; the user means the file.
    let local;
    let path = if path.parent() == Some(Path::new("")) {
        local = Path::new(".").join(path);
        &local
    } else {
        path
    };
    // SAFETY: loading runs the library's initialisers; a plugin is trusted code by design
    // (the user named it), and this is the documented risk of loading it.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| {
        // libloading's own text is only "dlopen failed"; the loader's message ("No such
        // file", "invalid ELF header") is in its source.
        match std::error::Error::source(&e) {
            Some(source) => format!("cannot load: {e}: {source}"),
            None => format!("cannot load: {e}"),
        }
    })?;
    // Never unloaded: the table's pointers point into the library.
    let lib: &'static libloading::Library = Box::leak(Box::new(lib));
    // SAFETY: the symbol's type is fixed by ABI v1.
    let init: libloading::Symbol<'static, NrInitFn> = unsafe { lib.get(NR_INIT_SYMBOL) }
        .map_err(|_| "missing symbol `netrun_plugin_init` (not a netrun plugin?)".to_string())?;
    // A zeroed table has every function pointer `None`, so unfilled fields are detected.
    // SAFETY: all-zero is a valid NrPluginV1 (integers, Option<fn>, null pointers).
    let mut table: NrPluginV1 = unsafe { std::mem::zeroed() };
    let mut err = NrError::new();
    let size = std::mem::size_of::<NrPluginV1>();
    // SAFETY: the table and error buffer are ours and writable for `size` bytes.
    let code = unsafe { init(NR_ABI_VERSION, &mut table, size as u32, &mut err) };
    if code != NR_OK {
        return Err(format!("init failed (code {code}): {}", err.message()));
    }
    check_revision(&mut table)?;
    let (Some(_), Some(_), Some(_), Some(_), Some(_)) = (
        table.open,
        table.call,
        table.is_alive,
        table.close,
        table.free_string,
    ) else {
        return Err("function table has a null function pointer".to_string());
    };
    // SAFETY: metadata strings are static in the plugin, which stays loaded.
    let text = |s: NrStr, what: &str| -> Result<String, String> {
        unsafe { s.as_str() }
            .map(str::to_string)
            .map_err(|e| format!("{what} {e}"))
    };
    let name = text(table.name, "name")?;
    if !valid_name(&name) {
        return Err(format!(
            "bad name `{name}`: use lowercase letters, digits and `_`"
        ));
    }
    let version = text(table.version, "version")?;
    let declared = Declared::from_json(&text(table.info_json, "info JSON")?)?;
    let info = PluginInfo {
        name,
        version,
        path: path.display().to_string(),
        declared,
    };
    Ok((info, Table(table)))
}

/// Applies the versioning rule of the header: same major, at least revision 1.0's fields, and
/// only the fields both sides know are read (the rest are cleared, whatever the plugin wrote).
fn check_revision(table: &mut NrPluginV1) -> Result<(), String> {
    if table.abi_version != NR_ABI_VERSION {
        return Err(format!(
            "ABI version {} is not supported (netrun supports {NR_ABI_VERSION})",
            table.abi_version
        ));
    }
    let declared = table.struct_size as usize;
    if declared < NR_PLUGIN_SIZE_1_0 {
        return Err(format!(
            "function table too small: {declared} bytes, ABI 1.0 needs {NR_PLUGIN_SIZE_1_0}"
        ));
    }
    if declared < NR_PLUGIN_SIZE_1_1 {
        table.cancel = None;
    }
    Ok(())
}

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
    fn with_handle<T>(
        &self,
        table: &Table,
        f: impl FnOnce(*mut NrConnection) -> T,
    ) -> Option<T> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table(struct_size: usize, abi: u32) -> NrPluginV1 {
        // SAFETY: all-zero is a valid NrPluginV1.
        let mut table: NrPluginV1 = unsafe { std::mem::zeroed() };
        table.abi_version = abi;
        table.struct_size = struct_size as u32;
        unsafe extern "C" fn cancel(_: *mut NrConnection) -> i32 {
            0
        }
        table.cancel = Some(cancel);
        table
    }

    #[test]
    fn older_and_newer_revisions_load_and_another_major_does_not() {
        let mut older = table(NR_PLUGIN_SIZE_1_0, NR_ABI_VERSION);
        assert_eq!(check_revision(&mut older), Ok(()));
        assert!(older.cancel.is_none(), "a 1.0 table has no cancel");
        let mut current = table(NR_PLUGIN_SIZE_1_1, NR_ABI_VERSION);
        assert_eq!(check_revision(&mut current), Ok(()));
        assert!(current.cancel.is_some());
        let mut newer = table(NR_PLUGIN_SIZE_1_1 + 8, NR_ABI_VERSION);
        assert_eq!(check_revision(&mut newer), Ok(()));
        assert!(newer.cancel.is_some());
        let mut other_major = table(NR_PLUGIN_SIZE_1_1, 2);
        assert_eq!(
            check_revision(&mut other_major),
            Err("ABI version 2 is not supported (netrun supports 1)".to_string())
        );
        let mut small = table(8, NR_ABI_VERSION);
        assert!(
            check_revision(&mut small)
                .is_err_and(|e| e.starts_with("function table too small: 8 bytes"))
        );
    }
}
