//! Tests for `@cert-authority`: host certificates made by ssh-keygen (a test prerequisite).

use super::tests::{key, load, tempdir, text, write};
use super::*;
use russh::keys::Certificate;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

fn keygen(args: &[&str]) {
    let status = Command::new("ssh-keygen")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("ssh-keygen {args:?} failed: {other:?}"),
    }
}

/// A CA, a host key and certificates for it, in a scratch directory.
struct Pki {
    dir: tempfile::TempDir,
    /// The CA's public key line.
    ca: String,
    /// The host's plain public key.
    host: PublicKey,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempdir();
        let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        keygen(&["-q", "-t", "ed25519", "-N", "", "-C", "ca", "-f", &p("ca")]);
        keygen(&[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "host",
            "-f",
            &p("host"),
        ]);
        let read = |name: &str| std::fs::read_to_string(p(name)).unwrap_or_default();
        let ca = read("ca.pub").trim().to_string();
        let host =
            PublicKey::from_openssh(read("host.pub").trim()).unwrap_or_else(|e| panic!("{e}"));
        Pki { dir, ca, host }
    }

    /// Sign the host key; `extra` are ssh-keygen options such as `-h`, `-n`, `-V`.
    fn certificate(&self, id: &str, extra: &[&str]) -> Certificate {
        let p = |name: &str| self.dir.path().join(name).to_string_lossy().into_owned();
        let mut args = vec!["-q", "-s"];
        let ca = p("ca");
        let host = p("host.pub");
        args.push(&ca);
        args.extend(["-I", id]);
        args.extend(extra);
        args.push(&host);
        keygen(&args);
        Certificate::read_file(self.dir.path().join("host-cert.pub").as_path())
            .unwrap_or_else(|e| panic!("read certificate: {e}"))
    }

    fn host_certificate(&self) -> Certificate {
        self.certificate("r1-cert", &["-h", "-n", "r1.lab,*.dc1", "-V", "-5m:+1h"])
    }
}

fn hosts(content: &str) -> (tempfile::TempDir, KnownHosts) {
    let dir = tempdir();
    let kh = load(&write(&dir, content));
    (dir, kh)
}

fn check(kh: &KnownHosts, host: &str, port: u16, cert: &Certificate) -> HostKeyCheck {
    kh.check_certificate(host, port, cert, SystemTime::now())
}

#[test]
fn a_certificate_from_a_listed_ca_is_trusted() {
    let pki = Pki::new();
    let cert = pki.host_certificate();
    let (_d, kh) = hosts(&format!("# CAs\n@cert-authority *.lab,*.dc1 {}\n", pki.ca));
    let outcome = check(&kh, "r1.lab", 22, &cert);
    assert_eq!(outcome.certificate_note, None);
    match outcome.verdict {
        Verdict::Certified { line, key_id } => {
            assert_eq!(line.line, 2);
            assert_eq!(key_id, "r1-cert");
        }
        other => panic!("{other:?}"),
    }
    // Principals may be patterns.
    assert!(check(&kh, "SW1.dc1", 22, &cert).verdict.is_trusted());
    // `[r1.lab]:2222` is not covered by `*.lab`, but OpenSSH retries with the bare name.
    assert!(check(&kh, "r1.lab", 2222, &cert).verdict.is_trusted());
    assert!(kh.has_cert_authority("r7.lab", 22));
    assert!(!kh.has_cert_authority("r7.example", 22));
    // What russh hands to check_server_key.
    let presented = PublicKeyOrCertificate::Certificate(cert);
    assert!(
        kh.check_server_key("r1.lab", 22, &presented)
            .verdict
            .is_trusted()
    );
}

#[test]
fn an_invalid_certificate_falls_back_to_its_plain_key() {
    let pki = Pki::new();
    let cert = pki.host_certificate();
    let (_d, kh) = hosts(&format!(
        "@cert-authority *.lab {}\nr2.lab {}\n",
        pki.ca,
        pki.host.to_openssh().unwrap_or_default()
    ));
    // r3.lab is not a principal and its key is not recorded: unknown, with the reason.
    let outcome = check(&kh, "r3.lab", 22, &cert);
    assert_eq!(outcome.verdict, Verdict::Unknown);
    let note = outcome.certificate_note.unwrap_or_default();
    assert!(
        note.contains("'r3.lab' is not one of its principals"),
        "{note}"
    );
    // r2.lab is not a principal either, but its plain key is recorded.
    let outcome = check(&kh, "r2.lab", 22, &cert);
    assert!(matches!(outcome.verdict, Verdict::Known { .. }));
    assert!(outcome.certificate_note.is_some());
    // Expired (checked two hours later) and not yet valid.
    let later = SystemTime::now() + Duration::from_secs(7200);
    let outcome = kh.check_certificate("r1.lab", 22, &cert, later);
    assert_eq!(outcome.verdict, Verdict::Unknown);
    assert!(
        outcome
            .certificate_note
            .unwrap_or_default()
            .contains("expired")
    );
    let earlier = SystemTime::now() - Duration::from_secs(3600);
    let outcome = kh.check_certificate("r1.lab", 22, &cert, earlier);
    assert!(
        outcome
            .certificate_note
            .unwrap_or_default()
            .contains("not yet valid")
    );
}

#[test]
fn user_certificates_and_certificates_without_principals_are_refused() {
    let pki = Pki::new();
    let (_d, kh) = hosts(&format!("@cert-authority * {}\n", pki.ca));
    let user = pki.certificate("user", &["-n", "r1.lab", "-V", "-5m:+1h"]);
    let note = check(&kh, "r1.lab", 22, &user)
        .certificate_note
        .unwrap_or_default();
    assert!(note.contains("not a host certificate"), "{note}");
    let anyone = pki.certificate("anyone", &["-h", "-V", "-5m:+1h"]);
    let note = check(&kh, "r1.lab", 22, &anyone)
        .certificate_note
        .unwrap_or_default();
    assert!(note.contains("no principals"), "{note}");
}

#[test]
fn a_certificate_from_an_unlisted_ca_is_checked_as_a_plain_key() {
    let pki = Pki::new();
    let cert = pki.host_certificate();
    // A CA is listed, but not this one; and the listed one only for other hosts.
    let (_d, kh) = hosts(&format!(
        "@cert-authority *.lab {}\n@cert-authority *.example {}\n",
        text(1),
        pki.ca
    ));
    let outcome = check(&kh, "r1.lab", 22, &cert);
    assert_eq!(outcome.verdict, Verdict::Unknown);
    let note = outcome.certificate_note.unwrap_or_default();
    assert!(
        note.contains("no @cert-authority line lists for r1.lab"),
        "{note}"
    );
    // A CA line is not a host key: another key for r1.lab is not "changed".
    assert_eq!(kh.check("r1.lab", 22, &key(1)), Verdict::Unknown);
}

#[test]
fn a_revoked_ca_or_certified_key_is_revoked() {
    let pki = Pki::new();
    let cert = pki.host_certificate();
    let (_d, kh) = hosts(&format!(
        "@cert-authority * {}\n@revoked r1.lab {}\n",
        pki.ca, pki.ca
    ));
    let outcome = check(&kh, "r1.lab", 22, &cert);
    assert!(matches!(outcome.verdict, Verdict::Revoked { ref line } if line.line == 2));
    assert!(check(&kh, "sw1.dc1", 22, &cert).verdict.is_trusted());
    let (_d, kh) = hosts(&format!(
        "@cert-authority * {}\n@revoked * {}\n",
        pki.ca,
        pki.host.to_openssh().unwrap_or_default()
    ));
    assert!(matches!(
        check(&kh, "r1.lab", 22, &cert).verdict,
        Verdict::Revoked { .. }
    ));
}
