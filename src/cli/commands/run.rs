//! `netrun run TASK`: a task file on the selected hosts — and the execution every run shares
//! with `netrun command`.

use std::sync::Arc;
use std::time::Instant;

use netrun::connection::{ConnectionPlugin, Plugins};
use netrun::inventory::object::known_data_keys;
use netrun::runner::RunConfig;
use netrun::task::{Task, TaskRun, Tasks};

use crate::cli::args::{RunArgs, RunOptions, SelectArgs};
use crate::cli::context::Context;
use crate::cli::error::AppError;
use crate::cli::report;

/// Runs `netrun run`.
pub fn run(context: &Context, args: RunArgs) -> Result<u8, AppError> {
    // Task files and params are checked before the inventory is touched or a device contacted.
    let tasks = context.tasks_for(&args.task)?;
    let task = match tasks.get(&args.task) {
        Ok(task) => task,
        Err(err) => {
            // The task may need a plugin that failed to load: say why it did.
            if let Some(note) = context.plugins().broken_summary() {
                netrun::messages::note(format_args!("{note}"));
            }
            return Err(err.into());
        }
    };
    let params = netrun::task::resolve_params(task, &args.args)?;
    execute(
        context,
        Execution {
            tasks: tasks.clone(),
            task: Arc::new(task.clone()),
            params,
            select: &args.select,
            options: &args.options,
            dry_run: args.dry_run,
            diff: args.diff,
            plugins: context.plugins().loaded(),
        },
    )
}

/// One run: a task (from a file, or ad hoc) over the selected hosts.
pub(super) struct Execution<'a> {
    /// Every task, for subtasks.
    pub tasks: Arc<Tasks>,
    /// The task to run.
    pub task: Arc<Task>,
    /// Its params.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Which hosts.
    pub select: &'a SelectArgs,
    /// How to run and report.
    pub options: &'a RunOptions,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--diff`.
    pub diff: bool,
    /// Shared-library plugins the run may use (besides the built-in ones).
    pub plugins: Vec<Arc<dyn ConnectionPlugin>>,
}

/// Selects the hosts, checks their settings, runs the task on them (against the lab with
/// `--lab`), prints the results and writes the files asked for; returns the exit code.
pub(super) fn execute(context: &Context, run: Execution<'_>) -> Result<u8, AppError> {
    let options = run.options;
    let selection = context.select(run.select)?;
    let ssh = Arc::new(context.ssh_plugin(options.session_log.as_deref(), options.show_secrets)?);
    let (inv, indices) = (&selection.inventory, &selection.indices);
    let names: Vec<String> = run.plugins.iter().map(|p| p.info().name.clone()).collect();
    let needs_ssh = run.tasks.uses_plugin(&run.task, "ssh");
    let netrun::job::Jobs { jobs, notes } =
        netrun::job::host_jobs(inv, indices, needs_ssh.then_some(ssh.as_ref()), &names)?;
    for note in notes {
        netrun::messages::warning(format_args!("{note}"));
    }
    let rollout = rollout(options, inv, &jobs);
    if let Some(plan) = rollout.describe(jobs.len()) {
        netrun::messages::note(format_args!("{plan}"));
    }
    let platforms = context.platforms()?.clone();
    let devices = if options.lab {
        Some(netrun::job::lab_devices(inv, indices, &platforms)?)
    } else {
        None
    };
    let mut infos = vec![ssh.info().clone()];
    infos.extend(run.plugins.iter().map(|p| p.info().clone()));
    let task_run = Arc::new(TaskRun {
        tasks: run.tasks.clone(),
        known_keys: Arc::new(known_data_keys(inv)),
        inventory: inv.clone(),
        renderer: context.renderer().clone(),
        platforms,
        plugins: infos,
        dry_run: run.dry_run,
        diff: run.diff,
        running: Default::default(),
    });
    let work = netrun::task::task_work(task_run, run.task.clone(), run.params);
    let mut plugins = Plugins::default();
    plugins.add(ssh);
    for plugin in run.plugins {
        plugins.add(plugin);
    }
    // A results directory that cannot be made is found before anything runs (exit 2).
    if let Some(dir) = &options.save_dir {
        std::fs::create_dir_all(dir).map_err(|source| AppError::Write {
            path: dir.clone(),
            source,
        })?;
    }
    let started = Instant::now();
    let bar = context.terminal.progress_bar(jobs.len());
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let config = RunConfig {
        workers: context.settings.workers,
        timeout: context.settings.timeout,
        cancel: cancel_rx.clone(),
        on_done: report::on_done(bar.clone(), options.output),
        show_secrets: options.show_secrets,
        rollout,
    };
    crate::cli::terminal::watch_interrupts(cancel_tx).map_err(AppError::Runtime)?;
    let runtime = crate::cli::runtime()?;
    let results = runtime.block_on(netrun::runner::run_with_lab(
        jobs, devices, plugins, config, work,
    ));
    // Renders cut off by a deadline may still be running on the blocking pool; they are bounded
    // by their fuel, but the results need not wait for them.
    runtime.shutdown_background();
    let results = results.map_err(AppError::Lab)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let code = report::report(
        &run.task.name,
        &results,
        started,
        options,
        &context.terminal,
    )?;
    if *cancel_rx.borrow() {
        return Ok(netrun::exit::INTERRUPTED);
    }
    Ok(code)
}

/// The rollout the options ask for, with each job's values of the `--max-per` keys.
fn rollout(
    options: &RunOptions,
    inv: &netrun::inventory::Inventory,
    jobs: &[netrun::job::HostJob],
) -> netrun::runner::Rollout {
    let max_per = options
        .max_per
        .iter()
        .map(|(key, limit)| {
            // Checked when the flag was read.
            let parsed = netrun::select::Key::parse(key).ok();
            let values = jobs
                .iter()
                .map(|job| match (&parsed, inv.index_of(&job.name)) {
                    (Some(k), Some(i)) => k.values(&inv.host(i)),
                    _ => Vec::new(),
                })
                .collect();
            netrun::runner::MaxPer {
                key: key.clone(),
                limit: *limit,
                values,
            }
        })
        .collect();
    netrun::runner::Rollout {
        serial: options.serial.clone(),
        max_fail: options.max_fail,
        max_per,
    }
}
