//! `netrun plugins`: every connection plugin with what it declares, then the broken ones.

use netrun::output::new_table;

use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun plugins`.
pub fn run(context: &Context) -> Result<u8, AppError> {
    let plugins = context.all_plugins();
    let mut table = new_table(&[
        "plugin",
        "version",
        "path",
        "command types",
        "operations",
        "dry run",
    ]);
    for info in context.plugin_infos() {
        let declared = &info.declared;
        let types: Vec<&str> = declared.command_types.iter().map(|t| t.as_str()).collect();
        let ops: Vec<String> = declared
            .operations
            .iter()
            .map(|o| {
                if o.read_only {
                    format!("{} (read-only)", o.name)
                } else {
                    o.name.clone()
                }
            })
            .collect();
        table.add_row(vec![
            info.name.clone(),
            info.version.clone(),
            info.path.clone(),
            types.join(", "),
            if ops.is_empty() {
                "-".to_string()
            } else {
                ops.join("\n")
            },
            if declared.dry_run { "yes" } else { "no" }.to_string(),
        ]);
    }
    let mut text = format!("{}\n", table.trim_fmt());
    let broken = plugins.broken();
    if !broken.is_empty() {
        text.push_str("\nbroken plugins:\n");
        for plugin in &broken {
            text.push_str(&format!("  {}: {}\n", plugin.path.display(), plugin.reason));
        }
    }
    crate::cli::print(&text)?;
    Ok(netrun::exit::OK)
}
