//! The `netrun` binary: parse the command line, run it, report an error, exit with a code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(code) => return ExitCode::from(code),
    };
    ExitCode::from(cli::run(args).unwrap_or_else(cli::report_error))
}
