//! The command line: arguments, the context built from them once, one file per subcommand,
//! the terminal, and the errors that stop a command. Everything here is the binary's; the
//! engine it drives is the `netrun` library (ARCHITECTURE.md).

pub mod args;
mod commands;
mod context;
mod error;
mod habits;
mod plugin_names;
mod report;
mod terminal;

use args::{Cli, Commands};
use netrun::config::Overrides;

pub use error::{AppError, report as report_error};

/// Parses the command line; a mistake is printed (help and version too) and its exit code
/// returned.
pub fn parse() -> Result<Cli, u8> {
    use clap::Parser;
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    Cli::try_parse_from(&raw).map_err(|err| {
        let args: Vec<String> = raw
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if !err.use_stderr() {
            // --help, --version: clap prints them to stdout.
            let _ = err.print();
            return netrun::exit::OK;
        }
        eprint!("{}", error::paint(&habits::usage_error(&err, &args)));
        netrun::exit::USAGE
    })
}

/// Runs the parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<u8, AppError> {
    netrun::messages::init(cli.global.verbose, cli.global.quiet);
    if let Commands::PluginHost(args) = &cli.command {
        // A helper process: no settings, no netrun.yaml; it serves the netrun that started it.
        return netrun::plugin_host::serve(&args.path, args.concurrency).map_err(AppError::Output);
    }
    // These read no settings: they work anywhere, a project or not.
    match cli.command {
        Commands::Init(args) => return commands::init::run(args),
        Commands::Completions(args) => return commands::completions::completions(args),
        Commands::Man => return commands::completions::man(),
        _ => {}
    }
    let run_options = match &cli.command {
        Commands::Run(args) => Some(&args.options),
        Commands::Command(args) => Some(&args.options),
        _ => None,
    };
    let overrides = Overrides {
        config: cli.global.config.clone(),
        inventory: cli.global.inventory.clone(),
        nornir_config: cli.global.nornir_config.clone(),
        tasks: cli.global.tasks.clone(),
        plugins: cli.global.plugins.clone(),
        workers: run_options.and_then(|o| o.workers),
        timeout: run_options.and_then(|o| o.timeout),
        ssh_config: cli.global.ssh_config.clone(),
    };
    let context = context::Context::new(&cli.global, overrides)?;
    match cli.command {
        Commands::Inventory(args) => commands::inventory::run(&context, args),
        Commands::Run(args) => commands::run::run(&context, args),
        Commands::Command(args) => commands::command::run(&context, args),
        Commands::Tasks(args) => commands::tasks::run(&context, args),
        Commands::Plugins => commands::plugins::run(&context),
        Commands::Check => commands::check::run(&context),
        Commands::Platforms(args) => commands::platforms::run(&context, args),
        Commands::Lab(args) => commands::lab::run(&context, args),
        Commands::Parse(args) => commands::parse::run(&context, args),
        // Served above, before any settings are read.
        Commands::PluginHost(_) | Commands::Init(_) | Commands::Completions(_) | Commands::Man => {
            Ok(netrun::exit::OK)
        }
    }
}

/// The async runtime for commands that talk to devices or serve the lab.
fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)
}

/// Writes `text` to stdout in one go.
fn print(text: &str) -> Result<(), AppError> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(AppError::Output)
}
