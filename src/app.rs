//! Carries out a parsed command line: the one place where settings, inventory and selection meet.

use std::io::Write;
use std::sync::Arc;

use std::collections::HashMap;
use std::time::Instant;

use crate::cli::{
    Cli, Command, CommandArgs, InventoryArgs, InventoryCommand, InventoryFormat, LabArgs,
    RunOptions, RunOutput, SelectArgs,
};
use crate::config::{Overrides, Settings};
use crate::connection::{ConnectionPlugin, Operation, Output, Plugins, Target};
use crate::error::{EXIT_OK, Error};
use crate::filter::Selector;
use crate::inventory::Inventory;
use crate::lab::{DeviceSpec, Lab};
use crate::platform::Platforms;
use crate::result::{HostResult, Node, Status, Summary};
use crate::runner::{HostJob, RunConfig, Work};
use crate::ssh::SshPlugin;
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
    crate::diagnostics::init(cli.global.verbose, cli.global.quiet);
    let settings = Settings::load(&overrides)?;
    match &settings.config_file {
        Some(path) => crate::diag!(1, "config file {}", path.display()),
        None => crate::diag!(1, "no config file; built-in defaults"),
    }
    let view = View::new(&cli.global);
    match cli.command {
        Command::Inventory(args) => inventory(&settings, args),
        Command::Run(args) => run_task(&settings, &view, args),
        Command::Command(args) => command(&settings, &view, args),
        Command::Tasks(args) => tasks(&settings, args),
        Command::Plugins => plugins_list(&settings),
        Command::Check => check(&settings),
        Command::Lab(args) => lab(&settings, args),
    }
}

/// Loads the inventory and applies the selection: the one path every subcommand takes.
pub fn select(
    settings: &Settings,
    platforms: &Arc<Platforms>,
    select: &SelectArgs,
) -> Result<(Arc<Inventory>, Vec<usize>), Error> {
    // Platform aliases (cisco_ios) select and read as their canonical name (ios).
    let selector = Selector::new(&select.filters, select.where_expr.as_deref(), &select.hosts)?
        .with_platforms(platforms.clone());
    let inv = Arc::new(Inventory::load(&settings.inventory_dir)?);
    crate::diag!(
        1,
        "inventory {}: {} hosts",
        settings.inventory_dir.display(),
        inv.len()
    );
    let env = template::environment(Some(settings.templates_dir.clone()));
    let indices = selector.select(&inv, &env)?;
    crate::diag!(1, "selected {} of {} hosts", indices.len(), inv.len());
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
            let (inv, indices) = select(settings, &platforms(settings)?, &args.select)?;
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

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// The built-in platform definitions with netrun.yaml's `platforms:` applied.
fn platforms(settings: &Settings) -> Result<Arc<Platforms>, Error> {
    let mut platforms = Platforms::builtin();
    if let Some(overrides) = &settings.platforms {
        platforms
            .merge_overrides_value(overrides.clone())
            .map_err(|source| Error::Platforms {
                // Overrides only come from a config file; the fallback name is never shown.
                path: settings
                    .config_file
                    .clone()
                    .unwrap_or_else(|| "netrun.yaml".into()),
                source,
            })?;
    }
    Ok(Arc::new(platforms))
}

/// Resolves every selected host's ssh target and checks it before anything is contacted.
fn ssh_jobs(inv: &Inventory, indices: &[usize], ssh: &SshPlugin) -> Result<Vec<HostJob>, Error> {
    host_jobs(inv, indices, Some(ssh), &[])
}

/// Resolves every selected host's target for ssh and for each of `others` (loaded plugins,
/// from `connection_options.NAME`); the ssh checks run only when `ssh` is given, i.e. when the
/// work uses ssh, so a plugin-only inventory needs no ssh credentials.
fn host_jobs(
    inv: &Inventory,
    indices: &[usize],
    ssh: Option<&SshPlugin>,
    others: &[String],
) -> Result<Vec<HostJob>, Error> {
    let mut jobs = Vec::with_capacity(indices.len());
    let mut problems = Vec::new();
    for &index in indices {
        let host = inv.host(index);
        let target = Target::from_host(host, "ssh");
        if let Some(ssh) = ssh
            && let Err(problem) = ssh.prepare(&target)
        {
            problems.push(format!("host `{}`: {problem}", host.name()));
        }
        let mut targets = HashMap::from([("ssh".to_string(), target)]);
        for name in others {
            targets.insert(name.clone(), Target::from_host(host, name));
        }
        jobs.push(HostJob {
            name: host.name().to_string(),
            targets,
        });
    }
    if problems.is_empty() {
        Ok(jobs)
    } else {
        Err(Error::Targets(problems))
    }
}

/// Lab devices for the selected hosts; a host the lab cannot simulate stops the run (exit 2).
fn lab_devices(
    inv: &Inventory,
    indices: &[usize],
    platforms: &Platforms,
) -> Result<Vec<DeviceSpec>, Error> {
    let mut devices = Vec::with_capacity(indices.len());
    let mut problems = Vec::new();
    for &index in indices {
        let host = inv.host(index);
        match DeviceSpec::from_host(host, platforms) {
            Ok(device) => devices.push(device),
            Err(problem) => problems.push(format!("host `{}`: {problem}", host.name())),
        }
    }
    if problems.is_empty() {
        Ok(devices)
    } else {
        Err(Error::Targets(problems))
    }
}

/// One node per command, over the host's one ssh connection; the first failure stops the host.
fn command_work(commands: Arc<Vec<String>>) -> Work {
    Arc::new(move |run| {
        let commands = commands.clone();
        Box::pin(async move {
            for command in commands.iter() {
                let started = Instant::now();
                let outcome = run
                    .connections
                    .run("ssh", Operation::Command(command))
                    .await;
                let mut node = Node::new(command.clone(), Status::Ok, started.elapsed());
                let failed = outcome.is_err();
                match outcome {
                    Ok(Output::Text(text)) => node.result = Some(text.into()),
                    Ok(Output::Json(value)) => node.result = Some(value),
                    Err(err) => {
                        node.status = if err.is_unreachable() {
                            Status::Unreachable
                        } else {
                            Status::Failed
                        };
                        if let crate::connection::ConnectionError::Failed {
                            partial: Some(p), ..
                        }
                        | crate::connection::ConnectionError::Broken {
                            partial: Some(p), ..
                        } = &err
                            && !p.is_empty()
                        {
                            node.result = Some(p.clone().into());
                        }
                        node.error = Some(err.to_string());
                    }
                }
                run.nodes.push(node);
                if failed {
                    break;
                }
            }
        })
    })
}

/// How results are shown: decided once from flags, environment and terminals.
pub struct View {
    /// Colour the status column.
    pub color: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// `--progress always`: draw it even when stderr is not a terminal.
    pub progress_forced: bool,
}

impl View {
    /// `--color` and `--progress` with `auto` meaning "only on a terminal"; `NO_COLOR` set means
    /// no colour unless `--color always`.
    pub fn new(global: &crate::cli::GlobalArgs) -> View {
        use crate::cli::When;
        use std::io::IsTerminal;
        let color = match global.color {
            When::Always => true,
            When::Never => false,
            When::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let progress = match global.progress {
            When::Always => true,
            When::Never => false,
            When::Auto => std::io::stderr().is_terminal() && !global.quiet,
        };
        View {
            color,
            progress,
            progress_forced: global.progress == When::Always,
        }
    }
}

/// Ctrl-C or SIGTERM once: cancel the run (hosts stop, connections close, results print).
/// Twice: leave at once.
fn watch_interrupts(cancel: tokio::sync::watch::Sender<bool>) {
    tokio::spawn(async move {
        let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        let mut seen = 0;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            seen += 1;
            if seen == 1 {
                eprintln!(
                    "netrun: interrupted; cancelling running hosts and closing connections (interrupt again to quit at once)"
                );
                let _ = cancel.send(true);
            } else {
                std::process::exit(i32::from(crate::error::EXIT_INTERRUPTED));
            }
        }
    });
}

/// stderr for `--progress always`: indicatif hides bars on non-terminals, this draws anyway,
/// one refreshed line (`\r`) at a time.
#[derive(Debug)]
struct ForcedStderr;

impl indicatif::TermLike for ForcedStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        writeln!(std::io::stderr(), "{s}")
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        write!(std::io::stderr(), "{s}")
    }
    fn clear_line(&self) -> std::io::Result<()> {
        write!(std::io::stderr(), "\r")
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A progress bar on stderr: hosts done of total, failures so far, elapsed and ETA.
fn progress_bar(total: usize, forced: bool) -> indicatif::ProgressBar {
    let target = if forced {
        indicatif::ProgressDrawTarget::term_like(Box::new(ForcedStderr))
    } else {
        indicatif::ProgressDrawTarget::stderr()
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), target);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:30} {pos}/{len} hosts  {msg}  {elapsed} elapsed, ETA {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message("0 failed");
    bar
}

/// Runs prepared jobs (against the lab when `devices` is given) and reports them.
#[allow(clippy::too_many_arguments)]
fn execute(
    settings: &Settings,
    view: &View,
    options: &RunOptions,
    task: &str,
    mut jobs: Vec<HostJob>,
    plugins: Plugins,
    work: Work,
    devices: Option<Vec<DeviceSpec>>,
) -> Result<u8, Error> {
    // A results directory that cannot be made is found before anything runs (exit 2).
    if let Some(dir) = &options.save_dir {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
    }
    let started = Instant::now();
    let total = jobs.len();
    let bar = view
        .progress
        .then(|| progress_bar(total, view.progress_forced));
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let ndjson = options.output == RunOutput::Ndjson;
    let on_done: Option<crate::runner::OnDone> = if bar.is_some() || ndjson {
        let bar = bar.clone();
        let failures = failures.clone();
        Some(Arc::new(move |host: &HostResult| {
            if !host.status.is_success() {
                let failed = failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if let Some(bar) = &bar {
                    bar.set_message(format!("{failed} failed"));
                }
            }
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            if ndjson {
                let line = serde_json::to_string(host).unwrap_or_default();
                let print = |line: &str| {
                    let stdout = std::io::stdout();
                    let mut out = stdout.lock();
                    writeln!(out, "{line}").and_then(|()| out.flush())
                };
                // A closed stdout only loses these lines; the exit code still tells.
                let _ = match &bar {
                    Some(bar) => bar.suspend(|| print(&line)),
                    None => print(&line),
                };
            }
        }))
    } else {
        None
    };
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
    let config = RunConfig {
        workers: settings.workers,
        timeout: settings.timeout,
        cancel: cancel_rx.clone(),
        on_done,
    };
    let results = runtime()?.block_on(async move {
        watch_interrupts(cancel_tx);
        let lab = match devices {
            Some(devices) => {
                let lab = Lab::start(devices, ([127, 0, 0, 1], 0).into())
                    .await
                    .map_err(Error::Lab)?;
                for (job, (_, addr)) in jobs.iter_mut().zip(lab.endpoints()) {
                    if let Some(target) = job.targets.get_mut("ssh") {
                        crate::lab::point_at_lab(target, addr);
                    }
                }
                Some(lab)
            }
            None => None,
        };
        let results = crate::runner::run(jobs, plugins, config, work).await;
        if let Some(lab) = lab {
            lab.shutdown().await;
        }
        Ok::<_, Error>(results)
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let code = report(task, &results, started, options, view)?;
    if *cancel_rx.borrow() {
        return Ok(crate::error::EXIT_INTERRUPTED);
    }
    Ok(code)
}

fn command(settings: &Settings, view: &View, args: CommandArgs) -> Result<u8, Error> {
    let platforms = platforms(settings)?;
    let (inv, indices) = select(settings, &platforms, &args.select)?;
    let ssh = Arc::new(ssh_plugin(
        settings,
        platforms.clone(),
        Some(&args.options),
    )?);
    let jobs = ssh_jobs(&inv, &indices, &ssh)?;
    let devices = if args.options.lab {
        Some(lab_devices(&inv, &indices, &platforms)?)
    } else {
        None
    };
    let mut plugins = Plugins::default();
    plugins.add(ssh);
    let name = args.commands.join("; ");
    let work = command_work(Arc::new(args.commands));
    execute(
        settings,
        view,
        &args.options,
        &name,
        jobs,
        plugins,
        work,
        devices,
    )
}

/// Prints a run's results and writes the files asked for; returns the exit code.
fn report(
    task: &str,
    results: &[HostResult],
    started: Instant,
    options: &RunOptions,
    view: &View,
) -> Result<u8, Error> {
    let summary = Summary::of(results);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match options.output {
        RunOutput::Table => out.write_all(output::results_table(results, view.color).as_bytes()),
        RunOutput::Raw => out
            .write_all(output::results_raw(results).as_bytes())
            .and_then(|()| writeln!(out, "{}", summary.line())),
        RunOutput::Json => {
            let document = output::RunDocument {
                task,
                duration_ms: crate::result::millis(started.elapsed()),
                summary: summary.clone(),
                hosts: results,
            };
            output::write_serialized(&mut out, |w| serde_json::to_writer_pretty(w, &document))
                .and_then(|()| writeln!(out))
        }
        // The host lines were printed as each host finished.
        RunOutput::Ndjson => output::write_serialized(&mut out, |w| {
            serde_json::to_writer(w, &serde_json::json!({ "summary": summary }))
        })
        .and_then(|()| writeln!(out)),
    };
    let printed = match written.and_then(|()| out.flush()).map_err(Error::Output) {
        // The reader went away (`| head`, `| grep -q`): the files and the exit code still tell.
        Err(err) if err.is_broken_pipe() => Ok(()),
        other => other,
    };
    // Every file that can be written is written; the first failure is reported afterwards.
    let saved = match &options.save_dir {
        Some(dir) => save_results(dir, results),
        None => Ok(()),
    };
    if let Some(path) = &options.save_failed {
        let failed: String = results
            .iter()
            .filter(|h| !h.status.is_success())
            .map(|h| format!("{}\n", h.host))
            .collect();
        std::fs::write(path, failed).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    }
    printed?;
    saved?;
    Ok(summary.exit_code())
}

/// Writes each host's output to `DIR/HOST.txt`; the first failure, after trying every host.
fn save_results(dir: &std::path::Path, results: &[HostResult]) -> Result<(), Error> {
    let write_error = |path: std::path::PathBuf| move |source| Error::Write { path, source };
    std::fs::create_dir_all(dir).map_err(write_error(dir.to_path_buf()))?;
    let mut first_error = None;
    for host in results {
        // What the device answered, step after step; skipped steps only say why they were.
        let text: String = host
            .results
            .iter()
            .filter(|node| matches!(node.status, Status::Ok | Status::Changed))
            .filter_map(output::node_text)
            .collect();
        let path = dir.join(crate::output::host_file_name(&host.host, "txt"));
        if let Err(err) = std::fs::write(&path, text).map_err(write_error(path.clone())) {
            first_error.get_or_insert(err);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn lab(settings: &Settings, args: LabArgs) -> Result<u8, Error> {
    let platforms = platforms(settings)?;
    let (inv, indices) = select(settings, &platforms, &args.select)?;
    let devices = lab_devices(&inv, &indices, &platforms)?;
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
        Error::Config(crate::config::ConfigError::Invalid {
            what: "--listen".into(),
            reason: format!("`{}` is not an address like 127.0.0.1:0", args.listen),
        })
    })?;
    runtime()?.block_on(async move {
        let lab = Lab::start(devices, listen).await.map_err(Error::Lab)?;
        {
            let mut table = output::new_table(&["host", "address", "platform"]);
            for ((name, addr), device) in lab.endpoints().iter().zip(&indices) {
                let platform = inv.host(*device).platform().and_then(|r| r.value).cloned();
                table.add_row(vec![
                    name.clone(),
                    addr.to_string(),
                    platform.unwrap_or_default(),
                ]);
            }
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            writeln!(out, "{}", table.trim_fmt())
                .and_then(|()| {
                    writeln!(
                        out,
                        "lab serving {} device{}; Ctrl-C stops it",
                        indices.len(),
                        output::plural(indices.len())
                    )
                })
                .and_then(|()| out.flush())
                .map_err(Error::Output)?;
        }
        let write_counters = |counters: &crate::lab::LabCounters| -> Result<(), Error> {
            if let Some(path) = &args.counters {
                let json = serde_json::to_vec_pretty(counters)
                    .map_err(|e| Error::Output(std::io::Error::other(e)))?;
                // Written whole then renamed, so a reader never sees half a file.
                let partial = path.with_extension("partial");
                std::fs::write(&partial, json)
                    .and_then(|()| std::fs::rename(&partial, path))
                    .map_err(|source| Error::Write {
                        path: path.clone(),
                        source,
                    })?;
            }
            Ok(())
        };
        write_counters(&lab.counters())?;
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(Error::Runtime)?;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = terminate.recv() => break,
                _ = tick.tick() => write_counters(&lab.counters())?,
            }
        }
        // Once more on exit: a run that ended less than a tick ago is otherwise missing.
        write_counters(&lab.shutdown().await)?;
        Ok::<_, Error>(())
    })?;
    Ok(crate::error::EXIT_OK)
}

/// The ssh plugin for a run, with its session log when asked.
fn ssh_plugin(
    settings: &Settings,
    platforms: Arc<Platforms>,
    options: Option<&RunOptions>,
) -> Result<SshPlugin, Error> {
    let mut ssh = SshPlugin::new(settings.ssh.clone(), platforms);
    if let Some(dir) = options.and_then(|o| o.session_log.as_ref()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        ssh = ssh.with_session_log(dir.clone());
    }
    Ok(ssh)
}

fn load_tasks(
    settings: &Settings,
    plugins: &[crate::connection::PluginInfo],
) -> Result<crate::task::Tasks, Error> {
    if settings.tasks_dir_named && !settings.tasks_dir.is_dir() {
        return Err(Error::Config(crate::config::ConfigError::Invalid {
            what: "tasks".into(),
            reason: format!("directory {} does not exist", settings.tasks_dir.display()),
        }));
    }
    let tasks = crate::task::Tasks::load(&settings.tasks_dir, &settings.templates_dir, plugins)?;
    crate::diag!(
        1,
        "tasks {}: {} task files",
        settings.tasks_dir.display(),
        tasks.tasks.len()
    );
    Ok(tasks)
}

fn run_task(settings: &Settings, view: &View, args: crate::cli::RunArgs) -> Result<u8, Error> {
    let platforms = platforms(settings)?;
    let ssh = Arc::new(ssh_plugin(
        settings,
        platforms.clone(),
        Some(&args.options),
    )?);
    let loaded = load_plugins(settings);
    let mut infos = vec![crate::connection::ConnectionPlugin::info(ssh.as_ref()).clone()];
    infos.extend(loaded.loaded.iter().map(|p| p.info().clone()));
    // Task files and params are checked before the inventory is touched or a device contacted.
    let tasks = Arc::new(load_tasks(settings, &infos)?);
    let task = match tasks.get(&args.task) {
        Ok(task) => task,
        Err(err) => {
            // The task may need a plugin that failed to load: say why it did.
            if let Some(note) = loaded.broken_summary() {
                eprintln!("netrun: note: {note}");
            }
            return Err(err.into());
        }
    };
    let params = crate::task::resolve_params(task, &args.args)?;
    let (inv, indices) = select(settings, &platforms, &args.select)?;
    let names: Vec<String> = loaded
        .loaded
        .iter()
        .map(|p| p.info().name.clone())
        .collect();
    let needs_ssh = uses_plugin(&tasks, task, "ssh", &mut Vec::new());
    let jobs = host_jobs(&inv, &indices, needs_ssh.then_some(ssh.as_ref()), &names)?;
    let devices = if args.options.lab {
        Some(lab_devices(&inv, &indices, &platforms)?)
    } else {
        None
    };
    let run = Arc::new(crate::task::TaskRun {
        tasks: tasks.clone(),
        known_keys: Arc::new(crate::inventory::object::known_data_keys(&inv)),
        inventory: inv,
        env: Arc::new(template::environment(Some(settings.templates_dir.clone()))),
        platforms,
        plugins: infos,
        dry_run: args.dry_run,
    });
    let work = crate::task::task_work(run, args.task.clone(), params);
    let mut plugins = Plugins::default();
    plugins.add(ssh);
    for plugin in loaded.loaded {
        plugins.add(plugin);
    }
    execute(
        settings,
        view,
        &args.options,
        &args.task,
        jobs,
        plugins,
        work,
        devices,
    )
}

fn builtin_plugin_infos(settings: &Settings) -> Result<Vec<crate::connection::PluginInfo>, Error> {
    let ssh = SshPlugin::new(settings.ssh.clone(), platforms(settings)?);
    Ok(vec![
        crate::connection::ConnectionPlugin::info(&ssh).clone(),
    ])
}

/// Loads the shared-library plugins named by settings; `ssh` is reserved for the built-in.
fn load_plugins(settings: &Settings) -> crate::plugin::PluginSet {
    crate::plugin::PluginSet::load(
        &settings.plugins,
        &settings.plugin_dirs,
        &["ssh"],
        settings.workers,
    )
}

/// Built-in and loaded plugins' infos, with the loading outcome.
fn all_plugin_infos(
    settings: &Settings,
) -> Result<(Vec<crate::connection::PluginInfo>, crate::plugin::PluginSet), Error> {
    let mut infos = builtin_plugin_infos(settings)?;
    let loaded = load_plugins(settings);
    infos.extend(loaded.loaded.iter().map(|p| p.info().clone()));
    Ok((infos, loaded))
}

/// Whether `task` (or a subtask it runs) has a step over `plugin`.
fn uses_plugin<'a>(
    tasks: &'a crate::task::Tasks,
    task: &'a crate::task::Task,
    plugin: &str,
    seen: &mut Vec<&'a str>,
) -> bool {
    if seen.contains(&task.name.as_str()) {
        return false;
    }
    seen.push(&task.name);
    task.steps.iter().any(|step| match &step.kind {
        crate::task::StepKind::Task { name, .. } => tasks
            .get(name)
            .is_ok_and(|sub| uses_plugin(tasks, sub, plugin, seen)),
        crate::task::StepKind::Render(_) => false,
        _ => step.connection.as_deref().unwrap_or(&task.connection) == plugin,
    })
}

/// `netrun plugins`: every plugin with its metadata, then the broken ones and why.
fn plugins_list(settings: &Settings) -> Result<u8, Error> {
    let (infos, loaded) = all_plugin_infos(settings)?;
    let mut table = output::new_table(&[
        "plugin",
        "version",
        "path",
        "command types",
        "operations",
        "dry run",
    ]);
    for info in &infos {
        let types: Vec<String> = info
            .command_types
            .iter()
            .map(|t| {
                serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        let ops: Vec<String> = info
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
            if info.dry_run { "yes" } else { "no" }.to_string(),
        ]);
    }
    let mut text = format!("{}\n", table.trim_fmt());
    if !loaded.broken.is_empty() {
        text.push_str("\nbroken plugins:\n");
        for broken in &loaded.broken {
            text.push_str(&format!("  {}: {}\n", broken.path.display(), broken.reason));
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::Output)?;
    Ok(crate::error::EXIT_OK)
}

fn tasks(settings: &Settings, args: crate::cli::TasksArgs) -> Result<u8, Error> {
    let tasks = load_tasks(settings, &all_plugin_infos(settings)?.0)?;
    if args.name.is_none()
        && let Some(err) = tasks.first_error()
    {
        return Err(err.into());
    }
    let text = match &args.name {
        None => {
            let mut table = output::new_table(&["task", "description"]);
            for task in tasks.tasks.values() {
                table.add_row(vec![task.name.clone(), task.description.clone()]);
            }
            format!("{}\n", table.trim_fmt())
        }
        Some(name) => output::describe_task(tasks.get(name)?),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::Output)?;
    Ok(crate::error::EXIT_OK)
}

fn check(settings: &Settings) -> Result<u8, Error> {
    let platforms = platforms(settings)?;
    let (infos, loaded) = all_plugin_infos(settings)?;
    let tasks = load_tasks(settings, &infos)?;
    if let Some(err) = tasks.first_error() {
        if let Some(note) = loaded.broken_summary() {
            eprintln!("netrun: note: {note}");
        }
        return Err(err.into());
    }
    // A library the user named (or put in a plugin directory) that cannot load is a
    // configuration error, even if no task uses it yet.
    if !loaded.broken.is_empty() {
        return Err(Error::BrokenPlugins(loaded.broken));
    }
    let inv = Arc::new(Inventory::load(&settings.inventory_dir)?);
    let ssh = SshPlugin::new(settings.ssh.clone(), platforms);
    let all: Vec<usize> = (0..inv.len()).collect();
    // ssh credentials matter only if some task uses ssh.
    let needs_ssh = tasks
        .tasks
        .values()
        .any(|t| uses_plugin(&tasks, t, "ssh", &mut Vec::new()))
        || tasks.tasks.is_empty();
    host_jobs(&inv, &all, needs_ssh.then_some(&ssh), &[])?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "ok: config {}, {} host{}, {} task{}, {} connection plugin{}",
        settings
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(defaults)".into()),
        inv.len(),
        output::plural(inv.len()),
        tasks.tasks.len(),
        output::plural(tasks.tasks.len()),
        infos.len(),
        output::plural(infos.len()),
    )
    .and_then(|()| out.flush())
    .map_err(Error::Output)?;
    Ok(crate::error::EXIT_OK)
}
