//! ABI v1, mirrored by `plugins/include/netrun_plugin.h`: the one Rust definition of the types
//! crossing the shared-library boundary, used by the host and by the SDK alike. The two are kept
//! equal by a test that compiles the header and compares sizes and offsets (`tests/abi.rs`).
//!
//! Versioning follows Apache Arrow ADBC: `abi_version` is the major version and a host refuses
//! any other; within a major, revisions only append fields to [`NrPluginV1`], each revision has
//! a size constant (`NR_PLUGIN_SIZE_1_0`, `NR_PLUGIN_SIZE_1_1`), and a host accepts any
//! `struct_size` of at least the first revision's, reading only the fields both sides know.

use std::ffi::c_void;

/// The major ABI version this crate describes; a host refuses tables of another major.
pub const NR_ABI_VERSION: u32 = 1;
/// Table size of revision 1.0: everything up to and including `info_json`.
pub const NR_PLUGIN_SIZE_1_0: usize = std::mem::offset_of!(NrPluginV1, cancel);
/// Table size of revision 1.1, which appends `cancel`.
pub const NR_PLUGIN_SIZE_1_1: usize = std::mem::size_of::<NrPluginV1>();
/// The longest string either side accepts from the other (1 GiB): a length beyond it is a bug
/// in the plugin, and building a slice from it could read far past the allocation.
pub const NR_MAX_STRING_LEN: usize = 1 << 30;
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

/// A borrowed UTF-8 string. A null `ptr` (with `len` 0) means "absent"; a non-null `ptr` with
/// `len` 0 is the empty string, so the two can be told apart.
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

/// What the host knows about one host to open a connection to; unset values are absent
/// (null `ptr`), values set to the empty string are empty.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NrOpenParams {
    /// Address or DNS name.
    pub hostname: NrStr,
    /// Port in decimal, or absent.
    pub port: NrStr,
    /// Login name, or absent.
    pub username: NrStr,
    /// Password, or absent.
    pub password: NrStr,
    /// Platform name, or absent.
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
/// Asks a `call` running on the connection (in another thread) to return soon (revision 1.1).
pub type NrCancelFn = unsafe extern "C" fn(*mut NrConnection) -> i32;

/// The plugin's function table, ABI v1. Fields are only ever appended; see the module docs.
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
    /// `{"command_types": [...], "operations": [{"name", "read_only"}], "dry_run": bool}`,
    /// the JSON form of [`crate::info::Info`].
    pub info_json: NrStr,
    /// Revision 1.1: see [`NrCancelFn`]; may be null.
    pub cancel: Option<NrCancelFn>,
}

/// The exported entry point's type.
pub type NrInitFn = unsafe extern "C" fn(u32, *mut NrPluginV1, u32, *mut NrError) -> i32;

/// Why a string from across the boundary cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrError {
    /// `len` is beyond [`NR_MAX_STRING_LEN`], or non-zero with a null `ptr`.
    BadLength(usize),
    /// The bytes are not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for StrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StrError::BadLength(len) => write!(f, "has an impossible length ({len} bytes)"),
            StrError::NotUtf8 => f.write_str("is not UTF-8"),
        }
    }
}

impl NrStr {
    /// An absent string.
    pub const ABSENT: NrStr = NrStr {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `s` (which must outlive every use of the result); never absent, even when empty.
    pub fn borrowed(s: &str) -> NrStr {
        NrStr {
            // A `&str`'s pointer is never null, also for "".
            ptr: s.as_ptr(),
            len: s.len(),
        }
    }

    /// Borrows `s`, or the absent string for `None`.
    pub fn optional(s: Option<&str>) -> NrStr {
        s.map_or(NrStr::ABSENT, NrStr::borrowed)
    }

    /// The text, or `None` when absent.
    ///
    /// # Safety
    /// Unless `ptr` is null, it must point at `len` readable bytes that live for `'a`.
    pub unsafe fn as_opt_str<'a>(self) -> Result<Option<&'a str>, StrError> {
        if self.ptr.is_null() {
            return if self.len == 0 {
                Ok(None)
            } else {
                Err(StrError::BadLength(self.len))
            };
        }
        if self.len > NR_MAX_STRING_LEN {
            return Err(StrError::BadLength(self.len));
        }
        // SAFETY: the caller promises `ptr`/`len` describe live bytes; `len` is bounded above.
        let bytes = unsafe { std::slice::from_raw_parts(self.ptr, self.len) };
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| StrError::NotUtf8)
    }

    /// The text, with absent read as empty.
    ///
    /// # Safety
    /// As for [`NrStr::as_opt_str`].
    pub unsafe fn as_str<'a>(self) -> Result<&'a str, StrError> {
        // SAFETY: forwarded.
        unsafe { self.as_opt_str() }.map(Option::unwrap_or_default)
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
