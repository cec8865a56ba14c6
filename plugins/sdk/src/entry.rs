//! The `extern "C"` functions `export_plugin!` puts in the table. Every entry point catches
//! panics (one unwinding across `extern "C"` aborts the host) and turns them into error codes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use crate::abi::*;
use crate::{Canceller, Plugin, PluginConnection, PluginError};

/// What a connection handle points at: the plugin's connection and, apart from it, the
/// canceller, so that `cancel` (another thread) never touches the connection `call` borrows.
struct Slot<C> {
    conn: C,
    cancel: Option<Canceller>,
}

/// A panic payload as text.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("plugin panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("plugin panicked: {s}")
    } else {
        "plugin panicked".to_string()
    }
}

/// Runs `f`, turning errors and panics into an error code written to `err`.
///
/// # Safety
/// `err` must be null or point at a writable `NrError`.
unsafe fn guard(err: *mut NrError, f: impl FnOnce() -> Result<(), PluginError>) -> i32 {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return NR_OK,
        Ok(Err(e)) => e,
        Err(payload) => PluginError {
            code: NR_ERR_PANIC,
            message: panic_message(payload.as_ref()),
        },
    };
    // SAFETY: the host passes its own NrError (or null, which we tolerate).
    if let Some(err) = unsafe { err.as_mut() } {
        err.set(failure.code, &failure.message);
    }
    failure.code
}

/// The body of `netrun_plugin_init`; use `export_plugin!`.
///
/// # Safety
/// `table` must point at `table_size` writable bytes; `err` at a writable `NrError`.
pub unsafe fn init<P: Plugin>(
    info: &'static OnceLock<String>,
    host_abi_version: u32,
    table: *mut NrPluginV1,
    table_size: u32,
    err: *mut NrError,
) -> i32 {
    // SAFETY: the host's error buffer.
    unsafe {
        guard(err, || {
            if host_abi_version != NR_ABI_VERSION {
                return Err(PluginError::invalid(format!(
                    "plugin implements ABI {NR_ABI_VERSION}, host offers {host_abi_version}"
                )));
            }
            if table.is_null() {
                return Err(PluginError::invalid("no table given"));
            }
            let info_json = info.get_or_init(|| {
                serde_json::to_string(&P::info()).unwrap_or_else(|_| "{}".to_string())
            });
            let full = NrPluginV1 {
                abi_version: NR_ABI_VERSION,
                struct_size: std::mem::size_of::<NrPluginV1>() as u32,
                open: Some(open::<P>),
                call: Some(call::<P>),
                is_alive: Some(is_alive::<P>),
                close: Some(close::<P>),
                free_string: Some(free_string),
                name: NrStr::borrowed(P::NAME),
                version: NrStr::borrowed(P::VERSION),
                info_json: NrStr::borrowed(info_json),
                cancel: Some(cancel::<P>),
            };
            // Never write past what the host gave us: an older host has a shorter table.
            let n = (table_size as usize).min(std::mem::size_of::<NrPluginV1>());
            // SAFETY: `table` has `table_size` writable bytes, and `n` is no more than that.
            std::ptr::copy_nonoverlapping(
                (&full as *const NrPluginV1).cast::<u8>(),
                table.cast::<u8>(),
                n,
            );
            Ok(())
        })
    }
}

fn text(s: NrStr, what: &str) -> Result<Option<String>, PluginError> {
    // SAFETY: the host passes strings valid for the duration of the call.
    let s = unsafe { s.as_opt_str() }.map_err(|e| PluginError::invalid(format!("{what} {e}")))?;
    Ok(s.map(str::to_string))
}

unsafe extern "C" fn open<P: Plugin>(
    params: *const NrOpenParams,
    out: *mut *mut NrConnection,
    err: *mut NrError,
) -> i32 {
    // SAFETY: the host passes valid params, an out pointer and an error buffer.
    unsafe {
        guard(err, || {
            let p = params
                .as_ref()
                .ok_or_else(|| PluginError::invalid("no params"))?;
            let port = match text(p.port, "port")? {
                Some(port) => Some(
                    port.parse()
                        .map_err(|_| PluginError::invalid(format!("bad port `{port}`")))?,
                ),
                None => None,
            };
            let extras = match text(p.extras_json, "extras")? {
                Some(json) if !json.is_empty() => serde_json::from_str(&json)
                    .map_err(|e| PluginError::invalid(format!("bad extras JSON: {e}")))?,
                _ => serde_json::Map::new(),
            };
            let params = crate::OpenParams {
                hostname: text(p.hostname, "hostname")?.unwrap_or_default(),
                port,
                username: text(p.username, "username")?,
                password: text(p.password, "password")?,
                platform: text(p.platform, "platform")?,
                extras,
            };
            let conn = P::open(params)?;
            if out.is_null() {
                return Err(PluginError::invalid("no out pointer"));
            }
            let cancel = conn.canceller();
            *out = Box::into_raw(Box::new(Slot { conn, cancel })).cast::<NrConnection>();
            Ok(())
        })
    }
}

unsafe extern "C" fn call<P: Plugin>(
    conn: *mut NrConnection,
    op: NrStr,
    args: NrStr,
    result: *mut NrOwnedStr,
    err: *mut NrError,
) -> i32 {
    // SAFETY: `conn` came from our `open` and is used by one thread at a time; only the
    // `conn` field is borrowed, since `cancel` may read the other one concurrently.
    unsafe {
        guard(err, || {
            let slot = conn.cast::<Slot<P::Conn>>();
            if slot.is_null() {
                return Err(PluginError::invalid("no connection"));
            }
            let conn = &mut *std::ptr::addr_of_mut!((*slot).conn);
            let op = text(op, "operation")?.unwrap_or_default();
            let args = match text(args, "args")? {
                Some(json) if !json.is_empty() => serde_json::from_str(&json)
                    .map_err(|e| PluginError::invalid(format!("bad args JSON: {e}")))?,
                _ => serde_json::Value::Null,
            };
            let value = conn.call(&op, args)?;
            let json = serde_json::to_string(&value)
                .map_err(|e| PluginError::failed(format!("result is not JSON: {e}")))?;
            if result.is_null() {
                return Err(PluginError::invalid("no result pointer"));
            }
            // A boxed slice has exactly `len` capacity, so `free_string` can rebuild it.
            let bytes = json.into_bytes().into_boxed_slice();
            let len = bytes.len();
            *result = NrOwnedStr {
                ptr: Box::into_raw(bytes).cast::<u8>(),
                len,
            };
            Ok(())
        })
    }
}

unsafe extern "C" fn is_alive<P: Plugin>(conn: *mut NrConnection) -> i32 {
    // SAFETY: `conn` came from our `open`; a panic counts as dead.
    let alive = catch_unwind(AssertUnwindSafe(|| unsafe {
        let slot = conn.cast::<Slot<P::Conn>>();
        !slot.is_null() && (*std::ptr::addr_of!((*slot).conn)).is_alive()
    }));
    i32::from(alive.unwrap_or(false))
}

unsafe extern "C" fn cancel<P: Plugin>(conn: *mut NrConnection) -> i32 {
    // SAFETY: `conn` came from our `open` and is not closed yet (the host cancels before it
    // closes); only the `cancel` field is read, never the connection a call may be using.
    let done = catch_unwind(AssertUnwindSafe(|| unsafe {
        let slot = conn.cast::<Slot<P::Conn>>();
        if slot.is_null() {
            return false;
        }
        match &*std::ptr::addr_of!((*slot).cancel) {
            Some(cancel) => {
                cancel();
                true
            }
            None => false,
        }
    }));
    if done.unwrap_or(false) {
        NR_OK
    } else {
        NR_ERR_INVALID
    }
}

unsafe extern "C" fn close<P: Plugin>(conn: *mut NrConnection) {
    if conn.is_null() {
        return;
    }
    // SAFETY: `conn` came from our `open` and the host closes it once.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
        let mut slot = Box::from_raw(conn.cast::<Slot<P::Conn>>());
        slot.conn.close();
    }));
}

unsafe extern "C" fn free_string(s: NrOwnedStr) {
    if s.ptr.is_null() {
        return;
    }
    // SAFETY: `s` is a boxed slice made by `call` above, freed once by the host.
    unsafe {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            s.ptr, s.len,
        )));
    }
}
