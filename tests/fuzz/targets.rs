//! The properties every fuzzer checks, shared by the proptest binary (`tests/fuzz/main.rs`) and
//! the cargo-fuzz targets (`tests/fuzz/fuzz_targets/`): each takes raw input, runs one part of
//! netrun on it, and panics when a property fails (never a panic of netrun's own, never a
//! position outside the file, never a missing prompt).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use netrun::inventory::{Inventory, InventoryError};
use netrun::select::Selector;
use netrun::ssh::prompt::{Collector, Event, Normalizer, PromptMatcher};
use netrun::task::{TaskError, Tasks};

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new empty directory under the system's temporary directory.
    pub fn new(what: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("netrun-fuzz-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        Scratch(path)
    }

    /// Writes `bytes` to `name` inside the directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, bytes).expect("write file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Asserts that a position reported in `path` lies inside its text: line 1 to one past the
/// last line, column at least 1.
fn assert_inside(path: &Path, position: Option<(usize, usize)>, message: &str) {
    let Some((line, column)) = position else {
        return;
    };
    let bytes = std::fs::read(path).unwrap_or_default();
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(
        line >= 1 && column >= 1 && line <= lines,
        "{}:{line}:{column} is outside the file ({lines} lines): {message}",
        path.display()
    );
}

/// Loads an inventory of these files (`None`: the file is absent), then resolves and
/// serializes every host; an error must point inside the file it names.
pub fn inventory_files(hosts: &[u8], groups: Option<&[u8]>, defaults: Option<&[u8]>) {
    let dir = Scratch::new("inv");
    dir.write("hosts.yaml", hosts);
    if let Some(groups) = groups {
        dir.write("groups.yaml", groups);
    }
    if let Some(defaults) = defaults {
        dir.write("defaults.yaml", defaults);
    }
    match Inventory::load(&dir.0) {
        Ok(inv) => {
            for host in inv.hosts() {
                let _ = host.groups().count();
                let json = serde_json::to_string(&host.to_serializable()).expect("serializable");
                assert!(!json.is_empty());
            }
        }
        Err(InventoryError::Yaml(err)) => assert_inside(&err.path, err.position, &err.message),
        Err(_) => {}
    }
}

/// Loads a tasks directory of these files (`t0.yaml`, `t1.yaml`, …; steps may call each other
/// by those names) and asks for every task; an error must point inside its file.
pub fn task_files(files: &[&[u8]]) {
    let dir = Scratch::new("tasks");
    for (i, bytes) in files.iter().enumerate() {
        dir.write(&format!("tasks/t{i}.yaml"), bytes);
    }
    dir.write("templates/ok.j2", b"hostname {{ host.name }}\n");
    let plugins = [netrun::ssh::SshPlugin::builtin_info()];
    let tasks = match Tasks::load(&dir.0.join("tasks"), &dir.0.join("templates"), &plugins) {
        Ok(tasks) => tasks,
        Err(_) => return,
    };
    for err in tasks.invalid.values() {
        assert_inside(&err.path, err.position, &err.message);
    }
    for i in 0..files.len() {
        match tasks.get(&format!("t{i}")) {
            Ok(task) => {
                let _ = tasks.uses_plugin(task, "ssh");
            }
            Err(TaskError::Invalid(err)) => assert_inside(&err.path, err.position, &err.message),
            Err(_) => {}
        }
    }
}

/// A small inventory to select from.
pub fn small_inventory() -> Arc<Inventory> {
    let dir = Scratch::new("select");
    dir.write(
        "hosts.yaml",
        "r1: {hostname: 10.0.0.1, platform: ios, port: 22, groups: [edge], data: {site: earth, cpu: 10, facts: {os: ios}, tags: [a, b]}}\n\
         r2: {platform: cisco_ios, port: 2222, groups: [spine], data: {site: mars, cpu: 75.5}}\n\
         'r[3]': {platform: junos, groups: [leaf], data: {site: earth, cpu: null}}\n\
         srv1: {platform: linux, data: {enabled: true, password: x}}\n"
            .as_bytes(),
    );
    dir.write(
        "groups.yaml",
        b"edge: {groups: [core]}\nspine: {groups: [core]}\nleaf: {}\ncore: {data: {tier: 1}}\n",
    );
    Arc::new(Inventory::load(&dir.0).expect("the selection inventory loads"))
}

/// Parses and applies a selection: any error is fine, a panic or an index outside the
/// inventory is not.
pub fn selection(
    inv: &Arc<Inventory>,
    filters: &[String],
    where_expr: Option<&str>,
    hosts: &[String],
) {
    let Ok(selector) = Selector::new(filters, where_expr, hosts) else {
        return;
    };
    // The platform table is built once: every case would otherwise copy 130 platforms.
    static PLATFORMS: std::sync::OnceLock<Arc<netrun::platform::Platforms>> =
        std::sync::OnceLock::new();
    let platforms =
        PLATFORMS.get_or_init(|| Arc::new(netrun::platform::Platforms::builtin().clone()));
    let selector = selector.with_platforms(platforms.clone());
    let env = netrun::template::environment(None);
    if let Ok(indices) = selector.select(inv, &env) {
        assert!(!indices.is_empty());
        assert!(indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");
        assert!(indices.iter().all(|&i| i < inv.len()), "{indices:?}");
    }
}

/// Feeds `stream` to a normalizer cut at `cuts` (byte offsets, any order) and in one piece: the
/// text must be the same, as a UTF-8 character or an escape sequence split across chunks is
/// handled as if it had arrived whole.
pub fn normalizer(stream: &[u8], cuts: &[usize]) {
    let whole = {
        let mut out = String::new();
        Normalizer::new().feed(stream, &mut out, 0);
        out
    };
    let mut out = String::new();
    let mut normalizer = Normalizer::new();
    for chunk in pieces(stream, cuts) {
        normalizer.feed(chunk, &mut out, 0);
    }
    assert_eq!(out, whole, "cut at {cuts:?}");
    if let Ok(text) = std::str::from_utf8(stream)
        && !text.contains(|c: char| c.is_control())
    {
        assert_eq!(out, text, "printable text passes unchanged");
    }
}

/// `stream` cut at `cuts` (taken modulo its length), into pieces that are not empty.
fn pieces<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (stream.len() + 1)).collect();
    cuts.push(stream.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts {
        if cut > start {
            pieces.push(&stream[start..cut]);
            start = cut;
        }
    }
    pieces
}

/// A command's answer (`echo`, then `output`, then the prompt `router#`) cut at `cuts`: the
/// prompt is found after the last piece and not before, and the output comes back without
/// the echo and the prompt. Then `noise` (any bytes) must not make the collector panic.
pub fn collector(output: &str, cuts: &[usize], noise: &[u8]) {
    let prompt = PromptMatcher::new(r"[\w.-]+[>#]").expect("prompt regex");
    let mut collector = Collector::new(prompt, None);
    collector.start_command("show version");
    // A line (or the start of one, at the end of a piece) that looks like a prompt ends the
    // output, by design: the output here has no `#` or `>`, and no control characters.
    let output: String = output
        .lines()
        .map(|l| {
            let line: String = l
                .chars()
                .filter(|c| !matches!(c, '#' | '>') && !c.is_control())
                .collect();
            format!("{line}\n")
        })
        .collect();
    let stream = format!("show version\r\n{}router#", output.replace('\n', "\r\n"));
    let pieces = pieces(stream.as_bytes(), cuts);
    let last = pieces.len() - 1;
    for (i, piece) in pieces.into_iter().enumerate() {
        let event = collector.feed(piece);
        if i < last {
            assert_eq!(
                event,
                Event::NeedMore,
                "prompt too early, piece {i} of {cuts:?}"
            );
        } else {
            assert_eq!(
                event,
                Event::Prompt,
                "no prompt after the last piece of {cuts:?}"
            );
        }
    }
    let done = collector.take();
    assert_eq!(done.prompt, "router#");
    // The newline before the prompt ends the last line; blank lines before it are output.
    assert_eq!(done.output, output.strip_suffix('\n').unwrap_or(&output));
    collector.start_passive();
    for chunk in noise.chunks(7) {
        if collector.feed(chunk) == Event::Prompt {
            let _ = collector.take();
        }
        let _ = collector.partial();
    }
}
