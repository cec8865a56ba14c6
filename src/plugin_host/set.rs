//! The plugin libraries a command may use, loaded only when it needs them: loading runs a
//! library's code, so `run` loads the libraries of the plugins its task names, and only
//! `plugins` and `check` load them all.
//!
//! A plugin's name is only known once its library is loaded, so a name is looked for first in
//! the libraries whose file is named after it (`NAME.so`, `libNAME.so`), then in all the others.
//! The first library (in the order given) that declares a name has it; a later one that
//! declares it too is broken. Libraries running in helpers load at the same time, so a batch
//! takes one [`INIT_TIMEOUT`] at most.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::helper::Helper;
use super::isolated::{self, IsolatedPlugin};
use super::load::{library_path, load_one};
use super::{BrokenPlugin, INIT_TIMEOUT, Isolation, LoadedPlugin, PluginSource};
use crate::connection::{ConnectionPlugin, PluginInfo};

/// How long helpers get to exit when told to at the end of a command, before they are killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// A loaded library, in either mode.
#[derive(Clone)]
enum Library {
    InProcess(Arc<LoadedPlugin>),
    Isolated(Arc<IsolatedPlugin>),
}

impl Library {
    fn plugin(&self) -> Arc<dyn ConnectionPlugin> {
        match self {
            Library::InProcess(p) => p.clone(),
            Library::Isolated(p) => p.clone(),
        }
    }

    fn info(&self) -> &PluginInfo {
        match self {
            Library::InProcess(p) => p.info(),
            Library::Isolated(p) => p.info(),
        }
    }
}

/// Where one library is.
enum Slot {
    /// Not needed yet.
    Unloaded,
    /// Loaded, its name not yet checked against the others.
    Loaded(Library),
    /// Cannot be used, and why.
    Broken(String),
}

/// The plugin libraries of a command: built without loading any, loaded as asked.
pub struct PluginSet {
    sources: Vec<PluginSource>,
    reserved: Vec<String>,
    concurrency: usize,
    /// Bounds the threads running in-process plugin code at once.
    permits: Arc<tokio::sync::Semaphore>,
    slots: Mutex<Vec<Slot>>,
    /// Helpers of libraries that turned out broken, told to exit, to be sure they did.
    discarded: Mutex<Vec<Arc<Helper>>>,
}

/// Locks `m`; a poisoned lock only means a thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The plugin names a library's file suggests: `libacmeos.so` → `libacmeos`, `acmeos`.
fn hinted_names(path: &Path) -> Vec<String> {
    let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
        return Vec::new();
    };
    let mut names = vec![stem.to_string()];
    if let Some(short) = stem.strip_prefix("lib") {
        names.push(short.to_string());
    }
    names
}

impl PluginSet {
    /// The libraries of `sources`, then every shared library in `dirs` (sorted by name, run as
    /// `dir_isolation` says); `reserved` are names already taken (the built-in plugins);
    /// `concurrency` bounds how many calls of one plugin run at once. Nothing is loaded yet.
    pub fn new(
        sources: &[PluginSource],
        dirs: &[PathBuf],
        dir_isolation: Isolation,
        reserved: &[&str],
        concurrency: usize,
    ) -> PluginSet {
        let mut all = sources.to_vec();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                // A configured but absent directory just holds no plugins.
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e == "so" || e == "dylib" || e == "dll")
                })
                .collect();
            found.sort();
            all.extend(found.into_iter().map(|path| PluginSource {
                path,
                isolation: dir_isolation,
            }));
        }
        let slots = all.iter().map(|_| Slot::Unloaded).collect();
        PluginSet {
            sources: all,
            reserved: reserved.iter().map(|s| s.to_string()).collect(),
            concurrency: concurrency.max(1),
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            slots: Mutex::new(slots),
            discarded: Mutex::new(Vec::new()),
        }
    }

    /// Loads every library.
    pub fn load_all(&self) {
        let all: Vec<usize> = (0..self.sources.len()).collect();
        self.load(&all);
    }

    /// Loads what it takes to find the plugins called `names`: first the libraries named after
    /// them, then, if some name is still missing, all the others.
    pub fn load_named(&self, names: &BTreeSet<String>) {
        let missing = || -> BTreeSet<String> {
            let found: BTreeSet<String> = self.infos().into_iter().map(|i| i.name).collect();
            names
                .iter()
                .filter(|n| !self.reserved.contains(n) && !found.contains(*n))
                .cloned()
                .collect()
        };
        let wanted = missing();
        if wanted.is_empty() {
            return;
        }
        let hinted: Vec<usize> = (0..self.sources.len())
            .filter(|&i| {
                hinted_names(&self.sources[i].path)
                    .iter()
                    .any(|n| wanted.contains(n))
            })
            .collect();
        self.load(&hinted);
        if !missing().is_empty() {
            self.load_all();
        }
    }

    /// Loads the libraries at `indices` that are not loaded yet: the isolated ones all started
    /// first, then waited for together.
    fn load(&self, indices: &[usize]) {
        let mut slots = lock(&self.slots);
        let mut starting = Vec::new();
        for &i in indices {
            if !matches!(slots[i], Slot::Unloaded) {
                continue;
            }
            let source = &self.sources[i];
            slots[i] = match source.isolation {
                Isolation::InProcess => match load_one(&source.path) {
                    Ok((info, table)) => Slot::Loaded(Library::InProcess(Arc::new(LoadedPlugin {
                        info,
                        table,
                        permits: self.permits.clone(),
                    }))),
                    Err(reason) => Slot::Broken(reason),
                },
                Isolation::Process => {
                    match isolated::start(&library_path(&source.path), self.concurrency) {
                        Ok(started) => {
                            starting.push((i, started));
                            continue;
                        }
                        Err(reason) => Slot::Broken(reason),
                    }
                }
            };
        }
        let deadline = Instant::now() + INIT_TIMEOUT;
        for (i, started) in starting {
            let (result, helper) = started.finish(deadline);
            slots[i] = match result {
                Ok(plugin) => Slot::Loaded(Library::Isolated(Arc::new(plugin))),
                Err(reason) => {
                    lock(&self.discarded).push(helper);
                    Slot::Broken(reason)
                }
            };
        }
        for &i in indices {
            let path = self.sources[i].path.display();
            match &slots[i] {
                Slot::Loaded(lib) => {
                    crate::diag!(1, "plugin {} loaded from {path}", lib.info().name)
                }
                Slot::Broken(reason) => crate::diag!(1, "plugin {path} is broken: {reason}"),
                Slot::Unloaded => {}
            }
        }
    }

    /// The usable libraries and the broken ones, in order, names checked.
    fn resolve(&self) -> (Vec<Library>, Vec<BrokenPlugin>) {
        let slots = lock(&self.slots);
        let mut loaded: Vec<Library> = Vec::new();
        let mut broken = Vec::new();
        for (source, slot) in self.sources.iter().zip(slots.iter()) {
            let reason = match slot {
                Slot::Unloaded => continue,
                Slot::Broken(reason) => reason.clone(),
                Slot::Loaded(lib) => {
                    let name = &lib.info().name;
                    if self.reserved.contains(name) {
                        format!("name `{name}` is taken by a built-in plugin")
                    } else if let Some(other) = loaded.iter().find(|p| &p.info().name == name) {
                        format!("name `{name}` is already used by {}", other.info().path)
                    } else {
                        loaded.push(lib.clone());
                        continue;
                    }
                }
            };
            broken.push(BrokenPlugin {
                path: source.path.clone(),
                reason,
            });
        }
        (loaded, broken)
    }

    /// The plugins loaded so far that can be used.
    pub fn loaded(&self) -> Vec<Arc<dyn ConnectionPlugin>> {
        self.resolve().0.iter().map(Library::plugin).collect()
    }

    /// The metadata of the plugins loaded so far that can be used.
    pub fn infos(&self) -> Vec<PluginInfo> {
        self.resolve().0.iter().map(|l| l.info().clone()).collect()
    }

    /// The libraries loaded so far that cannot be used.
    pub fn broken(&self) -> Vec<BrokenPlugin> {
        self.resolve().1
    }

    /// One line naming every broken library and why, if there are any.
    pub fn broken_summary(&self) -> Option<String> {
        let broken = self.broken();
        if broken.is_empty() {
            return None;
        }
        let lines: Vec<String> = broken
            .iter()
            .map(|b| format!("{}: {}", b.path.display(), b.reason))
            .collect();
        Some(format!("broken plugins: {}", lines.join("; ")))
    }

    /// Ends every helper: told to exit, killed if it has not within a short grace period, so
    /// that a plugin call that never returns never holds up the end of a command.
    pub fn shutdown(&self) {
        let mut helpers = lock(&self.discarded).clone();
        for slot in lock(&self.slots).iter() {
            if let Slot::Loaded(Library::Isolated(plugin)) = slot {
                helpers.extend(plugin.helpers());
            }
        }
        for helper in &helpers {
            if helper.ended().is_none() {
                helper.exit();
            }
        }
        let until = Instant::now() + EXIT_GRACE;
        for helper in &helpers {
            helper.wait_or_kill(until);
        }
    }
}

impl Drop for PluginSet {
    fn drop(&mut self) {
        self.shutdown();
    }
}
