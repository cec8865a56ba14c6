//! Loading and checking one library in this process: `dlopen`, `netrun_plugin_init`, the
//! revision rules of the header, and the metadata. Used directly for `isolation: in-process`
//! and by the helper process (`serve.rs`) for the default isolation.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

use netrun_plugin_sdk::abi::{
    NR_ABI_VERSION, NR_INIT_SYMBOL, NR_OK, NR_PLUGIN_SIZE_1_0, NR_PLUGIN_SIZE_1_1, NrError,
    NrInitFn, NrPluginV1, NrStr,
};
use netrun_plugin_sdk::info::valid_name;

use super::Table;
use crate::connection::{Declared, PluginInfo};

/// The file `path` names: `dlopen` searches the system library path for a bare file name, but
/// the user means the file in the current directory.
pub(super) fn library_path(path: &Path) -> PathBuf {
    if path.parent() == Some(Path::new("")) {
        Path::new(".").join(path)
    } else {
        path.to_path_buf()
    }
}

/// Loads and checks one library.
pub(super) fn load_one(path: &Path) -> Result<(PluginInfo, Table), String> {
    let path = library_path(path);
    // SAFETY: loading runs the library's initialisers; a plugin is trusted code by design
    // (the user named it), and this is the documented risk of loading it.
    let lib = unsafe { libloading::Library::new(&path) }.map_err(|e| {
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
        // The length is checked against NR_MAX_STRING_LEN before any slice is built.
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
