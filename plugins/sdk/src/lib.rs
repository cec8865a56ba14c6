//! Write netrun connection plugins in safe Rust: implement [`Plugin`] and [`PluginConnection`],
//! then `export_plugin!(MyPlugin);` generates the ABI v1 entry point (see `abi`).

pub mod abi;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use abi::*;
pub use serde_json;

/// How an open or an operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginError {
    /// One of the `abi::NR_ERR_*` codes.
    pub code: i32,
    /// What happened, for the person running netrun.
    pub message: String,
}

impl PluginError {
    /// The operation failed on a working connection.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError {
            code: NR_ERR_FAILED,
            message: message.into(),
        }
    }

    /// The device could not be reached.
    pub fn unreachable(message: impl Into<String>) -> Self {
        PluginError {
            code: NR_ERR_UNREACHABLE,
            message: message.into(),
        }
    }

    /// The request itself was wrong (unknown operation, bad arguments).
    pub fn invalid(message: impl Into<String>) -> Self {
        PluginError {
            code: NR_ERR_INVALID,
            message: message.into(),
        }
    }
}

/// The kinds of step a plugin accepts, as named in the info JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandType {
    /// CLI commands.
    Cli,
    /// NETCONF RPCs.
    Netconf,
    /// JSON API calls.
    JsonApi,
    /// Plugin-defined operations (`call` steps).
    Custom,
}

/// An operation offered to `call` steps.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Operation {
    /// Its name.
    pub name: &'static str,
    /// Whether it only reads (and so still runs under `--dry-run`).
    pub read_only: bool,
}

/// What the plugin tells netrun besides its name and version.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Info {
    /// Step kinds it accepts.
    pub command_types: Vec<CommandType>,
    /// Operations for `call` steps.
    pub operations: Vec<Operation>,
    /// Whether it honours `--dry-run` (netrun skips non-read-only operations).
    pub dry_run: bool,
}

/// Everything netrun resolved from the inventory for one host.
#[derive(Clone, Debug, Default)]
pub struct OpenParams {
    /// Address or DNS name.
    pub hostname: String,
    /// Port, if set.
    pub port: Option<u16>,
    /// Login name, if set.
    pub username: Option<String>,
    /// Password, if set.
    pub password: Option<String>,
    /// Platform, if set.
    pub platform: Option<String>,
    /// Plugin-specific settings (`connection_options.NAME.extras`).
    pub extras: serde_json::Map<String, serde_json::Value>,
}

/// A connection plugin: metadata and how to open a connection.
pub trait Plugin {
    /// `^[a-z0-9_]+$`, the name task files use in `connection:`.
    const NAME: &'static str;
    /// The plugin's version.
    const VERSION: &'static str;
    /// Its connection type.
    type Conn: PluginConnection;
    /// Step kinds, operations and dry-run support.
    fn info() -> Info;
    /// Opens a connection to one host.
    fn open(params: OpenParams) -> Result<Self::Conn, PluginError>;
}

/// An open connection; netrun uses each from one thread at a time.
pub trait PluginConnection: Send + 'static {
    /// Runs operation `op` with JSON `args`.
    fn call(&mut self, op: &str, args: serde_json::Value)
    -> Result<serde_json::Value, PluginError>;
    /// Whether the connection still works.
    fn is_alive(&self) -> bool {
        true
    }
    /// Called once before the connection is dropped.
    fn close(&mut self) {}
}

/// Generates `netrun_plugin_init` for a type implementing [`Plugin`].
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The ABI v1 entry point netrun looks up.
        ///
        /// # Safety
        /// Called by netrun with a writable table of `table_size` bytes and an error buffer.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn netrun_plugin_init(
            host_abi_version: u32,
            table: *mut $crate::abi::NrPluginV1,
            table_size: u32,
            err: *mut $crate::abi::NrError,
        ) -> i32 {
            static INFO: ::std::sync::OnceLock<::std::string::String> =
                ::std::sync::OnceLock::new();
            // SAFETY: forwarded unchanged from the host, which upholds the ABI's contract.
            unsafe { $crate::__init::<$plugin>(&INFO, host_abi_version, table, table_size, err) }
        }
    };
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

#[doc(hidden)]
/// The body of `netrun_plugin_init`; use [`export_plugin!`].
///
/// # Safety
/// `table` must point at `table_size` writable bytes; `err` at a writable `NrError`.
pub unsafe fn __init<P: Plugin>(
    info: &'static OnceLock<String>,
    host_abi_version: u32,
    table: *mut NrPluginV1,
    table_size: u32,
    err: *mut NrError,
) -> i32 {
    // SAFETY: the host's error buffer.
    unsafe {
        guard(err, || {
            if host_abi_version < NR_ABI_VERSION {
                return Err(PluginError::invalid(format!(
                    "plugin needs ABI {NR_ABI_VERSION}, host offers {host_abi_version}"
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
    let s =
        unsafe { s.as_str() }.map_err(|_| PluginError::invalid(format!("{what} is not UTF-8")))?;
    Ok((!s.is_empty()).then(|| s.to_string()))
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
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| PluginError::invalid(format!("bad extras JSON: {e}")))?,
                None => serde_json::Map::new(),
            };
            let params = OpenParams {
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
            *out = Box::into_raw(Box::new(conn)).cast::<NrConnection>();
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
    // SAFETY: `conn` came from our `open` and is used by one thread at a time.
    unsafe {
        guard(err, || {
            let conn = conn
                .cast::<P::Conn>()
                .as_mut()
                .ok_or_else(|| PluginError::invalid("no connection"))?;
            let op = text(op, "operation")?.unwrap_or_default();
            let args = match text(args, "args")? {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| PluginError::invalid(format!("bad args JSON: {e}")))?,
                None => serde_json::Value::Null,
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
        conn.cast::<P::Conn>()
            .as_ref()
            .is_some_and(|c| c.is_alive())
    }));
    i32::from(alive.unwrap_or(false))
}

unsafe extern "C" fn close<P: Plugin>(conn: *mut NrConnection) {
    if conn.is_null() {
        return;
    }
    // SAFETY: `conn` came from our `open` and the host closes it once.
    let _ = catch_unwind(AssertUnwindSafe(|| unsafe {
        let mut conn = Box::from_raw(conn.cast::<P::Conn>());
        conn.close();
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

#[cfg(test)]
mod tests {
    //! Drives the generated ABI table in-process, the way the host does after `dlopen`.
    use super::*;

    struct Echo;
    struct EchoConn {
        host: String,
    }

    impl Plugin for Echo {
        const NAME: &'static str = "echo";
        const VERSION: &'static str = "1.2.3";
        type Conn = EchoConn;
        fn info() -> Info {
            Info {
                command_types: vec![CommandType::Cli, CommandType::Custom],
                operations: vec![Operation {
                    name: "echo",
                    read_only: true,
                }],
                dry_run: true,
            }
        }
        fn open(params: OpenParams) -> Result<EchoConn, PluginError> {
            match params.hostname.as_str() {
                "down" => Err(PluginError::unreachable("no route to down")),
                "boom" => panic!("open exploded"),
                _ => Ok(EchoConn {
                    host: params.hostname,
                }),
            }
        }
    }

    impl PluginConnection for EchoConn {
        fn call(
            &mut self,
            op: &str,
            args: serde_json::Value,
        ) -> Result<serde_json::Value, PluginError> {
            match op {
                "echo" => Ok(serde_json::json!({"host": self.host, "args": args})),
                "panic" => panic!("call exploded"),
                other => Err(PluginError::invalid(format!("unknown operation `{other}`"))),
            }
        }
    }

    static INFO: OnceLock<String> = OnceLock::new();

    fn table() -> NrPluginV1 {
        let mut table = std::mem::MaybeUninit::<NrPluginV1>::zeroed();
        let mut err = NrError::new();
        let size = std::mem::size_of::<NrPluginV1>() as u32;
        // SAFETY: a writable table of `size` bytes and an error buffer.
        let rc =
            unsafe { __init::<Echo>(&INFO, NR_ABI_VERSION, table.as_mut_ptr(), size, &mut err) };
        assert_eq!(rc, NR_OK, "{}", err.message());
        // SAFETY: `__init` filled the whole table.
        unsafe { table.assume_init() }
    }

    fn params(hostname: &str, port: &str, extras: &str) -> NrOpenParams {
        NrOpenParams {
            hostname: NrStr::borrowed(hostname),
            port: NrStr::borrowed(port),
            username: NrStr::borrowed("admin"),
            password: NrStr::EMPTY,
            platform: NrStr::EMPTY,
            extras_json: NrStr::borrowed(extras),
        }
    }

    /// Opens a connection; the error when it fails.
    fn open(t: &NrPluginV1, p: &NrOpenParams) -> Result<*mut NrConnection, (i32, String)> {
        let mut conn: *mut NrConnection = std::ptr::null_mut();
        let mut err = NrError::new();
        let open = t.open.expect("open");
        // SAFETY: valid params, out pointer and error buffer.
        let rc = unsafe { open(p, &mut conn, &mut err) };
        if rc == NR_OK {
            Ok(conn)
        } else {
            Err((rc, err.message()))
        }
    }

    /// Calls `op`; the result JSON, freed through the plugin, or the error.
    fn call(
        t: &NrPluginV1,
        conn: *mut NrConnection,
        op: &str,
        args: &str,
    ) -> Result<String, (i32, String)> {
        let mut out = NrOwnedStr {
            ptr: std::ptr::null_mut(),
            len: 0,
        };
        let mut err = NrError::new();
        let call = t.call.expect("call");
        // SAFETY: a connection from `open`, borrowed strings and out/error buffers.
        let rc = unsafe {
            call(
                conn,
                NrStr::borrowed(op),
                NrStr::borrowed(args),
                &mut out,
                &mut err,
            )
        };
        if rc != NR_OK {
            return Err((rc, err.message()));
        }
        // SAFETY: on success `out` is the plugin's string, valid until freed.
        let json = unsafe {
            NrStr {
                ptr: out.ptr,
                len: out.len,
            }
            .as_str()
        }
        .expect("utf-8")
        .to_string();
        // SAFETY: freed once, by the plugin that made it.
        unsafe { t.free_string.expect("free_string")(out) };
        Ok(json)
    }

    fn close(t: &NrPluginV1, conn: *mut NrConnection) {
        // SAFETY: a connection from `open`, closed once.
        unsafe { t.close.expect("close")(conn) };
    }

    #[test]
    fn init_describes_the_plugin() {
        let t = table();
        assert_eq!(t.abi_version, NR_ABI_VERSION);
        assert_eq!(t.struct_size as usize, std::mem::size_of::<NrPluginV1>());
        // SAFETY: the table's strings are static in the plugin.
        let (name, version, info) =
            unsafe { (t.name.as_str(), t.version.as_str(), t.info_json.as_str()) };
        assert_eq!(name, Ok("echo"));
        assert_eq!(version, Ok("1.2.3"));
        let info: serde_json::Value = serde_json::from_str(info.expect("utf-8")).expect("json");
        assert_eq!(
            info,
            serde_json::json!({
                "command_types": ["cli", "custom"],
                "operations": [{"name": "echo", "read_only": true}],
                "dry_run": true
            })
        );
    }

    #[test]
    fn init_refuses_an_older_host_and_a_missing_table() {
        let mut table = std::mem::MaybeUninit::<NrPluginV1>::zeroed();
        let mut err = NrError::new();
        let size = std::mem::size_of::<NrPluginV1>() as u32;
        // SAFETY: valid buffers; the version check comes first.
        let rc = unsafe { __init::<Echo>(&INFO, 0, table.as_mut_ptr(), size, &mut err) };
        assert_eq!(rc, NR_ERR_INVALID);
        assert_eq!(err.message(), "plugin needs ABI 1, host offers 0");
        // SAFETY: a null table is reported, not written to.
        let rc =
            unsafe { __init::<Echo>(&INFO, NR_ABI_VERSION, std::ptr::null_mut(), size, &mut err) };
        assert_eq!(rc, NR_ERR_INVALID);
        assert_eq!(err.message(), "no table given");
    }

    #[test]
    fn init_never_writes_past_an_older_hosts_shorter_table() {
        // An older host's table that only has the two version fields, followed by bytes that
        // must stay untouched.
        let mut buf = [0xAAu8; std::mem::size_of::<NrPluginV1>() + 8];
        let mut err = NrError::new();
        // SAFETY: `buf` is larger than the 8 bytes announced; NrPluginV1 is 8-aligned at most
        // and the plugin copies bytes, not the struct.
        let rc =
            unsafe { __init::<Echo>(&INFO, NR_ABI_VERSION, buf.as_mut_ptr().cast(), 8, &mut err) };
        assert_eq!(rc, NR_OK);
        assert_eq!(
            u32::from_ne_bytes(buf[0..4].try_into().expect("4 bytes")),
            NR_ABI_VERSION
        );
        assert!(buf[8..].iter().all(|&b| b == 0xAA), "wrote past the table");
    }

    #[test]
    fn open_call_close_round_trip() {
        let t = table();
        let conn = open(&t, &params("r1", "830", r#"{"mode":"fast"}"#)).expect("open");
        // SAFETY: a live connection.
        assert_eq!(unsafe { t.is_alive.expect("is_alive")(conn) }, 1);
        let json = |s: String| serde_json::from_str::<serde_json::Value>(&s).expect("json");
        let out = call(&t, conn, "echo", r#"{"x":[1,2]}"#).expect("call");
        assert_eq!(
            json(out),
            serde_json::json!({"host": "r1", "args": {"x": [1, 2]}})
        );
        // Empty args arrive as JSON null.
        let out = call(&t, conn, "echo", "").expect("call");
        assert_eq!(json(out), serde_json::json!({"host": "r1", "args": null}));
        close(&t, conn);
    }

    #[test]
    fn errors_and_panics_become_codes_and_messages() {
        let t = table();
        assert_eq!(
            open(&t, &params("down", "", "")).err(),
            Some((NR_ERR_UNREACHABLE, "no route to down".to_string()))
        );
        assert_eq!(
            open(&t, &params("r1", "http", "")).err(),
            Some((NR_ERR_INVALID, "bad port `http`".to_string()))
        );
        let bad_extras = open(&t, &params("r1", "", "[1]")).expect_err("rejected");
        assert_eq!(bad_extras.0, NR_ERR_INVALID);
        assert!(
            bad_extras.1.starts_with("bad extras JSON: "),
            "{}",
            bad_extras.1
        );
        assert_eq!(
            open(&t, &params("boom", "", "")).err(),
            Some((NR_ERR_PANIC, "plugin panicked: open exploded".to_string()))
        );

        let conn = open(&t, &params("r1", "", "")).expect("open");
        assert_eq!(
            call(&t, conn, "reboot", "").err(),
            Some((NR_ERR_INVALID, "unknown operation `reboot`".to_string()))
        );
        let bad_args = call(&t, conn, "echo", "{not json").expect_err("rejected");
        assert_eq!(bad_args.0, NR_ERR_INVALID);
        assert!(bad_args.1.starts_with("bad args JSON: "), "{}", bad_args.1);
        assert_eq!(
            call(&t, conn, "panic", "").err(),
            Some((NR_ERR_PANIC, "plugin panicked: call exploded".to_string()))
        );
        // The connection survives its operations' failures.
        assert!(call(&t, conn, "echo", "1").is_ok());
        close(&t, conn);
    }

    #[test]
    fn error_message_is_cut_at_a_character_boundary() {
        let mut err = NrError::new();
        // 1,023 ASCII bytes then a 2-byte character: only the ASCII fits.
        let long = format!("{}é and more", "x".repeat(NR_ERROR_MESSAGE_SIZE - 1));
        err.set(NR_ERR_FAILED, &long);
        assert_eq!(err.len as usize, NR_ERROR_MESSAGE_SIZE - 1);
        assert_eq!(err.message(), "x".repeat(NR_ERROR_MESSAGE_SIZE - 1));
        // A plugin that writes a bogus length or bytes cannot make the host misbehave.
        err.len = u32::MAX;
        err.message[0] = 0xFF;
        assert_eq!(err.message().chars().count(), NR_ERROR_MESSAGE_SIZE);
        assert!(err.message().starts_with('\u{FFFD}'));
    }
}
