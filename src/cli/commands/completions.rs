//! `netrun completions SHELL` and `netrun man`: generated from the clap definitions, so they
//! never drift from the flags.

use clap::CommandFactory;

use crate::cli::args::{Cli, CompletionsArgs};
use crate::cli::error::AppError;

/// Prints the completion script for a shell.
pub fn completions(args: CompletionsArgs) -> Result<u8, AppError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "netrun", &mut script);
    crate::cli::print(&String::from_utf8_lossy(&script))?;
    Ok(netrun::exit::OK)
}

/// Prints the man page, netrun(1), in roff.
pub fn man() -> Result<u8, AppError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(AppError::Output)?;
    crate::cli::print(&String::from_utf8_lossy(&page))?;
    Ok(netrun::exit::OK)
}
