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
    refuse_host_names(context, &args.commands)?;
    let commands: Vec<String> = args.commands.into_iter().chain(args.literal).collect();
    execute(
        context,
        Execution {
            tasks: Arc::new(Tasks::default()),
            task: Arc::new(Task::adhoc(&commands, "ssh", args.parse)),
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

/// A positional that names a host, a group, or a pattern of hosts was meant as a selector
/// (`netrun command "show version" edge01`, as with ssh or Ansible): sending it to every host
/// as a command would fail everywhere, so the run stops before it starts.
fn refuse_host_names(context: &Context, commands: &[String]) -> Result<(), AppError> {
    // A CLI command with a space in it is no host name: most runs need not read the inventory.
    let words: Vec<&String> = commands
        .iter()
        .filter(|c| !c.trim().is_empty() && !c.trim().contains(char::is_whitespace))
        .collect();
    if words.is_empty() {
        return Ok(());
    }
    let inv = context.inventory()?;
    for word in words {
        let word = word.trim();
        let refused = |what: String, selector: String| AppError::HostAsCommand {
            word: word.to_string(),
            what,
            selector,
        };
        if inv.index_of(word).is_some() {
            return Err(refused(
                "a host in the inventory".into(),
                format!("--hosts {word}"),
            ));
        }
        if inv.group_names().any(|g| g == word) {
            return Err(refused(
                "a group in the inventory".into(),
                format!("--filter groups={word}"),
            ));
        }
        if word.contains(['*', '?']) {
            let matching = inv
                .names()
                .filter(|name| netrun::select::glob_match(word, name))
                .count();
            if matching > 0 {
                return Err(refused(
                    format!(
                        "a pattern matching {matching} host{}",
                        netrun::output::plural(matching)
                    ),
                    format!("--hosts '{word}'"),
                ));
            }
        }
    }
    Ok(())
}
