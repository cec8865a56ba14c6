//! The `netrun` binary: parse the command line, run it, report an error, exit with a code.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    ExitCode::from(cli::run(args).unwrap_or_else(cli::report_error))
}
