//! Connection plugins loaded from shared libraries (ABI v1, `plugins/include/netrun_plugin.h`):
//! the only place in `src/` that may use `unsafe`, each use with its `SAFETY:` argument.
//!
//! A library runs in one of two ways ([`Isolation`]):
//!
//! - **process** (the default): a helper process, the netrun binary itself as `netrun
//!   plugin-host PATH`, loads the library and serves its connections over a framed protocol on
//!   its stdin/stdout (`protocol.rs`; the helper's side is `serve.rs`, netrun's `isolated.rs`).
//!   A plugin that segfaults, aborts or exits takes down its helper only: the hosts whose calls
//!   were pending fail with `plugin `x` crashed (signal 11)`, and the next open starts a fresh
//!   helper. Loading happens in the helper too, bounded by [`INIT_TIMEOUT`].
//! - **in-process**: the library is loaded into netrun (`load.rs`) and its functions are called
//!   directly (`connection.rs`): faster, but a crash of the plugin is a crash of netrun.
//!
//! Both ways use the same code for every ABI call: the helper runs the in-process host.
//!
//! A library is loaded once and never unloaded: its function pointers and static strings must
//! stay valid for the whole process. Libraries are loaded lazily, only when a command needs them
//! ([`PluginSet`], `set.rs`). A library that fails any check becomes a [`BrokenPlugin`] with its
//! path and reason: listed by `netrun plugins`, fatal only to tasks that need it.
//!
//! Plugin code blocks, so every call runs on a thread of its own, never on the async runtime:
//! a call that never returns costs that thread, not the run. When the run gives up on a
//! connection mid-call (a deadline, Ctrl-C), the connection is abandoned: the plugin's `cancel`
//! (ABI 1.1) is asked to end the call, and whichever thread finishes last closes it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use netrun_plugin_sdk::abi::NrPluginV1;
use serde::Deserialize;

use crate::connection::PluginInfo;

mod connection;
mod helper;
mod isolated;
mod load;
mod protocol;
mod serve;
mod set;

pub use serve::serve;
pub use set::PluginSet;

/// How long a library's init may take, in a helper, before the library counts as broken.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a plugin library runs: in a helper process of its own, or inside netrun.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// In a helper process: a crash of the plugin fails only the hosts it was serving.
    #[default]
    Process,
    /// Loaded into netrun: no per-call round trip, but a crash of the plugin ends netrun.
    InProcess,
}

/// A library to load and how to run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginSource {
    /// The shared library.
    pub path: PathBuf,
    /// In a helper process or in netrun.
    pub isolation: Isolation,
}

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
#[allow(unsafe_code)]
unsafe impl Send for Table {}
// SAFETY: as above; the table itself is never mutated after loading.
#[allow(unsafe_code)]
unsafe impl Sync for Table {}

/// A plugin loaded into this process from a shared library.
pub struct LoadedPlugin {
    info: PluginInfo,
    table: Table,
    /// Bounds the threads running plugin code at once.
    permits: Arc<tokio::sync::Semaphore>,
}
