//! Command-line mistakes clap finds, answered in netrun's error style: flags other tools taught
//! (Ansible's `--limit`, `-f`, `-e`...) name netrun's way of doing the same, and an unknown flag
//! suggests the nearest real one by edit distance.

use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use super::args::Cli;

/// Flags other tools taught, and what netrun does instead. Only flags netrun does not have:
/// when netrun gains one, clap parses it and its line here is never reached (delete it then).
const HABITS: &[(&[&str], &str)] = &[
    (
        &["--limit", "-l"],
        "netrun selects hosts with --hosts NAMES|@FILE (globs: 'edge*'), --filter KEY=VALUE or --where EXPR",
    ),
    (
        &["--forks", "-f"],
        "netrun's hosts in flight are --workers N (or NETRUN_WORKERS, `runner.workers` in netrun.yaml)",
    ),
    (
        &["-C"],
        "`netrun run TASK --check` (or --dry-run) shows what config steps would send, changing nothing; `netrun check` validates config, inventory and tasks",
    ),
    (
        &["-D"],
        "`netrun run TASK --diff` shows each config change against the running configuration",
    ),
    (
        &["--extra-vars", "-e"],
        "netrun passes task params with --arg K=V (repeatable; `netrun tasks NAME` lists them)",
    ),
    (
        &["--ask-pass", "-k"],
        "netrun has no password prompt yet; it takes `password:` from the inventory (host, group or defaults.yaml)",
    ),
    (
        &["--user", "-u"],
        "netrun takes `username:` from the inventory (host, group or defaults.yaml); `netrun inventory show HOST --explain` shows where it comes from",
    ),
    (
        &["--module-name", "-m"],
        "`netrun command \"CLI COMMAND\"` sends commands; `netrun run TASK` runs a task file",
    ),
];

/// The hint for a flag another tool taught, if it is one.
fn habit(flag: &str) -> Option<&'static str> {
    HABITS
        .iter()
        .find(|(flags, _)| flags.contains(&flag))
        .map(|(_, hint)| *hint)
}

/// The long flags the subcommand on this command line accepts (all of them when it names none).
fn long_flags(args: &[String]) -> Vec<String> {
    let root = Cli::command();
    let sub = args
        .iter()
        .skip(1)
        .find_map(|arg| root.find_subcommand(arg).cloned());
    let commands: Vec<clap::Command> = match sub {
        Some(sub) => vec![root.clone(), sub],
        None => std::iter::once(root.clone())
            .chain(root.get_subcommands().cloned())
            .collect(),
    };
    let mut flags: Vec<String> = Vec::new();
    for command in &commands {
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let flag = format!("--{long}");
                if !flags.contains(&flag) {
                    flags.push(flag);
                }
            }
        }
    }
    flags
}

/// The hint for an unknown flag: another tool's habit, or the nearest real flags.
fn unknown_flag_hint(flag: &str, args: &[String]) -> Option<String> {
    let flag = flag.split('=').next().unwrap_or(flag);
    if let Some(hint) = habit(flag) {
        return Some(format!("{flag} is another tool's flag: {hint}"));
    }
    if !flag.starts_with("--") {
        return None;
    }
    let nearby = netrun::suggest::nearest(flag, long_flags(args));
    netrun::suggest::did_you_mean(&nearby)
}

/// clap's message for `err` in netrun's style: `error:`, then `hint:` in place of clap's `tip:`
/// lines (with netrun's own suggestion for unknown flags), then the usage line.
pub fn usage_error(err: &clap::Error, args: &[String]) -> String {
    let rendered = err.render().to_string();
    let mut hint = None;
    if err.kind() == ErrorKind::UnknownArgument
        && let Some(ContextValue::String(flag)) = err.get(ContextKind::InvalidArg)
    {
        hint = unknown_flag_hint(flag, args);
    }
    let mut kept = Vec::new();
    for line in rendered.lines() {
        match line.trim_start().strip_prefix("tip: ") {
            // clap's own tip stands when netrun has nothing better to say; its "similar
            // argument" is by another measure than netrun's and is replaced.
            Some(tip) => {
                if hint.is_none() && !tip.starts_with("a similar argument exists") {
                    hint = Some(tip.to_string());
                }
            }
            None => kept.push(line.trim_end()),
        }
    }
    let mut out = String::new();
    let mut blank = false;
    for line in kept {
        if line.is_empty() {
            blank = true;
            continue;
        }
        if blank && !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(line);
        out.push('\n');
        if line.starts_with("error:")
            && let Some(hint) = hint.take()
        {
            out.push_str(&format!("hint: {hint}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_habit_is_a_flag_netrun_lacks() {
        let root = Cli::command();
        let commands: Vec<&clap::Command> = std::iter::once(&root)
            .chain(root.get_subcommands())
            .collect();
        for (flags, _) in HABITS {
            for flag in *flags {
                for command in &commands {
                    let taken = command
                        .get_arguments()
                        .any(|arg| match flag.strip_prefix("--") {
                            Some(long) => arg.get_long() == Some(long),
                            None => {
                                arg.get_short().map(|c| format!("-{c}")).as_deref() == Some(*flag)
                            }
                        });
                    assert!(!taken, "{flag} is a flag of `{}` now", command.get_name());
                }
            }
        }
    }

    #[test]
    fn unknown_flags_suggest_the_nearest_real_one() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            unknown_flag_hint("--filtre", &args(&["netrun", "inventory"])).as_deref(),
            Some("did you mean `--filter`?")
        );
        assert_eq!(
            unknown_flag_hint("--zzzzzzz", &args(&["netrun", "run"])),
            None
        );
    }
}
