//! The command line (README "Command line"), declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  netrun inventory --filter site=earth              list the hosts of one site
  netrun inventory show edge01.earth --explain      where each value of a host comes from
  netrun command \"show version\" --lab               run a command on every host of the built-in lab
  netrun run get_version --filter site=earth        run tasks/get_version.yaml on one site
  netrun parse out.txt --platform ios --command \"show version\"   parse saved output with TextFSM

Exit codes: 0 all hosts ok/changed/skipped, 1 some host failed, unreachable or timed out,
2 usage/config/inventory/task/plugin error or no host matched (nothing ran), 130 interrupted.";

/// Run tasks against fleets of network devices from a YAML inventory.
#[derive(Debug, Parser)]
#[command(name = "netrun", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Options for every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Options accepted by every subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Config file [default: ./netrun.yaml if present]
    #[arg(long, global = true, value_name = "FILE", env = "NETRUN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Inventory directory holding hosts.yaml, groups.yaml, defaults.yaml [default: ./inventory]
    #[arg(long, global = true, value_name = "DIR", env = "NETRUN_INVENTORY")]
    pub inventory: Option<PathBuf>,
    /// A nornir config.yaml: take its SimpleInventory files and num_workers
    #[arg(long, global = true, value_name = "FILE", env = "NETRUN_NORNIR_CONFIG")]
    pub nornir_config: Option<PathBuf>,
    /// Tasks directory [default: ./tasks]
    #[arg(long, global = true, value_name = "DIR", env = "NETRUN_TASKS")]
    pub tasks: Option<PathBuf>,
    /// Load a connection plugin (shared library); repeatable
    #[arg(long = "plugin", global = true, value_name = "PATH")]
    pub plugins: Vec<PathBuf>,
    /// More diagnostics on stderr (-v, -vv)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour output; `auto` means on a terminal and NO_COLOR unset
    #[arg(long, global = true, value_enum, default_value_t = When::Auto, value_name = "WHEN")]
    pub color: When,
    /// Progress bar on stderr
    #[arg(long, global = true, value_enum, default_value_t = When::Auto, value_name = "WHEN")]
    pub progress: When,
    /// Refuse hosts whose platform is missing or unknown instead of driving them as `generic`
    #[arg(long, global = true)]
    pub strict_platforms: bool,
    /// OpenSSH client config to read instead of ~/.ssh/config; `none` reads none
    #[arg(long, global = true, value_name = "FILE", env = "NETRUN_SSH_CONFIG")]
    pub ssh_config: Option<PathBuf>,
}

/// auto / always / never.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum When {
    /// Only when the stream is a terminal.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run a task file (tasks/NAME.yaml) on the selected hosts
    Run(RunArgs),
    /// Run one CLI command on the selected hosts, no task file needed
    Command(CommandArgs),
    /// Show the resolved hosts after selection, or one host with `show`
    Inventory(InventoryArgs),
    /// List task files, or show one task's params and steps
    Tasks(TasksArgs),
    /// List connection plugins: built-in and loaded
    Plugins,
    /// Validate config, inventory, tasks and plugins; contacts no device
    Check,
    /// List the device platforms (built-in and from netrun.yaml), or show one definition
    Platforms(PlatformsArgs),
    /// Serve a simulated device for every selected host, on loopback
    Lab(LabArgs),
    /// Parse saved command output into records with TextFSM templates (ntc-templates)
    Parse(ParseArgs),
    /// Write a starter project (netrun.yaml, inventory, tasks) that runs with --lab at once
    Init(InitArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell
    Completions(CompletionsArgs),
    /// Print netrun's man page (roff): `netrun man > netrun.1`
    Man,
    /// Internal: serve one plugin library to the netrun that started this process
    #[command(name = "plugin-host", hide = true)]
    PluginHost(PluginHostArgs),
}

/// `netrun plugin-host PATH`, the helper process of a plugin (README "Connection plugins").
#[derive(Debug, Args)]
pub struct PluginHostArgs {
    /// The plugin library
    pub path: PathBuf,
    /// How many plugin calls may run at once
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
}

/// Host selection, the same for every subcommand.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Host selection")]
pub struct SelectArgs {
    /// KEY=VALUE, KEY!=VALUE, KEY~REGEX, KEY>N, KEY>=N, KEY<N, KEY<=N; VALUE may be a,b,c (any of).
    /// KEY is name, hostname, platform, port, username, groups (inherited), direct_groups or a data key
    /// (dotted for nesting: facts.os=ios). Repeat to require all.
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// A minijinja expression over each host, for OR and NOT:
    /// 'site == "earth" and role != "spine"'
    #[arg(long = "where", value_name = "EXPR")]
    pub where_expr: Option<String>,
    /// Host names and globs (edge*,core1), or @FILE with one per line; an exact host name is
    /// never read as a glob, and a line starting with # is a comment unless it is a host name
    #[arg(long, value_name = "NAMES|@FILE")]
    pub hosts: Vec<String>,
}

/// Output formats of run and command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunOutput {
    /// One row per host, then a summary line
    Table,
    /// One JSON document
    Json,
    /// One JSON object per host as it finishes, then the summary
    Ndjson,
    /// Each host's full text output under a header
    Raw,
}

/// Options shared by run and command.
#[derive(Debug, Args)]
#[command(next_help_heading = "Run options")]
pub struct RunOptions {
    /// Hosts in flight at once [default: 100]
    #[arg(long, value_name = "N", env = "NETRUN_WORKERS")]
    pub workers: Option<usize>,
    /// Per-host deadline in seconds; the host is cancelled and marked timeout
    #[arg(long, value_name = "SECS", env = "NETRUN_TIMEOUT")]
    pub timeout: Option<f64>,
    /// Output format
    #[arg(short, long, alias = "format", value_enum, default_value_t = RunOutput::Table)]
    pub output: RunOutput,
    /// Write each host's text result to DIR/HOST.txt
    #[arg(long, value_name = "DIR")]
    pub save_dir: Option<PathBuf>,
    /// Above this many hosts the table lists only the hosts that are not ok
    #[arg(long, value_name = "N", env = "NETRUN_MAX_ROWS", default_value_t = 50)]
    pub max_rows: usize,
    /// List every host in the table, however many (not with -q)
    #[arg(long)]
    pub all_rows: bool,
    /// Write the names of hosts that did not succeed to FILE (rerun with --hosts @FILE)
    #[arg(long, value_name = "FILE")]
    pub save_failed: Option<PathBuf>,
    /// Start the built-in simulated lab for the selected hosts and run against it
    #[arg(long)]
    pub lab: bool,
    /// Write each host's session transcript (sent and received, secrets redacted) to DIR/HOST.log
    #[arg(long, value_name = "DIR")]
    pub session_log: Option<PathBuf>,
    /// Show hosts' secret values (passwords, secrets, secret-named data) where they appear in
    /// results, files and session logs, instead of ***
    #[arg(long)]
    pub show_secrets: bool,
    /// Run hosts in batches of N hosts or N% of them, each batch finishing before the next
    /// starts; repeatable, the last size repeats (--serial 1 --serial 10% --serial 100%)
    #[arg(long, value_name = "N|N%", help_heading = "Rollout")]
    pub serial: Vec<netrun::runner::Share>,
    /// Stop starting hosts once N hosts (or N% of them) have failed; the rest are skipped
    #[arg(long, value_name = "N|N%", help_heading = "Rollout")]
    pub max_fail: Option<netrun::runner::Share>,
    /// Never run more than N hosts with the same value of KEY at once (site, role, groups, a
    /// data path); repeatable
    #[arg(long, value_name = "KEY=N", value_parser = parse_max_per, help_heading = "Rollout")]
    pub max_per: Vec<(String, usize)>,
    /// TextFSM templates directory with an ntc-templates `index`, for `parse: textfsm` steps and
    /// --parse [default: `parse.templates` in netrun.yaml, NET_TEXTFSM, python3's ntc_templates]
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

fn parse_max_per(text: &str) -> Result<(String, usize), String> {
    let (key, n) = netrun::runner::MaxPer::parse(text).map_err(|e| e.to_string())?;
    netrun::select::Key::parse(&key).map_err(|reason| format!("`{key}`: {reason}"))?;
    Ok((key, n))
}

/// `netrun run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Task name: tasks/NAME.yaml
    pub task: String,
    /// Task parameter; repeatable. V is text, kept verbatim, except `true`/`false` and decimal
    /// integers (`42`), which become a boolean or a number unless the param's default is a string.
    /// Floats stay text (`17.10`); a YAML-quoted V ('a: b') is unquoted; a V that reads as a YAML
    /// mapping or list is an error
    #[arg(long = "arg", value_name = "K=V")]
    pub args: Vec<String>,
    /// Which hosts.
    #[command(flatten)]
    pub select: SelectArgs,
    /// How to run.
    #[command(flatten)]
    pub options: RunOptions,
    /// Change nothing: config steps read the running configuration and report the lines they
    /// would send (changed), other steps that would change a device report skipped
    // Only for tasks: `command` sends exactly the lines it is given, so it has no dry run.
    #[arg(long, visible_alias = "check", help_heading = "Run options")]
    pub dry_run: bool,
    /// Show what config steps change in the running configuration, as a diff per host (under
    /// --dry-run: the lines that would be added)
    #[arg(long, help_heading = "Run options")]
    pub diff: bool,
}

/// `netrun command`.
#[derive(Debug, Args)]
pub struct CommandArgs {
    /// The CLI command to send, e.g. "show version"; several run in order over one connection.
    /// Hosts are chosen with --hosts/--filter/--where: a host's name here is refused, unless
    /// the commands come after `--`
    #[arg(value_name = "CLI COMMAND", required_unless_present = "literal", num_args = 1..)]
    pub commands: Vec<String>,
    /// Parse each output into records with the TextFSM template the ntc-templates index gives
    /// the host's platform and the command
    #[arg(long)]
    pub parse: bool,
    /// Commands after `--`, sent as they are even when one is a host's name
    #[arg(value_name = "LITERAL", last = true, hide = true)]
    pub literal: Vec<String>,
    /// Which hosts.
    #[command(flatten)]
    pub select: SelectArgs,
    /// How to run.
    #[command(flatten)]
    pub options: RunOptions,
}

/// Formats of `netrun inventory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// name, hostname, port, platform, groups
    Table,
    /// every resolved field, data and connection options
    Json,
    /// the same as json, in YAML
    Yaml,
}

/// `netrun inventory`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct InventoryArgs {
    /// Show one host.
    #[command(subcommand)]
    pub show: Option<InventoryCommand>,
    /// Which hosts.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format
    #[arg(short, long, alias = "format", value_enum, default_value_t = InventoryFormat::Table)]
    pub output: InventoryFormat,
}

/// `netrun inventory show`.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Show one host's resolved values
    Show {
        /// Host name
        host: String,
        /// Show where each value came from: host, which group, defaults, environment
        #[arg(long)]
        explain: bool,
        /// Output format; with --explain, `table` unless json or yaml is asked for
        #[arg(short, long, alias = "format", value_enum)]
        output: Option<InventoryFormat>,
    },
}

/// `netrun tasks`.
#[derive(Debug, Args)]
pub struct TasksArgs {
    /// Show this task's params and steps
    pub name: Option<String>,
}

/// `netrun platforms`.
#[derive(Debug, Args)]
pub struct PlatformsArgs {
    /// Show this platform's definition (a name or an alias)
    pub name: Option<String>,
}

/// Formats of `netrun parse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParseFormat {
    /// A JSON list of records (lowercase keys, as ntc-templates returns them)
    Json,
    /// The same, in YAML
    Yaml,
    /// One row per record, one column per value
    Table,
}

/// `netrun parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The saved output to parse; `-` (the default) reads standard input
    #[arg(value_name = "FILE|-", conflicts_with = "manifest")]
    pub input: Option<PathBuf>,
    /// The device platform (netrun or ntc-templates name), to choose the template by the index
    #[arg(
        long,
        value_name = "P",
        requires = "command",
        conflicts_with = "template",
        required_unless_present_any = ["template", "manifest"]
    )]
    pub platform: Option<String>,
    /// The command that produced the output, to choose the template by the index
    #[arg(
        long,
        value_name = "C",
        requires = "platform",
        conflicts_with = "template"
    )]
    pub command: Option<String>,
    /// Parse with this TextFSM template file instead of looking one up
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// TextFSM templates directory with an ntc-templates `index` [default: `parse.templates` in
    /// netrun.yaml, NET_TEXTFSM, python3's ntc_templates]
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Parse many saved outputs: one JSON object per line with `raw` (a path relative to the
    /// manifest), `platform` and `command`; prints one JSON line per input, in order
    #[arg(long, value_name = "FILE.jsonl", conflicts_with_all = ["platform", "command", "template"])]
    pub manifest: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
    pub format: ParseFormat,
}

/// `netrun init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the project [default: the current directory]
    pub dir: Option<PathBuf>,
}

/// `netrun completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

/// `netrun lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// Loopback address to listen on; port 0 picks free ports, port P uses P, P+1, ...
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: String,
    /// Write the lab's connection counters as JSON to FILE, every 200 ms and on exit
    #[arg(long, value_name = "FILE")]
    pub counters: Option<PathBuf>,
    /// Which hosts.
    #[command(flatten)]
    pub select: SelectArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
