//! netrun: run tasks against fleets of network devices described by a nornir-style YAML inventory.

pub mod lab;
pub mod template;
