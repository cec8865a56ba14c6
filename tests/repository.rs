//! The shape of the repository, checked like behaviour (ARCHITECTURE.md "Invariants"): the
//! library's modules import each other in one direction only, `unsafe` stays at the plugin
//! boundary, source files stay small, and no file under `tests/` is left out of a test binary
//! (or of a fuzz target).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The layer of each top-level module of the library; a module may import its own layer and
/// the layers below it. The binary's `cli` sits above them all and is not listed.
const LAYERS: &[(&str, &[&str])] = &[
    ("engine", &["config", "job", "runner", "task"]),
    ("model", &["inventory", "output", "result", "select"]),
    ("transport", &["connection", "lab", "plugin_host", "ssh"]),
    (
        "data",
        &[
            "escape",
            "exit",
            "graph",
            "host_files",
            "limits",
            "messages",
            "platform",
            "secrets",
            "suggest",
            "template",
            "yaml",
            "textfsm",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// Top-level module → the top-level modules it names as `crate::X`.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_string())
            .expect("a name");
        if top == "main" || top == "lib" || top == "cli" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let deps = graph.entry(top.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            let is_macro = text[at + "crate::".len() + name.len()..].starts_with('!');
            if !name.is_empty() && name != top && !is_macro {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn modules_import_downwards_only_and_never_in_a_circle() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        let Some(layer) = layer_of(module) else {
            wrong.push(format!("`{module}` has no layer in tests/repository.rs"));
            continue;
        };
        for dep in deps {
            match layer_of(dep) {
                None => wrong.push(format!("`{module}` imports unknown `{dep}`")),
                Some(dep_layer) if dep_layer < layer => wrong.push(format!(
                    "`{module}` ({}) imports `{dep}` ({}), a layer above it",
                    LAYERS[layer].0, LAYERS[dep_layer].0
                )),
                Some(_) => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Within a layer: no module reaches itself again (depth-first search for a back edge).
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == module) {
            let mut ring = path[start..].to_vec();
            ring.push(module);
            cycles.push(ring.join(" → "));
            return;
        }
        if !done.insert(module) {
            return;
        }
        path.push(module);
        for dep in graph.get(module).into_iter().flatten() {
            visit(dep, graph, path, done, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn unsafe_code_lives_only_at_the_plugin_boundary() {
    let src = repo().join("src");
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).expect("read source");
        let uses_unsafe = text
            .lines()
            .any(|l| !l.trim_start().starts_with("//") && l.contains("unsafe "));
        let allowed = file.starts_with(src.join("plugin_host"));
        assert!(
            !uses_unsafe || allowed,
            "{} uses `unsafe`: only src/plugin_host/ may",
            file.display()
        );
    }
}

#[test]
fn source_files_do_one_job_each() {
    let src = repo().join("src");
    let mut long = Vec::new();
    for file in rust_files(&src) {
        // Test modules are exempt: they grow with what they cover.
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let lines = std::fs::read_to_string(&file)
            .expect("read source")
            .lines()
            .count();
        if lines > 600 {
            long.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(long.is_empty(), "split these by job:\n{}", long.join("\n"));
}

#[test]
fn every_file_under_tests_is_part_of_a_test_binary() {
    let tests = repo().join("tests");
    let files = rust_files(&tests);
    // Roots: `tests/NAME.rs` and `tests/NAME/main.rs`, which cargo builds as test binaries.
    let mut reached: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| {
            f.parent() == Some(tests.as_path())
                || (f.file_name().is_some_and(|n| n == "main.rs")
                    && f.parent().and_then(Path::parent) == Some(tests.as_path()))
        })
        .cloned()
        .collect();
    // And the `[[bin]]` roots of a crate kept under `tests/` (the cargo-fuzz targets of
    // `tests/fuzz/Cargo.toml`), built by their own tool.
    for manifest in std::fs::read_dir(&tests).expect("read tests/").flatten() {
        let manifest = manifest.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        for line in text.lines() {
            if let Some(path) = line
                .strip_prefix("path = \"")
                .and_then(|rest| rest.strip_suffix('"'))
                && let Some(dir) = manifest.parent()
                && let Ok(real) = dir.join(path).canonicalize()
                && let Some(found) = files
                    .iter()
                    .find(|f| f.canonicalize().is_ok_and(|c| c == real))
            {
                reached.insert(found.clone());
            }
        }
    }
    // Follow `mod x;` and `#[path = "..."]` declarations from what is reached.
    let mut pending: Vec<PathBuf> = reached.iter().cloned().collect();
    while let Some(file) = pending.pop() {
        let text = std::fs::read_to_string(&file).expect("read test source");
        let dir = if file
            .file_name()
            .is_some_and(|n| n == "main.rs" || n == "mod.rs")
            || file.parent() == Some(tests.as_path())
        {
            file.parent().expect("parent").to_path_buf()
        } else {
            file.with_extension("")
        };
        let mut path_attr: Option<String> = None;
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("#[path = \"") {
                path_attr = rest.strip_suffix("\"]").map(str::to_string);
                continue;
            }
            let decl = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "));
            let Some(name) = decl.and_then(|d| d.strip_suffix(';')) else {
                path_attr = None;
                continue;
            };
            let candidates = match path_attr.take() {
                Some(path) => vec![file.parent().expect("parent").join(path)],
                None => vec![
                    dir.join(format!("{name}.rs")),
                    dir.join(name).join("mod.rs"),
                ],
            };
            for candidate in candidates {
                if let Ok(real) = candidate.canonicalize()
                    && let Some(found) = files
                        .iter()
                        .find(|f| f.canonicalize().is_ok_and(|c| c == real))
                    && reached.insert(found.clone())
                {
                    pending.push(found.clone());
                }
            }
        }
    }
    let forgotten: Vec<String> = files
        .iter()
        .filter(|f| !reached.contains(*f))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        forgotten.is_empty(),
        "not part of any test binary (add a `mod` for them):\n{}",
        forgotten.join("\n")
    );
}
