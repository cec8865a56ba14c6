//! Which connection plugins task files name, read before the tasks are loaded: loading a plugin
//! library runs its code, so a command loads only the libraries of the plugins it may use.
//!
//! This is a skim, not the task loader: it reads each file as plain YAML and collects the
//! `connection:` of the task and of its steps, following `task:` steps to subtasks. A file it
//! cannot read names nothing here; the loader reports it properly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The task file of `name` in `dir`, if there is one.
fn task_file(dir: &Path, name: &str) -> Option<PathBuf> {
    ["yaml", "yml"]
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// The plugins one file names (`ssh` when the task has no `connection:`) and the subtasks it
/// calls.
fn skim(path: &Path) -> (BTreeSet<String>, Vec<String>) {
    let mut plugins = BTreeSet::new();
    let mut subtasks = Vec::new();
    let Some(doc) = netrun::task::skim(path) else {
        return (plugins, subtasks);
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    plugins.insert(text(doc.get("connection")).unwrap_or_else(|| "ssh".to_string()));
    for step in doc
        .get("steps")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        plugins.extend(text(step.get("connection")));
        subtasks.extend(text(step.get("task")));
    }
    (plugins, subtasks)
}

/// The plugins named by every task file in `dir`.
pub fn named_by_all(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .flat_map(|p| skim(&p).0)
        .collect()
}

/// The plugins task `name` in `dir` may use: its own and its subtasks', transitively.
pub fn named_by(dir: &Path, name: &str) -> BTreeSet<String> {
    let mut plugins = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut pending = vec![name.to_string()];
    while let Some(task) = pending.pop() {
        if !seen.insert(task.clone()) {
            continue;
        }
        if let Some(path) = task_file(dir, &task) {
            let (named, subtasks) = skim(&path);
            plugins.extend(named);
            pending.extend(subtasks);
        }
    }
    plugins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_names_its_plugins_and_its_subtasks_plugins() {
        let dir = std::env::temp_dir().join(format!("netrun-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write(
            "up.yaml",
            "connection: acmeos\nsteps:\n  - call: x\n  - task: sub\n",
        );
        write(
            "sub.yml",
            "steps:\n  - command: show clock\n  - call: y\n    connection: echo\n  - task: up\n",
        );
        write("other.yaml", "connection: serial\nsteps: []\n");
        write("broken.yaml", "connection: [\n");
        let set =
            |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| s.to_string()).collect() };
        assert_eq!(named_by(&dir, "up"), set(&["acmeos", "echo", "ssh"]));
        assert_eq!(named_by(&dir, "other"), set(&["serial"]));
        assert_eq!(named_by(&dir, "missing"), set(&[]));
        assert_eq!(
            named_by_all(&dir),
            set(&["acmeos", "echo", "serial", "ssh"])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
