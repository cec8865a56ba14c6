//! netrun: run tasks against fleets of network devices described by a nornir-style YAML inventory.

pub mod app;
pub mod cli;
pub mod config;
pub mod connection;
pub mod diagnostics;
pub mod error;
pub mod filter;
pub mod inventory;
pub mod lab;
pub mod output;
pub mod platform;
pub mod plugin;
pub mod prompt;
pub mod result;
pub mod runner;
pub mod ssh;
pub mod task;
pub mod template;
pub mod textfsm;
pub mod yaml;
