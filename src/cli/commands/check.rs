//! `netrun check`: config, task files, plugins and inventory validated together, with the same
//! checks a run makes before it contacts a device — and contacting none.

use netrun::output::plural;

use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun check`.
pub fn run(context: &Context) -> Result<u8, AppError> {
    context.platforms()?;
    // A library the user named (or put in a plugin directory) that cannot load is a
    // configuration error, even if no task uses it yet.
    let broken = context.all_plugins().broken();
    let tasks = context.tasks()?;
    if let Some(err) = tasks.first_error() {
        if let Some(note) = context.plugins().broken_summary() {
            netrun::messages::note(format_args!("{note}"));
        }
        return Err(err.into());
    }
    if !broken.is_empty() {
        return Err(AppError::BrokenPlugins(broken));
    }
    let inv = context.inventory()?;
    let ssh = context.ssh_plugin(None, false)?;
    let all: Vec<usize> = (0..inv.len()).collect();
    // ssh credentials matter only if some task uses ssh.
    let needs_ssh =
        tasks.tasks.is_empty() || tasks.tasks.values().any(|t| tasks.uses_plugin(t, "ssh"));
    let jobs = netrun::job::host_jobs(&inv, &all, needs_ssh.then_some(&ssh), &[])?;
    for note in jobs.notes {
        netrun::messages::warning(format_args!("{note}"));
    }
    let infos = context.plugin_infos();
    let text = format!(
        "ok: config {}, {} host{}, {} task{}, {} connection plugin{}\n",
        context
            .settings
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(defaults)".into()),
        inv.len(),
        plural(inv.len()),
        tasks.tasks.len(),
        plural(tasks.tasks.len()),
        infos.len(),
        plural(infos.len()),
    );
    crate::cli::print(&text)?;
    Ok(netrun::exit::OK)
}
