//! Host key verification against OpenSSH known_hosts files.

use super::known_hosts::{KnownHosts, Learned, Verdict as KhVerdict};
use super::{SshError, SshTarget};
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What to do with host keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownHostsPolicy {
    /// Only connect to hosts whose key is already recorded.
    Strict,
    /// Record keys of new hosts, refuse changed keys (OpenSSH `accept-new`).
    #[default]
    AcceptNew,
    /// Do not check host keys at all (lab use only).
    Off,
}

/// Slot where the handler leaves the reason for rejecting a host key, because russh only
/// reports a generic "unknown key" error to the caller of `connect`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict(Arc<Mutex<Option<SshError>>>);

impl Verdict {
    fn set(&self, e: SshError) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(e);
        }
    }

    pub(crate) fn take(&self) -> Option<SshError> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// russh client handler: verifies the server's host key against known_hosts, read the way
/// OpenSSH reads it (`known_hosts/`): once per run, patterns, hashed names, `@revoked`,
/// `@cert-authority`.
pub(crate) struct ClientHandler {
    host_label: String,
    /// The name looked up in known_hosts: `HostKeyAlias`, else the host name.
    lookup: String,
    /// The port looked up (22 under a `HostKeyAlias`, as OpenSSH).
    port: u16,
    policy: KnownHostsPolicy,
    /// Checked and learned into.
    file: PathBuf,
    /// Checked only.
    extra: Vec<PathBuf>,
    verdict: Verdict,
}

impl ClientHandler {
    pub(crate) fn new(target: &SshTarget, verdict: Verdict) -> Self {
        let (lookup, port) = match &target.host_key_alias {
            Some(alias) => (alias.clone(), 22),
            None => (target.hostname.clone(), target.port),
        };
        ClientHandler {
            host_label: target.host_label.clone(),
            lookup,
            port,
            policy: target.known_hosts,
            file: target.known_hosts_file.clone(),
            extra: target.known_hosts_extra.clone(),
            verdict,
        }
    }

    fn file_error(&self, file: &Path, detail: String) -> SshError {
        SshError::KnownHostsFile {
            host: self.host_label.clone(),
            file: file.to_path_buf(),
            detail,
        }
    }

    /// Every known_hosts file, parsed (cached for the run). A file that exists but cannot be
    /// read fails closed, under `strict` and `accept-new` alike: it is not an empty file.
    fn files(&self) -> Result<Vec<Arc<KnownHosts>>, SshError> {
        std::iter::once(&self.file)
            .chain(&self.extra)
            .map(|path| KnownHosts::load(path).map_err(|e| self.file_error(path, e.to_string())))
            .collect()
    }

    /// The error for a verdict that refuses the key, if it does.
    fn refusal(&self, verdict: &KhVerdict, fingerprint: &str) -> Option<SshError> {
        let key_host = known_hosts_name(&self.lookup, self.port);
        match verdict {
            KhVerdict::Revoked { line } => Some(SshError::HostKeyRevoked {
                host: self.host_label.clone(),
                key_host,
                position: line.to_string(),
                fingerprint: fingerprint.to_string(),
            }),
            KhVerdict::Changed { lines, .. } => Some(SshError::HostKeyMismatch {
                host: self.host_label.clone(),
                key_host,
                file: lines
                    .first()
                    .map_or_else(|| self.file.clone(), |p| p.file.to_path_buf()),
                line: lines.first().map(|p| p.line),
                fingerprint: fingerprint.to_string(),
            }),
            _ => None,
        }
    }

    /// Decide whether what the server presented is acceptable; `Err` carries the reason.
    fn verify(&self, presented: &PublicKeyOrCertificate) -> Result<(), SshError> {
        if self.policy == KnownHostsPolicy::Off {
            return Ok(());
        }
        let key = match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => {
                PublicKey::new(cert.public_key().clone(), "")
            }
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let files = self.files()?;
        let checks: Vec<_> = files
            .iter()
            .map(|kh| {
                for warning in kh.warnings() {
                    crate::diag!(1, "known_hosts: {warning}");
                }
                kh.check_server_key(&self.lookup, self.port, presented)
            })
            .collect();
        for check in &checks {
            if let Some(note) = &check.certificate_note {
                crate::diag!(1, "host {}: host certificate: {note}", self.host_label);
            }
        }
        // Revoked anywhere is fatal; then trusted anywhere wins; then changed anywhere refuses.
        if let Some(revoked) = checks
            .iter()
            .find(|c| matches!(c.verdict, KhVerdict::Revoked { .. }))
        {
            return Err(self
                .refusal(&revoked.verdict, &fingerprint)
                .unwrap_or_else(|| self.file_error(&self.file, "revoked".into())));
        }
        if checks.iter().any(|c| c.verdict.is_trusted()) {
            return Ok(());
        }
        if let Some(changed) = checks
            .iter()
            .find(|c| matches!(c.verdict, KhVerdict::Changed { .. }))
            .and_then(|c| self.refusal(&c.verdict, &fingerprint))
        {
            return Err(changed);
        }
        if self.policy == KnownHostsPolicy::Strict {
            return Err(SshError::HostKeyUnknown {
                host: self.host_label.clone(),
                key_host: known_hosts_name(&self.lookup, self.port),
                file: self.file.clone(),
                fingerprint,
            });
        }
        let learned = files
            .first()
            .map(|kh| kh.learn(&self.lookup, self.port, &key))
            .transpose()
            .map_err(|e| self.file_error(&self.file, e.to_string()))?;
        match learned {
            Some(Learned::Refused(verdict)) => Err(self
                .refusal(&verdict, &fingerprint)
                .unwrap_or_else(|| self.file_error(&self.file, "cannot record the key".into()))),
            _ => Ok(()),
        }
    }
}

/// The host name as OpenSSH writes it in known_hosts (`[host]:port` unless port 22).
pub fn known_hosts_name(hostname: &str, port: u16) -> String {
    if port == 22 {
        hostname.to_string()
    } else {
        format!("[{hostname}]:{port}")
    }
}

impl russh::client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match self.verify(server_public_key) {
            Ok(()) => Ok(true),
            Err(e) => {
                self.verdict.set(e);
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_name_brackets_non_default_ports() {
        assert_eq!(known_hosts_name("r1", 22), "r1");
        assert_eq!(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
    }

    #[test]
    fn policy_parses_from_yaml() {
        let p: KnownHostsPolicy = serde_yaml::from_str("accept-new").expect("yaml");
        assert_eq!(p, KnownHostsPolicy::AcceptNew);
        let p: KnownHostsPolicy = serde_yaml::from_str("strict").expect("yaml");
        assert_eq!(p, KnownHostsPolicy::Strict);
    }
}
