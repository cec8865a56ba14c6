//! netrun's integration tests: the real binary, run like a user would, with its exact output,
//! and the SSH client against real servers on loopback.

mod command;
mod failures;
mod fakenos;
mod inventory;
mod plugins;
mod runner;
mod ssh_client;
mod sshd;
mod sshd_server;
mod support;
mod tasks;
