//! `netrun inventory [SELECT] [--output]` and `netrun inventory show HOST [--explain]`.

use std::io::Write;

use netrun::inventory::Inventory;
use netrun::output;

use crate::cli::args::{InventoryArgs, InventoryCommand, InventoryFormat};
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun inventory`.
pub fn run(context: &Context, args: InventoryArgs) -> Result<u8, AppError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.show {
        Some(InventoryCommand::Show {
            host,
            explain,
            output: format,
        }) => {
            let inv = context.inventory()?;
            let index = inv.index_of(&host).ok_or_else(|| AppError::UnknownHost {
                suggestions: netrun::suggest::nearest(&host, inv.names()),
                name: host.clone(),
            })?;
            match (explain, format) {
                (true, None | Some(InventoryFormat::Table)) => {
                    let view = inv.host(index);
                    // The effective ssh settings, with ssh_config's share; a host ssh cannot
                    // connect to says why instead.
                    let extra = match context
                        .ssh_plugin(None, false)?
                        .explain(&view.target("ssh"))
                    {
                        Ok(rows) => rows,
                        Err(problem) => vec![["ssh".into(), problem, "-".into()]],
                    };
                    out.write_all(output::explain(view, &extra).as_bytes())
                }
                (true, Some(InventoryFormat::Json)) => {
                    let document = output::explain_document(inv.host(index));
                    output::write_serialized(&mut out, |w| {
                        serde_json::to_writer_pretty(w, &document)
                    })
                    .and_then(|()| writeln!(out))
                }
                (true, Some(InventoryFormat::Yaml)) => {
                    let document = output::explain_document(inv.host(index));
                    output::write_serialized(&mut out, |w| serde_yaml::to_writer(w, &document))
                }
                (false, format) => write_hosts(
                    &mut out,
                    &inv,
                    &[index],
                    format.unwrap_or(InventoryFormat::Yaml),
                ),
            }
        }
        None => {
            let selection = context.select(&args.select)?;
            let written = write_hosts(
                &mut out,
                &selection.inventory,
                &selection.indices,
                args.output,
            );
            // The process ends right after this; freeing a large inventory allocation by
            // allocation costs a tenth of a second at 60,000 hosts for nothing.
            std::mem::forget(selection);
            written
        }
    };
    written
        .and_then(|()| out.flush())
        .map_err(AppError::Output)?;
    Ok(netrun::exit::OK)
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
