//! netrun: run tasks against fleets of network devices described by a nornir-style YAML inventory.

pub mod filter;
pub mod inventory;
pub mod template;
pub mod yaml;
