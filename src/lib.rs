//! netrun: run tasks against fleets of network devices described by a nornir-style YAML
//! inventory. This library is the engine the `netrun` binary drives (see ARCHITECTURE.md):
//!
//! - model: [`inventory`] (nornir files, resolved with provenance), [`select`] (`--filter`,
//!   `--where`, `--hosts`), [`result`] (the result tree), [`output`] (tables and documents);
//! - engine: [`task`] (task files, params, the step executor), [`job`] (hosts turned into
//!   connection targets and lab devices), [`runner`] (concurrency, deadlines, cancellation);
//! - transport: [`connection`] (the plugin contract and the per-host register), [`ssh`] (the
//!   built-in SSH plugin), [`plugin_host`] (shared-library plugins), and [`lab`] (simulated
//!   devices on loopback);
//! - data: [`config`], [`platform`], [`template`], and the leaves [`exit`], [`messages`],
//!   [`host_files`], [`escape`], [`suggest`].
#![warn(missing_docs)]

pub mod config;
pub mod connection;
pub mod escape;
pub mod exit;
pub(crate) mod graph;
pub mod host_files;
pub mod inventory;
pub mod job;
pub mod lab;
pub(crate) mod limits;
pub mod messages;
pub mod output;
pub mod platform;
pub mod plugin_host;
pub mod result;
pub mod runner;
pub(crate) mod secrets;
pub mod select;
pub mod ssh;
pub mod suggest;
pub mod task;
pub mod template;
pub mod textfsm;
pub(crate) mod yaml;
