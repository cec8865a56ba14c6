//! `netrun plugins`: every connection plugin with what it declares, then the broken ones.

use netrun::escape;
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
                let name = escape::one_line(&o.name);
                if o.read_only {
                    format!("{name} (read-only)")
                } else {
                    name.into_owned()
                }
            })
            .collect();
        table.add_row(vec![
            escape::one_line(&info.name).into_owned(),
            escape::one_line(&info.version).into_owned(),
            escape::one_line(&info.path).into_owned(),
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
            text.push_str(&format!(
                "  {}: {}\n",
                escape::one_line(&plugin.path.display().to_string()),
                escape::one_line(&plugin.reason)
            ));
        }
    }
    crate::cli::print(&text)?;
    Ok(netrun::exit::OK)
}
