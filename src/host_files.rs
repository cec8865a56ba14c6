//! Files netrun writes: per-host names that cannot leave their directory (`--save-dir`,
//! `--session-log`), and the one atomic write every result file goes through.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file name for `host`'s saved output or session log: `HOST.EXT`, with `/`, `\`, `%`,
/// control characters and a leading `.` percent-encoded, so that an inventory name cannot
/// point outside the directory (`../x`, `/etc/x`) and two names never share a file.
pub fn host_file_name(host: &str, ext: &str) -> String {
    let mut name = String::with_capacity(host.len() + ext.len() + 1);
    for (i, c) in host.chars().enumerate() {
        let escape = matches!(c, '/' | '\\' | '%') || c.is_control() || (i == 0 && c == '.');
        if escape {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        } else {
            name.push(c);
        }
    }
    if name.is_empty() {
        name.push('%');
    }
    name.push('.');
    name.push_str(ext);
    name
}

/// Writes `path` whole or not at all: `fill` writes into a temporary file in the same
/// directory, which is flushed, synced to disk and renamed over `path`. A reader (or a crash,
/// or a full disk) sees the old file or the new one, never half of one; on failure the old file
/// is untouched and the temporary one removed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let written = (|| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        let mut out = std::io::BufWriter::new(file);
        fill(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    match written {
        Ok(()) => {
            // The rename is durable once the directory is synced; a directory that cannot be
            // opened for that (some filesystems) still has the complete file.
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            if let Ok(dir) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        Err(err) => {
            let _ = std::fs::remove_file(&temporary);
            Err(err)
        }
    }
}

/// `.NAME.PID.N.tmp` beside `path`: hidden, unique to this process and call, and on the same
/// filesystem, so that the rename is atomic.
fn temporary_beside(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_whole_or_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("r1.txt");
        write_atomic(&path, |out| out.write_all(b"first\n")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("first\n")
        );
        // A writer that fails half-way: the old file stays, no temporary file is left over.
        let failed = write_atomic(&path, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("device went away"))
        });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("first\n")
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, ["r1.txt"]);
        write_atomic(&path, |out| out.write_all(b"second\n")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("second\n")
        );
        // A directory that does not exist is an error, not a panic.
        assert!(write_atomic(&dir.path().join("no/such/dir.txt"), |_| Ok(())).is_err());
    }

    #[test]
    fn host_file_names_stay_in_their_directory_and_never_collide() {
        assert_eq!(host_file_name("edge01.earth", "txt"), "edge01.earth.txt");
        assert_eq!(host_file_name("../escaped", "txt"), "%2E.%2Fescaped.txt");
        assert_eq!(host_file_name("/tmp/abs", "log"), "%2Ftmp%2Fabs.log");
        assert_eq!(host_file_name("sub/r1", "txt"), "sub%2Fr1.txt");
        assert_eq!(host_file_name("a\\b\ncé", "txt"), "a%5Cb%0Acé.txt");
        // `%` itself is encoded, so `a/b` and a host literally named `a%2Fb` differ.
        assert_eq!(host_file_name("a%2Fb", "txt"), "a%252Fb.txt");
        assert_ne!(host_file_name("a/b", "txt"), host_file_name("a%2Fb", "txt"));
    }
}
