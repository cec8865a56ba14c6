//! Tests for `learn` (accept-new): file creation, exactly-once appends across threads and
//! processes, other writers' lines picked up from the tail.

use super::tests::{key, load, tempdir, text, write};
use super::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn learn(kh: &KnownHosts, host: &str, port: u16, k: &PublicKey) -> Learned {
    kh.learn(host, port, k)
        .unwrap_or_else(|e| panic!("learn {host}: {e}"))
}

/// How many lines of `content` record `name`.
fn count(content: &str, name: &str) -> usize {
    content
        .lines()
        .filter(|l| l.split(' ').next() == Some(name))
        .count()
}

#[test]
fn learn_creates_the_directory_and_file_private() {
    let dir = tempdir();
    let path = dir.path().join("home").join(".ssh").join("known_hosts");
    let kh = load(&path);
    assert!(matches!(
        learn(&kh, "R1.lab", 22, &key(1)),
        Learned::Added { .. }
    ));
    assert!(matches!(
        learn(&kh, "r2", 2222, &key(2)),
        Learned::Added { .. }
    ));
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    };
    assert_eq!(mode(&dir.path().join("home").join(".ssh")), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        read(&path),
        format!("r1.lab {}\n[r2]:2222 {}\n", text(1), text(2))
    );
    assert_eq!(
        kh.check("r2", 2222, &key(2)),
        Verdict::Known {
            line: Position {
                file: Arc::from(path.as_path()),
                line: 2
            }
        }
    );
}

#[test]
fn learn_completes_a_last_line_without_newline() {
    let dir = tempdir();
    let path = write(&dir, format!("# mine\nr1 {}", text(1)));
    let kh = load(&path);
    assert!(kh.check("r1", 22, &key(1)).is_trusted());
    match learn(&kh, "r2", 22, &key(2)) {
        Learned::Added { line } => assert_eq!(line.line, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read(&path),
        format!("# mine\nr1 {}\nr2 {}\n", text(1), text(2))
    );
    assert!(kh.check("r1", 22, &key(1)).is_trusted());
    assert_eq!(kh.entry_count(), 2);
    let fresh = load(&path);
    assert!(fresh.warnings().is_empty());
    assert_eq!(fresh.entry_count(), 2);
}

#[test]
fn learning_twice_writes_once() {
    let dir = tempdir();
    let path = write(&dir, "");
    let kh = load(&path);
    assert!(matches!(
        learn(&kh, "r1", 22, &key(1)),
        Learned::Added { .. }
    ));
    assert!(matches!(
        learn(&kh, "r1", 22, &key(1)),
        Learned::AlreadyKnown { .. }
    ));
    assert_eq!(read(&path), format!("r1 {}\n", text(1)));
}

#[test]
fn learn_reads_what_other_writers_appended() {
    let dir = tempdir();
    let path = write(&dir, format!("r0 {}\n", text(0)));
    let a = load(&path);
    let b = load(&path);
    assert!(matches!(
        learn(&a, "r1", 22, &key(1)),
        Learned::Added { .. }
    ));
    // b parsed the file before a's append: under the lock it reads the tail first.
    assert_eq!(b.check("r1", 22, &key(1)), Verdict::Unknown);
    assert!(matches!(
        learn(&b, "r1", 22, &key(1)),
        Learned::AlreadyKnown { .. }
    ));
    assert!(matches!(
        learn(&b, "r1", 22, &key(2)),
        Learned::Refused(Verdict::Changed { .. })
    ));
    assert_eq!(count(&read(&path), "r1"), 1);
    // Someone replaces the file (ssh-keygen -R writes a new one): read again from scratch.
    let replacement = dir.path().join("new");
    std::fs::write(&replacement, format!("r9 {}\n", text(9))).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&replacement, &path).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        learn(&a, "r2", 22, &key(2)),
        Learned::Added { .. }
    ));
    assert!(a.check("r9", 22, &key(9)).is_trusted());
    assert_eq!(a.check("r1", 22, &key(1)), Verdict::Unknown);
    assert_eq!(read(&path), format!("r9 {}\nr2 {}\n", text(9), text(2)));
}

#[test]
fn many_threads_learn_each_key_exactly_once() {
    let dir = tempdir();
    let path = dir.path().join("known_hosts");
    let shared = Arc::new(load(&path));
    // A second parse of the same file stands for another KnownHosts value (its own file
    // descriptors): only the file lock keeps the two apart.
    let other = Arc::new(load(&path));
    let mut threads = Vec::new();
    for n in 0..50u32 {
        let kh = if n % 2 == 0 {
            shared.clone()
        } else {
            other.clone()
        };
        threads.push(std::thread::spawn(move || {
            kh.learn(&format!("host{n}"), 22, &key(n)).map(|_| ())
        }));
    }
    for n in 0..20u32 {
        let kh = if n % 2 == 0 {
            shared.clone()
        } else {
            other.clone()
        };
        threads.push(std::thread::spawn(move || {
            kh.learn("same.lab", 830, &key(1000)).map(|_| ())
        }));
    }
    for t in threads {
        match t.join() {
            Ok(Ok(())) => {}
            other => panic!("learner failed: {other:?}"),
        }
    }
    let content = read(&path);
    for n in 0..50u32 {
        assert_eq!(count(&content, &format!("host{n}")), 1, "host{n}");
    }
    assert_eq!(count(&content, "[same.lab]:830"), 1);
    assert_eq!(content.lines().count(), 51);
    assert!(!content.contains("\n\n"));
    let fresh = load(&path);
    assert!(fresh.warnings().is_empty(), "{:?}", fresh.warnings());
    assert_eq!(fresh.entry_count(), 51);
    // Each value knows what it learned itself (in a run, `load` hands out one shared value).
    assert!(shared.check("host48", 22, &key(48)).is_trusted());
    assert!(other.check("host49", 22, &key(49)).is_trusted());
}

/// Set (to the known_hosts path) when this test binary is started by
/// `two_processes_learn_each_key_exactly_once` as the second writer.
const CHILD: &str = "NETRUN_TEST_KNOWN_HOSTS_CHILD";
const HOSTS: u32 = 150;

/// Poll for `path` to exist (a barrier between the two processes), for at most 30 s.
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn second_process_learner() {
    // Does nothing in a normal run; it is the other process of the test below.
    let Some(path) = std::env::var_os(CHILD).map(PathBuf::from) else {
        return;
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let kh = load(&path);
    std::fs::write(dir.join("ready"), "").unwrap_or_else(|e| panic!("{e}"));
    wait_for(&dir.join("go"));
    for n in 0..HOSTS {
        learn(&kh, &format!("p{n}"), 22, &key(n));
        learn(&kh, "both.lab", 22, &key(99_999));
    }
}

#[test]
fn two_processes_learn_each_key_exactly_once() {
    let dir = tempdir();
    let path = dir.path().join("known_hosts");
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "ssh::known_hosts::tests_learn::second_process_learner",
            "--test-threads=1",
            "--quiet",
        ])
        .env(CHILD, &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn the test binary: {e}"));
    let kh = load(&path);
    wait_for(&dir.path().join("ready"));
    std::fs::write(dir.path().join("go"), "").unwrap_or_else(|e| panic!("{e}"));
    // The same hosts in the opposite order, so the two meet in the middle.
    for n in (0..HOSTS).rev() {
        learn(&kh, &format!("p{n}"), 22, &key(n));
        learn(&kh, "both.lab", 22, &key(99_999));
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "second process failed: {status}");
    let content = read(&path);
    for n in 0..HOSTS {
        assert_eq!(count(&content, &format!("p{n}")), 1, "p{n}");
    }
    assert_eq!(count(&content, "both.lab"), 1);
    let fresh = load(&path);
    assert!(fresh.warnings().is_empty(), "{:?}", fresh.warnings());
    assert_eq!(fresh.entry_count(), HOSTS as usize + 1);
}

#[test]
fn learning_into_an_unusable_file_is_an_error() {
    let dir = tempdir();
    let path = dir.path().join("known_hosts");
    let kh = load(&path);
    // Someone puts a directory where the file should be after it was (not) read.
    std::fs::create_dir(&path).unwrap_or_else(|e| panic!("{e}"));
    match kh.learn("r1", 22, &key(1)) {
        Err(e) => assert!(e.to_string().contains(&path.display().to_string()), "{e}"),
        Ok(outcome) => panic!("learned into a directory: {outcome:?}"),
    }
}

#[test]
fn only_plain_host_names_are_learned() {
    let dir = tempdir();
    let path = dir.path().join("known_hosts");
    let kh = load(&path);
    for bad in [
        "", "a b", "a,b", "r*", "r?", "!r1", "@revoked", "|1|x", "[r1]:22", "r1\n",
    ] {
        assert!(
            matches!(
                kh.learn(bad, 22, &key(1)),
                Err(KnownHostsError::BadHostName { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(!path.exists());
    assert!(matches!(
        learn(&kh, "fe80::1", 2222, &key(1)),
        Learned::Added { .. }
    ));
    assert_eq!(read(&path), format!("[fe80::1]:2222 {}\n", text(1)));
}

#[test]
fn one_parse_can_be_shared_across_threads_and_tasks() {
    fn shareable<T: Send + Sync>() {}
    shareable::<KnownHosts>();
    shareable::<Arc<KnownHosts>>();
}

#[test]
fn wildcard_lines_appended_by_others_are_seen_after_the_next_tail_read() {
    let dir = tempdir();
    let path = write(
        &dir,
        format!(
            "|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|qvtG0DaqrsqPDhV2Ni+wmYohchA= {}\n",
            text(1)
        ),
    );
    let kh = load(&path);
    assert_eq!(kh.check("r5", 22, &key(5)), Verdict::Unknown);
    // Another writer (an editor, OpenSSH) appends a wildcard line.
    let mut file = OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(format!("r* {}\n", text(5)).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(file);
    // The parsed copy is not re-read for lookups...
    assert_eq!(kh.check("r5", 22, &key(5)), Verdict::Unknown);
    // ...but learning reads the tail first, and the remembered matches are recomputed.
    assert!(matches!(
        learn(&kh, "sw6", 22, &key(6)),
        Learned::Added { .. }
    ));
    assert!(kh.check("r5", 22, &key(5)).is_trusted());
    assert!(kh.check("example.com", 22, &key(1)).is_trusted());
    assert!(matches!(
        kh.check("r5", 22, &key(6)),
        Verdict::Changed { .. }
    ));
}
