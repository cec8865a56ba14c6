//! Carries out a parsed command line: the one place where settings, inventory and selection meet.

use std::io::Write;
use std::sync::Arc;

use crate::cli::{Cli, Command, InventoryArgs, InventoryCommand, InventoryFormat, SelectArgs};
use crate::config::{Overrides, Settings};
use crate::error::{EXIT_OK, Error};
use crate::filter::Selector;
use crate::inventory::Inventory;
use crate::{output, template};

/// Runs `cli` and returns the exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    let run_options = match &cli.command {
        Command::Run(args) => Some(&args.options),
        Command::Command(args) => Some(&args.options),
        _ => None,
    };
    let overrides = Overrides {
        config: cli.global.config.clone(),
        inventory: cli.global.inventory.clone(),
        tasks: cli.global.tasks.clone(),
        plugins: cli.global.plugins.clone(),
        workers: run_options.and_then(|o| o.workers),
        timeout: run_options.and_then(|o| o.timeout),
    };
    let settings = Settings::load(&overrides)?;
    match cli.command {
        Command::Inventory(args) => inventory(&settings, args),
        Command::Run(_) => Err(Error::NotYetAvailable("run")),
        Command::Command(_) => Err(Error::NotYetAvailable("command")),
        Command::Tasks(_) => Err(Error::NotYetAvailable("tasks")),
        Command::Plugins => Err(Error::NotYetAvailable("plugins")),
        Command::Check => Err(Error::NotYetAvailable("check")),
        Command::Lab(_) => Err(Error::NotYetAvailable("lab")),
    }
}

/// Loads the inventory and applies the selection: the one path every subcommand takes.
pub fn select(
    settings: &Settings,
    select: &SelectArgs,
) -> Result<(Arc<Inventory>, Vec<usize>), Error> {
    let selector = Selector::new(&select.filters, select.where_expr.as_deref(), &select.hosts)?;
    let inv = Arc::new(Inventory::load(&settings.inventory_dir)?);
    let env = template::environment(Some(settings.templates_dir.clone()));
    let indices = selector.select(&inv, &env)?;
    Ok((inv, indices))
}

fn inventory(settings: &Settings, args: InventoryArgs) -> Result<u8, Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.show {
        Some(InventoryCommand::Show {
            host,
            explain,
            format,
        }) => {
            let inv = Inventory::load(&settings.inventory_dir)?;
            let index = inv
                .index_of(&host)
                .ok_or_else(|| Error::UnknownHost(host.clone()))?;
            if explain {
                out.write_all(output::explain(inv.host(index)).as_bytes())
            } else {
                write_hosts(&mut out, &inv, &[index], format)
            }
        }
        None => {
            let (inv, indices) = select(settings, &args.select)?;
            let written = write_hosts(&mut out, &inv, &indices, args.format);
            // The process ends right after this; freeing a large inventory allocation by
            // allocation costs a tenth of a second at 60,000 hosts for nothing.
            std::mem::forget(inv);
            written
        }
    };
    written.and_then(|()| out.flush()).map_err(Error::Output)?;
    Ok(EXIT_OK)
}

fn write_hosts(
    out: &mut dyn Write,
    inv: &Inventory,
    indices: &[usize],
    format: InventoryFormat,
) -> std::io::Result<()> {
    match format {
        InventoryFormat::Table => out.write_all(output::inventory_table(inv, indices).as_bytes()),
        InventoryFormat::Json => output::inventory_json(out, inv, indices),
        InventoryFormat::Yaml => output::inventory_yaml(out, inv, indices),
    }
}
