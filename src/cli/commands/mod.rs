//! One module per subcommand.

pub mod check;
pub mod command;
pub mod completions;
pub mod init;
pub mod inventory;
pub mod lab;
pub mod parse;
pub mod platforms;
pub mod plugins;
pub mod run;
pub mod tasks;
