//! The rules that turn matching lines into a [`Verdict`], following OpenSSH's client:
//!
//! - Only lines whose host patterns apply to the host count (a matching `!pattern` removes a
//!   line), for `@revoked` and `@cert-authority` lines too.
//! - `@revoked` first: the presented key, or the CA that signed a presented certificate, on a
//!   revoked line for the host is refused under every policy.
//! - A plain line with this key: known. Otherwise any plain line for the host, whatever its key
//!   type, means changed; OpenSSH does the same (hostfile.c reports a mismatch for any recorded
//!   key that differs) and avoids false alarms by asking first for the algorithms of the keys
//!   it has recorded, which [`super::KnownHosts::prefer_recorded_algorithms`] offers.
//! - Host on a port other than 22 and nothing recorded for `[host]:port`: a key recorded for
//!   the bare host name is accepted, as OpenSSH retries without the port. Unlike OpenSSH, a
//!   bare-name `@revoked` line also applies then (OpenSSH ignores it and may learn the key).
//! - A certificate whose CA is on a `@cert-authority` line for the host is trusted if it is a
//!   host certificate, valid now, lists the host name among its principals (patterns
//!   allowed), has no critical options and is not signed with SHA-1 `ssh-rsa`; otherwise its
//!   key is checked as a plain key, as OpenSSH falls back.

use super::parse::{Marker, host_name};
use super::pattern::wildcard_match;
use super::{Entries, Entry, HostKeyCheck, Verdict};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Algorithm, Certificate, HashAlg, PublicKey};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether two keys are the same key, whatever their comments.
fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data() == b.key_data()
}

/// The names to look the host up under: `[host]:port` (or `host`), then the bare host.
fn names(host: &str, port: u16) -> Vec<String> {
    let mut names = vec![host_name(host, port)];
    if port != 22 {
        names.push(host_name(host, 22));
    }
    names
}

fn revoked(entries: &Entries, host: &str, port: u16, keys: &[&PublicKey]) -> Option<Verdict> {
    names(host, port).iter().find_map(|name| {
        entries
            .matching(name)
            .into_iter()
            .find(|e| {
                e.parsed.marker == Marker::Revoked
                    && keys.iter().any(|k| same_key(&e.parsed.key, k))
            })
            .map(|e| Verdict::Revoked {
                line: e.position.clone(),
            })
    })
}

/// The verdict from the plain lines for one name.
fn plain_for_name(entries: &Entries, name: &str, key: &PublicKey) -> Verdict {
    let plain: Vec<&Entry> = entries
        .matching(name)
        .into_iter()
        .filter(|e| e.parsed.marker == Marker::None)
        .collect();
    if let Some(e) = plain.iter().find(|e| same_key(&e.parsed.key, key)) {
        return Verdict::Known {
            line: e.position.clone(),
        };
    }
    if plain.is_empty() {
        return Verdict::Unknown;
    }
    Verdict::Changed {
        lines: plain.iter().map(|e| e.position.clone()).collect(),
        fingerprints: plain
            .iter()
            .map(|e| e.parsed.key.fingerprint(HashAlg::Sha256).to_string())
            .collect(),
    }
}

/// The verdict on a plain host key.
pub(super) fn key(entries: &Entries, host: &str, port: u16, key: &PublicKey) -> Verdict {
    if let Some(v) = revoked(entries, host, port, &[key]) {
        return v;
    }
    let name = host_name(host, port);
    match plain_for_name(entries, &name, key) {
        Verdict::Unknown if port != 22 => {
            match plain_for_name(entries, &host_name(host, 22), key) {
                known @ Verdict::Known { .. } => known,
                _ => Verdict::Unknown,
            }
        }
        verdict => verdict,
    }
}

/// The verdict on a host certificate as of `now`.
pub(super) fn certificate(
    entries: &Entries,
    host: &str,
    port: u16,
    cert: &Certificate,
    now: SystemTime,
) -> HostKeyCheck {
    let certified = PublicKey::new(cert.public_key().clone(), "");
    let ca = PublicKey::new(cert.signature_key().clone(), "");
    if let Some(verdict) = revoked(entries, host, port, &[&certified, &ca]) {
        return HostKeyCheck {
            verdict,
            certificate_note: None,
        };
    }
    let ca_line = names(host, port).iter().find_map(|name| {
        entries
            .matching(name)
            .into_iter()
            .find(|e| e.parsed.marker == Marker::CertAuthority && same_key(&e.parsed.key, &ca))
            .map(|e| e.position.clone())
    });
    let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
    let note = match ca_line {
        Some(line) => match validate(cert, host, now, &ca) {
            Ok(()) => {
                return HostKeyCheck {
                    verdict: Verdict::Certified {
                        line,
                        key_id: cert.key_id().to_string(),
                    },
                    certificate_note: None,
                };
            }
            Err(reason) => format!(
                "host certificate '{}' from the CA at {line} rejected: {reason}; checking its key as a plain host key",
                cert.key_id()
            ),
        },
        None => format!(
            "host certificate '{}' is signed by CA {ca_fingerprint}, which no @cert-authority line lists for {}; checking its key as a plain host key",
            cert.key_id(),
            host_name(host, port)
        ),
    };
    HostKeyCheck {
        verdict: key(entries, host, port, &certified),
        certificate_note: Some(note),
    }
}

/// The checks OpenSSH makes on a host certificate whose CA is trusted for the host.
fn validate(cert: &Certificate, host: &str, now: SystemTime, ca: &PublicKey) -> Result<(), String> {
    if cert.cert_type() != CertType::Host {
        return Err("not a host certificate".into());
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now < cert.valid_after() {
        return Err("not yet valid".into());
    }
    if now >= cert.valid_before() {
        return Err("expired".into());
    }
    if cert.valid_principals().is_empty() {
        return Err("it lists no principals".into());
    }
    let name = host.to_ascii_lowercase();
    if !cert
        .valid_principals()
        .iter()
        .any(|p| wildcard_match(&name, p))
    {
        return Err(format!("'{name}' is not one of its principals"));
    }
    if !cert.critical_options().is_empty() {
        return Err("it has critical options, which host certificates do not support".into());
    }
    if cert.signature().algorithm() == (Algorithm::Rsa { hash: None }) {
        return Err(
            "the CA signed it with ssh-rsa (SHA-1), which OpenSSH no longer accepts".into(),
        );
    }
    // Signature, CA identity and validity window together.
    let fingerprint = ca.fingerprint(HashAlg::Sha256);
    cert.validate_at(now, [&fingerprint])
        .map_err(|_| "its signature does not verify against the CA key".to_string())
}

/// Algorithms of the plain keys recorded for the host (`[host]:port`, else the bare name).
pub(super) fn recorded_algorithms(entries: &Entries, host: &str, port: u16) -> Vec<Algorithm> {
    let mut algorithms: Vec<Algorithm> = Vec::new();
    for name in names(host, port) {
        for e in entries.matching(&name) {
            let algorithm = e.parsed.key.algorithm();
            if e.parsed.marker == Marker::None && !algorithms.contains(&algorithm) {
                algorithms.push(algorithm);
            }
        }
        if !algorithms.is_empty() {
            break;
        }
    }
    algorithms
}

/// Whether an `@cert-authority` line applies to the host.
pub(super) fn has_cert_authority(entries: &Entries, host: &str, port: u16) -> bool {
    names(host, port).iter().any(|name| {
        entries
            .matching(name)
            .iter()
            .any(|e| e.parsed.marker == Marker::CertAuthority)
    })
}
