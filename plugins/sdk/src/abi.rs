//! ABI v1, mirrored by `plugins/include/netrun_plugin.h`: the one Rust definition of the types
//! crossing the shared-library boundary, used by the host and by the SDK alike.

use std::ffi::c_void;

/// The ABI version this crate describes.
pub const NR_ABI_VERSION: u32 = 1;
/// Success.
pub const NR_OK: i32 = 0;
/// The operation failed on a working connection.
pub const NR_ERR_FAILED: i32 = 1;
/// The device could not be reached (open failed).
pub const NR_ERR_UNREACHABLE: i32 = 2;
/// The plugin panicked; the message says where.
pub const NR_ERR_PANIC: i32 = 3;
/// The host asked for something the plugin cannot do (bad arguments, unknown op, ABI).
pub const NR_ERR_INVALID: i32 = 4;
/// The size of `nr_error.message`.
pub const NR_ERROR_MESSAGE_SIZE: usize = 1024;
/// The exported symbol's name, NUL-terminated for `dlsym`.
pub const NR_INIT_SYMBOL: &[u8] = b"netrun_plugin_init\0";

/// A borrowed UTF-8 string: `ptr` may be null only when `len` is 0 (meaning "absent").
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrStr {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// A string allocated by the plugin and freed by the plugin's `free_string`.
#[repr(C)]
#[derive(Debug)]
pub struct NrOwnedStr {
    /// First byte.
    pub ptr: *mut u8,
    /// Length in bytes.
    pub len: usize,
}

/// An error the plugin copies into host-provided storage: no allocation crosses the boundary.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct NrError {
    /// One of the `NR_ERR_*` codes.
    pub code: i32,
    /// How many bytes of `message` are used.
    pub len: u32,
    /// UTF-8 text, not NUL-terminated.
    pub message: [u8; NR_ERROR_MESSAGE_SIZE],
}

/// An opaque per-connection handle owned by the plugin.
pub type NrConnection = c_void;

/// What the host knows about one host to open a connection to; absent values are empty.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrOpenParams {
    /// Address or DNS name.
    pub hostname: NrStr,
    /// Port in decimal, or empty.
    pub port: NrStr,
    /// Login name, or empty.
    pub username: NrStr,
    /// Password, or empty.
    pub password: NrStr,
    /// Platform name, or empty.
    pub platform: NrStr,
    /// A JSON object of plugin-specific settings.
    pub extras_json: NrStr,
}

/// Opens a connection: 0 and `*out` set, or an error code with `err` filled.
pub type NrOpenFn =
    unsafe extern "C" fn(*const NrOpenParams, *mut *mut NrConnection, *mut NrError) -> i32;
/// Runs an operation with JSON arguments; on 0, `result_json` holds a plugin-owned string.
pub type NrCallFn =
    unsafe extern "C" fn(*mut NrConnection, NrStr, NrStr, *mut NrOwnedStr, *mut NrError) -> i32;
/// Non-zero when the connection still works.
pub type NrIsAliveFn = unsafe extern "C" fn(*mut NrConnection) -> i32;
/// Closes and frees the connection.
pub type NrCloseFn = unsafe extern "C" fn(*mut NrConnection);
/// Frees a string returned by `call`.
pub type NrFreeStringFn = unsafe extern "C" fn(NrOwnedStr);

/// The plugin's function table, v1. Fields are only ever appended.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrPluginV1 {
    /// The ABI version the plugin implements.
    pub abi_version: u32,
    /// How many bytes of this table the plugin filled in.
    pub struct_size: u32,
    /// See [`NrOpenFn`].
    pub open: Option<NrOpenFn>,
    /// See [`NrCallFn`].
    pub call: Option<NrCallFn>,
    /// See [`NrIsAliveFn`].
    pub is_alive: Option<NrIsAliveFn>,
    /// See [`NrCloseFn`].
    pub close: Option<NrCloseFn>,
    /// See [`NrFreeStringFn`].
    pub free_string: Option<NrFreeStringFn>,
    /// `^[a-z0-9_]+$`; static in the plugin.
    pub name: NrStr,
    /// The plugin's version; static in the plugin.
    pub version: NrStr,
    /// `{"command_types": [...], "operations": [{"name", "read_only"}], "dry_run": bool}`.
    pub info_json: NrStr,
}

/// The exported entry point's type.
pub type NrInitFn = unsafe extern "C" fn(u32, *mut NrPluginV1, u32, *mut NrError) -> i32;

impl NrStr {
    /// An absent string.
    pub const EMPTY: NrStr = NrStr {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `s` (which must outlive every use of the result).
    pub fn borrowed(s: &str) -> NrStr {
        NrStr {
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The bytes, as UTF-8.
    ///
    /// # Safety
    /// `ptr` must point at `len` readable bytes that live for `'a` (or be null with `len` 0).
    pub unsafe fn as_str<'a>(self) -> Result<&'a str, std::str::Utf8Error> {
        if self.ptr.is_null() || self.len == 0 {
            return Ok("");
        }
        // SAFETY: the caller promises `ptr`/`len` describe live bytes.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        std::str::from_utf8(bytes)
    }
}

impl NrError {
    /// No error yet.
    pub fn new() -> NrError {
        NrError {
            code: NR_OK,
            len: 0,
            message: [0; NR_ERROR_MESSAGE_SIZE],
        }
    }

    /// Sets the code and copies as much of `message` as fits, cut at a character boundary.
    pub fn set(&mut self, code: i32, message: &str) {
        let mut end = message.len().min(NR_ERROR_MESSAGE_SIZE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        self.code = code;
        self.message[..end].copy_from_slice(&message.as_bytes()[..end]);
        self.len = end as u32;
    }

    /// The message, tolerating a plugin that wrote a bad length or invalid UTF-8.
    pub fn message(&self) -> String {
        let len = (self.len as usize).min(NR_ERROR_MESSAGE_SIZE);
        String::from_utf8_lossy(&self.message[..len]).into_owned()
    }
}

impl Default for NrError {
    fn default() -> Self {
        NrError::new()
    }
}
