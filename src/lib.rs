//! netrun: run tasks against fleets of network devices described by a nornir-style YAML inventory.

pub mod platform;
pub mod prompt;
pub mod ssh;
pub mod template;
