//! Connection plugins loaded from shared libraries (ABI v1, `plugins/include/netrun_plugin.h`):
//! the only place in `src/` that may use `unsafe`, each use with its `SAFETY:` argument. This file
//! loads and checks libraries; `connection.rs` runs their connections.
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
use std::sync::Arc;

use netrun_plugin_sdk::abi::{
    NR_ABI_VERSION, NR_INIT_SYMBOL, NR_OK, NR_PLUGIN_SIZE_1_0, NR_PLUGIN_SIZE_1_1, NrError,
    NrInitFn, NrPluginV1, NrStr,
};
use netrun_plugin_sdk::info::valid_name;

use crate::connection::{Declared, PluginInfo};

mod connection;

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
    let text = |s: NrStr, what: &str| -> Result<String, String> {
        // SAFETY: metadata strings are static in the plugin, which stays loaded.
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

#[cfg(test)]
mod tests {
    use super::*;
    use netrun_plugin_sdk::abi::NrConnection;

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
