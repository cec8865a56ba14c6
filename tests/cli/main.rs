//! netrun's CLI tests: the real binary, run like a user would, against real servers on loopback,
//! with its exact output and exit codes. One module per subcommand or concern; helpers live in
//! `support/`.

mod command;
mod failures;
mod fakenos;
mod first_hour;
mod hardening;
mod input;
mod inventory;
mod isolation;
mod lab_platforms;
mod nornir;
mod parse;
mod plugin_contract;
mod plugins;
mod readme;
mod runner;
mod safe;
mod ssh_environment;
mod sshd;
mod support;
mod tasks;
