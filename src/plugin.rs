//! Connection plugins loaded from shared libraries (ABI v1, `plugins/include/netrun_plugin.h`).
//!
//! A library is loaded once and never unloaded: its function pointers and static strings must
//! stay valid for the whole process. A library that fails any check becomes a [`BrokenPlugin`]
//! with its path and reason: listed by `netrun plugins`, fatal only to tasks that need it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use netrun_plugin_sdk::abi::{
    NR_ABI_VERSION, NR_ERR_UNREACHABLE, NR_INIT_SYMBOL, NR_OK, NrConnection, NrError, NrInitFn,
    NrOpenParams, NrOwnedStr, NrPluginV1, NrStr,
};

use crate::connection::{
    BoxFuture, CommandType, Connection, ConnectionError, ConnectionPlugin, Operation,
    OperationInfo, Output, PluginInfo, Target,
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
    /// Bounds the blocking threads used for plugin calls.
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

    /// The reason a plugin named `name` is unavailable, if a broken library could be it.
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

/// The JSON metadata a plugin declares.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoJson {
    command_types: Vec<String>,
    #[serde(default)]
    operations: Vec<OpJson>,
    #[serde(default)]
    dry_run: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OpJson {
    name: String,
    #[serde(default)]
    read_only: bool,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
    if table.abi_version != NR_ABI_VERSION {
        return Err(format!(
            "ABI version {} is not supported (netrun supports {NR_ABI_VERSION})",
            table.abi_version
        ));
    }
    if (table.struct_size as usize) < size {
        return Err(format!(
            "function table too small: {} bytes, ABI v1 needs {size}",
            table.struct_size
        ));
    }
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
            .map_err(|_| format!("{what} is not UTF-8"))
    };
    let name = text(table.name, "name")?;
    if !valid_name(&name) {
        return Err(format!(
            "bad name `{name}`: use lowercase letters, digits and `_`"
        ));
    }
    let version = text(table.version, "version")?;
    let info_text = text(table.info_json, "info JSON")?;
    let info: InfoJson =
        serde_json::from_str(&info_text).map_err(|e| format!("bad info JSON: {e}"))?;
    let command_types = info
        .command_types
        .iter()
        .map(|t| match t.as_str() {
            "cli" => Ok(CommandType::Cli),
            "netconf" => Ok(CommandType::Netconf),
            "json_api" => Ok(CommandType::JsonApi),
            "custom" => Ok(CommandType::Custom),
            other => Err(format!("bad info JSON: unknown command type `{other}`")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = PluginInfo {
        name,
        version,
        path: path.display().to_string(),
        command_types,
        operations: info
            .operations
            .into_iter()
            .map(|o| OperationInfo {
                name: o.name,
                read_only: o.read_only,
            })
            .collect(),
        dry_run: info.dry_run,
    };
    Ok((info, Table(table)))
}

/// A plugin connection handle, moved between blocking threads one call at a time.
struct Handle(*mut NrConnection);

// SAFETY: the ABI lets a connection be used from any thread as long as it is one at a time,
// which the Mutex around it guarantees.
unsafe impl Send for Handle {}

/// An open connection of a loaded plugin.
struct LoadedConnection {
    table: Table,
    name: String,
    permits: Arc<tokio::sync::Semaphore>,
    /// `None` once closed. Shared with blocking calls so a cancelled step cannot race a close.
    handle: Arc<Mutex<Option<Handle>>>,
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

/// Runs blocking plugin code on tokio's blocking pool, holding one of `permits`.
async fn blocking<T: Send + 'static>(
    permits: &tokio::sync::Semaphore,
    f: impl FnOnce() -> Result<T, ConnectionError> + Send + 'static,
) -> Result<T, ConnectionError> {
    let _permit = permits
        .acquire()
        .await
        .map_err(|_| ConnectionError::Broken {
            message: "plugin call pool closed".into(),
            partial: None,
        })?;
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(ConnectionError::Failed {
            message: format!("plugin call aborted: {e}"),
            partial: None,
        })
    })
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
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
            let name = self.info.name.clone();
            let hostname = target.hostname.clone();
            let port = target.port.map(|p| p.to_string());
            let username = target.username.clone();
            let password = target.password.clone();
            let platform = target.platform.clone();
            let extras = serde_json::Value::Object(target.extras.clone()).to_string();
            let plugin = name.clone();
            let handle = blocking(&self.permits, move || {
                let params = NrOpenParams {
                    hostname: NrStr::borrowed(&hostname),
                    port: NrStr::borrowed(opt(&port)),
                    username: NrStr::borrowed(opt(&username)),
                    password: NrStr::borrowed(opt(&password)),
                    platform: NrStr::borrowed(opt(&platform)),
                    extras_json: NrStr::borrowed(&extras),
                };
                let mut out: *mut NrConnection = std::ptr::null_mut();
                let mut err = NrError::new();
                let Some(open) = table.0.open else {
                    return Err(plugin_error(&plugin, -1, &err));
                };
                // SAFETY: params' strings outlive the call; out and err are ours.
                let code = unsafe { open(&params, &mut out, &mut err) };
                if code != NR_OK {
                    return Err(plugin_error(&plugin, code, &err));
                }
                if out.is_null() {
                    return Err(ConnectionError::Failed {
                        message: format!("the `{plugin}` plugin opened no connection"),
                        partial: None,
                    });
                }
                Ok(Handle(out))
            })
            .await?;
            Ok(Box::new(LoadedConnection {
                table,
                name,
                permits: self.permits.clone(),
                handle: Arc::new(Mutex::new(Some(handle))),
            }) as Box<dyn Connection>)
        })
    }
}

impl Connection for LoadedConnection {
    fn run<'a>(&'a mut self, op: Operation<'a>) -> BoxFuture<'a, Result<Output, ConnectionError>> {
        Box::pin(async move {
            let Operation::Call { name: op, args } = op else {
                return Err(ConnectionError::Unsupported {
                    plugin: self.name.clone(),
                    what: op.describe(),
                });
            };
            let op = op.to_string();
            let args = args.to_string();
            let table = self.table;
            let plugin = self.name.clone();
            let handle = self.handle.clone();
            let json = blocking(&self.permits, move || {
                let guard = handle.lock().map_err(|_| ConnectionError::Broken {
                    message: "connection poisoned by an earlier failure".into(),
                    partial: None,
                })?;
                let Some(conn) = guard.as_ref() else {
                    return Err(ConnectionError::Broken {
                        message: "connection already closed".into(),
                        partial: None,
                    });
                };
                let (Some(call), Some(free)) = (table.0.call, table.0.free_string) else {
                    return Err(plugin_error(&plugin, -1, &NrError::new()));
                };
                let mut result = NrOwnedStr {
                    ptr: std::ptr::null_mut(),
                    len: 0,
                };
                let mut err = NrError::new();
                // SAFETY: the handle is live and locked; strings outlive the call.
                let code = unsafe {
                    call(
                        conn.0,
                        NrStr::borrowed(&op),
                        NrStr::borrowed(&args),
                        &mut result,
                        &mut err,
                    )
                };
                if code != NR_OK {
                    return Err(plugin_error(&plugin, code, &err));
                }
                // Copied out, then handed back to the plugin's allocator.
                let text = NrStr {
                    ptr: result.ptr,
                    len: result.len,
                };
                // SAFETY: the plugin returned `len` bytes at `ptr`, valid until freed.
                let parsed = unsafe { text.as_str() }
                    .map_err(|_| "result is not UTF-8".to_string())
                    .and_then(|s| {
                        serde_json::from_str::<serde_json::Value>(s)
                            .map_err(|e| format!("result is not JSON: {e}"))
                    });
                if !result.ptr.is_null() {
                    // SAFETY: freed exactly once, by the allocator that made it.
                    unsafe { free(result) };
                }
                parsed.map_err(|message| ConnectionError::Failed {
                    message: format!("the `{plugin}` plugin returned a bad result: {message}"),
                    partial: None,
                })
            })
            .await?;
            Ok(Output::Json(json))
        })
    }

    fn is_alive(&mut self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let table = self.table;
            let handle = self.handle.clone();
            blocking(&self.permits, move || {
                let guard = handle.lock().map_err(|_| ConnectionError::Broken {
                    message: String::new(),
                    partial: None,
                })?;
                let alive = match (guard.as_ref(), table.0.is_alive) {
                    // SAFETY: the handle is live and locked.
                    (Some(conn), Some(is_alive)) => unsafe { is_alive(conn.0) != 0 },
                    _ => false,
                };
                Ok(alive)
            })
            .await
            .unwrap_or(false)
        })
    }

    fn close(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let table = self.table;
            let handle = self.handle.clone();
            let _ = blocking(&self.permits, move || {
                // A poisoned lock still holds the handle; close it anyway.
                let mut guard = handle.lock().unwrap_or_else(|p| p.into_inner());
                if let (Some(conn), Some(close)) = (guard.take(), table.0.close) {
                    // SAFETY: closed once; taken out so nothing uses it afterwards.
                    unsafe { close(conn.0) };
                }
                Ok(())
            })
            .await;
        })
    }
}
