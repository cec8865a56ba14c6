//! Tests for the matching rules; learning is tested in `tests_learn.rs`, certificates in
//! `tests_cert.rs`.

use super::*;
use russh::keys::Algorithm;
use russh::keys::ssh_key::public::{Ed25519PublicKey, KeyData};

/// A distinct Ed25519 public key per `n` (the bytes need not be a valid curve point: nothing
/// here verifies a signature with them).
pub(super) fn key(n: u32) -> PublicKey {
    let mut bytes = [0x5au8; 32];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    PublicKey::from(KeyData::from(Ed25519PublicKey(bytes)))
}

/// `key(n)` as it appears on a known_hosts line.
pub(super) fn text(n: u32) -> String {
    match key(n).to_openssh() {
        Ok(s) => s,
        Err(e) => panic!("encode: {e}"),
    }
}

/// An ECDSA key made with ssh-keygen, for key-type rules.
const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBItFIOLHtV9/4DCghEwT6w3jj3SllCVrRZGPJQRVO4n9chEn6SMSECYksGcQI44fNVk1EBZpBa1AON2JrqUSKE4=";

pub(super) fn write(dir: &tempfile::TempDir, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.path().join("known_hosts");
    if let Err(e) = std::fs::write(&path, content) {
        panic!("write {}: {e}", path.display());
    }
    path
}

pub(super) fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

pub(super) fn load(path: &Path) -> KnownHosts {
    match KnownHosts::load_uncached(path) {
        Ok(k) => k,
        Err(e) => panic!("load: {e}"),
    }
}

/// Parse `content` as a known_hosts file.
fn hosts(content: &str) -> (tempfile::TempDir, KnownHosts) {
    let dir = tempdir();
    let path = write(&dir, content);
    let known = load(&path);
    (dir, known)
}

fn at(known: &KnownHosts, line: usize) -> Position {
    Position {
        file: Arc::from(known.path()),
        line,
    }
}

fn fingerprint(k: &PublicKey) -> String {
    k.fingerprint(russh::keys::HashAlg::Sha256).to_string()
}

#[test]
fn exact_names_known_unknown_and_changed() {
    let (_d, kh) = hosts(&format!(
        "# comment\n\nr1.lab {} laptop\nR2.Lab,10.0.0.2 {}\n",
        text(1),
        text(2)
    ));
    assert_eq!(
        kh.check("r1.lab", 22, &key(1)),
        Verdict::Known { line: at(&kh, 3) }
    );
    // Host names compare case-insensitively, on both sides.
    assert_eq!(
        kh.check("r2.LAB", 22, &key(2)),
        Verdict::Known { line: at(&kh, 4) }
    );
    assert_eq!(
        kh.check("10.0.0.2", 22, &key(2)),
        Verdict::Known { line: at(&kh, 4) }
    );
    assert_eq!(kh.check("r3.lab", 22, &key(1)), Verdict::Unknown);
    assert_eq!(
        kh.check("r1.lab", 22, &key(9)),
        Verdict::Changed {
            lines: vec![at(&kh, 3)],
            fingerprints: vec![fingerprint(&key(1))],
        }
    );
    assert!(kh.warnings().is_empty());
    assert_eq!(at(&kh, 3).to_string(), format!("{}:3", kh.path().display()));
}

#[test]
fn a_wildcard_line_with_another_key_is_a_change_not_a_new_host() {
    // The man-in-the-middle case: russh's helper ignores the wildcard line, so accept-new
    // would have learned the impostor's key.
    let (_d, kh) = hosts(&format!("127.0.40.* {}\n", text(1)));
    assert_eq!(
        kh.check("127.0.40.7", 22, &key(1)),
        Verdict::Known { line: at(&kh, 1) }
    );
    assert_eq!(
        kh.check("127.0.40.7", 22, &key(2)),
        Verdict::Changed {
            lines: vec![at(&kh, 1)],
            fingerprints: vec![fingerprint(&key(1))],
        }
    );
    assert_eq!(kh.check("127.0.41.7", 22, &key(2)), Verdict::Unknown);
    assert_eq!(kh.check("r?", 22, &key(2)), Verdict::Unknown);
}

#[test]
fn question_mark_matches_one_character() {
    let (_d, kh) = hosts(&format!("sw? {}\n", text(1)));
    assert!(kh.check("sw1", 22, &key(1)).is_trusted());
    assert_eq!(kh.check("sw12", 22, &key(1)), Verdict::Unknown);
}

#[test]
fn port_patterns_and_bracketed_names() {
    let (_d, kh) = hosts(&format!(
        "[h]:405* {}\n[r1]:2222 {}\nr1 {}\n",
        text(1),
        text(2),
        text(3)
    ));
    assert!(kh.check("h", 4051, &key(1)).is_trusted());
    assert!(kh.check("h", 405, &key(1)).is_trusted());
    assert!(matches!(
        kh.check("h", 4059, &key(2)),
        Verdict::Changed { .. }
    ));
    // The pattern is about port 405*, not the bare host on port 22.
    assert_eq!(kh.check("h", 22, &key(1)), Verdict::Unknown);
    assert_eq!(kh.check("h", 4061, &key(1)), Verdict::Unknown);
    // Port 22 is written without brackets.
    assert_eq!(
        kh.check("r1", 22, &key(3)),
        Verdict::Known { line: at(&kh, 3) }
    );
    assert_eq!(
        kh.check("r1", 2222, &key(2)),
        Verdict::Known { line: at(&kh, 2) }
    );
    // Something is recorded for [r1]:2222, so the bare name is not consulted.
    assert_eq!(
        kh.check("r1", 2222, &key(3)),
        Verdict::Changed {
            lines: vec![at(&kh, 2)],
            fingerprints: vec![fingerprint(&key(2))],
        }
    );
    // Nothing for [r1]:2200: like OpenSSH, the key recorded for the bare name is accepted...
    assert_eq!(
        kh.check("r1", 2200, &key(3)),
        Verdict::Known { line: at(&kh, 3) }
    );
    // ...but a different key there does not make it "changed" (OpenSSH: new).
    assert_eq!(kh.check("r1", 2200, &key(4)), Verdict::Unknown);
}

#[test]
fn a_negated_pattern_takes_the_whole_line_away_from_that_host() {
    let (_d, kh) = hosts(&format!("10.0.0.*,!10.0.0.5 {}\n", text(1)));
    assert!(matches!(
        kh.check("10.0.0.4", 22, &key(2)),
        Verdict::Changed { .. }
    ));
    assert!(kh.check("10.0.0.4", 22, &key(1)).is_trusted());
    assert_eq!(kh.check("10.0.0.5", 22, &key(2)), Verdict::Unknown);
    assert_eq!(kh.check("10.0.0.5", 22, &key(1)), Verdict::Unknown);
    // Order does not matter: a negation first still vetoes.
    let (_d, kh) = hosts(&format!("!r2,r* {}\n", text(1)));
    assert_eq!(kh.check("r2", 22, &key(1)), Verdict::Unknown);
    assert!(kh.check("r3", 22, &key(1)).is_trusted());
}

#[test]
fn hashed_names_hand_computed_vector() {
    // HMAC-SHA1 with salt 01..14 (hex), computed independently with Python's hmac module.
    let (_d, kh) = hosts(&format!(
        "|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|qvtG0DaqrsqPDhV2Ni+wmYohchA= {}\n\
         |1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|mH38sRPT1FbQHFMaPP1H07cJW/E= {}\n",
        text(1),
        text(2)
    ));
    assert_eq!(
        kh.check("example.com", 22, &key(1)),
        Verdict::Known { line: at(&kh, 1) }
    );
    assert!(kh.check("EXAMPLE.com", 22, &key(1)).is_trusted());
    assert!(matches!(
        kh.check("example.com", 22, &key(3)),
        Verdict::Changed { .. }
    ));
    assert_eq!(kh.check("example.org", 22, &key(1)), Verdict::Unknown);
    assert_eq!(
        kh.check("router1.lab", 2222, &key(2)),
        Verdict::Known { line: at(&kh, 2) }
    );
    assert!(kh.warnings().is_empty());
}

#[test]
fn hashed_by_ssh_keygen() {
    let dir = tempdir();
    let path = write(
        &dir,
        format!(
            "r1.lab {}\n[r2.lab]:2222 {}\nr3.lab {ECDSA}\n",
            text(1),
            text(2)
        ),
    );
    let status = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("ssh-keygen -H (a test prerequisite) failed: {other:?}"),
    }
    let content = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(!content.contains("r1.lab"), "not hashed: {content}");
    let kh = load(&path);
    assert!(kh.warnings().is_empty(), "{:?}", kh.warnings());
    assert!(kh.check("r1.lab", 22, &key(1)).is_trusted());
    assert!(kh.check("r2.lab", 2222, &key(2)).is_trusted());
    assert!(matches!(
        kh.check("r1.lab", 22, &key(2)),
        Verdict::Changed { .. }
    ));
    assert_eq!(kh.check("r4.lab", 22, &key(1)), Verdict::Unknown);
    let ecdsa = PublicKey::from_openssh(ECDSA).unwrap_or_else(|e| panic!("{e}"));
    assert!(kh.check("r3.lab", 22, &ecdsa).is_trusted());
}

#[test]
fn revoked_is_checked_first_and_never_learned() {
    let dir = tempdir();
    let content = format!("r1 {}\n@revoked * {}\n", text(1), text(1));
    let path = write(&dir, &content);
    let kh = load(&path);
    let revoked = Verdict::Revoked { line: at(&kh, 2) };
    assert_eq!(kh.check("r1", 22, &key(1)), revoked);
    assert_eq!(kh.check("r9", 22, &key(1)), revoked);
    assert!(!revoked.is_trusted());
    // accept-new must refuse it and leave the file alone.
    match kh.learn("r9", 22, &key(1)) {
        Ok(Learned::Refused(v)) => assert_eq!(v, revoked),
        other => panic!("learned a revoked key: {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), content);
}

#[test]
fn revoked_applies_only_to_the_hosts_on_its_line() {
    let (_d, kh) = hosts(&format!("@revoked r2,r3 {}\n", text(1)));
    assert_eq!(kh.check("r1", 22, &key(1)), Verdict::Unknown);
    assert_eq!(
        kh.check("r2", 22, &key(1)),
        Verdict::Revoked { line: at(&kh, 1) }
    );
    // A revoked line is not a recorded key: another key for r2 is merely unknown.
    assert_eq!(kh.check("r2", 22, &key(2)), Verdict::Unknown);
    // Stricter than OpenSSH: a bare-name revocation also covers other ports.
    assert_eq!(
        kh.check("r2", 2222, &key(1)),
        Verdict::Revoked { line: at(&kh, 1) }
    );
}

#[test]
fn a_recorded_key_of_another_type_is_a_change() {
    let (_d, kh) = hosts(&format!("r1 {ECDSA}\n"));
    assert!(matches!(
        kh.check("r1", 22, &key(1)),
        Verdict::Changed { .. }
    ));
    // ...which is why the caller should ask for the recorded algorithm first.
    let mut preferred = russh::Preferred::default();
    assert_eq!(preferred.key[0], Algorithm::Ed25519);
    kh.prefer_recorded_algorithms("r1", 22, &mut preferred);
    assert_eq!(
        preferred.key[0],
        Algorithm::Ecdsa {
            curve: russh::keys::EcdsaCurve::NistP256
        }
    );
    assert_eq!(preferred.key.len(), russh::Preferred::default().key.len());
    let mut untouched = russh::Preferred::default();
    kh.prefer_recorded_algorithms("r2", 22, &mut untouched);
    assert_eq!(untouched.key, russh::Preferred::default().key);
}

#[test]
fn malformed_and_non_utf8_lines_are_skipped_with_a_warning() {
    let mut content = format!("r1 {}\n", text(1)).into_bytes();
    content.extend_from_slice(b"r2 ssh-ed25519 \xff\xfe\n");
    content.extend_from_slice(b"r3 ssh-ed25519 not-base64!\n");
    content.extend_from_slice(format!("@bogus r4 {}\n", text(4)).as_bytes());
    content.extend_from_slice(b"r5\n");
    content.extend_from_slice(
        format!("r6 ssh-rsa {}\n", text(6).split(' ').nth(1).unwrap_or("")).as_bytes(),
    );
    content.extend_from_slice(b"|1|AAAA|BBBB ssh-ed25519 AAAA\n");
    content.extend_from_slice(format!("r8 {}\r\n", text(8)).as_bytes());
    let dir = tempdir();
    let kh = load(&write(&dir, content));
    let lines: Vec<usize> = kh.warnings().iter().map(|w| w.position.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6, 7], "{:?}", kh.warnings());
    assert!(kh.warnings()[0].reason.contains("UTF-8"));
    assert!(kh.warnings()[0].to_string().contains(":2: line skipped"));
    assert!(kh.check("r1", 22, &key(1)).is_trusted());
    assert!(kh.check("r8", 22, &key(8)).is_trusted());
    assert_eq!(kh.check("r4", 22, &key(4)), Verdict::Unknown);
}

#[test]
fn a_missing_file_is_empty() {
    let dir = tempdir();
    let kh = load(&dir.path().join("nope"));
    assert_eq!(kh.check("r1", 22, &key(1)), Verdict::Unknown);
    assert_eq!(kh.reads(), 0);
}

#[test]
fn an_unreadable_file_is_an_error_not_an_empty_file() {
    let dir = tempdir();
    // A directory where the file should be.
    let path = dir.path().join("known_hosts");
    std::fs::create_dir(&path).unwrap_or_else(|e| panic!("{e}"));
    match KnownHosts::load_uncached(&path) {
        Err(e @ KnownHostsError::Read { .. }) => {
            assert!(
                e.to_string().contains("cannot read known_hosts file"),
                "{e}"
            )
        }
        other => panic!("expected a read error, got {other:?}"),
    }
    assert!(KnownHosts::load(&path).is_err());
    // No permission to read (meaningless for root, who reads anyway).
    use std::os::unix::fs::PermissionsExt;
    let other = tempdir();
    let file = write(&other, format!("r1 {}\n", text(1)));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000))
        .unwrap_or_else(|e| panic!("{e}"));
    if std::fs::read(&file).is_err() {
        assert!(matches!(
            KnownHosts::load_uncached(&file),
            Err(KnownHostsError::Read { .. })
        ));
    }
}

#[test]
fn a_large_file_is_parsed_once_and_shared() {
    let dir = tempdir();
    let mut content = String::with_capacity(100_000 * 90);
    for n in 0..100_000u32 {
        content.push_str(&format!(
            "host{n}.lab,10.{}.{}.{} {}\n",
            n >> 16,
            (n >> 8) & 255,
            n & 255,
            text(n)
        ));
    }
    let path = write(&dir, content);
    let first = KnownHosts::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.entry_count(), 100_000);
    assert_eq!(first.reads(), 1);
    for n in (0..100_000u32).step_by(97) {
        let again = KnownHosts::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&first, &again));
        assert!(
            again
                .check(&format!("host{n}.lab"), 22, &key(n))
                .is_trusted()
        );
        assert!(matches!(
            again.check(&format!("HOST{n}.lab"), 22, &key(n + 1)),
            Verdict::Changed { .. }
        ));
    }
    assert_eq!(first.check("elsewhere", 22, &key(1)), Verdict::Unknown);
    // Lookups never touched the file again.
    assert_eq!(first.reads(), 1);
    // A learned host costs one tail read (what others appended), not a re-parse.
    assert!(matches!(
        first.learn("new.lab", 22, &key(100_001)),
        Ok(Learned::Added { .. })
    ));
    assert_eq!(first.entry_count(), 100_001);
    assert!(first.reads() <= 3, "{}", first.reads());
    assert!(first.check("new.lab", 22, &key(100_001)).is_trusted());
}
