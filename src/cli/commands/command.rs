//! `netrun command "CLI COMMAND"...`: commands given on the command line, run as an ad-hoc task
//! over ssh.

use std::sync::Arc;

use netrun::task::{Task, Tasks};

use super::run::{Execution, execute};
use crate::cli::args::CommandArgs;
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun command`.
pub fn run(context: &Context, args: CommandArgs) -> Result<u8, AppError> {
    execute(
        context,
        Execution {
            tasks: Arc::new(Tasks::default()),
            task: Arc::new(Task::adhoc(&args.commands, "ssh")),
            params: serde_json::Map::new(),
            select: &args.select,
            options: &args.options,
            dry_run: false,
            diff: false,
            // Ad-hoc commands go over ssh: no plugin library is loaded (loading runs its code).
            plugins: Vec::new(),
        },
    )
}
