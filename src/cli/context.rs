//! What a command works with, built once per invocation and only as far as the command needs
//! it: settings, the terminal, platforms, plugins, tasks, the template environment, and the
//! selected hosts.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use netrun::config::{ConfigError, Overrides, Settings};
use netrun::connection::PluginInfo;
use netrun::inventory::Inventory;
use netrun::platform::Platforms;
use netrun::plugin_host::PluginSet;
use netrun::select::Selector;
use netrun::ssh::SshPlugin;
use netrun::task::Tasks;
use netrun::template::Renderer;

use super::args::{GlobalArgs, SelectArgs};
use super::error::AppError;
use super::plugin_names;
use super::terminal::Terminal;

/// The hosts a command works on: the inventory and the selected hosts' indices, in order.
pub struct Selection {
    /// The whole inventory.
    pub inventory: Arc<Inventory>,
    /// The selected hosts, in inventory order.
    pub indices: Vec<usize>,
}

/// Everything a command needs, each part made at most once.
pub struct Context {
    /// Settings after flags, environment, netrun.yaml and defaults.
    pub settings: Settings,
    /// Colour and progress.
    pub terminal: Terminal,
    /// `--strict-platforms`.
    pub strict_platforms: bool,
    platforms: OnceCell<Arc<Platforms>>,
    plugins: OnceCell<PluginSet>,
    tasks: OnceCell<Arc<Tasks>>,
    renderer: OnceCell<Arc<Renderer>>,
}

/// `cell`'s value, made by `make` the first time.
fn get_or_try<T, E>(cell: &OnceCell<T>, make: impl FnOnce() -> Result<T, E>) -> Result<&T, E> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = make()?;
    Ok(cell.get_or_init(|| value))
}

impl Context {
    /// Reads the settings; everything else is made when first asked for.
    pub fn new(global: &GlobalArgs, overrides: Overrides) -> Result<Context, AppError> {
        let settings = Settings::load(&overrides)?;
        match &settings.config_file {
            Some(path) => netrun::diag!(1, "config file {}", path.display()),
            None => netrun::diag!(1, "no config file; built-in defaults"),
        }
        for note in &settings.notes {
            netrun::messages::note(format_args!("{note}"));
        }
        Ok(Context {
            settings,
            terminal: Terminal::new(global),
            strict_platforms: global.strict_platforms,
            platforms: OnceCell::new(),
            plugins: OnceCell::new(),
            tasks: OnceCell::new(),
            renderer: OnceCell::new(),
        })
    }

    /// The built-in platform definitions with netrun.yaml's `platforms:` applied.
    pub fn platforms(&self) -> Result<&Arc<Platforms>, AppError> {
        get_or_try(&self.platforms, || {
            let builtin = Platforms::builtin();
            if self.settings.platforms.0.is_empty() {
                return Ok(Arc::new(builtin.clone()));
            }
            // Overrides only come from a config file; the fallback name is never shown.
            let path = self
                .settings
                .config_file
                .clone()
                .unwrap_or_else(|| "netrun.yaml".into());
            let merged = builtin
                .with_overrides(&self.settings.platforms, &path.display().to_string())
                .map_err(|source| AppError::Platforms { path, source })?;
            Ok(Arc::new(merged))
        })
    }

    /// The shared-library plugins named by the settings, none loaded until asked for; `ssh` is
    /// reserved for the built-in.
    pub fn plugins(&self) -> &PluginSet {
        self.plugins.get_or_init(|| {
            PluginSet::new(
                &self.settings.plugins,
                &self.settings.plugin_dirs,
                self.settings.plugin_isolation,
                &["ssh"],
                self.settings.workers,
            )
        })
    }

    /// Every shared-library plugin, all loaded (`plugins`, `check`).
    pub fn all_plugins(&self) -> &PluginSet {
        let plugins = self.plugins();
        plugins.load_all();
        plugins
    }

    /// Every usable plugin's info: the built-in ones, then those loaded so far.
    pub fn plugin_infos(&self) -> Vec<PluginInfo> {
        let mut infos = vec![SshPlugin::builtin_info()];
        infos.extend(self.plugins().infos());
        infos
    }

    /// The task files, checked against the plugins any of them names.
    pub fn tasks(&self) -> Result<&Arc<Tasks>, AppError> {
        self.tasks_with(plugin_names::named_by_all)
    }

    /// The task files for a run of `task`: only the plugins it (or a subtask) names are loaded,
    /// so the other files may not check out, which matters only to `check` and `tasks`.
    pub fn tasks_for(&self, task: &str) -> Result<&Arc<Tasks>, AppError> {
        self.tasks_with(|dir| plugin_names::named_by(dir, task))
    }

    fn tasks_with(
        &self,
        names: impl FnOnce(&Path) -> BTreeSet<String>,
    ) -> Result<&Arc<Tasks>, AppError> {
        get_or_try(&self.tasks, || {
            let settings = &self.settings;
            if settings.tasks_dir_named && !settings.tasks_dir.is_dir() {
                return Err(AppError::Config(ConfigError::Invalid {
                    what: "tasks".into(),
                    reason: format!("directory {} does not exist", settings.tasks_dir.display()),
                }));
            }
            self.plugins().load_named(&names(&settings.tasks_dir));
            let tasks = Tasks::load(
                &settings.tasks_dir,
                &settings.templates_dir,
                &self.plugin_infos(),
            )?;
            netrun::diag!(
                1,
                "tasks {}: {} task files",
                settings.tasks_dir.display(),
                tasks.tasks.len()
            );
            Ok(Arc::new(tasks))
        })
    }

    /// The one template environment (task files, `--where`), with the limits of user templates.
    pub fn renderer(&self) -> &Arc<Renderer> {
        self.renderer.get_or_init(|| {
            Arc::new(Renderer::new(
                Some(self.settings.templates_dir.clone()),
                self.settings.limits,
            ))
        })
    }

    /// Loads the inventory (the whole of it, for `inventory show` and `check`).
    pub fn inventory(&self) -> Result<Arc<Inventory>, AppError> {
        let inv = Arc::new(Inventory::load_files(&self.settings.inventory_files)?);
        netrun::diag!(
            1,
            "inventory {}: {} hosts",
            self.settings.inventory_dir.display(),
            inv.len()
        );
        Ok(inv)
    }

    /// Loads the inventory and applies the selection: the one path every subcommand takes.
    pub fn select(&self, select: &SelectArgs) -> Result<Selection, AppError> {
        // Platform aliases (cisco_ios) select and read as their canonical name (ios).
        let selector = Selector::new(&select.filters, select.where_expr.as_deref(), &select.hosts)?
            .with_platforms(self.platforms()?.clone());
        let inventory = self.inventory()?;
        let indices = selector.select(&inventory, self.renderer().env())?;
        netrun::diag!(1, "selected {} of {} hosts", indices.len(), inventory.len());
        Ok(Selection { inventory, indices })
    }

    /// The built-in ssh plugin for a run, writing session transcripts to `session_log` (with
    /// secrets redacted unless `show_secrets`).
    pub fn ssh_plugin(
        &self,
        session_log: Option<&Path>,
        show_secrets: bool,
    ) -> Result<SshPlugin, AppError> {
        let mut ssh = SshPlugin::new(self.settings.ssh.clone(), self.platforms()?.clone())
            .with_strict_platforms(self.strict_platforms);
        if let Some(dir) = session_log {
            std::fs::create_dir_all(dir).map_err(|source| AppError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
            ssh = ssh.with_session_log(dir.to_path_buf(), show_secrets);
        }
        Ok(ssh)
    }
}
